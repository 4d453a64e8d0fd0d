/**
 * Elementwise kernels: unary maps, broadcasting binaries, where, fill and the plain copy that
 * benchmarks use as their memory roofline.
 */
import type { BinaryOp, UnaryOp } from '../backend.js';
import { shapesEqual, sizeOf, type Shape } from '../../core/shape.js';
import { grid, streamGrid, streamWorkgroup, type GpuContext, type GpuHandle } from './context.js';
import { broadcastStrides } from '../../core/shape.js';
import { BackendError } from '../../core/errors.js';
import { Params, checkRank, collapse } from './params.js';

/** A device handle with the shape it is read as. */
export interface GpuTensor {
  readonly handle: GpuHandle;
  readonly shape: Shape;
}

/** `OP` override of shaders/unary.wgsl. */
export const UNARY_CODES = {
  neg: 0, abs: 1, square: 2, sqrt: 3, rsqrt: 4, exp: 5, log: 6, relu: 7, sigmoid: 8, tanh: 9,
  reciprocal: 10, sign: 11, step: 12,
} as const satisfies Record<UnaryOp, number>;

/** `OP` override of shaders/binary.wgsl. */
export const BINARY_CODES = {
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, pow: 6, greater: 7, greaterEqual: 8,
  less: 9, lessEqual: 10, equal: 11,
} as const satisfies Record<BinaryOp, number>;

function size1(ctx: GpuContext, n: number): GPUBuffer {
  return ctx.uniform(new Uint32Array([n]), 'n');
}

/** y = f(x) elementwise over `n` values. */
export function unary(ctx: GpuContext, op: UnaryOp, x: GpuHandle, n: number): GpuHandle {
  const out = ctx.alloc(n, op);
  if (n === 0) return out;
  const vec = n % 4 === 0;
  const units = vec ? n / 4 : n;
  const wg = streamWorkgroup(units);
  const pipeline = ctx.pipeline('unary', vec ? 'main4' : 'main', { OP: UNARY_CODES[op], WG: wg });
  ctx.dispatch(op, pipeline, [size1(ctx, n), x, out], streamGrid(units, wg));
  return out;
}

/** A binary operand on the device: a tensor, or a scalar passed by value in the params. */
export type GpuOperand = GpuTensor | number;

const SCALAR_SHAPE: Shape = [];

/**
 * out = f(a, b) with numpy broadcasting to `outShape` (which may exceed the operands' own
 * broadcast shape). A number operand travels in the uniform (`SCALAR` override): one dispatch.
 */
export function binary(ctx: GpuContext, op: BinaryOp, a: GpuOperand, b: GpuOperand, outShape: Shape): GpuHandle {
  const n = sizeOf(outShape);
  const out = ctx.alloc(n, op);
  if (n === 0) return out;
  const ta = typeof a === 'number' ? null : a;
  const tb = typeof b === 'number' ? null : b;
  if (ta === null && tb === null) throw new BackendError(`internal: webgpu ${op}: both operands are numbers`);
  const scalarCode = tb === null ? 1 : ta === null ? 2 : 0;
  const aShape = ta ? ta.shape : SCALAR_SHAPE;
  const bShape = tb ? tb.shape : SCALAR_SHAPE;
  const view = collapse(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)]);
  checkRank(op, view, outShape);
  const scalar = typeof a === 'number' ? a : typeof b === 'number' ? b : 0;
  const params = new Params().u32(n, view.shape.length).f32(scalar).dims(view.shape).dims(view.strides[0]).dims(view.strides[1]);
  const vec = n % 4 === 0 && (ta === null || shapesEqual(aShape, outShape)) && (tb === null || shapesEqual(bShape, outShape));
  // The binding of a scalar operand holds the other operand's buffer (read-only, never read).
  const ha = (ta ?? tb as GpuTensor).handle;
  const hb = (tb ?? ta as GpuTensor).handle;
  const units = vec ? n / 4 : n;
  const wg = streamWorkgroup(units);
  ctx.dispatch(op, ctx.pipeline('binary', vec ? 'main4' : 'main', { OP: BINARY_CODES[op], SCALAR: scalarCode, WG: wg }),
    [ctx.uniform(params.words(), 'binary'), ha, hb, out], streamGrid(units, wg));
  return out;
}

/** out = cond != 0 ? a : b, all broadcast to `outShape`. */
export function where(ctx: GpuContext, cond: GpuTensor, a: GpuTensor, b: GpuTensor, outShape: Shape): GpuHandle {
  const n = sizeOf(outShape);
  const out = ctx.alloc(n, 'where');
  if (n === 0) return out;
  const view = collapse(outShape, [cond, a, b].map((t) => broadcastStrides(t.shape, outShape)));
  checkRank('where', view, outShape);
  const params = new Params().u32(n, view.shape.length).dims(view.shape);
  for (const s of view.strides) params.dims(s);
  ctx.dispatch('where', ctx.pipeline('where', 'main'),
    [ctx.uniform(params.words(), 'where'), cond.handle, a.handle, b.handle, out], grid(n));
  return out;
}

/** Writes `value` into the first `n` elements of `out`. */
export function fillInto(ctx: GpuContext, out: GpuHandle, n: number, value: number): void {
  if (n === 0) return;
  const vec = n % 4 === 0;
  const params = new Params().u32(n).f32(value);
  ctx.dispatch('fill', ctx.pipeline('fill', vec ? 'main4' : 'main'), [ctx.uniform(params.words(), 'fill'), out],
    grid(vec ? n / 4 : n));
}

/** New handle of `n` copies of `value`. */
export function fill(ctx: GpuContext, n: number, value: number): GpuHandle {
  const out = ctx.alloc(n, 'fill');
  fillInto(ctx, out, n, value);
  return out;
}

/**
 * dst[0..n) = src[0..n) with the plain copy kernel (vec4 loads when n is a multiple of 4).
 * Benchmarks time it as the memory roofline: 8 bytes moved per element.
 */
export function copyKernel(ctx: GpuContext, src: GpuHandle, dst: GpuHandle, n = src.size): void {
  if (n === 0) return;
  const vec = n % 4 === 0;
  ctx.dispatch('copy', ctx.pipeline('copy', vec ? 'main4' : 'main'), [size1(ctx, n), src, dst], grid(vec ? n / 4 : n));
}

/** A new handle holding a copy of the first `n` elements of `x`. */
export function copy(ctx: GpuContext, x: GpuHandle, n: number): GpuHandle {
  const out = ctx.alloc(n, 'copy');
  copyKernel(ctx, x, out, n);
  return out;
}
