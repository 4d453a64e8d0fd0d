/**
 * pad (forward and gradient) against TF.js 4.22 (tf.pad, tf.grad) and float64, and concat's
 * gradient on every axis (merge layers rely on it) against TF.js. Both are data movement: the
 * values are copied, so they must match exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { f64 } from '../reference.js';
import { rng } from '../util.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe('pad', () => {
  const cases: [number[], [number, number][], number][] = [
    [[3], [[1, 2]], 0],
    [[2, 3], [[0, 1], [2, 0]], -1.5],
    [[1, 4, 3, 2], [[0, 0], [1, 2], [2, 1], [0, 0]], 0],
    [[2, 1, 3, 1, 2], [[1, 0], [0, 2], [1, 1], [3, 0], [0, 1]], 7],
    [[2, 2], [[0, 0], [0, 0]], 3],
  ];
  for (const [shape, paddings, value] of cases) {
    it(`${JSON.stringify(shape)} paddings ${JSON.stringify(paddings)} value ${value}: forward and gradient vs TF.js`, async () => {
      const xv = rng(size(shape)).uniformF32(size(shape), -1, 1);
      const x = wg.tensor(xv, shape);
      const xt = tf.tensor(xv, shape);
      const y = wg.pad(x, paddings, value);
      const yt = tf.pad(xt, paddings, value);
      expect(y.shape).toEqual(yt.shape);
      expect(await y.data()).toEqual(await yt.data());
      expect(await y.data()).toEqual(Float32Array.from(f64(() => wg.pad(wg.tensor(xv, shape), paddings, value))));
      const dyv = rng(3).uniformF32(size(yt.shape), -1, 1);
      const dx = wg.grad((t) => wg.pad(t, paddings, value))(x, wg.tensor(dyv, y.shape));
      const dxt = tf.grad((t: tf.Tensor) => tf.pad(t, paddings, value))(xt, tf.tensor(dyv, yt.shape));
      expect(await dx.data()).toEqual(await dxt.data());
    });
  }

  it('bad paddings: clear errors naming the op and the input shape', () => {
    const x = wg.zeros([2, 3]);
    expect(() => wg.pad(x, [[1, 1]])).toThrow(/pad: paddings \[\[1,1\]\] must have one \[before, after\] pair per axis of the input shape \[2,3\] \(2\)/);
    expect(() => wg.pad(x, [[1, 1], [0, -1]])).toThrow(/pad: each padding must be \[before, after\] with non-negative integers, got \[\[1,1\],\[0,-1\]\] for input shape \[2,3\]/);
    expect(() => wg.pad(x, [[1, 1], [0.5, 0]])).toThrow(/pad: each padding must be/);
  });
});

describe('concat gradient on every axis', () => {
  for (const axis of [0, 1, 2, -1]) {
    it(`axis ${axis}: each input gets its block of dy, as TF.js`, async () => {
      const a = ((axis % 3) + 3) % 3;
      // Three inputs of base shape [2, 3, 4] with extents 1, 2, 3 along the axis.
      const parts = [1, 2, 3].map((n) => [2, 3, 4].map((d, i) => (i === a ? n : d)));
      const vals = parts.map((s, k) => rng(k + 1).uniformF32(size(s), -1, 1));
      const outShape = parts[0].map((d, i) => (i === a ? parts.reduce((t, s) => t + s[a], 0) : d));
      const dyv = rng(8).uniformF32(size(outShape), -1, 1);
      const ours = wg.grads((...xs) => wg.concat(xs, axis))(vals.map((v, k) => wg.tensor(v, parts[k])), wg.tensor(dyv, outShape));
      const theirs = tf.grads((...xs: tf.Tensor[]) => tf.concat(xs, axis))(
        vals.map((v, k) => tf.tensor(v, parts[k])), tf.tensor(dyv, outShape));
      for (let k = 0; k < 3; k++) {
        expect(ours[k].shape).toEqual(parts[k]);
        expect(await ours[k].data()).toEqual(await theirs[k].data());
      }
    });
  }
});
