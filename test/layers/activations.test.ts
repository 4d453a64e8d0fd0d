/**
 * The 'relu6' activation of Dense and Conv2D against TF.js 4.22 (pure-JS CPU backend): outputs
 * and weight gradients of sum(layer(x) * w), with pre-activations spread over [-12, 12] so both
 * kinks (0 and 6) are crossed. Conv layers and poolings run on any spatial size once built (Keras
 * fixes only the channels). Tolerance rtol / atol 1e-4: float32 sums of <= 27 terms of size <= 4.5.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { Rng } from '../util.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TOL = { rtol: 1e-4, atol: 1e-4 };
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

interface Relu6Case {
  readonly name: string;
  readonly layer: () => wg.Layer;
  readonly input: number[];
  readonly weights: number[][];
  /** The TF.js forward on (x, kernel, bias). */
  readonly theirs: (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => tf.Tensor;
}

const CASES: Relu6Case[] = [
  {
    name: 'Dense(relu6)', layer: () => wg.layers.dense({ units: 5, activation: 'relu6' }), input: [8, 8], weights: [[8, 5], [5]],
    theirs: (x, k, b) => tf.relu6(tf.add(tf.matMul(x as tf.Tensor2D, k as tf.Tensor2D), b)),
  },
  {
    name: 'Conv2D(relu6) 3x3 same', layer: () => wg.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu6' }),
    input: [2, 5, 5, 3], weights: [[3, 3, 3, 4], [4]],
    theirs: (x, k, b) => tf.relu6(tf.add(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), b)),
  },
  {
    name: 'DepthwiseConv2D(relu6) 3x3 stride 2',
    layer: () => wg.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' }),
    input: [2, 6, 6, 4], weights: [[3, 3, 4, 1], [4]],
    theirs: (x, k, b) => tf.relu6(tf.add(tf.depthwiseConv2d(x as tf.Tensor4D, k as tf.Tensor4D, 2, 'same'), b)),
  },
];

describe("activation 'relu6'", () => {
  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: min(max(z, 0), 6) and TF's gradient (0 at both kinks) as TF.js`, async () => {
      const r = new Rng(60 + i);
      const xv = r.uniform(size(c.input), -3, 3);
      const ws = c.weights.map((s) => r.uniform(size(s), -1.5, 1.5));
      const layer = c.layer();
      const x = wg.tensor(xv, c.input);
      layer.apply(x).dispose();
      layer.setWeights(ws.map((w, k) => wg.tensor(w, c.weights[k])));
      const out = layer.apply(x);
      const wv = r.uniform(out.size, -1, 1);
      const wt = wg.tensor(wv, [...out.shape]);
      const { value, grads } = wg.variableGrads(() => wg.sum(wg.mul(layer.apply(x), wt)), layer.weights);

      const tx = tf.tensor(Float32Array.from(xv), c.input);
      const tw = tf.tensor(Float32Array.from(wv), [...out.shape]);
      const tws = ws.map((w, k) => tf.tensor(Float32Array.from(w), c.weights[k]));
      const tOut = c.theirs(tx, tws[0], tws[1]);
      const outV = await out.data();
      // Both kinks are crossed: some outputs clipped at 0, some at 6, some in between.
      expect(outV.some((v) => v === 0) && outV.some((v) => v === 6) && outV.some((v) => v > 0 && v < 6)).toBe(true);
      expect(outV).toBeAllClose(tOut.dataSync(), TOL);
      const want = tf.grads((k: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(c.theirs(tx, k, b), tw)))(tws);
      for (const [k, w] of layer.weights.entries()) expect(await grads[w.name].data()).toBeAllClose(want[k].dataSync(), TOL);
      wg.dispose([x, wt, value, out, ...Object.values(grads)]);
    });
  }

  it('is a known name in every layer that takes an activation, and kept in the config', () => {
    expect(wg.layers.dense({ units: 2, activation: 'relu6' }).getConfig().activation).toBe('relu6');
    expect(wg.layers.separableConv2d({ filters: 2, kernelSize: 1, activation: 'relu6' }).getConfig().activation).toBe('relu6');
    expect(() => wg.layers.dense({ units: 2, activation: 'relu7' as never })).toThrow(/unknown activation "relu7" \(use .*relu6/);
  });
});

describe('conv and pooling layers built on one spatial size run on another', () => {
  it('Conv2D, DepthwiseConv2D, SeparableConv2D and the poolings built on 12x12 give TF.js results on 7x5', async () => {
    const r = new Rng(70);
    const convs = [
      wg.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }),
      wg.layers.depthwiseConv2d({ kernelSize: 3 }),
      wg.layers.separableConv2d({ filters: 2, kernelSize: 2 }),
    ];
    const theirs = [
      tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }),
      tf.layers.depthwiseConv2d({ kernelSize: 3 }),
      tf.layers.separableConv2d({ filters: 2, kernelSize: 2 }),
    ];
    const small = r.uniform(2 * 7 * 5 * 3, -1, 1);
    for (const [i, layer] of convs.entries()) {
      layer.apply(wg.zeros([1, 12, 12, 3])).dispose();
      const tx = tf.tensor(Float32Array.from(small), [2, 7, 5, 3]);
      theirs[i].apply(tx);
      theirs[i].setWeights(await Promise.all(layer.weights.map(async (w) => tf.tensor(await w.data(), [...w.shape]))));
      const y = layer.apply(wg.tensor(small, [2, 7, 5, 3]));
      const ty = theirs[i].apply(tx) as tf.Tensor;
      expect(y.shape).toEqual(ty.shape);
      expect(await y.data()).toBeAllClose(ty.dataSync(), TOL);
    }
    const pools = [wg.layers.maxPooling2d({ poolSize: 2 }), wg.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), wg.layers.globalAveragePooling2d()];
    for (const p of pools) p.apply(wg.zeros([1, 12, 12, 3])).dispose();
    expect(pools.map((p) => p.apply(wg.tensor(small, [2, 7, 5, 3])).shape)).toEqual([[2, 3, 2, 3], [2, 4, 3, 3], [2, 3]]);
  });
});
