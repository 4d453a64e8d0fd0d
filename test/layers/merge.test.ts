/**
 * Merge layers (Add, Subtract, Multiply, Average, Concatenate) on every backend: forward and
 * gradients against TF.js 4.22's `tf.layers.*` on its CPU backend, symbolic output shapes, and
 * the shape errors raised at apply time.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const A = [[1.5, -2, 0.25], [3, 0.5, -1]];
const B = [[0.5, 4, -3], [-2, 1.25, 2]];
const C = [[2, -1, 1], [0.75, -0.5, 3]];

type Pair = readonly [() => wg.layers.MergeLayer, () => { apply(xs: tf.Tensor[]): tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[] }];
const CASES: Record<string, Pair> = {
  add: [() => wg.layers.add(), () => tf.layers.add()],
  // TF.js 4.22 has no tf.layers.subtract: its reference is tf.sub.
  subtract: [() => wg.layers.subtract(), () => ({ apply: (xs: tf.Tensor[]) => tf.sub(xs[0], xs[1]) })],
  multiply: [() => wg.layers.multiply(), () => tf.layers.multiply()],
  average: [() => wg.layers.average(), () => tf.layers.average()],
  concatenate: [() => wg.layers.concatenate(), () => tf.layers.concatenate()],
  'concatenate axis 1 of rank 3': [() => wg.layers.concatenate({ axis: 1 }), () => tf.layers.concatenate({ axis: 1 })],
};

describe('merge layers match TF.js forward and backward', () => {
  for (const [name, [ours, theirs]] of Object.entries(CASES)) {
    it(name, async () => {
      const rank3 = name.includes('rank 3');
      const ins = (name === 'subtract' ? [A, B] : [A, B, C]).map((v) => (rank3 ? v.map((r) => [r]) : v));
      const w = ins.map((v) => wg.tensor(v));
      const t = ins.map((v) => tf.tensor(v));
      // A weighting makes every output element's gradient distinct.
      const weightsFor = (shape: readonly number[]) => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 5) - 1.5);
      const layer = ours();
      const tl = theirs();
      const y = layer.apply(w);
      const ty = tl.apply(t) as tf.Tensor;
      expect([...y.shape]).toEqual(ty.shape);
      expect(await y.data()).toBeAllClose(await ty.data(), { rtol: 1e-6 });
      const wt = weightsFor(ty.shape);
      const gs = wg.grads((...xs) => wg.sum(wg.mul(layer.apply(xs), wg.tensor(wt, [...ty.shape]))))(w);
      const tgs = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(tl.apply(xs) as tf.Tensor, tf.tensor(wt, ty.shape))))(t);
      for (let i = 0; i < gs.length; i++) expect(await gs[i].data()).toBeAllClose(await tgs[i].data(), { rtol: 1e-6 });
    });
  }
});

describe('merge layers: symbolic shapes and apply-time errors', () => {
  it('computes symbolic output shapes (broadcast of size 1, concatenation sums the axis)', () => {
    const a = wg.input({ shape: [4, 3] });
    const b = wg.input({ shape: [1, 3] });
    const c = wg.input({ shape: [4, 5] });
    expect(wg.layers.add().apply([a, b]).shape).toEqual([null, 4, 3]);
    expect(wg.layers.concatenate().apply([a, c]).shape).toEqual([null, 4, 8]);
    expect(wg.layers.concatenate({ axis: 1 }).apply([a, b]).shape).toEqual([null, 5, 3]);
  });

  it('names the layer and every input shape on a mismatch', () => {
    const a = wg.input({ shape: [3] });
    const b = wg.input({ shape: [4] });
    expect(() => wg.layers.add({ name: 'sum' }).apply([a, b])).toThrow(/Add 'sum': inputs do not match on axis 1 .*\(input shapes \[-1,3\], \[-1,4\]\)/);
    expect(() => wg.layers.multiply().apply([a, wg.input({ shape: [3, 1] })])).toThrow(/same rank.*\[-1,3\], \[-1,3,1\]/);
    expect(() => wg.layers.subtract({ name: 'd' }).apply([a, a, a])).toThrow(/Subtract 'd': takes exactly 2 inputs, got 3/);
    expect(() => wg.layers.average().apply([a])).toThrow(/needs at least 2 inputs, got 1/);
    expect(() => wg.layers.concatenate({ axis: 2, name: 'cat' }).apply([a, b])).toThrow(/Concatenate 'cat': axis 2 is out of range for inputs of rank 2/);
    expect(() => wg.layers.concatenate({ axis: 0 }).apply([a, b])).toThrow(/axis 0 is out of range/);
    const c = wg.input({ shape: [2, 3] });
    const d = wg.input({ shape: [5, 4] });
    expect(() => wg.layers.concatenate().apply([c, d])).toThrow(/inputs differ on axis 1, which is not the concatenation axis -1 \(input shapes \[-1,2,3\], \[-1,5,4\]\)/);
    // Eager: the batch sizes are known and must match too.
    expect(() => wg.layers.add().apply([wg.zeros([2, 3]), wg.zeros([3, 3])])).toThrow(/axis 0.*\[2,3\], \[3,3\]/);
    expect(() => wg.layers.dense({ units: 2 }).apply([a, a])).toThrow(/Dense '.*': takes one input but got 2/);
  });
});
