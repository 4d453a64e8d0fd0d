/**
 * WebGPU matmul (shaders/matmul.wgsl) against a float64 JS reference, one case per kernel path:
 * the host picks an entry point by which operands can be read as vec4 (A: K, or M when
 * transposed; B: N, or K when transposed, a multiple of 4), and each entry point has a K % 4
 * tail, ragged 64x64 workgroup tiles and 4x4 sub-blocks partly past M or N. Then every kernel of
 * the family (tile64/32/16/8, wide64/32/16/8, rows1/2/4), forced through the chooser's override, on sampled shapes from
 * {1, 2, 3, 7, 31, 32, 33, 64, 65, 257, 784}, with the fused bias + activation epilogue against
 * the CPU twin, and the chooser's decisions (default picks, autotune, stats).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TensorInfo } from '../../src/backend/backend.js';
import { BackendError } from '../../src/core/errors.js';
import { broadcastShapes, sizeOf, stridesOf, type Shape } from '../../src/core/shape.js';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';
import * as wg from '../../src/index.js';
import type { FusedActivation } from '../../src/backend/backend.js';
import { epilogue } from '../../src/backend/cpu/matmul.js';
import {
  MATMUL_KERNELS, candidates, defaultKernel, matmulChooser, setMatmulOverride, shapeClass, type MatmulKernel,
} from '../../src/backend/webgpu/matmul_chooser.js';

let be: WebGpuBackend;

beforeAll(async () => {
  be = await WebGpuBackend.create();
  // Deterministic kernel choice in this file: the autotune is tested on its own context below.
  matmulChooser(be.ctx).tuning = 'off';
});

afterAll(() => be?.dispose());

/** Deterministic values in [-2, 2) with a few sign changes and fractions (float32-exact). */
function values(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    v[i] = ((s >>> 8) % 512) / 128 - 2;
  }
  return v;
}

/** Offset of a batch index `z` of `out` in an operand with batch shape `shape` (broadcast). */
function batchOffset(z: number, out: Shape, shape: Shape, matrix: number): number {
  const os = stridesOf(out);
  const is = stridesOf(shape);
  const lead = out.length - shape.length;
  let off = 0;
  for (let d = 0; d < out.length; d++) {
    const c = Math.floor(z / os[d]) % out[d];
    const k = d - lead;
    if (k >= 0 && shape[k] !== 1) off += c * is[k];
  }
  return off * matrix;
}

/** Float64 reference and, per output, sum |a||b| (the scale of float32 rounding error). */
function reference(
  av: Float32Array, sa: Shape, bv: Float32Array, sb: Shape, ta: boolean, tb: boolean,
): { out: Float64Array; scale: Float64Array; shape: Shape } {
  const ra = sa.length;
  const rb = sb.length;
  const M = ta ? sa[ra - 1] : sa[ra - 2];
  const K = ta ? sa[ra - 2] : sa[ra - 1];
  const N = tb ? sb[rb - 2] : sb[rb - 1];
  const batch = broadcastShapes('matmul', sa.slice(0, -2), sb.slice(0, -2));
  const shape = [...batch, M, N];
  const out = new Float64Array(sizeOf(shape));
  const scale = new Float64Array(out.length);
  for (let z = 0; z < sizeOf(batch); z++) {
    const ao = batchOffset(z, batch, sa.slice(0, -2), M * K);
    const bo = batchOffset(z, batch, sb.slice(0, -2), K * N);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        let t = 0;
        for (let k = 0; k < K; k++) {
          const x = av[ao + (ta ? k * M + m : m * K + k)] * bv[bo + (tb ? n * K + k : k * N + n)];
          s += x;
          t += Math.abs(x);
        }
        out[(z * M + m) * N + n] = s;
        scale[(z * M + m) * N + n] = t;
      }
    }
  }
  return { out, scale, shape };
}

interface Fused {
  readonly bias: boolean;
  readonly activation: FusedActivation;
}

