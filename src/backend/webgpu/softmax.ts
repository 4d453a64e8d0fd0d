/**
 * Softmax / log-softmax and their gradients (shaders/softmax.wgsl): one dispatch each, a thread
 * per row when rows are many or short, a workgroup per row (`*_wide`) when they are few and long.
 */
import { sizeOf } from '../../core/shape.js';
import { grid, type GpuContext, type GpuHandle } from './context.js';
import type { GpuTensor } from './elementwise.js';
import { Params } from './params.js';

/** Rows of at least this length use a workgroup each, unless there are enough rows to fill the GPU. */
const WIDE_LEN = 64;
const MANY_ROWS = 16384;

function rowParams(x: GpuTensor, axis: number): [Uint32Array, number] {
  const inner = sizeOf(x.shape.slice(axis + 1));
  const rows = sizeOf(x.shape.slice(0, axis)) * inner;
  return [new Params().u32(rows, x.shape[axis], inner).words(), rows];
}

/** Entry point suffix and workgroup grid for `rows` rows of length `len`. */
function plan(rows: number, len: number): ['' | '_wide', [number, number]] {
  return len >= WIDE_LEN && rows < MANY_ROWS ? ['_wide', grid(rows * 256)] : ['', grid(rows)];
}

export function softmax(ctx: GpuContext, x: GpuTensor, axis: number, log: boolean): GpuHandle {
  const label = log ? 'logSoftmax' : 'softmax';
  const out = ctx.alloc(sizeOf(x.shape), label);
  const [params, rows] = rowParams(x, axis);
  if (rows === 0 || x.shape[axis] === 0) return out;
  const [wide, groups] = plan(rows, x.shape[axis]);
  ctx.dispatch(label, ctx.pipeline('softmax', `forward${wide}`, { LOG: log ? 1 : 0 }),
    [ctx.uniform(params, label), x.handle, out], groups);
  return out;
}

export function softmaxGrad(ctx: GpuContext, y: GpuTensor, dy: GpuHandle, axis: number, log: boolean): GpuHandle {
  const label = log ? 'logSoftmaxGrad' : 'softmaxGrad';
  const dx = ctx.alloc(sizeOf(y.shape), label);
  const [params, rows] = rowParams(y, axis);
  if (rows === 0 || y.shape[axis] === 0) return dx;
  const [wide, groups] = plan(rows, y.shape[axis]);
  ctx.dispatch(label, ctx.pipeline('softmax', `backward${wide}`, { LOG: log ? 1 : 0 }),
    [ctx.uniform(params, label), y.handle, dx, dy], groups);
  return dx;
}
