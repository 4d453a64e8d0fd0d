/**
 * Data movement: transpose, slice and concat through the generic strided copy
 * (shaders/strided.wgsl), gather and oneHot through shaders/gather.wgsl.
 */
import { sizeOf, stridesOf, type Shape } from '../../core/shape.js';
import { grid, type GpuContext, type GpuHandle } from './context.js';
import type { GpuTensor } from './elementwise.js';
import { Params, checkRank, collapse } from './params.js';

/** dst[dstOffset + i.dstStrides] = src[srcOffset + i.srcStrides] for every index i of `shape`. */
export function stridedCopy(
  ctx: GpuContext, label: string, src: GpuHandle, dst: GpuHandle, shape: Shape,
  srcOffset: number, srcStrides: readonly number[], dstOffset: number, dstStrides: readonly number[],
): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  const view = collapse(shape, [srcStrides, dstStrides]);
  checkRank(label, view, shape);
  const params = new Params()
    .u32(n, view.shape.length, srcOffset, dstOffset)
    .dims(view.shape).dims(view.strides[0]).dims(view.strides[1]);
  ctx.dispatch(label, ctx.pipeline('strided', 'main'), [ctx.uniform(params.words(), 'strided'), src, dst], grid(n));
}

/** Output axis i is input axis perm[i]. */
export function transpose(ctx: GpuContext, x: GpuTensor, perm: readonly number[]): GpuHandle {
  const shape = perm.map((p) => x.shape[p]);
  const out = ctx.alloc(sizeOf(shape), 'transpose');
  const inStrides = stridesOf(x.shape);
  stridedCopy(ctx, 'transpose', x.handle, out, shape, 0, perm.map((p) => inStrides[p]), 0, stridesOf(shape));
  return out;
}

/** The block of extent `size` starting at `begin`. */
export function slice(ctx: GpuContext, x: GpuTensor, begin: readonly number[], size: readonly number[]): GpuHandle {
  const out = ctx.alloc(sizeOf(size), 'slice');
  const strides = stridesOf(x.shape);
  const offset = begin.reduce((acc, b, d) => acc + b * strides[d], 0);
  stridedCopy(ctx, 'slice', x.handle, out, size, offset, strides, 0, stridesOf(size));
  return out;
}

/** Concatenation along `axis`: one strided copy per non-empty input. */
export function concat(ctx: GpuContext, xs: readonly GpuTensor[], axis: number, outShape: Shape): GpuHandle {
  const out = ctx.alloc(sizeOf(outShape), 'concat');
  const outStrides = stridesOf(outShape);
  let at = 0;
  for (const x of xs) {
    stridedCopy(ctx, 'concat', x.handle, out, x.shape, 0, stridesOf(x.shape), at * outStrides[axis], outStrides);
    at += x.shape[axis];
  }
  return out;
}

/** Rows of x along axis 0 picked by `indices`. */
export function gather(ctx: GpuContext, x: GpuTensor, indices: Int32Array): GpuHandle {
  const row = sizeOf(x.shape.slice(1));
  const n = indices.length * row;
  const out = ctx.alloc(n, 'gather');
  if (n === 0) return out;
  // The index buffer holds raw i32 words; kernels read it as array<i32>.
  const idx = ctx.allocForUpload(indices.length, 'gather.indices');
  ctx.write(idx, indices);
  const params = new Params().u32(n, row);
  ctx.dispatch('gather', ctx.pipeline('gather', 'gather'), [ctx.uniform(params.words(), 'gather'), x.handle, idx, out], grid(n));
  ctx.release(idx);
  return out;
}

/** `gather` of x and y with the same indices, one dispatch (one index upload). */
export function gatherPair(ctx: GpuContext, x: GpuTensor, y: GpuTensor, indices: Int32Array): [GpuHandle, GpuHandle] {
  const rowX = sizeOf(x.shape.slice(1));
  const rowY = sizeOf(y.shape.slice(1));
  const nx = indices.length * rowX;
  const ny = indices.length * rowY;
  const outX = ctx.alloc(nx, 'gather');
  const outY = ctx.alloc(ny, 'gather');
  if (nx === 0 && ny === 0) return [outX, outY];
  const idx = ctx.allocForUpload(indices.length, 'gather.indices');
  ctx.write(idx, indices);
  const params = new Params().u32(nx, rowX, ny, rowY);
  ctx.dispatch('gatherPair', ctx.pipeline('gather', 'gather_two'),
    [ctx.uniform(params.words(), 'gatherPair'), x.handle, idx, outX, y.handle, outY], grid(Math.max(nx, ny)));
  ctx.release(idx);
  return [outX, outY];
}

/** indices [N] -> [N, depth] one-hot rows; out-of-range indices give a zero row. */
export function oneHot(ctx: GpuContext, indices: GpuTensor, depth: number): GpuHandle {
  const n = sizeOf(indices.shape) * depth;
  const out = ctx.alloc(n, 'oneHot');
  if (n === 0) return out;
  const params = new Params().u32(n, depth);
  ctx.dispatch('oneHot', ctx.pipeline('gather', 'one_hot'), [ctx.uniform(params.words(), 'oneHot'), indices.handle, out], grid(n));
  return out;
}
