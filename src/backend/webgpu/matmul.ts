/**
 * Batched matrix product (shaders/matmul.wgsl): transposes and batch broadcasting are strides,
 * so no operand is ever copied. A family of kernels (tile64 for large M and N, wide64..8 (and
 * 64-column wide64x64 / wide32x64) with twice the outputs per invocation, rows1/2/4 for small M; matmul_chooser.ts picks per shape
 * class) read operands straight from storage without workgroup memory or barriers; operands
 * whose contiguous axis is a multiple of 4 are read as vec4. Every kernel can fuse a bias add and
 * an activation into its output pass.
 */
import type { FusedActivation } from '../backend.js';
import { BackendError, fmtShape } from '../../core/errors.js';
import { sizeOf, type Shape } from '../../core/shape.js';
import type { GpuContext, GpuHandle } from './context.js';
import { fillInto, type GpuTensor } from './elementwise.js';
import { broadcastStrides } from '../../core/shape.js';
import { Params, checkRank, collapse } from './params.js';
import { matmulChooser, type MatmulGeometry, type MatmulKernel, type TuneRecorder } from './matmul_chooser.js';

/** Outputs per workgroup of the tile kernels (64 invocations of 8x8 outputs each). */
const TILE_AREA = 4096;
/** Output columns per workgroup of the wide kernels: wideR 8 invocations of 16 columns across,
 * wideRx64 4 (a narrower tile for N that 128 does not divide: N = 784 wastes 12% in 128s, 6% in 64s). */
const WIDE_COLS = 128;
const NARROW_COLS = 64;
/** Output columns per workgroup of the rows kernels (64 invocations of 4 columns). */
const ROWS_COLS = 256;

/** The ACT override of matmul.wgsl per fused activation. */
const ACT_CODE: Record<FusedActivation, number> = { linear: 0, relu: 1, relu6: 2, sigmoid: 3, tanh: 4 };

/** Bias and activation of the fused output pass: out = act(a x b + bias[n]). */
export interface MatmulEpilogue {
  readonly bias: GpuHandle | null;
  readonly activation: FusedActivation;
}

const NO_EPILOGUE: MatmulEpilogue = { bias: null, activation: 'linear' };

/** Strides of a matrix operand's batch axes broadcast to `outBatch`, in elements. */
function batchStrides(shape: Shape, outBatch: Shape): number[] {
  const batch = shape.slice(0, -2);
  const matrix = shape[shape.length - 2] * shape[shape.length - 1];
  return broadcastStrides(batch, outBatch).map((s) => s * matrix);
}

/** Entry point and grid of one kernel for one geometry. */
function launch(kernel: MatmulKernel, g: MatmulGeometry): { entry: string; rows: number; grid: [number, number, number] } {
  // Vec4 reads need the operand's contiguous axis (and so every batch offset) to be a multiple of 4;
  // K = 0 (a fused epilogue over zeros) binds empty operands, too small for a vec4 binding.
  const bVec4 = g.K > 0 && (g.transposeB ? g.K : g.N) % 4 === 0;
  if (kernel.startsWith('tile') || kernel.startsWith('wide')) {
    const aVec4 = g.K > 0 && (g.transposeA ? g.M : g.K) % 4 === 0;
    const entry = aVec4 ? (bVec4 ? 'mainA4B4' : 'mainA4') : bVec4 ? 'mainB4' : 'main';
    const rows = Number(kernel.slice(4).split('x')[0]);
    const cols = kernel.startsWith('wide') ? (kernel.endsWith('x64') ? NARROW_COLS : WIDE_COLS) : TILE_AREA / rows;
    return { entry, rows, grid: [Math.ceil(g.N / cols), Math.ceil(g.M / rows), g.batch] };
  }
  // The rows kernels read A as vec4 only along K (A not transposed).
  const aVec4 = !g.transposeA && g.K > 0 && g.K % 4 === 0;
  const entry = aVec4 ? (bVec4 ? 'rowsA4B4' : 'rowsA4') : bVec4 ? 'rowsB4' : 'rows';
  const rows = Number(kernel.slice(4));
  return { entry, rows, grid: [Math.ceil(g.N / ROWS_COLS), Math.ceil(g.M / rows), g.batch] };
}

