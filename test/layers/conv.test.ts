/**
 * Conv2D, DepthwiseConv2D and SeparableConv2D: outputs and weight gradients against TF.js 4.22
 * layers holding the same weights (TF.js pure-JS CPU backend), config and save / loadModel round
 * trips, Keras initializer fans, and bad input (message text asserted, weights unchanged).
 * Tolerance rtol / atol 1e-4: float32 sums of <= 3 * 3 * 8 terms of size <= 1, on CPU and WebGPU.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { Rng } from '../util.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TOL = { rtol: 1e-4, atol: 1e-4 };

interface LayerCase {
  readonly name: string;
  readonly make: () => wg.Layer;
  readonly theirs: () => tf.layers.Layer;
  readonly input: number[];
}

const CASES: LayerCase[] = [
  {
    name: 'Conv2D 3x3 same stride 2 relu',
    make: () => wg.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: { name: 'glorotUniform', seed: 1 } }),
    theirs: () => tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
    input: [2, 7, 6, 3],
  },
  {
    name: 'Conv2D [3,2] valid dilation 2 tanh, no bias',
    make: () => wg.layers.conv2d({ filters: 5, kernelSize: [3, 2], dilationRate: 2, activation: 'tanh', useBias: false }),
    theirs: () => tf.layers.conv2d({ filters: 5, kernelSize: [3, 2], dilationRate: 2, activation: 'tanh', useBias: false }),
    input: [1, 8, 7, 2],
  },
  {
    name: 'DepthwiseConv2D 3x3 same multiplier 2 sigmoid',
    make: () => wg.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'sigmoid' }),
    theirs: () => tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'sigmoid' }),
    input: [2, 5, 6, 3],
  },
  {
    name: 'SeparableConv2D 3x3 valid stride 2 linear',
    make: () => wg.layers.separableConv2d({ filters: 6, kernelSize: 3, strides: 2, depthMultiplier: 2 }),
    theirs: () => tf.layers.separableConv2d({ filters: 6, kernelSize: 3, strides: 2, depthMultiplier: 2 }),
    input: [1, 7, 7, 4],
  },
];

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

async function values(ts: readonly wg.Tensor[]): Promise<Float32Array[]> {
  return Promise.all(ts.map((t) => t.data()));
}

describe('conv layers match TF.js layers with the same weights', () => {
  for (const [i, c] of CASES.entries()) {
    // TF.js 4.22 has no conv gradient for dilations > 1 (test/ops/conv.test.ts checks those against float64).
    const tfGrads = !c.name.includes('dilation');
    it(`${c.name}: output${tfGrads ? ' and weight gradients' : ''}`, async () => {
      const r = new Rng(20 + i);
      const xv = r.uniform(size(c.input), -1, 1);
      const layer = c.make();
      const x = wg.tensor(xv, c.input);
      layer.apply(x).dispose();
      // Non-zero biases so that the bias path is exercised.
      const ws = await Promise.all(layer.weights.map(async (w) => Float32Array.from(await w.data(), (v, k) => (v === 0 ? 0.1 * ((k % 5) - 2) : v))));
      layer.setWeights(ws.map((w, k) => wg.tensor(w, [...layer.weights[k].shape])));
      const out = layer.apply(x);
      const wv = r.uniform(out.size, -1, 1);
      const wt = wg.tensor(wv, [...out.shape]);
      const { value, grads } = wg.variableGrads(() => wg.sum(wg.mul(layer.apply(x), wt)), layer.weights);

      const theirs = c.theirs();
      const tx = tf.tensor(Float32Array.from(xv), c.input);
      theirs.apply(tx);
      theirs.setWeights(ws.map((w, k) => tf.tensor(w, [...layer.weights[k].shape])));
      const tOut = theirs.apply(tx) as tf.Tensor;
      const tw = tf.tensor(Float32Array.from(wv), tOut.shape);
      expect(out.shape).toEqual(tOut.shape);
      expect(await out.data()).toBeAllClose(tOut.dataSync(), TOL);
      expect(await value.data()).toBeAllClose(tf.sum(tf.mul(tOut, tw)).dataSync(), TOL);
      // TF.js layers do not differentiate with respect to their weights: the ops they run do.
      if (tfGrads) {
        const wantGrads = tfWeightGrads(c, tx, tw, ws, layer);
        const got = await values(layer.weights.map((w) => grads[w.name]));
        got.forEach((g, k) => expect(g).toBeAllClose(wantGrads[k], TOL));
      }
      wg.dispose([x, wt, value, out, ...Object.values(grads)]);
    });
  }
});

/** Weight gradients of sum(layer(x) * w) with TF.js ops (conv2d / depthwiseConv2d / separableConv2d). */
function tfWeightGrads(c: LayerCase, x: tf.Tensor, w: tf.Tensor, ws: Float32Array[], layer: wg.Layer): Float32Array[] {
  const cfg = layer.getConfig() as { strides: [number, number]; padding: 'valid' | 'same'; dilationRate: [number, number]; activation: string };
  const act = (t: tf.Tensor): tf.Tensor => (cfg.activation === 'relu' ? tf.relu(t) : cfg.activation === 'tanh' ? tf.tanh(t) : cfg.activation === 'sigmoid' ? tf.sigmoid(t) : t);
  const shapes = layer.weights.map((v) => [...v.shape]);
  const f = (...p: tf.Tensor[]): tf.Tensor => {
    const x4 = x as tf.Tensor4D;
    let y: tf.Tensor;
    if (c.name.startsWith('Conv2D')) y = tf.conv2d(x4, p[0] as tf.Tensor4D, cfg.strides, cfg.padding, 'NHWC', cfg.dilationRate);
    else if (c.name.startsWith('Depthwise')) y = tf.depthwiseConv2d(x4, p[0] as tf.Tensor4D, cfg.strides, cfg.padding, 'NHWC', cfg.dilationRate);
    else y = tf.separableConv2d(x4, p[0] as tf.Tensor4D, p[1] as tf.Tensor4D, cfg.strides, cfg.padding, cfg.dilationRate);
    const hasBias = p.length > (c.name.startsWith('Separable') ? 2 : 1);
    return tf.sum(tf.mul(act(hasBias ? tf.add(y, p[p.length - 1]) : y), w));
  };
  return tf.grads(f)(ws.map((v, k) => tf.tensor(v, shapes[k]))).map((t) => t.dataSync() as Float32Array);
}

