/**
 * The CPU twin of the batch-normalization kernels (src/backend/cpu/batchnorm.ts): hand-derived
 * values, float32 vs float64, gradients vs central finite differences and an independent closed
 * form, the moving-average recurrence, and the edge cases of SEMANTICS.md section 4.
 */
import { describe, expect, it } from 'vitest';
import type { BatchNormParams } from '../../src/backend/backend.js';
import {
  batchNormGradCpu, batchNormInferCpu, batchNormTrainCpu, type BatchNormCpuMoving,
} from '../../src/backend/cpu/batchnorm.js';
import { ValueError } from '../../src/core/errors.js';
import { stridesOf } from '../../src/core/shape.js';
import { finiteDifference, rng } from '../util.js';

interface Layout {
  readonly name: string;
  readonly shape: readonly number[];
  readonly axis: number;
}

const LAYOUTS: readonly Layout[] = [
  { name: '[N, C]', shape: [6, 5], axis: 1 },
  { name: '[N, L, C]', shape: [3, 4, 5], axis: 2 },
  { name: 'NHWC axis -1', shape: [2, 3, 2, 4], axis: 3 },
  { name: 'NCHW axis 1', shape: [2, 4, 3, 2], axis: 1 },
];

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Values of channel c gathered by walking every multi-index (independent of the [outer, C, inner] view). */
function channelValues(x: ArrayLike<number>, shape: readonly number[], axis: number, c: number): number[] {
  const strides = stridesOf(shape);
  const out: number[] = [];
  for (let flat = 0; flat < x.length; flat++) {
    if (Math.floor(flat / strides[axis]) % shape[axis] === c) out.push(x[flat]);
  }
  return out;
}

function moving(C: number, correction: 'biased' | 'unbiased' = 'biased'): BatchNormCpuMoving {
  return {
    mean: new Float64Array(C), variance: new Float64Array(C).fill(1), momentum: 0.9, correction,
    flag: new Float64Array(1),
  };
}

