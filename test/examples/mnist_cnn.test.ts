/**
 * Keeps examples/mnist_cnn.ts (npm run example:mnist-cnn) working: its data split, its shift
 * augmentation (hand-placed pixels) and one short epoch of its network on a tiny subset of the
 * `mnist` package's digits (30 per class, 10 held out). The full run (>= 98.5% held out) is
 * too long for the suite.
 */
import { describe, expect, it } from 'vitest';
import { SIDE, loadDigits, shifted, trainMnistCnn } from '../../examples/mnist_cnn.js';

// ?raw + JSON.parse: much faster than Vite's JSON-to-module transform for these 2 MB files.
const read = async (d: number): Promise<string> =>
  ((await import(`../../node_modules/mnist/src/digits/${d}.json?raw`)) as { default: string }).default;

describe('examples/mnist_cnn.ts', () => {
  it('moves each image by the drawn whole-pixel shift, zero-filling the border', () => {
    const x = new Float32Array(2 * SIDE * SIDE);
    x[5 * SIDE + 7] = 1;
    x[SIDE * SIDE + 0] = 2;
    // floor(r * 5) - 2: 0.7 -> +1 row, 0.0 -> -2 columns; then 0.5 -> 0, 0.99 -> +2.
    const draws = [0.7, 0.0, 0.5, 0.99];
    const out = shifted({ x, y: new Float32Array(2), n: 2 }, 2, () => draws.shift() as number);
    const hot = (img: number) => [...out.subarray(img * SIDE * SIDE, (img + 1) * SIDE * SIDE)].flatMap((v, i) => (v === 0 ? [] : [[Math.floor(i / SIDE), i % SIDE, v]]));
    expect(hot(0)).toEqual([[6, 5, 1]]);
    expect(hot(1)).toEqual([[0, 2, 2]]);
  });

  it('splits the last images of each digit off and trains one short epoch', async () => {
    const { train, test } = await loadDigits(read, 3, 12);
    expect([train.n, test.n]).toEqual([90, 30]);
    expect([...test.y.subarray(0, 4)]).toEqual([0, 0, 0, 1]);
    expect(train.x.length).toBe(90 * SIDE * SIDE);
    const r = await trainMnistCnn(train, test, { epochs: 1, batchSize: 30 });
    expect(r.model.outputs[0].shape).toEqual([null, 10]);
    expect(r.history).toHaveLength(1);
    // Three Adam steps from a 10-class start: a finite cross-entropy of a few nats (ln 10 = 2.3).
    expect(r.history[0].loss).toBeGreaterThan(1);
    expect(r.history[0].loss).toBeLessThan(10);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(r.testAccuracy).toBeLessThanOrEqual(1);
  });
});
