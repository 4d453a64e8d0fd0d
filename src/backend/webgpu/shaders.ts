/**
 * Every WGSL source of the WebGPU backend, one typed table. Each file is valid WGSL on its own
 * and is loaded with Vite's `?raw` import (works in vitest and in browser bundles alike).
 */
import argmax from '../../../shaders/argmax.wgsl?raw';
import batchnormApply from '../../../shaders/batchnorm_apply.wgsl?raw';
import batchnormBackward from '../../../shaders/batchnorm_backward.wgsl?raw';
import batchnormStats from '../../../shaders/batchnorm_stats.wgsl?raw';
import binary from '../../../shaders/binary.wgsl?raw';
import conv2d from '../../../shaders/conv2d.wgsl?raw';
import copy from '../../../shaders/copy.wgsl?raw';
import depthwise from '../../../shaders/depthwise.wgsl?raw';
import fill from '../../../shaders/fill.wgsl?raw';
import finite from '../../../shaders/finite.wgsl?raw';
import gather from '../../../shaders/gather.wgsl?raw';
import matmul from '../../../shaders/matmul.wgsl?raw';
import optimizer from '../../../shaders/optimizer.wgsl?raw';
import reduce from '../../../shaders/reduce.wgsl?raw';
import stepSums from '../../../shaders/step_sums.wgsl?raw';
import strided from '../../../shaders/strided.wgsl?raw';
import unary from '../../../shaders/unary.wgsl?raw';
import where from '../../../shaders/where.wgsl?raw';
import pad from '../../../shaders/pad.wgsl?raw';
import pool from '../../../shaders/pool.wgsl?raw';
import softmax from '../../../shaders/softmax.wgsl?raw';

/** Shader name -> WGSL source. The key is also the file name under `shaders/` (`.wgsl`). */
export const shaders = {
  argmax,
  batchnorm_apply: batchnormApply,
  batchnorm_backward: batchnormBackward,
  batchnorm_stats: batchnormStats,
  binary,
  conv2d,
  copy,
  depthwise,
  fill,
  finite,
  gather,
  matmul,
  optimizer,
  reduce,
  step_sums: stepSums,
  strided,
  unary,
  where,
  pad,
  pool,
  softmax,
} as const satisfies Record<string, string>;

/** Name of a WGSL file under `shaders/`, without the extension. */
export type ShaderName = keyof typeof shaders;
