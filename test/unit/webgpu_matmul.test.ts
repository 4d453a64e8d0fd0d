/**
 * WebGPU matmul (shaders/matmul.wgsl) against a float64 JS reference, one case per kernel path:
 * the host picks an entry point by which operands can be read as vec4 (A: K, or M when
 * transposed; B: N, or K when transposed, a multiple of 4), and each entry point has a K % 4
 * tail, ragged 64x64 workgroup tiles and 4x4 sub-blocks partly past M or N.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TensorInfo } from '../../src/backend/backend.js';
import { BackendError } from '../../src/core/errors.js';
import { broadcastShapes, sizeOf, stridesOf, type Shape } from '../../src/core/shape.js';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';

let be: WebGpuBackend;

beforeAll(async () => {
  be = await WebGpuBackend.create();
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

async function check(sa: Shape, sb: Shape, ta: boolean, tb: boolean): Promise<void> {
  const av = values(sizeOf(sa), 1 + sizeOf(sa));
  const bv = values(sizeOf(sb), 7 + sizeOf(sb));
  const ref = reference(av, sa, bv, sb, ta, tb);
  const a: TensorInfo = { handle: be.upload(av), shape: sa };
  const b: TensorInfo = { handle: be.upload(bv), shape: sb };
  const h = be.matmul(a, b, ta, tb, ref.shape);
  const got = await be.read(h, ref.out.length);
  [a.handle, b.handle, h].forEach((x) => be.free(x));
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

describe('webgpu matmul matches a float64 reference on every kernel path', () => {
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
