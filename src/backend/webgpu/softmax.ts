/** Softmax / log-softmax and their gradients (shaders/softmax.wgsl): one dispatch each, a thread per row. */
import { sizeOf } from '../../core/shape.js';
import { grid, type GpuContext, type GpuHandle } from './context.js';
import type { GpuTensor } from './elementwise.js';
import { Params } from './params.js';

function rowParams(x: GpuTensor, axis: number): [Uint32Array, number] {
  const inner = sizeOf(x.shape.slice(axis + 1));
  const rows = sizeOf(x.shape.slice(0, axis)) * inner;
  return [new Params().u32(rows, x.shape[axis], inner).words(), rows];
}

export function softmax(ctx: GpuContext, x: GpuTensor, axis: number, log: boolean): GpuHandle {
  const label = log ? 'logSoftmax' : 'softmax';
  const out = ctx.alloc(sizeOf(x.shape), label);
  const [params, rows] = rowParams(x, axis);
  if (rows === 0 || x.shape[axis] === 0) return out;
  ctx.dispatch(label, ctx.pipeline('softmax', 'forward', { LOG: log ? 1 : 0 }),
    [ctx.uniform(params, label), x.handle, out], grid(rows));
  return out;
}

export function softmaxGrad(ctx: GpuContext, y: GpuTensor, dy: GpuHandle, axis: number, log: boolean): GpuHandle {
  const label = log ? 'logSoftmaxGrad' : 'softmaxGrad';
  const dx = ctx.alloc(sizeOf(y.shape), label);
  const [params, rows] = rowParams(y, axis);
  if (rows === 0 || y.shape[axis] === 0) return dx;
  ctx.dispatch(label, ctx.pipeline('softmax', 'backward', { LOG: log ? 1 : 0 }),
    [ctx.uniform(params, label), y.handle, dx, dy], grid(rows));
  return dx;
}
