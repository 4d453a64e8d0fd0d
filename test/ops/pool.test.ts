/**
 * maxPool / avgPool forward and gradient against TF.js 4.22 (CPU backend, tf.maxPool /
 * tf.avgPool / tf.grad), the float64 CPU reference and float64 finite differences.
 * Tolerances: a pooled value is one input (max) or a mean of <= 12 float32 inputs (avg), and a
 * gradient cell sums <= 9 window contributions, so rtol 1e-5 / atol 1e-6 covers float32 rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { f64, scalarF64 } from '../reference.js';
import { finiteDifference, rng } from '../util.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Pad = 'valid' | 'same';
interface Case { shape: [number, number, number, number]; pool: [number, number]; strides: [number, number]; padding: Pad }

const CASES: Case[] = [
  { shape: [1, 5, 5, 1], pool: [2, 2], strides: [1, 1], padding: 'valid' },
  { shape: [1, 5, 5, 3], pool: [3, 3], strides: [2, 2], padding: 'same' },
  { shape: [2, 6, 4, 5], pool: [2, 2], strides: [2, 2], padding: 'valid' },
  { shape: [1, 7, 6, 3], pool: [3, 2], strides: [3, 3], padding: 'same' },
  { shape: [2, 4, 7, 1], pool: [2, 3], strides: [1, 2], padding: 'same' },
  { shape: [1, 6, 6, 64], pool: [3, 3], strides: [2, 1], padding: 'valid' },
  { shape: [1, 3, 5, 3], pool: [4, 4], strides: [3, 3], padding: 'same' },
];

const OPS = [
  ['maxPool', wg.maxPool, tf.maxPool],
  ['avgPool', wg.avgPool, tf.avgPool],
] as const;

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * TF.js's avgPool gradient divides every window by its full size, also for 'same' border windows
 * whose forward divides by the valid count (so its gradient is not the forward's derivative).
 * The reference for 'same' is therefore TF.js's own 'valid' avgPool on the explicitly zero-padded
 * input, rescaled by full / valid count: the same forward, differentiated by tf.grad.
 */
function tfAvgPoolSame(x: tf.Tensor4D, pool: [number, number], strides: [number, number]): tf.Tensor4D {
  const pads = [1, 2].map((ax, k) => {
    const out = Math.ceil(x.shape[ax] / strides[k]);
    const total = Math.max((out - 1) * strides[k] + pool[k] - x.shape[ax], 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)] as [number, number];
  });
  const padAll: [number, number][] = [[0, 0], pads[0], pads[1], [0, 0]];
  const validShare = tf.avgPool(tf.pad(tf.onesLike(x), padAll), pool, strides, 'valid');
  return tf.div(tf.avgPool(tf.pad(x, padAll), pool, strides, 'valid'), validShare);
}
const TOL = { rtol: 1e-5, atol: 1e-6 };