describe('conv layer config and weights', () => {
  it('names weights as Keras and uses Keras default initializers (glorot fans include the receptive field)', async () => {
    const conv = wg.layers.conv2d({ filters: 8, kernelSize: [3, 5], name: 'c_init' });
    conv.apply(wg.zeros([1, 6, 6, 4])).dispose();
    expect(conv.weights.map((w) => [w.name, [...w.shape]])).toEqual([['c_init/kernel', [3, 5, 4, 8]], ['c_init/bias', [8]]]);
    const k = await conv.weights[0].data();
    const limit = Math.sqrt(6 / (15 * 4 + 15 * 8));
    expect(Math.max(...k.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...k.map(Math.abs))).toBeGreaterThan(0.8 * limit);
    expect(Array.from(await conv.weights[1].data())).toEqual(new Array(8).fill(0));
    const sep = wg.layers.separableConv2d({ filters: 3, kernelSize: 3, depthMultiplier: 2, name: 's_init' });
    sep.apply(wg.zeros([1, 5, 5, 2])).dispose();
    expect(sep.weights.map((w) => [w.name, [...w.shape]])).toEqual([
      ['s_init/depthwise_kernel', [3, 3, 2, 2]], ['s_init/pointwise_kernel', [1, 1, 4, 3]], ['s_init/bias', [3]],
    ]);
    const dw = wg.layers.depthwiseConv2d({ kernelSize: 3, name: 'd_init', useBias: false });
    dw.apply(wg.zeros([1, 5, 5, 2])).dispose();
    expect(dw.weights.map((w) => w.name)).toEqual(['d_init/depthwise_kernel']);
  });

  it('channelsFirst gives the channelsLast result transposed', async () => {
    const a = wg.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', strides: 2, kernelInitializer: { name: 'glorotUniform', seed: 5 } });
    const b = wg.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', strides: 2, dataFormat: 'channelsFirst', kernelInitializer: { name: 'glorotUniform', seed: 5 } });
    const x = wg.randomUniform([2, 5, 6, 2], { seed: 9 });
    const ya = a.apply(x);
    const yb = b.apply(wg.transpose(x, [0, 3, 1, 2]));
    expect(yb.shape).toEqual([2, 3, 3, 3]);
    expect(await wg.transpose(yb, [0, 2, 3, 1]).data()).toBeAllClose(await ya.data(), TOL);
  });

  it('save / loadModel rebuilds a conv model with the same predictions', async () => {
    const inp = wg.input({ shape: [8, 8, 3] });
    const l1 = wg.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: { name: 'glorotUniform', seed: 2 } });
    const l2 = wg.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 2, depthwiseInitializer: { name: 'glorotUniform', seed: 3 } });
    const l3 = wg.layers.separableConv2d({ filters: 2, kernelSize: [2, 3], dataFormat: 'channelsLast', depthwiseInitializer: { name: 'glorotUniform', seed: 4 }, pointwiseInitializer: { name: 'glorotUniform', seed: 5 } });
    const model = wg.model({ inputs: inp, outputs: l3.apply(l2.apply(l1.apply(inp))) });
    const art = await model.save();
    const same = await wg.loadModel({ ...art, modelTopology: JSON.parse(JSON.stringify(art.modelTopology)) });
    expect(same.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
    const x = wg.randomUniform([2, 8, 8, 3], { seed: 6 });
    expect(Array.from(await same.predict(x).data())).toEqual(Array.from(await model.predict(x).data()));
  });
});