async function check(sa: Shape, sb: Shape, ta: boolean, tb: boolean, fused?: Fused, on = be): Promise<void> {
  const av = values(sizeOf(sa), 1 + sizeOf(sa));
  const bv = values(sizeOf(sb), 7 + sizeOf(sb));
  const ref = reference(av, sa, bv, sb, ta, tb);
  const N = ref.shape[ref.shape.length - 1];
  const biasValues = values(N, 3 + N);
  if (fused) epilogue(ref.out, N, fused.bias ? biasValues : null, fused.activation);
  const a: TensorInfo = { handle: on.upload(av), shape: sa };
  const b: TensorInfo = { handle: on.upload(bv), shape: sb };
  const bias = fused?.bias ? on.upload(biasValues) : null;
  const h = fused
    ? on.matmulFused(a, b, ta, tb, ref.shape, bias, fused.activation)
    : on.matmul(a, b, ta, tb, ref.shape);
  const got = await on.read(h, ref.out.length);
  [a.handle, b.handle, h, ...(bias ? [bias] : [])].forEach((x) => on.free(x));
  expect(got.length).toBe(ref.out.length);
  let worst = -1;
  for (let i = 0; i < got.length; i++) {
    if (Math.abs(got[i] - ref.out[i]) > 1e-6 * (ref.scale[i] + 1)) {
      worst = i;
      break;
    }
  }
  expect(worst, worst < 0 ? '' : `index ${worst}: ${got[worst]} vs ${ref.out[worst]}`).toBe(-1);
}

describe('webgpu matmul (tile64) matches a float64 reference on every entry point', () => {
  beforeAll(() => setMatmulOverride(be.ctx, 'tile64'));
  afterAll(() => setMatmulOverride(be.ctx, null));
  const cases: [string, Shape, Shape, boolean, boolean][] = [
    ['scalar reads, K % 4 tail', [5, 7], [7, 9], false, false],
    ['scalar reads, transposed operands', [7, 5], [9, 7], true, true],
    ['vec4 A (K), scalar B, ragged rows', [37, 12], [12, 9], false, false],
    ['vec4 A (transposed, M), K % 4 tail', [7, 8], [7, 5], true, false],
    ['vec4 B (N), K % 4 tail', [5, 7], [7, 68], false, false],
    ['vec4 B (transposed, K), scalar A', [8, 5], [70, 8], true, true],
    ['vec4 A and B, several ragged tiles', [66, 20], [20, 72], false, false],
    ['vec4 A and B, both transposed', [12, 68], [36, 12], true, true],
    ['vec4 A (transposed) and B, K % 4 tail', [5, 4], [5, 8], true, false],
    ['vec4 A and B (transposed)', [40, 16], [100, 16], false, true],
    ['K of 1, 2, 3: the tail alone', [3, 1], [1, 4], false, false],
    ['K of 2, transposed', [2, 6], [10, 2], true, true],
    ['K of 3, vec4 A transposed and B', [3, 8], [3, 12], true, false],
    ['one row, one column', [1, 33], [33, 1], false, false],
    ['sub-blocks partly past M and N', [130, 200], [200, 97], false, false],
    ['sub-blocks partly past M and N, transposed', [200, 130], [97, 200], true, true],
    ['batch broadcast, scalar reads', [2, 1, 5, 7], [3, 7, 6], false, false],
    ['batch broadcast, vec4 reads', [2, 1, 6, 8], [3, 8, 12], false, false],
    ['batch broadcast, vec4 reads, transposes', [2, 1, 8, 12], [3, 16, 8], true, true],
    ['batch broadcast of a matrix, vec4 A transposed', [4, 9, 8], [9, 5], true, false],
    ['MLP forward [256,784] x [784,256]', [256, 784], [784, 256], false, false],
    ['MLP dW2 = h^T dy', [256, 256], [256, 10], true, false],
    ['MLP dh = dy W2^T', [256, 10], [256, 10], false, true],
  ];
  it.each(cases)('%s: %j x %j (transposeA %s, transposeB %s)', async (_, sa, sb, ta, tb) => {
    await check(sa, sb, ta, tb);
  });

  it('K = 0 gives zeros and an empty output gives nothing', async () => {
    const zeros = be.matmul({ handle: be.upload(new Float32Array(0)), shape: [3, 0] },
      { handle: be.upload(new Float32Array(0)), shape: [0, 5] }, false, false, [3, 5]);
    expect(Array.from(await be.read(zeros, 15))).toEqual(new Array(15).fill(0));
    const empty = be.matmul({ handle: be.upload(new Float32Array(0)), shape: [0, 4] },
      { handle: be.upload(new Float32Array(8)), shape: [4, 2] }, false, false, [0, 2]);
    expect(Array.from(await be.read(empty, 0))).toEqual([]);
  });

  it('more batch entries than workgroups per dimension throws BackendError', () => {
    const n = be.ctx.limits.maxComputeWorkgroupsPerDimension + 1;
    const a: TensorInfo = { handle: be.upload(new Float32Array(n)), shape: [n, 1, 1] };
    const b: TensorInfo = { handle: be.upload(new Float32Array(1)), shape: [1, 1] };
    expect(() => be.matmul(a, b, false, false, [n, 1, 1])).toThrow(BackendError);
  });
});