describe('maxPool / avgPool vs TF.js', () => {
  for (const c of CASES) {
    for (const [name, ours, theirs] of OPS) {
      it(`${name} ${JSON.stringify(c.shape)} pool ${c.pool} strides ${c.strides} ${c.padding}: forward and gradient, NHWC and NCHW`, async () => {
        const xv = rng(size(c.shape)).uniformF32(size(c.shape), -2, 2);
        const xt = tf.tensor4d(xv, c.shape);
        const yt = theirs(xt, c.pool, c.strides, c.padding);
        const dyv = rng(7).uniformF32(size(yt.shape), -1, 1);
        const ref = name === 'avgPool' && c.padding === 'same'
          ? (t: tf.Tensor) => tfAvgPoolSame(t as tf.Tensor4D, c.pool, c.strides)
          : (t: tf.Tensor) => theirs(t as tf.Tensor4D, c.pool, c.strides, c.padding);
        const dxt = tf.grad(ref)(xt, tf.tensor(dyv, yt.shape));
        const opts = { poolSize: c.pool, strides: c.strides, padding: c.padding };

        const x = wg.tensor(xv, c.shape);
        const y = ours(x, opts);
        expect(y.shape).toEqual(yt.shape);
        expect(await y.data()).toBeAllClose(await yt.data() as Float32Array, TOL);
        const dx = wg.grad((t) => ours(t, opts))(x, wg.tensor(dyv, y.shape));
        expect(await dx.data()).toBeAllClose(await dxt.data() as Float32Array, TOL);

        // NCHW: the same numbers, transposed in and out.
        const xc = wg.transpose(x, [0, 3, 1, 2]);
        const nchw = { ...opts, dataFormat: 'NCHW' as const };
        const yc = ours(xc, nchw);
        expect(await wg.transpose(yc, [0, 2, 3, 1]).data()).toBeAllClose(await yt.data() as Float32Array, TOL);
        const dyc = wg.transpose(wg.tensor(dyv, y.shape), [0, 3, 1, 2]);
        const dxc = wg.grad((t) => ours(t, nchw))(xc, dyc);
        expect(await wg.transpose(dxc, [0, 2, 3, 1]).data()).toBeAllClose(await dxt.data() as Float32Array, TOL);
        wg.dispose([x, y, dx, xc, yc, dyc, dxc]);
        tf.dispose([xt, yt, dxt]);
      });
    }
  }
});

describe('maxPool / avgPool vs float64 reference and finite differences', () => {
  const small: Case[] = [
    { shape: [1, 4, 5, 2], pool: [2, 3], strides: [2, 1], padding: 'same' },
    { shape: [1, 5, 3, 1], pool: [3, 3], strides: [3, 3], padding: 'same' },
  ];
  for (const c of small) {
    for (const format of ['NHWC', 'NCHW'] as const) {
      for (const [name, ours] of OPS) {
        it(`${name} ${format} ${JSON.stringify(c.shape)}: float64 gradient matches central differences`, async () => {
          const shape = format === 'NHWC' ? c.shape : [c.shape[0], c.shape[3], c.shape[1], c.shape[2]];
          const opts = { poolSize: c.pool, strides: c.strides, padding: c.padding, dataFormat: format };
          const x = rng(3).uniform(size(shape), -1, 1);
          const yShape = wg.maxPool(wg.zeros(shape), opts).shape;
          const w = rng(5).uniform(size(yShape), -1, 1);
          const loss = (t: wg.Tensor) => wg.sum(wg.mul(ours(t, opts), wg.tensor(w, yShape)));
          const fd = finiteDifference(scalarF64(shape, loss), x);
          const g64 = f64(() => wg.grad(loss)(wg.tensor(x, shape)));
          expect(g64).toBeAllClose(fd, { rtol: 1e-6, atol: 1e-7 });
          // The project's backend against the float64 reference, forward and backward.
          const xt = wg.tensor(x, shape);
          expect(await ours(xt, opts).data()).toBeAllClose(f64(() => ours(wg.tensor(x, shape), opts)), TOL);
          expect(await wg.grad(loss)(xt).data()).toBeAllClose(g64, TOL);
        });
      }
    }
  }

  it('maxPool ties: the gradient goes to the first largest cell in window order, as TF.js', async () => {
    const xv = [1, 3, 3, 2, 3, 0, 1, 3, 3];
    const x = wg.tensor(xv, [1, 3, 3, 1]);
    const opts = { poolSize: 2, strides: 1, padding: 'valid' } as const;
    const dx = wg.grad((t) => wg.sum(wg.maxPool(t, opts)))(x);
    const xt = tf.tensor4d(xv, [1, 3, 3, 1]);
    const dxt = tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 1, 'valid')))(xt);
    expect(await dx.data()).toBeAllClose(await dxt.data() as Float32Array);
    // Hand check: windows (0,0) (0,1) (1,0) (1,1) pick cells 1, 1, 4, 4 (first 3 in row-major order).
    expect(await dx.array()).toEqual([[[[0], [2], [0]], [[0], [2], [0]], [[0], [0], [0]]]]);
  });

  it('avgPool same: border windows average their valid cells only (hand values)', async () => {
    const x = wg.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const y = wg.avgPool(x, { poolSize: 2, strides: 2, padding: 'same' });
    // ceil(3 / 2) = 2; pad total 1, all at bottom / right.
    expect(await y.array()).toEqual([[[[3], [4.5]], [[7.5], [9]]]]);
  });

  it("deliberate difference: TF.js's avgPool 'same' gradient divides border windows by the full size; ours is the derivative", async () => {
    const xv = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const xt = tf.tensor4d(xv, [1, 3, 3, 1]);
    const theirs = await tf.grad((t: tf.Tensor) => tf.sum(tf.avgPool(t as tf.Tensor4D, 2, 2, 'same')))(xt).data();
    const ours = await wg.grad((t) => wg.sum(wg.avgPool(t, { poolSize: 2, strides: 2, padding: 'same' })))(wg.tensor(xv, [1, 3, 3, 1])).data();
    // Windows: 2x2 (4 cells), 2x1, 1x2, 1x1; each cell gets 1 / (valid cells of its window).
    expect(Array.from(ours)).toEqual([0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.5, 0.5, 1]);
    expect(Array.from(theirs)).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
  });

  it('strides default to poolSize, padding to valid', async () => {
    const y = wg.maxPool(wg.zeros([1, 6, 4, 2]), { poolSize: [3, 2] });
    expect(y.shape).toEqual([1, 2, 2, 2]);
  });
});

