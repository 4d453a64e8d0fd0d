/**
 * Batched matrix product (shaders/matmul.wgsl): transposes and batch broadcasting are strides,
 * so no operand is ever copied. Each invocation computes an 8x8 output block without workgroup
 * memory or barriers; operands whose contiguous axis is a multiple of 4 are read as vec4.
 */
import { BackendError, fmtShape } from '../../core/errors.js';
import { sizeOf, type Shape } from '../../core/shape.js';
import type { GpuContext, GpuHandle } from './context.js';
import { fillInto, type GpuTensor } from './elementwise.js';
import { broadcastStrides } from '../../core/shape.js';
import { Params, checkRank, collapse } from './params.js';

/** Output rows and columns per workgroup (8x8 invocations of 8x8 outputs each). */
const TILE = 64;

/** Strides of a matrix operand's batch axes broadcast to `outBatch`, in elements. */
function batchStrides(shape: Shape, outBatch: Shape): number[] {
  const batch = shape.slice(0, -2);
  const matrix = shape[shape.length - 2] * shape[shape.length - 1];
  return broadcastStrides(batch, outBatch).map((s) => s * matrix);
}

/**
 * out[..., M, N] = op(a)[..., M, K] x op(b)[..., K, N], op = transpose when asked;
 * batch dims broadcast to `outShape`'s leading dims.
 */
export function matmul(
  ctx: GpuContext, a: GpuTensor, b: GpuTensor, transposeA: boolean, transposeB: boolean, outShape: Shape,
): GpuHandle {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const outBatch = outShape.slice(0, -2);
  const batch = sizeOf(outBatch);
  const out = ctx.alloc(sizeOf(outShape), 'matmul');
  if (batch * M * N === 0) return out;
  if (K === 0) {
    fillInto(ctx, out, batch * M * N, 0);
    return out;
  }
  const view = collapse(outBatch, [batchStrides(a.shape, outBatch), batchStrides(b.shape, outBatch)]);
  checkRank('matmul', view, outShape);
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  const grid: [number, number, number] = [Math.ceil(N / TILE), Math.ceil(M / TILE), batch];
  if (grid.some((g) => g > max)) {
    throw new BackendError(`webgpu matmul: output ${fmtShape(outShape)} needs more than ${max} workgroups per dimension`);
  }
  const [aRow, aCol] = transposeA ? [1, M] : [K, 1];
  const [bRow, bCol] = transposeB ? [1, K] : [N, 1];
  const params = new Params()
    .u32(M, N, K, view.shape.length, aRow, aCol, bRow, bCol)
    .dims(view.shape).dims(view.strides[0]).dims(view.strides[1]);
  // Vec4 reads need the operand's contiguous axis (and so every batch offset) to be a multiple of 4.
  const aVec4 = (transposeA ? M : K) % 4 === 0;
  const bVec4 = (transposeB ? K : N) % 4 === 0;
  const entry = aVec4 ? (bVec4 ? 'mainA4B4' : 'mainA4') : bVec4 ? 'mainB4' : 'main';
  const pipeline = ctx.pipeline('matmul', entry, { TRANS_A: transposeA ? 1 : 0, TRANS_B: transposeB ? 1 : 0 });
  ctx.dispatch('matmul', pipeline, [ctx.uniform(params.words(), 'matmul'), a.handle, b.handle, out],
    grid);
  return out;
}