describe('conv layer bad input', () => {
  it('rejects bad options at construction', () => {
    expect(() => wg.layers.conv2d({ filters: 2, kernelSize: 3, kernel_size: 3 } as never)).toThrow(/Conv2D 'conv2d.*': unknown option 'kernel_size'/);
    expect(() => wg.layers.conv2d({ filters: 0, kernelSize: 3 })).toThrow(/Conv2D '.*': filters must be a positive integer, got 0/);
    expect(() => wg.layers.conv2d({ filters: 2, kernelSize: [3, 0] })).toThrow(/kernelSize must be a positive integer or a pair of them, got \[3,0\]/);
    expect(() => wg.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 })).toThrow(/strides > 1 together with dilationRate > 1 is not supported/);
    expect(() => wg.layers.conv2d({ filters: 2, kernelSize: 3, strides: 0 })).toThrow(/Conv2D '.*': strides must be a positive integer or a pair of them, got 0/);
    expect(() => wg.layers.conv2d({ filters: 2, kernelSize: 3, strides: [1, -2] })).toThrow(/strides must be a positive integer or a pair of them, got \[1,-2\]/);
    expect(() => wg.layers.depthwiseConv2d({ kernelSize: 3, strides: 1.5 })).toThrow(/DepthwiseConv2D '.*': strides must be a positive integer or a pair of them, got 1.5/);
    expect(() => wg.layers.separableConv2d({ filters: 2, kernelSize: 3, dilationRate: 0 })).toThrow(/SeparableConv2D '.*': dilationRate must be a positive integer or a pair of them, got 0/);
    expect(() => wg.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: [2, 0.5] })).toThrow(/dilationRate must be a positive integer or a pair of them, got \[2,0.5\]/);
    expect(() => wg.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'causal' as never })).toThrow(/padding must be 'valid' or 'same', got "causal"/);
    expect(() => wg.layers.depthwiseConv2d({ kernelSize: 3, dataFormat: 'NHWC' as never })).toThrow(/DepthwiseConv2D '.*': dataFormat must be 'channelsLast' or 'channelsFirst', got "NHWC"/);
    expect(() => wg.layers.separableConv2d({ filters: 2, kernelSize: 3, depthMultiplier: 1.5 })).toThrow(/SeparableConv2D '.*': depthMultiplier must be a positive integer, got 1.5/);
  });

  it('rejects bad inputs with the shapes and options, leaving the weights unchanged', async () => {
    const conv = wg.layers.conv2d({ filters: 2, kernelSize: 3, name: 'c_bad' });
    conv.apply(wg.zeros([1, 5, 5, 3])).dispose();
    const before = await Promise.all(conv.weights.map((w) => w.data()));
    expect(() => conv.apply(wg.zeros([1, 5, 5, 4]))).toThrow(
      /Conv2D 'c_bad': input has 4 channels but the layer was built for 3 \(input shape \[1,5,5,4\], kernelSize \[3,3\], strides \[1,1\], padding 'valid', dilationRate \[1,1\], dataFormat 'channelsLast'\)/,
    );
    expect(() => conv.apply(wg.zeros([5, 5, 3]))).toThrow(/Conv2D 'c_bad': input must have rank 4, got rank 3 \(input shape \[5,5,3\]/);
    expect(() => conv.apply(wg.zeros([1, 2, 5, 3]))).toThrow(/Conv2D 'c_bad': the kernel does not fit the padded input: output would be 0x3 \(input shape \[1,2,5,3\]/);
    const after = await Promise.all(conv.weights.map((w) => w.data()));
    expect(after).toEqual(before);
    expect(conv.weights.length).toBe(2);
  });
});

