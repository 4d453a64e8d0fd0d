/**
 * Reductions over arbitrary axes (shaders/reduce.wgsl) and argMax (shaders/argmax.wgsl).
 * Each output element is reduced by one thread looping over the reduced index space; when there
 * are few outputs and many reduced values, the reduced range is split into chunks written as
 * partials [outN, chunks], which a second (contiguous) reduction finishes.
 */
import type { ReduceOp } from '../backend.js';
import { sizeOf, stridesOf } from '../../core/shape.js';
import { grid, streamWorkgroup, type GpuContext, type GpuHandle } from './context.js';
import { binary, copy, fill, type GpuTensor } from './elementwise.js';
import { Params, checkRank, collapse } from './params.js';

const REDUCE_CODES = { sum: 0, max: 1, min: 2 } as const satisfies Record<ReduceOp, number>;
const IDENTITY = { sum: 0, max: -Infinity, min: Infinity } as const satisfies Record<ReduceOp, number>;
/** Below this many output threads, long reductions are split into chunks. */
const TARGET_THREADS = 16384;
/** Shortest chunk worth a thread of its own. */
const MIN_CHUNK = 256;

/**
 * Reduces x over `axes` (sorted, unique); the output keeps the other axes in order. A sum with a
 * `divisor` divides every output by it in the (last) pass: mean in one dispatch.
 */
export function reduce(ctx: GpuContext, op: ReduceOp, x: GpuTensor, axes: readonly number[], divisor = 1): GpuHandle {
  if (op !== 'sum' && divisor !== 1) throw new Error(`reduce: a divisor applies to sum only, got ${op}`);
  const n = sizeOf(x.shape);
  if (axes.length === 0 && divisor === 1) return copy(ctx, x.handle, n);
  if (axes.length === 0) return binary(ctx, 'div', x, divisor, x.shape);
  const strides = stridesOf(x.shape);
  const kept = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const keptView = collapse(kept.map((d) => x.shape[d]), [kept.map((d) => strides[d])]);
  const redView = collapse(axes.map((d) => x.shape[d]), [axes.map((d) => strides[d])]);
  checkRank(op, keptView, x.shape);
  checkRank(op, redView, x.shape);
  const outN = sizeOf(keptView.shape);
  const redN = sizeOf(redView.shape);
  if (outN === 0 || redN === 0) return fill(ctx, outN, IDENTITY[op] / divisor);

  let chunks = 1;
  if (outN < TARGET_THREADS && redN > 2 * MIN_CHUNK) {
    chunks = Math.min(Math.ceil(redN / MIN_CHUNK), Math.ceil(TARGET_THREADS / outN));
  }
  const chunk = Math.ceil(redN / chunks);
  chunks = Math.ceil(redN / chunk);
  const params = new Params()
    .u32(outN, chunks, chunk, redN, keptView.shape.length, redView.shape.length).f32(chunks > 1 ? 1 : divisor)
    .dims(keptView.shape).dims(keptView.strides[0]).dims(redView.shape).dims(redView.strides[0]);
  const out = ctx.alloc(outN * chunks, chunks > 1 ? `${op}.partial` : op);
  const wg = streamWorkgroup(outN * chunks);
  ctx.dispatch(op, ctx.pipeline('reduce', 'main', { OP: REDUCE_CODES[op], WG: wg }),
    [ctx.uniform(params.words(), 'reduce'), x.handle, out], grid(outN * chunks, wg));
  if (chunks === 1) return out;
  const final = reduce(ctx, op, { handle: out, shape: [outN, chunks] }, [1], divisor);
  ctx.release(out);
  return final;
}

/** Index of the largest value along `axis` (first on ties), as float32. */
export function argMax(ctx: GpuContext, x: GpuTensor, axis: number): GpuHandle {
  const outer = sizeOf(x.shape.slice(0, axis));
  const len = x.shape[axis];
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outN = outer * inner;
  if (outN === 0 || len === 0) return fill(ctx, outN, 0);
  const params = new Params().u32(outer, len, inner);
  const out = ctx.alloc(outN, 'argMax');
  ctx.dispatch('argMax', ctx.pipeline('argmax', 'main'), [ctx.uniform(params.words(), 'argMax'), x.handle, out], grid(outN));
  return out;
}
