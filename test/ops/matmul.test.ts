/** Matrix products: hand values, float64 parity, transposes, batch broadcasting, odd sizes. */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { f64 } from '../reference.js';
import { rng } from '../util.js';

describe('matmul', () => {
  it('multiplies 2-D matrices (hand-computed)', async () => {
    const y = wg.matmul(wg.tensor([[1, 2], [3, 4], [5, 6]]), wg.tensor([[1, 0, 2], [0, 1, 3]]));
    expect(await y.array()).toEqual([[1, 2, 8], [3, 4, 18], [5, 6, 28]]);
  });

  const cases: [number[], number[], boolean, boolean, number[]][] = [
    [[1, 1], [1, 1], false, false, [1, 1]],
    [[17, 33], [33, 5], false, false, [17, 5]],
    [[33, 17], [33, 5], true, false, [17, 5]],
    [[17, 33], [5, 33], false, true, [17, 5]],
    [[33, 17], [5, 33], true, true, [17, 5]],
    [[3, 7, 9], [9, 4], false, false, [3, 7, 4]],
    [[2, 1, 6, 8], [3, 8, 5], false, false, [2, 3, 6, 5]],
    [[65, 130], [130, 67], false, false, [65, 67]],
  ];
  for (const [sa, sb, ta, tb, sy] of cases) {
    it(`${JSON.stringify(sa)}${ta ? 'ᵀ' : ''} @ ${JSON.stringify(sb)}${tb ? 'ᵀ' : ''} -> ${JSON.stringify(sy)} matches float64`, async () => {
      const r = rng(5);
      const a = r.uniform(sa.reduce((p, d) => p * d, 1), -1, 1);
      const b = r.uniform(sb.reduce((p, d) => p * d, 1), -1, 1);
      const got = wg.tidy(() => wg.matmul(wg.tensor(a, sa), wg.tensor(b, sb), ta, tb));
      const want = f64(() => wg.matmul(wg.tensor(a, sa), wg.tensor(b, sb), ta, tb));
      expect(got.shape).toEqual(sy);
      expect(await got.data()).toBeAllClose(want, { rtol: 1e-5, atol: 1e-5 });
      got.dispose();
    });
  }

  it('names both shapes when the inner dimensions differ', () => {
    expect(() => wg.matmul(wg.zeros([2, 3]), wg.zeros([4, 5]))).toThrow(/matmul: inner dimensions differ: a \[2,3\] has 3, b \[4,5\] has 4/);
  });
});