describe('a conv model trains as in TF.js', () => {
  it('Conv2D(relu) -> DepthwiseConv2D -> SeparableConv2D(tanh), SGD with momentum: same weights and losses after 2 epochs', async () => {
    const r = new Rng(77);
    const [n, side, c] = [6, 7, 2];
    const xv = r.uniform(n * side * side * c, -1, 1);
    const yv = r.uniform(n * 2 * 2 * 3, -0.5, 0.5);
    const init = (seed: number) => ({ name: 'glorotUniform' as const, seed });
    const model = wg.sequential({ layers: [
      wg.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [side, side, c], kernelInitializer: init(1) }),
      wg.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 2, depthwiseInitializer: init(2) }),
      wg.layers.separableConv2d({ filters: 3, kernelSize: 2, activation: 'tanh', depthwiseInitializer: init(3), pointwiseInitializer: init(4) }),
    ] });
    const ref = tf.sequential({ layers: [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [side, side, c] }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 2 }),
      tf.layers.separableConv2d({ filters: 3, kernelSize: 2, activation: 'tanh' }),
    ] });
    const x = wg.tensor(xv, [n, side, side, c]);
    const y = wg.tensor(yv, [n, 2, 2, 3]);
    model.predict(x).dispose();
    for (const [i, l] of model.layers.entries()) {
      ref.layers[i].setWeights(await Promise.all(l.weights.map(async (w) => tf.tensor(await w.data(), [...w.shape]))));
    }
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }), loss: 'meanSquaredError' });
    ref.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: 'meanSquaredError' });
    const h = await model.fit(x, y, { batchSize: 4, epochs: 2, shuffle: false });
    const hr = await ref.fit(tf.tensor(Float32Array.from(xv), [n, side, side, c]), tf.tensor(Float32Array.from(yv), [n, 2, 2, 3]),
      { batchSize: 4, epochs: 2, shuffle: false, verbose: 0 });
    expect(h.history.loss).toBeAllClose(hr.history.loss as number[], { rtol: 1e-4 });
    const theirs = ref.layers.flatMap((l) => l.getWeights());
    const ours = model.layers.flatMap((l) => l.weights);
    expect(ours.map((w) => [...w.shape])).toEqual(theirs.map((w) => w.shape));
    for (let i = 0; i < ours.length; i++) expect(await ours[i].data()).toBeAllClose(theirs[i].dataSync(), { rtol: 1e-4, atol: 1e-5 });
    wg.dispose([x, y]);
  });
});
