/**
 * Precision of the batch-normalization apply pass (issue 13 item 4): every WebGPU path computes
 * y = (x - mean) * scale + beta, not x * scale + (beta - mean * scale). The second form (TF/Keras,
 * and wgnn before) rounds a shift of size |mean * scale|, which wipes out y when the data sit far
 * from zero: a one-row batch at offset 1e4 (variance 0, scale = gamma / sqrt(eps)) must give beta
 * exactly, and random offsets up to 1e4 must stay within 1e-4 of the float64 CPU twin.
 *
 * Each channel is one random case, so one dispatch covers 200 of them; the layouts reach the
 * rows4 / rows / planes4 / planes kernels and the one-dispatch small path.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormInferCpu } from '../../src/backend/cpu/batchnorm.js';
import { batchNormInfer, batchNormTrain } from '../../src/backend/webgpu/batchnorm.js';
import { GpuContext, type GpuHandle } from '../../src/backend/webgpu/context.js';
import { acquireGpu } from '../../src/backend/webgpu/device.js';
import { rng } from '../util.js';

let ctx: GpuContext;

beforeAll(async () => {
  const { device } = await acquireGpu();
  ctx = await GpuContext.create(device);
});

function upload(values: ArrayLike<number>): GpuHandle {
  const h = ctx.alloc(values.length, 'test_input');
  ctx.write(h, Float32Array.from(values));
  return h;
}

const EPS = 1e-3;
const CASES = 200;

/** Per channel: offset +-10^U(0, 4), std 10^U(-2, 0), gamma U(0.5, 2), beta U(-1, 1). */
function cases(seed: number, C: number) {
  const r = rng(seed);
  const offset = Float32Array.from({ length: C }, () => (r.next() < 0.5 ? -1 : 1) * 10 ** (4 * r.next()));
  const std = Float64Array.from({ length: C }, () => 10 ** (-2 * r.next()));
  const variance = Float32Array.from(std, (s) => s * s);
  return { offset, std, variance, gamma: r.uniformF32(C, 0.5, 2), beta: r.uniformF32(C, -1, 1) };
}

/** x of shape [outer, C, inner] with channel c drawn from N(offset[c], std[c]^2). */
function sample(seed: number, outer: number, C: number, inner: number, k: ReturnType<typeof cases>): Float32Array {
  const z = rng(seed).normal(outer * C * inner);
  return Float32Array.from(z, (v, e) => {
    const c = Math.floor(e / inner) % C;
    return k.offset[c] + k.std[c] * v;
  });
}

/** [outer, C, inner] shapes reaching each apply kernel (C = CASES or CASES + 3). */
const LAYOUTS: { name: string; outer: number; C: number; inner: number }[] = [
  { name: 'rows4', outer: 8, C: CASES, inner: 1 },
  { name: 'rows', outer: 8, C: CASES + 3, inner: 1 },
  { name: 'planes4', outer: 2, C: CASES, inner: 4 },
  { name: 'planes', outer: 2, C: CASES, inner: 3 },
];

describe('batchNormInfer (webgpu) at offsets up to 1e4 matches float64 within 1e-4', () => {
  for (const l of LAYOUTS) {
    it(`${l.name}: [${l.outer}, ${l.C}, ${l.inner}] axis 1`, async () => {
      const k = cases(11, l.C);
      const x = sample(12, l.outer, l.C, l.inner, k);
      const shape = [l.outer, l.C, l.inner];
      const want = batchNormInferCpu(Float64Array.from(x), shape, { axis: 1, epsilon: EPS },
        Float64Array.from(k.offset), Float64Array.from(k.variance), Float64Array.from(k.gamma), Float64Array.from(k.beta));
      const y = batchNormInfer(ctx, { handle: upload(x), shape }, { axis: 1, epsilon: EPS },
        upload(k.offset), upload(k.variance), upload(k.gamma), upload(k.beta));
      expect(await ctx.read(y)).toBeAllClose(want, { rtol: 1e-4, atol: 1e-4 });
    });
  }
});

describe('batchNormTrain (webgpu) of a one-row batch at offset 1e4 outputs beta exactly', () => {
  // One row: mean = x, variance = 0, scale = gamma / sqrt(eps), so y = (x - x) * scale + beta.
  const shapes: { name: string; shape: number[] }[] = [
    { name: 'small path (1 dispatch)', shape: [1, 7] },
    { name: 'rows4', shape: [1, 260] },
    { name: 'rows', shape: [1, 261] },
    { name: 'small path, planes', shape: [1, 6, 5] },
    { name: 'planes4', shape: [1, 300, 16] },
    { name: 'planes', shape: [1, 300, 15] },
  ];
  for (const { name, shape } of shapes) {
    it(`${name}: [${shape.join(', ')}] axis 1`, async () => {
      const C = shape[1];
      const inner = shape[2] ?? 1;
      const k = cases(21, C);
      const x = Float32Array.from({ length: C * inner }, (_, e) => 1e4 + k.offset[Math.floor(e / inner)] * 1e-4);
      const got = batchNormTrain(ctx, { handle: upload(x), shape }, { axis: 1, epsilon: EPS },
        upload(k.gamma), upload(k.beta), null);
      const want = Float32Array.from({ length: C * inner }, (_, e) => k.beta[Math.floor(e / inner)]);
      expect(await ctx.read(got.y)).toEqual(want);
    });
  }
});

/** Float32 emulation of both forms over the 200 random cases (the README figure). */
function worstErrors(): { fmaShift: number; subtractFirst: number } {
  const C = CASES;
  const k = cases(11, C);
  const x = sample(12, 8, C, 1, k);
  let fmaShift = 0;
  let subtractFirst = 0;
  for (let e = 0; e < x.length; e++) {
    const c = e % C;
    const scale64 = k.gamma[c] / Math.sqrt(k.variance[c] + EPS);
    const want = (x[e] - k.offset[c]) * scale64 + k.beta[c];
    const scale = Math.fround(scale64);
    const shift = Math.fround(k.beta[c] - Math.fround(k.offset[c] * scale));
    // An f32 product is exact in float64, so one fround after the add is an fma.
    const a = Math.fround(x[e] * scale + shift);
    const b = Math.fround(Math.fround(x[e] - k.offset[c]) * scale + k.beta[c]);
    const tol = Math.max(1, Math.abs(want));
    fmaShift = Math.max(fmaShift, Math.abs(a - want) / tol);
    subtractFirst = Math.max(subtractFirst, Math.abs(b - want) / tol);
  }
  return { fmaShift, subtractFirst };
}

describe('why (x - mean) first', () => {
  it('fma(x, scale, beta - mean * scale) in float32 is off by more than 1e-3 on the same cases', () => {
    const { fmaShift, subtractFirst } = worstErrors();
    expect(fmaShift).toBeGreaterThan(1e-3);
    expect(subtractFirst).toBeLessThan(1e-5);
  });
});