describe('batchNormTrainCpu', () => {
  it('matches hand-derived values on [2, 2]', () => {
    // channel 0: [1, 3] mean 2 var 1; channel 1: [2, 6] mean 4 var 4.
    const x = Float64Array.of(1, 2, 3, 6);
    const p: BatchNormParams = { axis: 1, epsilon: 0 };
    const r = batchNormTrainCpu(x, [2, 2], p, Float64Array.of(2, 3), Float64Array.of(0.5, -1), null);
    expect(r.mean).toBeAllClose([2, 4], { rtol: 0, atol: 0 });
    expect(r.variance).toBeAllClose([1, 4], { rtol: 0, atol: 0 });
    expect(r.invStd).toBeAllClose([1, 0.5], { rtol: 0, atol: 0 });
    expect(r.y).toBeAllClose([-1.5, -4, 2.5, 2], { rtol: 0, atol: 1e-15 });
    const plain = batchNormTrainCpu(x, [2, 2], p, null, null, null);
    expect(plain.y).toBeAllClose([-1, -1, 1, 1], { rtol: 0, atol: 1e-15 });
  });

  for (const l of LAYOUTS) {
    it(`normalizes every channel of ${l.name} over all other axes`, () => {
      const x = rng(1).normal(size(l.shape), 3, 2);
      const r = batchNormTrainCpu(x, l.shape, { axis: l.axis, epsilon: 1e-3 }, null, null, null);
      for (let c = 0; c < l.shape[l.axis]; c++) {
        const v = channelValues(x, l.shape, l.axis, c);
        const mu = v.reduce((a, b) => a + b, 0) / v.length;
        const va = v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length;
        expect(r.mean[c]).toBeCloseTo(mu, 12);
        expect(r.variance[c]).toBeCloseTo(va, 12);
        const y = channelValues(r.y, l.shape, l.axis, c);
        expect(y).toBeAllClose(v.map((e) => (e - mu) / Math.sqrt(va + 1e-3)), { rtol: 1e-12, atol: 1e-12 });
      }
    });
  }

  it('float32 input gives float32 outputs close to the float64 ones', () => {
    const shape = [7, 3, 4];
    const x = rng(2).normalF32(84, 1, 2);
    const p: BatchNormParams = { axis: 1, epsilon: 1e-3 };
    const r32 = batchNormTrainCpu(x, shape, p, null, null, null);
    const r64 = batchNormTrainCpu(Float64Array.from(x), shape, p, null, null, null);
    expect(r32.y).toBeInstanceOf(Float32Array);
    expect(r64.y).toBeInstanceOf(Float64Array);
    expect(r32.mean).toBeInstanceOf(Float32Array);
    expect(r32.y).toBeAllClose(r64.y, { rtol: 1e-6, atol: 1e-6 });
    expect(r32.variance).toBeAllClose(r64.variance, { rtol: 1e-6, atol: 1e-7 });
  });

  it('gives variance 0 and y = beta for one value per channel, and pulls the moving variance to 0', () => {
    const beta = Float64Array.of(0.5, -2, 3);
    const mv = moving(3);
    const r = batchNormTrainCpu(Float64Array.of(4, 5, 6), [1, 3], { axis: 1, epsilon: 1e-3 }, null, beta, mv);
    expect(r.variance).toBeAllClose([0, 0, 0], { rtol: 0, atol: 0 });
    expect(r.y).toBeAllClose(beta, { rtol: 0, atol: 0 });
    expect(mv.variance).toBeAllClose([0.9, 0.9, 0.9], { rtol: 1e-15, atol: 0 });
    expect(mv.mean).toBeAllClose([0.4, 0.5, 0.6], { rtol: 1e-15, atol: 0 });
    // 'unbiased' with n = 1 uses factor 1 (documented), never inf/NaN.
    const mu = moving(3, 'unbiased');
    batchNormTrainCpu(Float64Array.of(4, 5, 6), [1, 3], { axis: 1, epsilon: 1e-3 }, null, null, mu);
    expect(mu.variance).toBeAllClose([0.9, 0.9, 0.9], { rtol: 1e-15, atol: 0 });
    expect(mu.flag[0]).toBe(0);
  });

  it('follows the Keras moving-average recurrence over k calls, both corrections', () => {
    for (const correction of ['biased', 'unbiased'] as const) {
      const shape = [4, 2];
      const mv = moving(2, correction);
      const wantMean = [0, 0];
      const wantVar = [1, 1];
      for (let k = 0; k < 5; k++) {
        const x = rng(10 + k).normal(8, k, 1 + k);
        const r = batchNormTrainCpu(x, shape, { axis: 1, epsilon: 1e-3 }, null, null, mv);
        const factor = correction === 'unbiased' ? 4 / 3 : 1;
        for (let c = 0; c < 2; c++) {
          wantMean[c] = 0.9 * wantMean[c] + 0.1 * r.mean[c];
          wantVar[c] = 0.9 * wantVar[c] + 0.1 * r.variance[c] * factor;
        }
      }
      expect(mv.mean).toBeAllClose(wantMean, { rtol: 1e-14, atol: 1e-15 });
      expect(mv.variance).toBeAllClose(wantVar, { rtol: 1e-14, atol: 1e-15 });
    }
  });

  it('leaves the moving statistics unchanged and sets the flag on non-finite batches', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const mv = moving(3);
      mv.mean.set([1, 2, 3]);
      const x = rng(3).normal(12);
      x[4] = bad;
      batchNormTrainCpu(x, [4, 3], { axis: 1, epsilon: 1e-3 }, null, null, mv);
      expect(mv.mean).toBeAllClose([1, 2, 3], { rtol: 0, atol: 0 });
      expect(mv.variance).toBeAllClose([1, 1, 1], { rtol: 0, atol: 0 });
      expect(mv.flag[0]).toBe(1);
    }
  });

  it('throws a ValueError naming batchNormalization and the shape on an empty batch', () => {
    const mv = moving(5);
    const call = () => batchNormTrainCpu(new Float64Array(0), [0, 5], { axis: 1, epsilon: 1e-3 }, null, null, mv);
    expect(call).toThrow(ValueError);
    expect(call).toThrow(/batchNormalization.*\[0,5\]/);
    expect(mv.variance).toBeAllClose([1, 1, 1, 1, 1], { rtol: 0, atol: 0 });
    expect(() => batchNormGradCpu(new Float64Array(0), new Float64Array(0), [2, 0, 3], { axis: 2, epsilon: 0 },
      new Float64Array(3), new Float64Array(3), null)).toThrow(/batchNormalization.*\[2,0,3\]/);
  });
});

