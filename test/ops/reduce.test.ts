/** Reductions, moments and argMax on the project's backend against hand values and float64. */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { f64 } from '../reference.js';
import { rng } from '../util.js';

describe('reductions', () => {
  const x = [[1, 2, 3], [4, 5, 6]];

  it('sum, mean, max and min give hand-computed values over each axis', async () => {
    const t = wg.tensor(x);
    expect(await wg.sum(t).data()).toBeAllClose([21]);
    expect(await wg.sum(t, 0).array()).toEqual([5, 7, 9]);
    expect(await wg.sum(t, 1, true).array()).toEqual([[6], [15]]);
    expect(await wg.mean(t, -1).array()).toEqual([2, 5]);
    expect(await wg.max(t, 0).array()).toEqual([4, 5, 6]);
    expect(await wg.min(t, [0, 1]).data()).toBeAllClose([1]);
    expect(wg.sum(t, 1, true).shape).toEqual([2, 1]);
  });

  it('moments give the biased variance', async () => {
    const { mean, variance } = wg.moments(wg.tensor([1, 2, 3, 4]), 0);
    expect(await mean.data()).toBeAllClose([2.5]);
    expect(await variance.data()).toBeAllClose([1.25]);
  });

  const cases: [number[], number[]][] = [
    [[7, 13, 5], [1]],
    [[7, 13, 5], [0, 2]],
    [[2, 3, 4, 5], [1, 3]],
    [[1000, 3], [0]],
    [[3, 1, 4], [1]],
    [[4, 6], []],
    [[65537], [0]],
  ];
  for (const [shape, axes] of cases) {
    it(`sum/max/min/mean over axes ${JSON.stringify(axes)} of ${JSON.stringify(shape)} match float64`, async () => {
      const n = shape.reduce((p, d) => p * d, 1);
      const v = rng(11).uniform(n, -1, 1);
      for (const op of ['sum', 'max', 'min', 'mean'] as const) {
        const got = wg.tidy(() => wg[op](wg.tensor(v, shape), axes));
        const want = f64(() => wg[op](wg.tensor(v, shape), axes));
        // float32 accumulation: the absolute error grows with the number of terms summed.
        const terms = axes.reduce((p, a) => p * shape[a], 1);
        expect(await got.data(), op).toBeAllClose(want, { rtol: 1e-5, atol: 1e-6 * terms });
        got.dispose();
      }
    });
  }

  it('argMax takes the first index on ties, over any axis', async () => {
    const t = wg.tensor([[1, 3, 3], [7, 0, 7]]);
    expect(await wg.argMax(t).array()).toEqual([1, 0]);
    expect(await wg.argMax(t, 0).array()).toEqual([1, 0, 1]);
  });

  it('max propagates NaN', async () => {
    expect(Number.isNaN((await wg.max(wg.tensor([1, NaN, 3])).data())[0])).toBe(true);
  });

  it('reports an out-of-range axis with the shape', () => {
    expect(() => wg.sum(wg.zeros([2, 3]), 2)).toThrow(/sum: axis 2 is out of range for a tensor of rank 2/);
  });
});