function pipelineFor(ctx: GpuContext, kernel: MatmulKernel, g: MatmulGeometry, ep: MatmulEpilogue) {
  const { entry, rows, grid } = launch(kernel, g);
  // tileR: TILE_Y = R / 8 invocations along M, 64 / TILE_Y along N; wideR: 8 along N (wideRx64:
  // 4), R / 8 along M, 8x16 outputs each; rowsR: ROWS = R.
  const shape: Record<string, number> = kernel.startsWith('tile') ? { TILE_X: 64 / (rows / 8), TILE_Y: rows / 8 }
    : kernel.startsWith('wide') ? { TILE_X: kernel.endsWith('x64') ? 4 : 8, TILE_Y: rows / 8, WIDE: 1 } : { ROWS: rows };
  const pipeline = ctx.pipeline('matmul', entry, {
    TRANS_A: g.transposeA ? 1 : 0, TRANS_B: g.transposeB ? 1 : 0, ...shape,
    HAS_BIAS: ep.bias ? 1 : 0, ACT: ACT_CODE[ep.activation],
  });
  return { pipeline, grid };
}

/**
 * out[..., M, N] = act(op(a)[..., M, K] x op(b)[..., K, N] + bias[N]), op = transpose when asked;
 * batch dims broadcast to `outShape`'s leading dims. Without an epilogue it is the plain product.
 */
export function matmul(
  ctx: GpuContext, a: GpuTensor, b: GpuTensor, transposeA: boolean, transposeB: boolean, outShape: Shape,
  epilogue: MatmulEpilogue = NO_EPILOGUE,
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
  const fused = epilogue.bias !== null || epilogue.activation !== 'linear';
  if (K === 0 && !fused) {
    fillInto(ctx, out, batch * M * N, 0);
    return out;
  }
  const view = collapse(outBatch, [batchStrides(a.shape, outBatch), batchStrides(b.shape, outBatch)]);
  checkRank('matmul', view, outShape);
  const [aRow, aCol] = transposeA ? [1, M] : [K, 1];
  const [bRow, bCol] = transposeB ? [1, K] : [N, 1];
  const words = new Params()
    .u32(M, N, K, view.shape.length, aRow, aCol, bRow, bCol)
    .dims(view.shape).dims(view.strides[0]).dims(view.strides[1]).words();
  const g: MatmulGeometry = { M, N, K, batch, transposeA, transposeB };
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  const fits = (k: MatmulKernel): boolean => launch(k, g).grid.every((n) => n <= max);
  const kernel = matmulChooser(ctx).choose(ctx, g, () => tuneRecorder(ctx, a, b, g, epilogue, words), fits);
  const { pipeline, grid } = pipelineFor(ctx, kernel, g, epilogue);
  if (grid.some((n) => n > max)) {
    throw new BackendError(`webgpu matmul: output ${fmtShape(outShape)} needs more than ${max} workgroups per dimension`);
  }
  // A missing bias binds `a` as a placeholder (read-only, never read: HAS_BIAS is off).
  ctx.dispatch(`matmul_${kernel}`, pipeline,
    [ctx.uniform(words, 'matmul'), a.handle, b.handle, out, epilogue.bias ?? a.handle], grid);
  return out;
}

/** `matmul` with the epilogue act(. + bias): the Backend's `matmulFused`. */
export function matmulFused(
  ctx: GpuContext, a: GpuTensor, b: GpuTensor, transposeA: boolean, transposeB: boolean, outShape: Shape,
  bias: GpuHandle | null, activation: FusedActivation,
): GpuHandle {
  return matmul(ctx, a, b, transposeA, transposeB, outShape, { bias, activation });
}

/** Scratch operands of the real sizes, for timing candidates without touching the pool. */
function tuneRecorder(
  ctx: GpuContext, a: GpuTensor, b: GpuTensor, g: MatmulGeometry, ep: MatmulEpilogue, words: Uint32Array,
): TuneRecorder {
  const device = ctx.device;
  const storage = 0x0080 | 0x0008; // STORAGE | COPY_DST
  const bytes = (n: number): number => Math.max(16, Math.ceil(n / 4) * 16);
  const buffers = [a.handle.size, b.handle.size, g.batch * g.M * g.N, ep.bias ? g.N : 1].map((n, i) =>
    device.createBuffer({ label: `matmul_tune_${['a', 'b', 'out', 'bias'][i]}`, size: bytes(n), usage: storage }));
  const uniform = device.createBuffer({ label: 'matmul_tune_params', size: words.byteLength, usage: 0x0040 | 0x0008 });
  device.queue.writeBuffer(uniform, 0, words.buffer, words.byteOffset, words.byteLength);
  return {
    record(kernel, pass) {
      const { pipeline, grid } = pipelineFor(ctx, kernel, g, ep);
      const entries = [uniform, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } }));
      const group = device.createBindGroup({ label: `matmul_tune_${kernel}`, layout: pipeline.getBindGroupLayout(0), entries });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(...grid);
    },
    dispose() {
      for (const buf of [uniform, ...buffers]) buf.destroy();
    },
  };
}
