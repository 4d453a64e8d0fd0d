/**
 * Gradients: every differentiable op against central finite differences in float64 (on the
 * float64 CPU reference), and the project's backend against that reference.
 */
import { describe, expect, it } from 'vitest';
import type { FusedActivation } from '../../src/backend/backend.js';
import { engine } from '../../src/core/engine.js';
import { matmulBiasActivation } from '../../src/ops/matmul.js';
import * as wg from '../../src/index.js';
import { f64, gradF64, scalarF64 } from '../reference.js';
import { finiteDifference, rng } from '../util.js';

type F = (x: wg.Tensor) => wg.Tensor;
const c = (v: number[], s: number[]) => wg.tensor(v, s);
/** Constant operands of the matmulBiasActivation cases (made on use: the backend is per project). */
const W = (): wg.Tensor => c([1, -1, 2, 0.5, 3, 1, -2, 1], [4, 2]);
const X = (): wg.Tensor => c([0.5, -1, 0.25, 1, -0.5, 2, 1, -0.75, 0.1, 0.3, -0.2, 0.9], [3, 4]);
const B = (): wg.Tensor => c([0.1, -0.3], [2]);
const fused = (x: wg.Tensor | (() => wg.Tensor), w: wg.Tensor | (() => wg.Tensor), b: wg.Tensor | (() => wg.Tensor) | null,
  act: FusedActivation): wg.Tensor => {
  const t = (v: wg.Tensor | (() => wg.Tensor)): wg.Tensor => (typeof v === 'function' ? v() : v);
  return matmulBiasActivation(t(x), t(w), b && t(b), act);
};

/** Each case: a scalar function of x of shape `shape`, and the input range. */
const cases: [string, number[], F, [number, number]][] = [
  ['add (broadcast)', [3, 4], (x) => wg.sum(wg.add(x, c([1, 2, 3, 4], [4]))), [-1, 1]],
  ['sub (broadcast, as b)', [3, 1], (x) => wg.sum(wg.square(wg.sub(c([1, 2], [1, 2]), x))), [-1, 1]],
  ['mul', [2, 3], (x) => wg.sum(wg.mul(x, x)), [-1, 1]],
  ['div', [5], (x) => wg.sum(wg.div(c([1, 2, 3, 4, 5], [5]), x)), [0.5, 2]],
  ['maximum/minimum', [6], (x) => wg.sum(wg.add(wg.maximum(x, 0.1), wg.minimum(x, -0.2))), [-1, 1]],
  ['pow', [4], (x) => wg.sum(wg.pow(x, c([2, 3, 0.5, 1.5], [4]))), [0.5, 2]],
  ['square/sqrt/rsqrt', [4], (x) => wg.sum(wg.add(wg.square(x), wg.add(wg.sqrt(x), wg.rsqrt(x)))), [0.5, 2]],
  ['exp/log', [4], (x) => wg.sum(wg.add(wg.exp(x), wg.log(x))), [0.5, 2]],
  ['relu/sigmoid/tanh', [7], (x) => wg.sum(wg.mul(wg.add(wg.relu(x), wg.sigmoid(x)), wg.tanh(x))), [-2, 2]],
  ['abs/neg/reciprocal', [5], (x) => wg.sum(wg.add(wg.abs(x), wg.neg(wg.reciprocal(x)))), [0.5, 2]],
  ['matmul', [3, 4], (x) => wg.sum(wg.square(wg.matmul(x, c([1, -1, 2, 0.5, 3, 1, -2, 1], [4, 2])))), [-1, 1]],
  ['matmul transposed, batched', [2, 4, 3], (x) => wg.sum(wg.matmul(x, x, true, false)), [-1, 1]],
  ['sum/mean over axes', [2, 3, 4], (x) => wg.sum(wg.square(wg.mean(x, [0, 2]))), [-1, 1]],
  ['max', [3, 4], (x) => wg.sum(wg.max(x, 1)), [-1, 1]],
  ['reshape/transpose', [2, 6], (x) => wg.sum(wg.mul(wg.transpose(wg.reshape(x, [3, 4])), c([...Array(12).keys()], [4, 3]))), [-1, 1]],
  ['slice/concat', [4, 3], (x) => wg.sum(wg.square(wg.concat([wg.slice(x, [1, 0], [2, 3]), x], 0))), [-1, 1]],
  ['where', [5], (x) => wg.sum(wg.where(wg.greater(x, 0), wg.square(x), wg.neg(x))), [-1, 1]],
  ['moments', [6, 2], (x) => wg.sum(wg.moments(x, 0).variance), [-1, 1]],
  // The fused dense forward (one backend call): gradients through its activation epilogue.
  ['matmulBiasActivation relu, d/dx', [3, 4], (x) => wg.sum(wg.square(fused(x, W, B, 'relu'))), [-1, 1]],
  ['matmulBiasActivation relu6, d/dx', [3, 4], (x) => wg.sum(wg.square(fused(wg.mul(x, 4), W, B, 'relu6'))), [-1, 1]],
  ['matmulBiasActivation sigmoid, d/dw', [4, 2], (w) => wg.sum(wg.square(fused(X, w, B, 'sigmoid'))), [-1, 1]],
  ['matmulBiasActivation tanh, d/dbias', [2], (b) => wg.sum(wg.square(fused(X, W, b, 'tanh'))), [-1, 1]],
  ['matmulBiasActivation linear, no bias, d/dx', [3, 4], (x) => wg.sum(wg.square(fused(x, W, null, 'linear'))), [-1, 1]],
];