/** [M, N, K] sampled from {1, 2, 3, 7, 31, 32, 33, 64, 65, 257, 784}: every size, not the cube. */
const SIZES: [number, number, number][] = [
  [1, 1, 1], [1, 257, 784], [1, 65, 7], [2, 3, 7], [2, 64, 33], [3, 7, 2], [3, 33, 65],
  [7, 31, 33], [31, 32, 64], [32, 33, 31], [33, 2, 257], [64, 7, 3], [65, 31, 32], [257, 3, 7],
  [784, 1, 2],
];

describe.each(MATMUL_KERNELS)('kernel %s (forced by the override) matches float64', (kernel: MatmulKernel) => {
  beforeAll(() => setMatmulOverride(be.ctx, kernel));
  afterAll(() => setMatmulOverride(be.ctx, null));
  // Cycle the transposes over the sizes; each kernel takes every third size (a different third per
  // kernel: every pipeline is a compile), rows1 all, tile8 and wide64 every other one.
  const k = MATMUL_KERNELS.indexOf(kernel);
  const sizes = SIZES.map(([M, N, K], i) => [M, N, K, i % 2 === 1, (i >> 1) % 2 === 1] as const)
    .filter((_, i) => kernel === 'rows1' || (kernel === 'tile8' || kernel === 'wide64' ? i % 2 === 0 : (i + k) % 3 === 0));
  it.each(sizes)(
    'M %i, N %i, K %i (transposeA %s, transposeB %s)', async (M, N, K, ta, tb) => {
      await check(ta ? [K, M] : [M, K], tb ? [N, K] : [K, N], ta, tb);
    });
  it('batch broadcast, both transposes', async () => {
    await check([2, 1, 9, 5], [3, 12, 9], true, true);
    await check([3, 5, 8], [8, 12], false, false);
  });
  // Every activation on one kernel (each is a pipeline to compile), one per kernel on the others.
  const acts = (['linear', 'relu', 'relu6', 'sigmoid', 'tanh'] as const)
    .filter((_, i) => kernel === 'rows1' || i === (MATMUL_KERNELS.indexOf(kernel) % 4) + 1);
  it.each(acts)('fused epilogue: bias + %s', async (activation) => {
    // Values of a x b reach +-20, so relu6 and the sigmoid/tanh tails are exercised.
    await check([33, 12], [12, 68], false, false, { bias: true, activation });
  });
  // One row kernel and one tile kernel: two more pipelines each.
  if (kernel === 'rows1' || kernel === 'tile64') {
    it('fused epilogue without bias, K = 0 (act(0)), transposed operands', async () => {
      await check([5, 7], [9, 5], true, true, { bias: false, activation: 'sigmoid' });
      await check([3, 0], [0, 5], false, false, { bias: true, activation: 'relu' });
    });
  }
});

