/**
 * softmax / logSoftmax (forward, gradient) against TF.js 4.22 (tf.softmax, tf.logSoftmax,
 * tf.grad), float64 and finite differences; and global pooling through mean / max over the
 * spatial axes, with max's gradient on ties as TF.js (every tied cell gets dy).
 * Tolerances: a row of n float32 terms: rtol 1e-5, atol 1e-6 (n <= 64 here).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { f64, scalarF64 } from '../reference.js';
import { finiteDifference, rng } from '../util.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TOL = { rtol: 1e-5, atol: 1e-6 };
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const OPS = [['softmax', wg.softmax, tf.softmax], ['logSoftmax', wg.logSoftmax, tf.logSoftmax]] as const;

describe('softmax / logSoftmax', () => {
  // [1, 64], [2, 300] and [300, 3] axis 0 take the GPU's workgroup-per-row path (rows of >= 64).
  const cases: [number[], number][] = [[[3, 5], -1], [[2, 3, 4], 1], [[4, 3, 2], 0], [[1, 64], -1], [[7], 0], [[2, 300], -1], [[300, 3], 0]];
  for (const [shape, axis] of cases) {
    for (const [name, ours, theirs] of OPS) {
      it(`${name} ${JSON.stringify(shape)} axis ${axis}: forward and gradient vs TF.js`, async () => {
        const xv = rng(size(shape)).uniformF32(size(shape), -3, 3);
        const dyv = rng(2).uniformF32(size(shape), -1, 1);
        // TF.js softmax works on the last axis only: move `axis` there and back.
        const rank = shape.length;
        const a = axis < 0 ? axis + rank : axis;
        const perm = [...shape.keys()].filter((d) => d !== a).concat([a]);
        const inv = perm.map((_, i) => perm.indexOf(i));
        const ref = (t: tf.Tensor) => tf.transpose(theirs(tf.transpose(t, perm)), inv);
        const xt = tf.tensor(xv, shape);
        const yt = ref(xt);
        const dxt = tf.grad(ref)(xt, tf.tensor(dyv, shape));
        const x = wg.tensor(xv, shape);
        expect(await ours(x, axis).data()).toBeAllClose(await yt.data() as Float32Array, TOL);
        const dx = wg.grad((t) => ours(t, axis))(x, wg.tensor(dyv, shape));
        expect(await dx.data()).toBeAllClose(await dxt.data() as Float32Array, TOL);
      });
    }
  }

  for (const [name, ours] of OPS) {
    it(`${name}: float64 gradient matches central differences; backend matches float64`, async () => {
      const shape = [2, 4, 3];
      const x = rng(9).uniform(24, -2, 2);
      const w = rng(4).uniform(24, -1, 1);
      const loss = (t: wg.Tensor) => wg.sum(wg.mul(ours(t, 1), wg.tensor(w, shape)));
      const g64 = f64(() => wg.grad(loss)(wg.tensor(x, shape)));
      expect(g64).toBeAllClose(finiteDifference(scalarF64(shape, loss), x), { rtol: 1e-6, atol: 1e-8 });
      expect(await wg.grad(loss)(wg.tensor(x, shape)).data()).toBeAllClose(g64, TOL);
      expect(await ours(wg.tensor(x, shape), 1).data()).toBeAllClose(f64(() => ours(wg.tensor(x, shape), 1)), TOL);
    });

    it(`${name}: logits of 1e4 stay finite and match the shifted logits`, async () => {
      const big = wg.tensor([[1e4, 1e4 - 1, 1e4 - 3], [-1e4, 0, 1e4]]);
      const y = await ours(big).data();
      expect(y.every(Number.isFinite)).toBe(true);
      const want = await ours(wg.tensor([[0, -1, -3], [-2e4, -1e4, 0]])).data();
      expect(y).toBeAllClose(want, TOL);
      const g = await wg.grad((t) => wg.sum(wg.mul(ours(t), wg.tensor([[1, 2, 3], [3, 2, 1]]))))(big).data();
      expect(g.every(Number.isFinite)).toBe(true);
    });
  }

  it('softmax of a scalar is a clear error', () => {
    expect(() => wg.softmax(wg.scalar(1))).toThrow(/softmax: input must have rank >= 1, got a scalar/);
    expect(() => wg.logSoftmax(wg.zeros([2, 3]), 2)).toThrow(/logSoftmax: axis 2 is out of range for a tensor of rank 2/);
  });
});

describe('global pooling through mean / max over the spatial axes', () => {
  it('mean and max over [1, 2] (NHWC) and [2, 3] (NCHW): forward and gradient vs TF.js, ties included', async () => {
    // Integer values in a small range: many ties inside each channel.
    const xv = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => (i * 7) % 5);
    const dyv = rng(1).uniformF32(10, -1, 1);
    const xt = tf.tensor4d(xv, [2, 3, 4, 5]);
    const x = wg.tensor(xv, [2, 3, 4, 5]);
    const dy = wg.tensor(dyv, [2, 5]);
    for (const op of ['mean', 'max'] as const) {
      const ref = (t: tf.Tensor) => tf[op](t, [1, 2]);
      expect(await wg[op](x, [1, 2]).data()).toBeAllClose(await ref(xt).data() as Float32Array, TOL);
      const dxt = tf.grad(ref)(xt, tf.tensor(dyv, [2, 5]));
      const dx = wg.grad((t) => wg[op](t, [1, 2]))(x, dy);
      expect(await dx.data(), op).toBeAllClose(await dxt.data() as Float32Array, TOL);
      const xc = wg.transpose(x, [0, 3, 1, 2]);
      const dxc = wg.grad((t) => wg[op](t, [2, 3]))(xc, dy);
      expect(await wg.transpose(dxc, [0, 2, 3, 1]).data(), `${op} NCHW`).toBeAllClose(await dxt.data() as Float32Array, TOL);
    }
  });

  it('max gradient on ties: every tied cell gets the full dy (TF.js gradForMinAndMax), hand values', async () => {
    const g = wg.grad((t) => wg.sum(wg.max(t, [1, 2])))(wg.tensor([[[[1], [3]], [[3], [2]]]]));
    expect(await g.array()).toEqual([[[[0], [1]], [[1], [0]]]]);
  });
});