describe('gradients', () => {
  for (const [name, shape, f, [lo, hi]] of cases) {
    it(`${name}: autodiff equals finite differences in float64, and the backend equals float64`, async () => {
      const n = shape.reduce((p, d) => p * d, 1);
      const x = rng(n + name.length).uniform(n, lo, hi);
      // Keep points away from kinks (relu/abs/max at 0, maximum at the constants).
      for (let i = 0; i < n; i++) if (Math.abs(x[i]) < 0.05) x[i] += 0.3;
      const fd = finiteDifference(scalarF64(shape, f), x, 1e-6);
      const exact = gradF64(shape, f, x);
      expect(exact).toBeAllClose(fd, { rtol: 1e-6, atol: 1e-6 });
      const got = wg.tidy(() => wg.grad(f)(wg.tensor(x, shape)));
      expect(got.shape).toEqual(shape);
      expect(await got.data()).toBeAllClose(exact, { rtol: 1e-4, atol: 1e-5 });
      got.dispose();
    });
  }

  it('grads gives one gradient per input', async () => {
    const [ga, gb] = wg.grads((a, b) => wg.sum(wg.mul(a, b)))([wg.tensor([1, 2]), wg.tensor([3, 4])]);
    expect(await ga.array()).toEqual([3, 4]);
    expect(await gb.array()).toEqual([1, 2]);
  });

  it('variableGrads differentiates with respect to trainable variables only, by name', async () => {
    const w = wg.variable(wg.tensor([1, 2]), { name: 'dense/kernel' });
    const frozen = wg.variable(wg.tensor([5]), { name: 'frozen', trainable: false });
    const { value, grads } = wg.variableGrads(() => wg.sum(wg.mul(wg.square(w), frozen)));
    expect(await value.data()).toBeAllClose([25]);
    expect(Object.keys(grads)).toEqual(['dense/kernel']);
    expect(await grads['dense/kernel'].array()).toEqual([10, 20]);
  });

  it('records no tape when no gradient is asked for, and unused inputs get zero gradients', async () => {
    const before = engine.nodesRecorded;
    wg.tidy(() => {
      wg.sum(wg.mul(wg.tensor([1, 2, 3]), 2));
    });
    expect(engine.nodesRecorded).toBe(before);
    wg.dispose(wg.grad((x) => wg.sum(wg.mul(x, 2)))(wg.tensor([1])));
    expect(engine.nodesRecorded).toBe(before + 2);
    const g = wg.grad(() => wg.scalar(3))(wg.tensor([1, 2]));
    expect(await g.array()).toEqual([0, 0]);
    expect(() => wg.grad((x) => x)(wg.tensor([1, 2]))).toThrow(/must return a scalar/);
  });

  it('the float64 reference really is float64', () => {
    const v = f64(() => wg.add(wg.tensor(new Float64Array([1e-10])), 1));
    expect(v[0]).toBe(1 + 1e-10);
  });
});