describe('maxPool / avgPool bad input', () => {
  const x = wg.zeros([1, 4, 4, 3]);
  const cases: [string, () => unknown, RegExp][] = [
    ['rank 3', () => wg.maxPool(wg.zeros([4, 4, 3]), { poolSize: 2 }), /maxPool: input must have rank 4, got rank 3 \(input shape \[4,4,3\], poolSize 2, strides 2, padding "valid", dataFormat "NHWC"\)/],
    ['pool larger than input', () => wg.avgPool(x, { poolSize: [5, 2], strides: 1 }), /avgPool: pool 5x2 is larger than the input 4x4 \(input shape \[1,4,4,3\], poolSize \[5,2\], strides 1, padding "valid"/],
    ['zero stride', () => wg.maxPool(x, { poolSize: 2, strides: 0 }), /maxPool: strides must be a positive integer or two \(input shape \[1,4,4,3\], poolSize 2, strides 0/],
    ['negative stride', () => wg.maxPool(x, { poolSize: 2, strides: [1, -1] }), /maxPool: strides must be .*strides \[1,-1\]/],
    ['fractional stride', () => wg.maxPool(x, { poolSize: 2, strides: 1.5 }), /maxPool: strides must be .*strides 1.5/],
    ['bad padding', () => wg.maxPool(x, { poolSize: 2, padding: 'full' as 'same' }), /maxPool: padding must be 'valid' or 'same' .*padding "full"/],
    ['bad data format', () => wg.avgPool(x, { poolSize: 2, dataFormat: 'NWHC' as 'NHWC' }), /avgPool: dataFormat must be 'NHWC' or 'NCHW' .*dataFormat "NWHC"/],
    ['bad pool size', () => wg.avgPool(x, { poolSize: 0 }), /avgPool: poolSize must be a positive integer or two/],
    ['unknown option', () => wg.maxPool(x, { poolSize: 2, dilations: 2 } as wg.PoolOptions), /maxPool: unknown option 'dilations'/],
  ];
  for (const [what, f, re] of cases) {
    it(`${what}: a clear error`, () => {
      expect(f).toThrow(re);
    });
  }
  it("'same' accepts a pool larger than the input (as TF)", () => {
    expect(wg.maxPool(wg.zeros([1, 2, 3, 1]), { poolSize: 4, strides: 1, padding: 'same' }).shape).toEqual([1, 2, 3, 1]);
  });
});