describe('batchNormInferCpu', () => {
  it('is the affine map with the given statistics', () => {
    const y = batchNormInferCpu(Float64Array.of(1, 2, 3, 4), [2, 2], { axis: 1, epsilon: 0 },
      Float64Array.of(1, 2), Float64Array.of(4, 1), Float64Array.of(2, 1), Float64Array.of(0, 1));
    // channel 0: 2 * (x - 1) / 2; channel 1: (x - 2) / 1 + 1
    expect(y).toBeAllClose([0, 1, 2, 3], { rtol: 0, atol: 1e-15 });
  });
});

describe('batchNormGradCpu', () => {
  for (const l of LAYOUTS) {
    it(`matches central finite differences of sum(w * y) in float64 (${l.name})`, () => {
      const n = size(l.shape);
      const C = l.shape[l.axis];
      const p: BatchNormParams = { axis: l.axis, epsilon: 1e-3 };
      const x = rng(4).normal(n, 1, 2);
      const w = rng(5).normal(n);
      const gamma = rng(6).uniform(C, 0.5, 2);
      const beta = rng(7).normal(C);
      const loss = (xv: Float64Array, g: Float64Array, b: Float64Array): number => {
        const { y } = batchNormTrainCpu(xv, l.shape, p, g, b, null);
        return y.reduce((acc, v, i) => acc + v * w[i], 0);
      };
      const st = batchNormTrainCpu(x, l.shape, p, gamma, beta, null);
      const r = batchNormGradCpu(w, x, l.shape, p, st.mean, st.invStd, gamma);
      const tol = { rtol: 1e-6, atol: 1e-7 };
      expect(r.dx!).toBeAllClose(finiteDifference((v) => loss(v, gamma, beta), x), tol);
      expect(r.dgamma).toBeAllClose(finiteDifference((v) => loss(x, v, beta), gamma), tol);
      expect(r.dbeta).toBeAllClose(finiteDifference((v) => loss(x, gamma, v), beta), tol);
    });
  }

  it('matches the closed form dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat))', () => {
    const shape = [5, 3, 4];
    const p: BatchNormParams = { axis: 1, epsilon: 1e-2 };
    const x = rng(8).normal(60, -2, 3);
    const dy = rng(9).normal(60);
    const gamma = Float64Array.of(0.5, 1, 2);
    const st = batchNormTrainCpu(x, shape, p, null, null, null);
    const r = batchNormGradCpu(dy, x, shape, p, st.mean, st.invStd, gamma);
    for (let c = 0; c < 3; c++) {
      const xs = channelValues(x, shape, 1, c);
      const ds = channelValues(dy, shape, 1, c);
      const xhat = xs.map((v) => (v - st.mean[c]) * st.invStd[c]);
      const mdy = ds.reduce((a, b) => a + b, 0) / ds.length;
      const mdx = ds.reduce((a, b, i) => a + b * xhat[i], 0) / ds.length;
      const want = ds.map((d, i) => gamma[c] * st.invStd[c] * (d - mdy - xhat[i] * mdx));
      expect(channelValues(r.dx!, shape, 1, c)).toBeAllClose(want, { rtol: 1e-12, atol: 1e-13 });
      expect(r.dbeta[c]).toBeCloseTo(mdy * ds.length, 12);
      expect(r.dgamma[c]).toBeCloseTo(mdx * ds.length, 12);
    }
    const noDx = batchNormGradCpu(dy, x, shape, p, st.mean, st.invStd, gamma, false);
    expect(noDx.dx).toBeNull();
    expect(noDx.dgamma).toEqual(r.dgamma);
    expect(noDx.dbeta).toEqual(r.dbeta);
  });
});