describe('matmul chooser', () => {
  const g = (M: number, N = 512, K = 784) => ({ M, N, K, batch: 1, transposeA: false, transposeB: false });

  it('defaults to the largest tile M fills and to row kernels at M <= 2, always among the candidates', () => {
    const Ms = [1, 2, 3, 8, 16, 31, 32, 63, 64, 1000];
    expect(Ms.map((M) => defaultKernel(g(M))))
      .toEqual(['rows1', 'rows2', 'tile8', 'tile8', 'tile16', 'tile16', 'tile32', 'tile32', 'tile64', 'tile64']);
    for (const M of Ms) expect(candidates(g(M))).toContain(defaultKernel(g(M)));
  });

  it('shape classes separate transposes, vec4-ability and size buckets', () => {
    expect(shapeClass(g(1))).not.toBe(shapeClass(g(2)));
    expect(shapeClass(g(33))).toBe(shapeClass(g(64)));
    expect(shapeClass(g(8, 512, 784))).not.toBe(shapeClass(g(8, 511, 784)));
    expect(shapeClass(g(8))).not.toBe(shapeClass({ ...g(8), transposeA: true }));
  });

  it('autotunes a shape class on its third use, in the background, and counts the kernels that ran', async () => {
    const own = await WebGpuBackend.create();
    try {
      const chooser = matmulChooser(own.ctx);
      const key = shapeClass(g(8, 256, 128));
      for (let use = 1; use <= 2; use++) await check([8, 128], [128, 256], false, false, undefined, own);
      await chooser.settled();
      expect(chooser.picks()).toEqual({}); // twice: no tune
      const before = own.ctx.dispatchCount;
      await check([8, 128], [128, 256], false, false, undefined, own);
      expect(own.ctx.dispatchCount - before).toBe(1); // the tune's dispatches are not the context's
      await chooser.settled();
      const pick = chooser.picks()[key];
      expect(candidates(g(8, 256, 128))).toContain(pick);
      // Timed on the GPU where the device has timestamp queries (requested whenever the adapter
      // offers them; Dawn's SwiftShader does), else by wall-clock; the pick is the fastest.
      expect(chooser.timer).toBe(own.ctx.device.features.has('timestamp-query') ? 'gpu-timestamps' : 'wall-clock');
      if (typeof process !== 'undefined' && process.versions?.node) expect(chooser.timer).toBe('gpu-timestamps');
      const times = chooser.timings()[key];
      expect(Object.keys(times).sort()).toEqual([...candidates(g(8, 256, 128))].sort());
      for (const ms of Object.values(times)) expect(ms).toBeGreaterThan(0);
      expect(times[pick]).toBe(Math.min(...Object.values(times)));
      await check([8, 128], [128, 256], false, false, undefined, own);
      expect(chooser.runs()).toEqual(pick === 'tile8' ? { tile8: 4 } : { tile8: 3, [pick]: 1 });
      expect(own.bufferCount()).toBe(0);
    } finally {
      own.dispose();
    }
  });
});

describe('dense layers on the project backend', () => {
  it.each(['relu', 'sigmoid', 'tanh', 'linear'] as const)('dense with bias and %s: one dispatch forward, logged by backendStats', async (activation) => {
    const layer = wg.layers.dense({ units: 6, activation, biasInitializer: 'ones' });
    const x = wg.randomUniform([3, 5], { minval: -1, maxval: 1, seed: 9 });
    wg.dispose(layer.apply(x) as wg.Tensor); // builds the weights
    const s0 = wg.backendStats();
    const y = layer.apply(x) as wg.Tensor;
    const s1 = wg.backendStats();
    expect(s1.dispatches - s0.dispatches).toBe(1);
    const ran = Object.entries(s1.matmulKernels).filter(([k, n]) => n !== (s0.matmulKernels[k] ?? 0));
    const pick = defaultKernel({ M: 3, N: 6, K: 5, batch: 1, transposeA: false, transposeB: false });
    expect(ran).toEqual([[pick, (s0.matmulKernels[pick] ?? 0) + 1]]);
    const [kernel, bias] = layer.getWeights();
    const z = wg.add(wg.matmul(x, kernel), bias);
    const want = activation === 'linear' ? z : wg[activation](z);
    expect(await y.data()).toBeAllClose(await want.data(), { rtol: 1e-6, atol: 1e-6 });
    wg.dispose([x, y, z, want]);
  });
});
