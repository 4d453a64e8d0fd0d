/** Elementwise ops on the project's backend: hand-computed values, float64 parity, edge shapes. */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { f64 } from '../reference.js';
import { rng } from '../util.js';

const unaries = {
  neg: [[-1, 0, 2.5], [1, -0, -2.5]],
  abs: [[-1, 0, 2.5], [1, 0, 2.5]],
  square: [[-3, 0.5, 2], [9, 0.25, 4]],
  sqrt: [[0, 4, 2.25], [0, 2, 1.5]],
  rsqrt: [[4, 0.25, 1], [0.5, 2, 1]],
  exp: [[0, 1, -1], [1, Math.E, 1 / Math.E]],
  log: [[1, Math.E, 0.5], [0, 1, Math.log(0.5)]],
  relu: [[-2, 0, 3], [0, 0, 3]],
  sigmoid: [[0, 100, -100], [0.5, 1, 0]],
  tanh: [[0, 100, -100], [0, 1, -1]],
  reciprocal: [[2, -4, 0.5], [0.5, -0.25, 2]],
  sign: [[-3, 0, 7], [-1, 0, 1]],
  step: [[-3, 0, 7], [0, 0, 1]],
} as const;

describe('unary ops', () => {
  for (const [name, [x, y]] of Object.entries(unaries)) {
    it(`${name} gives hand-computed values`, async () => {
      const op = wg[name as keyof typeof unaries];
      const out = op(wg.tensor([...x]));
      expect(await out.data()).toBeAllClose([...y], { rtol: 1e-6, atol: 1e-6 });
      out.dispose();
    });
  }

  it('match the float64 reference on 1,003 random values (not a multiple of 4 or of a workgroup)', async () => {
    const x = rng(1).uniform(1003, 0.1, 3);
    for (const name of Object.keys(unaries) as (keyof typeof unaries)[]) {
      const op = wg[name];
      const got = wg.tidy(() => op(wg.tensor(x, [17, 59])));
      const want = f64(() => op(wg.tensor(x, [17, 59])));
      expect(await got.data(), name).toBeAllClose(want, { rtol: 2e-6, atol: 1e-6 });
      got.dispose();
    }
  });
});

const binaries: Record<string, [number[], number[], number[]]> = {
  add: [[1, 2, 3], [10, 20, 30], [11, 22, 33]],
  sub: [[1, 2, 3], [10, 20, 30], [-9, -18, -27]],
  mul: [[1, 2, 3], [10, -20, 0.5], [10, -40, 1.5]],
  div: [[1, 2, 3], [4, -8, 0.5], [0.25, -0.25, 6]],
  maximum: [[1, 5, 3], [2, 4, 3], [2, 5, 3]],
  minimum: [[1, 5, 3], [2, 4, 3], [1, 4, 3]],
  pow: [[2, 3, 4], [3, 2, 0.5], [8, 9, 2]],
  greater: [[1, 5, 3], [2, 4, 3], [0, 1, 0]],
  greaterEqual: [[1, 5, 3], [2, 4, 3], [0, 1, 1]],
  less: [[1, 5, 3], [2, 4, 3], [1, 0, 0]],
  lessEqual: [[1, 5, 3], [2, 4, 3], [1, 0, 1]],
  equal: [[1, 5, 3], [2, 4, 3], [0, 0, 1]],
};

describe('binary ops', () => {
  for (const [name, [a, b, y]] of Object.entries(binaries)) {
    it(`${name} gives hand-computed values`, async () => {
      const op = wg[name as 'add'];
      const out = op(wg.tensor(a), wg.tensor(b));
      expect(await out.data()).toBeAllClose(y, { rtol: 1e-6 });
      wg.dispose(out);
    });
  }

  const shapes: [number[], number[], number[]][] = [
    [[3, 1], [1, 4], [3, 4]],
    [[2, 3, 4], [4], [2, 3, 4]],
    [[5], [2, 1, 5], [2, 1, 5]],
    [[1, 1, 7], [6, 1], [1, 6, 7]],
    [[], [3, 2], [3, 2]],
    [[129, 1], [1, 33], [129, 33]],
    [[0, 3], [1, 3], [0, 3]],
  ];
  for (const [sa, sb, sy] of shapes) {
    it(`broadcast ${JSON.stringify(sa)} with ${JSON.stringify(sb)} like the float64 reference`, async () => {
      const r = rng(7);
      const na = sa.reduce((p, d) => p * d, 1);
      const nb = sb.reduce((p, d) => p * d, 1);
      const a = r.uniform(na, 0.5, 2);
      const b = r.uniform(nb, 0.5, 2);
      for (const name of Object.keys(binaries)) {
        const op = wg[name as 'add'];
        const got = wg.tidy(() => op(wg.tensor(a, sa), wg.tensor(b, sb)));
        const want = f64(() => op(wg.tensor(a, sa), wg.tensor(b, sb)));
        expect(got.shape).toEqual(sy);
        expect(await got.data(), name).toBeAllClose(want, { rtol: 2e-6, atol: 1e-6 });
        got.dispose();
      }
    });
  }

  it('accepts numbers as scalars and reports incompatible shapes with both shapes', () => {
    const x = wg.tensor([1, 2, 3]);
    const y = wg.mul(x, 2);
    expect(y.shape).toEqual([3]);
    expect(() => wg.add(wg.zeros([2, 3]), wg.zeros([4]))).toThrow(/add: shapes \[2,3\] and \[4\] cannot be broadcast/);
    wg.dispose([x, y]);
  });

  it('where picks from a or b by the condition, broadcasting', async () => {
    const out = wg.where(wg.tensor([1, 0, 1]), wg.tensor([[1, 2, 3], [4, 5, 6]]), 0);
    expect(await out.array()).toEqual([[1, 0, 3], [4, 0, 6]]);
  });

  it('an add over more than 65535 x 256 elements is correct at both ends', async () => {
    const n = 65535 * 256 + 37;
    const a = wg.fill([n], 1.5);
    const b = wg.randomUniform([n], { seed: 3 });
    const c = wg.add(a, b);
    const [bv, cv] = [await b.data(), await c.data()];
    for (const i of [0, 1, 4097, n - 38, n - 2, n - 1]) expect(cv[i]).toBeCloseTo(bv[i] + 1.5, 5);
    wg.dispose([a, b, c]);
  });
});
