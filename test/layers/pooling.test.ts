/**
 * Pooling, reshaping and activation layers against TF.js 4.22 layers (same inputs, CPU backend),
 * symbolic shapes with a null batch, save / loadModel round trips and bad-input errors.
 * Tolerances: pooling / softmax of float32 inputs: rtol 1e-5, atol 1e-6.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { rng } from '../util.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TOL = { rtol: 1e-5, atol: 1e-6 };
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

interface Pair { ours: wg.Layer; theirs: tf.layers.Layer; shape: number[] }

function pairs(): [string, Pair][] {
  const nhwc = [2, 5, 6, 3];
  const nchw = [2, 3, 5, 6];
  return [
    ['maxPooling2d 3x2 strides 2 same', { ours: wg.layers.maxPooling2d({ poolSize: [3, 2], strides: 2, padding: 'same' }), theirs: tf.layers.maxPooling2d({ poolSize: [3, 2], strides: 2, padding: 'same' }), shape: nhwc }],
    ['maxPooling2d default', { ours: wg.layers.maxPooling2d(), theirs: tf.layers.maxPooling2d({}), shape: nhwc }],
    ['maxPooling2d channelsFirst', { ours: wg.layers.maxPooling2d({ poolSize: 2, strides: 1, dataFormat: 'channelsFirst' }), theirs: tf.layers.maxPooling2d({ poolSize: 2, strides: 1, dataFormat: 'channelsFirst' }), shape: nchw }],
    ['averagePooling2d 2 valid', { ours: wg.layers.averagePooling2d({ poolSize: 2 }), theirs: tf.layers.averagePooling2d({ poolSize: 2 }), shape: nhwc }],
    ['averagePooling2d 3 strides 2 same', { ours: wg.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), theirs: tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), shape: nhwc }],
    ['averagePooling2d channelsFirst', { ours: wg.layers.averagePooling2d({ poolSize: [2, 3], dataFormat: 'channelsFirst' }), theirs: tf.layers.averagePooling2d({ poolSize: [2, 3], dataFormat: 'channelsFirst' }), shape: nchw }],
    ['globalAveragePooling2d', { ours: wg.layers.globalAveragePooling2d(), theirs: tf.layers.globalAveragePooling2d({}), shape: nhwc }],
    ['globalAveragePooling2d channelsFirst', { ours: wg.layers.globalAveragePooling2d({ dataFormat: 'channelsFirst' }), theirs: tf.layers.globalAveragePooling2d({ dataFormat: 'channelsFirst' }), shape: nchw }],
    ['globalMaxPooling2d', { ours: wg.layers.globalMaxPooling2d(), theirs: tf.layers.globalMaxPooling2d({}), shape: nhwc }],
    ['globalMaxPooling2d channelsFirst', { ours: wg.layers.globalMaxPooling2d({ dataFormat: 'channelsFirst' }), theirs: tf.layers.globalMaxPooling2d({ dataFormat: 'channelsFirst' }), shape: nchw }],
    ['zeroPadding2d [[1,2],[0,3]]', { ours: wg.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]] }), theirs: tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]] }), shape: nhwc }],
    ['zeroPadding2d [1,2] channelsFirst', { ours: wg.layers.zeroPadding2d({ padding: [1, 2], dataFormat: 'channelsFirst' }), theirs: tf.layers.zeroPadding2d({ padding: [1, 2], dataFormat: 'channelsFirst' }), shape: nchw }],
    ['zeroPadding2d default', { ours: wg.layers.zeroPadding2d(), theirs: tf.layers.zeroPadding2d({}), shape: nhwc }],
    ['flatten', { ours: wg.layers.flatten(), theirs: tf.layers.flatten({}), shape: nhwc }],
    ['flatten channelsFirst', { ours: wg.layers.flatten({ dataFormat: 'channelsFirst' }), theirs: tf.layers.flatten({ dataFormat: 'channelsFirst' }), shape: nchw }],
    ['reshape [-1, 9]', { ours: wg.layers.reshape({ targetShape: [-1, 9] }), theirs: tf.layers.reshape({ targetShape: [-1, 9] }), shape: nhwc }],
    ['reLU maxValue 0.5', { ours: wg.layers.reLU({ maxValue: 0.5 }), theirs: tf.layers.reLU({ maxValue: 0.5 }), shape: [3, 7] }],
    // TF.js's softmax layer handles the last axis only (other axes: test/ops/softmax.test.ts), and
    // defaults to axis 1; wgnn defaults to -1 as Keras.
    ['softmax', { ours: wg.layers.softmax(), theirs: tf.layers.softmax({ axis: -1 }), shape: [2, 4, 3] }],
  ];
}

describe('layers vs TF.js layers', () => {
  for (const [what, { ours, theirs, shape }] of pairs()) {
    it(`${what}: output, output shape and symbolic shape`, async () => {
      const xv = rng(size(shape)).uniformF32(size(shape), -1, 1);
      const y = ours.apply(wg.tensor(xv, shape));
      const yt = theirs.apply(tf.tensor(xv, shape)) as tf.Tensor;
      expect(y.shape).toEqual(yt.shape);
      expect(await y.data()).toBeAllClose(await yt.data() as Float32Array, TOL);
      const sym = ours.apply(wg.input({ shape: shape.slice(1) }));
      expect(sym.shape).toEqual([null, ...yt.shape.slice(1)]);
    });
  }

  it('global pooling keepDims keeps size-1 spatial axes (Keras 3)', async () => {
    const x = wg.tensor(rng(1).uniformF32(2 * 3 * 4 * 5), [2, 3, 4, 5]);
    const last = wg.layers.globalMaxPooling2d({ keepDims: true });
    expect(last.apply(x).shape).toEqual([2, 1, 1, 5]);
    expect(await last.apply(x).data()).toBeAllClose(await wg.max(x, [1, 2]).data());
    const first = wg.layers.globalAveragePooling2d({ keepDims: true, dataFormat: 'channelsFirst' });
    expect(first.apply(x).shape).toEqual([2, 3, 1, 1]);
    expect(await first.apply(x).data()).toBeAllClose(await wg.mean(x, [2, 3]).data(), TOL);
    expect(first.apply(wg.input({ shape: [3, 4, 5] })).shape).toEqual([null, 3, 1, 1]);
  });

  it('reLU maxValue, negativeSlope and threshold give what Keras 3 gives (hand values), gradient by branch', async () => {
    const layer = wg.layers.reLU({ maxValue: 2, negativeSlope: 0.5, threshold: 0.5 });
    // min(x * (x > 0.5), 2) + 0.5 * min(x - 0.5, 0).
    expect(await layer.apply(wg.tensor([-3, 0, 0.5, 1, 2, 5])).array()).toEqual([-1.75, -0.25, 0, 1, 2, 2]);
    const g = wg.grad((t) => wg.sum(layer.apply(t)))(wg.tensor([-3, 0, 1, 5]));
    expect(await g.array()).toEqual([0.5, 0.5, 1, 0]);
    // The examples of Keras 3's docs (keras.layers.ReLU, keras.activations.relu).
    const x = wg.tensor([-10, -5, 0, 5, 10]);
    expect(await wg.layers.reLU({ maxValue: 10, negativeSlope: 0.5 }).apply(x).array()).toEqual([-5, -2.5, 0, 5, 10]);
    expect(await wg.layers.reLU({ threshold: 5 }).apply(x).array()).toEqual([0, 0, 0, 0, 10]);
    expect(await wg.layers.reLU({ maxValue: 5 }).apply(x).array()).toEqual([0, 0, 0, 5, 5]);
    expect(await wg.layers.reLU().apply(x).array()).toEqual([0, 0, 0, 5, 10]);
  });
});

describe('save / loadModel round trip', () => {
  it('rebuilds every layer with the same config and the same predictions', async () => {
    const model = wg.sequential({ layers: [
      wg.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]], inputShape: [5, 4, 3] }),
      wg.layers.maxPooling2d({ poolSize: [2, 3], strides: [1, 2], padding: 'same' }),
      wg.layers.averagePooling2d({ poolSize: 2, padding: 'valid' }),
      wg.layers.reLU({ maxValue: 0.7, negativeSlope: 0.1, threshold: 0.05 }),
      wg.layers.flatten({ dataFormat: 'channelsFirst' }),
      wg.layers.reshape({ targetShape: [3, -1] }),
      wg.layers.softmax({ axis: 1 }),
    ] });
    const model2 = wg.sequential({ layers: [
      wg.layers.globalAveragePooling2d({ dataFormat: 'channelsFirst', keepDims: true, inputShape: [3, 4, 5] }),
      wg.layers.globalMaxPooling2d({ dataFormat: 'channelsFirst' }),
    ] });
    for (const [m, shape] of [[model, [2, 5, 4, 3]], [model2, [2, 3, 4, 5]]] as const) {
      const x = wg.tensor(rng(4).uniformF32(size(shape), -1, 1), shape);
      const art = await m.save();
      const json = JSON.parse(JSON.stringify(art.modelTopology)) as wg.ModelTopology;
      const same = await wg.loadModel({ ...art, modelTopology: json });
      expect(same.layers.map((l) => [l.className, l.getConfig()])).toEqual(m.layers.map((l) => [l.className, l.getConfig()]));
      expect(await same.predict(x).data()).toEqual(await m.predict(x).data());
    }
  });
});

describe('bad input: clear errors naming the layer and the values', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['unknown option', () => wg.layers.maxPooling2d({ pool: 2 } as never), /MaxPooling2D 'max_pooling2d.*': unknown option 'pool'/],
    ['zero stride', () => wg.layers.averagePooling2d({ strides: 0 }), /AveragePooling2D '.*': strides must be a positive integer or two, got 0/],
    ['fractional pool', () => wg.layers.maxPooling2d({ poolSize: [2, 1.5] }), /poolSize must be a positive integer or two, got \[2,1.5\]/],
    ['bad padding', () => wg.layers.maxPooling2d({ padding: 'causal' as never }), /padding must be 'valid' or 'same', got "causal"/],
    ['bad data format', () => wg.layers.globalMaxPooling2d({ dataFormat: 'NHWC' as never }), /GlobalMaxPooling2D '.*': dataFormat must be 'channelsLast' or 'channelsFirst', got "NHWC"/],
    ['rank 3 input', () => wg.layers.maxPooling2d().apply(wg.input({ shape: [4, 3] })), /MaxPooling2D '.*': input must have rank 4 \(\[batch, height, width, channels\]\), got \[-1,4,3\]/],
    ['pool larger than input', () => wg.layers.maxPooling2d({ poolSize: 5 }).apply(wg.zeros([1, 4, 6, 2])), /MaxPooling2D '.*': pool 5x5 is larger than the input 4x6 \(input shape \[1,4,6,2\], poolSize \[5,5\], strides \[5,5\], padding "valid", dataFormat "channelsLast"\)/],
    ['negative zero padding', () => wg.layers.zeroPadding2d({ padding: [1, -1] }), /ZeroPadding2D '.*': padding must be a non-negative integer, \[h, w\] or \[\[top, bottom\], \[left, right\]\], got \[1,-1\]/],
    ['reshape mismatch', () => wg.layers.reshape({ targetShape: [4, -1] }).apply(wg.input({ shape: [3, 3] })), /Reshape '.*': cannot reshape input \[-1,3,3\] \(9 values per sample\) to targetShape \[4,-1\]/],
    ['two -1 in reshape', () => wg.layers.reshape({ targetShape: [-1, -1] }), /targetShape must be positive integers with at most one -1, got \[-1,-1\]/],
    ['negative maxValue', () => wg.layers.reLU({ maxValue: -1 }), /ReLU '.*': maxValue must be a number >= 0 or null, got -1/],
    ['negative slope', () => wg.layers.reLU({ negativeSlope: -0.1 }), /negativeSlope must be a number >= 0, got -0.1/],
    ['negative threshold', () => wg.layers.reLU({ threshold: -1 }), /ReLU '.*': threshold must be a finite number >= 0, got -1/],
    ['softmax axis', () => wg.layers.softmax({ axis: 3 }).apply(wg.zeros([2, 3])), /Softmax '.*': axis 3 is out of range for input of rank 2/],
  ];
  for (const [what, f, re] of cases) {
    it(what, () => {
      expect(f).toThrow(re);
    });
  }
});

describe('training through the layers', () => {
  it('fit with SGD through zeroPadding2d / maxPooling2d / averagePooling2d / flatten / dense(softmax) ends with TF.js weights', async () => {
    const n = 6;
    const xv = rng(21).uniformF32(n * 5 * 6 * 2, -1, 1);
    const yv = Float32Array.from({ length: n * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
    const ours = wg.sequential({ layers: [
      wg.layers.zeroPadding2d({ padding: [1, 0], inputShape: [5, 6, 2] }),
      wg.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
      wg.layers.averagePooling2d({ poolSize: [3, 2], strides: 2, padding: 'same' }),
      wg.layers.flatten(),
      wg.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: { name: 'glorotUniform', seed: 3 } }),
    ] });
    const theirs = tf.sequential({ layers: [
      tf.layers.zeroPadding2d({ padding: [1, 0], inputShape: [5, 6, 2] }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
      tf.layers.averagePooling2d({ poolSize: [3, 2], strides: 2, padding: 'same' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ] });
    ours.build([5, 6, 2]);
    const dense = ours.layers[4];
    theirs.layers[4].setWeights(await Promise.all(dense.weights.map(async (w) => tf.tensor(await w.data(), [...w.shape]))));
    ours.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.5 }), loss: 'meanSquaredError' });
    theirs.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
    const h = await ours.fit(wg.tensor(xv, [n, 5, 6, 2]), wg.tensor(yv, [n, 3]), { batchSize: 4, epochs: 2, shuffle: false });
    const ht = await theirs.fit(tf.tensor(xv, [n, 5, 6, 2]), tf.tensor(yv, [n, 3]), { batchSize: 4, epochs: 2, shuffle: false, verbose: 0 });
    expect(h.history.loss).toBeAllClose(ht.history.loss as number[], { rtol: 1e-4 });
    const want = theirs.layers[4].getWeights();
    for (const [i, w] of dense.weights.entries()) expect(await w.data()).toBeAllClose(await want[i].data() as Float32Array, { rtol: 1e-4, atol: 1e-6 });
  });
});
