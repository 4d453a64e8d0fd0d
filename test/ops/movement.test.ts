/** Reshape, transpose, slice, gather, concat, oneHot, broadcastTo and tensor creation. */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';

describe('creation', () => {
  it('makes tensors from nested arrays and from flat values with a shape', async () => {
    const a = wg.tensor([[1, 2], [3, 4]]);
    expect([a.shape, a.rank, a.size]).toEqual([[2, 2], 2, 4]);
    expect(await wg.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]).array()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(await wg.ones([2]).array()).toEqual([1, 1]);
    expect(await wg.zeros([0, 3]).data()).toEqual(new Float32Array(0));
    expect(() => wg.tensor([1, 2, 3], [2, 2])).toThrow(/tensor: 3 values cannot have shape \[2,2\]/);
    expect(() => wg.tensor([[1, 2], [3]])).toThrow(/ragged/);
  });

  it('randomNormal with a seed gives the same numbers every time, with the asked moments', async () => {
    const a = await wg.randomNormal([4096], { seed: 9, mean: 2, stddev: 3 }).data();
    const b = await wg.randomNormal([4096], { seed: 9, mean: 2, stddev: 3 }).data();
    expect(a).toEqual(b);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean - 2)).toBeLessThan(0.15);
    expect(Math.abs(sd - 3)).toBeLessThan(0.15);
  });
});

describe('movement', () => {
  const x = () => wg.tensor([[1, 2, 3], [4, 5, 6]]);

  it('reshape shares data and infers -1', async () => {
    expect(await wg.reshape(x(), [3, -1]).array()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(() => wg.reshape(x(), [4, 2])).toThrow(/reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,2\]/);
  });

  it('transpose permutes axes', async () => {
    expect(await wg.transpose(x()).array()).toEqual([[1, 4], [2, 5], [3, 6]]);
    const t = wg.reshape(wg.tensor(Array.from({ length: 24 }, (_, i) => i)), [2, 3, 4]);
    const p = wg.transpose(t, [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(((await p.array()) as number[][][])[3][1][2]).toBe(1 * 12 + 2 * 4 + 3);
  });

  it('slice, gather, concat and oneHot move the right values', async () => {
    expect(await wg.slice(x(), [0, 1], [2, 2]).array()).toEqual([[2, 3], [5, 6]]);
    expect(await wg.gather(x(), [1, 1, 0]).array()).toEqual([[4, 5, 6], [4, 5, 6], [1, 2, 3]]);
    expect(await wg.concat([x(), wg.tensor([[7, 8, 9]])], 0).array()).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(await wg.concat([x(), wg.tensor([[0], [0]])], 1).array()).toEqual([[1, 2, 3, 0], [4, 5, 6, 0]]);
    expect(await wg.oneHot(wg.tensor([2, 0, 5]), 3).array()).toEqual([[0, 0, 1], [1, 0, 0], [0, 0, 0]]);
    expect(await wg.broadcastTo(wg.tensor([1, 2]), [2, 2]).array()).toEqual([[1, 2], [1, 2]]);
    expect(() => wg.gather(x(), [2])).toThrow(/gather: index 2 is out of range for 2 rows/);
  });
});
