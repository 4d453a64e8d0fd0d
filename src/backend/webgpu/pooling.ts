/**
 * 2-D max / average pooling (shaders/pool.wgsl): one dispatch forward (a thread per output
 * cell), one backward (a thread per input cell gathering from the windows covering it).
 */
import type { PoolParams } from '../backend.js';
import { grid, type GpuContext, type GpuHandle } from './context.js';
import type { GpuTensor } from './elementwise.js';
import { Params } from './params.js';

const MODES = { max: 0, avg: 1 } as const satisfies Record<PoolParams['mode'], number>;

function params(p: PoolParams, n: number): Uint32Array {
  return new Params().u32(
    n, p.channels, p.channelsFirst ? 1 : 0, p.inH, p.inW, p.outH, p.outW, p.poolH, p.poolW,
    p.strideH, p.strideW, p.padTop, p.padLeft,
  ).words();
}

/** Pooled output, [batch, outH, outW, C] or [batch, C, outH, outW]. */
export function pool(ctx: GpuContext, x: GpuTensor, p: PoolParams): GpuHandle {
  const n = p.batch * p.channels * p.outH * p.outW;
  const label = `${p.mode}Pool`;
  const out = ctx.alloc(n, label);
  if (n === 0) return out;
  ctx.dispatch(label, ctx.pipeline('pool', 'forward', { MODE: MODES[p.mode] }),
    [ctx.uniform(params(p, n), label), x.handle, out], grid(n));
  return out;
}

/** dx of `pool`, same shape as x. */
export function poolGrad(ctx: GpuContext, dy: GpuHandle, x: GpuTensor, p: PoolParams): GpuHandle {
  const n = p.batch * p.channels * p.inH * p.inW;
  const label = `${p.mode}PoolGrad`;
  const dx = ctx.alloc(n, label);
  if (n === 0) return dx;
  ctx.dispatch(label, ctx.pipeline('pool', 'backward', { MODE: MODES[p.mode] }),
    [ctx.uniform(params(p, n), label), x.handle, dx, dy], grid(n));
  return dx;
}
