/** Memory: tidy/dispose return to the baseline; many op calls keep the device buffer count flat. */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';

describe('memory', () => {
  it('tidy disposes intermediates and keeps what it returns', async () => {
    const base = wg.memory();
    const kept = wg.tidy(() => {
      const a = wg.tensor([1, 2, 3]);
      const b = wg.mul(wg.add(a, 1), 2);
      return { b, both: [wg.sum(b)] };
    });
    expect(wg.memory().numTensors).toBe(base.numTensors + 2);
    expect(await kept.b.array()).toEqual([4, 6, 8]);
    wg.dispose([kept.b, ...kept.both]);
    expect(wg.memory().numTensors).toBe(base.numTensors);
    expect(wg.memory().numBytes).toBe(base.numBytes);
  });

  it('a tidy whose body throws frees what the body made', () => {
    const base = wg.memory();
    expect(() =>
      wg.tidy(() => {
        wg.add(wg.tensor([1, 2]), 1);
        wg.matmul(wg.zeros([2, 3]), wg.zeros([4, 5]));
      }),
    ).toThrow(/matmul: inner dimensions differ/);
    expect(wg.memory()).toEqual(base);
  });

  it('reshape views share memory until the last one is disposed', async () => {
    const base = wg.memory();
    const a = wg.tensor([1, 2, 3, 4]);
    const b = wg.reshape(a, [2, 2]);
    a.dispose();
    expect(await b.array()).toEqual([[1, 2], [3, 4]]);
    b.dispose();
    expect(wg.memory()).toEqual(base);
    await expect(a.data()).rejects.toThrow(/disposed/);
  });

  it('1,000 op calls in a loop leave the tensor and GPU buffer counts flat', async () => {
    const x = wg.randomUniform([257], { seed: 1 });
    wg.tidy(() => wg.relu(wg.add(x, 1))); // warm the pools
    const base = wg.memory();
    for (let i = 0; i < 1000; i++) {
      wg.tidy(() => {
        wg.sum(wg.relu(wg.mul(wg.add(x, i), 0.5)));
      });
    }
    await wg.ready();
    expect(wg.memory()).toEqual(base);
    x.dispose();
  });
});
