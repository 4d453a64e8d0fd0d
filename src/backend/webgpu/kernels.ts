/**
 * One table: Backend kernel -> the WGSL files it runs and the function that records its
 * dispatches. A Backend method missing here is a compile error (`satisfies`).
 */
import type { Backend } from '../backend.js';
import type { ShaderName } from './shaders.js';
import type { GpuContext } from './context.js';
import * as batchnorm from './batchnorm.js';
import * as conv from './conv.js';
import { binary, copy, fill, unary, where } from './elementwise.js';
import { matmul, matmulFused } from './matmul.js';
import { concat, gather, gatherPair, oneHot, slice, transpose } from './movement.js';
import { argMax, reduce } from './reduce.js';
import { pad } from './pad.js';
import { pool, poolGrad } from './pooling.js';
import { softmax, softmaxGrad } from './softmax.js';
import { accumulateStep, assign, assignAll, checkFinite, checkFiniteAll, optimizerStep, optimizerStepAll } from './training.js';

/** Backend methods that record device work (everything but bookkeeping and transfers). */
export type KernelName = Exclude<
  keyof Backend, 'name' | 'description' | 'upload' | 'read' | 'free' | 'bufferCount' | 'sync' | 'dispose'
  | 'readSync'
>;

/** The shaders a kernel dispatches and the function recording them (context first). */
export interface Kernel {
  readonly shaders: readonly ShaderName[];
  // `never[]` parameters accept every kernel signature; call sites use the precise entry type.
  readonly run: (ctx: GpuContext, ...args: never[]) => unknown;
}

export const kernels = {
  unary: { shaders: ['unary'], run: unary },
  binary: { shaders: ['binary'], run: binary },
  where: { shaders: ['where'], run: where },
  reduce: { shaders: ['reduce', 'copy', 'fill', 'binary'], run: reduce },
  argMax: { shaders: ['argmax', 'fill'], run: argMax },
  matmul: { shaders: ['matmul', 'fill'], run: matmul },
  transpose: { shaders: ['strided'], run: transpose },
  slice: { shaders: ['strided'], run: slice },
  concat: { shaders: ['strided'], run: concat },
  gather: { shaders: ['gather'], run: gather },
  gatherPair: { shaders: ['gather'], run: gatherPair },
  oneHot: { shaders: ['gather'], run: oneHot },
  fill: { shaders: ['fill'], run: fill },
  copy: { shaders: ['copy'], run: copy },
  assign: { shaders: ['finite', 'copy'], run: assign },
  checkFinite: { shaders: ['finite'], run: checkFinite },
  checkFiniteAll: { shaders: ['finite'], run: checkFiniteAll },
  assignAll: { shaders: ['finite'], run: assignAll },
  accumulateStep: { shaders: ['step_sums'], run: accumulateStep },
  optimizerStep: { shaders: ['optimizer'], run: optimizerStep },
  optimizerStepAll: { shaders: ['optimizer'], run: optimizerStepAll },
  batchNormTrain: { shaders: ['batchnorm_stats', 'batchnorm_apply'], run: batchnorm.batchNormTrain },
  batchNormInfer: { shaders: ['batchnorm_apply'], run: batchnorm.batchNormInfer },
  batchNormGrad: { shaders: ['batchnorm_backward'], run: batchnorm.batchNormGrad },
  pad: { shaders: ['pad'], run: pad },
  pool: { shaders: ['pool'], run: pool },
  poolGrad: { shaders: ['pool'], run: poolGrad },
  softmax: { shaders: ['softmax'], run: softmax },
  softmaxGrad: { shaders: ['softmax'], run: softmaxGrad },
  conv2d: { shaders: ['conv2d'], run: conv.conv2d },
  conv2dGradInput: { shaders: ['conv2d'], run: conv.conv2dGradInput },
  conv2dGradFilter: { shaders: ['conv2d'], run: conv.conv2dGradFilter },
  depthwiseConv2d: { shaders: ['depthwise'], run: conv.depthwiseConv2d },
  depthwiseGradInput: { shaders: ['depthwise'], run: conv.depthwiseGradInput },
  depthwiseGradFilter: { shaders: ['depthwise'], run: conv.depthwiseGradFilter },
  convActivationGrad: { shaders: ['conv2d'], run: conv.convActivationGrad },
  matmulFused: { shaders: ['matmul'], run: matmulFused },
} as const satisfies Record<KernelName, Kernel>;
