/**
 * Parity with TF.js layers (@tensorflow/tfjs 4.22 on its pure-JS CPU backend), with wgnn on the
 * project's backend (CPU, Dawn, Chromium): a Dense-BN-Dense model with identical initial weights, shuffle off, trained with SGD
 * + momentum and with RMSprop, must end with the same weights and moving statistics. Then one
 * test per deliberate difference from TF.js (SEMANTICS.md).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const X = Array.from({ length: 10 }, (_, i) => [Math.sin(i + 1) * 3, Math.cos(2 * i) * 2 + 1, (i % 3) - 1]);
const Y = X.map(([a, b, c]) => [0.5 * a - b + 0.25 * c]);

function ours(trainableBn = true) {
  const inp = wg.input({ shape: [3] });
  const d1 = wg.layers.dense({ units: 4, activation: 'relu', kernelInitializer: { name: 'glorotUniform', seed: 11 } });
  const bn = wg.layers.batchNormalization({ trainable: trainableBn });
  const d2 = wg.layers.dense({ units: 1, kernelInitializer: { name: 'glorotUniform', seed: 12 } });
  return { model: wg.model({ inputs: inp, outputs: d2.apply(bn.apply(d1.apply(inp))) }), bn };
}

async function theirs(from: wg.Model, trainableBn = true) {
  const m = tf.sequential({ layers: [
    tf.layers.dense({ units: 4, activation: 'relu', inputShape: [3] }),
    tf.layers.batchNormalization({ trainable: trainableBn }),
    tf.layers.dense({ units: 1 }),
  ] });
  // Layer by layer (a TF.js model lists all trainable weights first); within a layer the order is
  // Keras's: kernel, bias / gamma, beta, moving_mean, moving_variance.
  for (const [i, l] of from.layers.entries()) {
    m.layers[i].setWeights(await Promise.all(l.weights.map(async (w) => tf.tensor(await w.data(), [...w.shape]))));
  }
  return m;
}

async function compare(a: wg.Model, b: tf.LayersModel, rtol: number) {
  const wb = b.layers.flatMap((l) => l.getWeights());
  const wa = a.layers.flatMap((l) => l.weights);
  for (let i = 0; i < wa.length; i++) {
    expect(await wa[i].data()).toBeAllClose(await wb[i].data() as Float32Array, { rtol, atol: 1e-6 });
  }
}

describe('parity with TF.js (identical initial weights, shuffle off)', () => {
  for (const [name, mk, mkTf] of [
    ['SGD with momentum', () => wg.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), () => tf.train.momentum(0.05, 0.9)],
    ['RMSprop', () => wg.optimizers.rmsprop({ learningRate: 0.01 }), () => tf.train.rmsprop(0.01, 0.9, 0, 1e-7)],
  ] as const) {
    it(`${name}: same weights and moving statistics after 3 epochs (batches 4, 4, 2)`, async () => {
      const { model } = ours();
      const ref = await theirs(model);
      model.compile({ optimizer: mk(), loss: 'meanSquaredError' });
      ref.compile({ optimizer: mkTf(), loss: 'meanSquaredError' });
      const h = await model.fit(wg.tensor(X), wg.tensor(Y), { batchSize: 4, epochs: 3, shuffle: false });
      const hr = await ref.fit(tf.tensor(X), tf.tensor(Y), { batchSize: 4, epochs: 3, shuffle: false, verbose: 0 });
      await compare(model, ref, 1e-4);
      expect(h.history.loss).toBeAllClose(hr.history.loss as number[], { rtol: 1e-4 });
    });
  }
});

describe('deliberate differences from TF.js', () => {
  it('frozen BN in fit: TF.js ignores trainable=false (uses batch stats, updates moving stats); wgnn is Keras', async () => {
    const { model, bn } = ours(false);
    const ref = await theirs(model, false);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    ref.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const before = Array.from(await bn.movingMean!.data());
    await model.fit(wg.tensor(X), wg.tensor(Y), { batchSize: 4, epochs: 1, shuffle: false });
    await ref.fit(tf.tensor(X), tf.tensor(Y), { batchSize: 4, epochs: 1, shuffle: false, verbose: 0 });
    expect(Array.from(await bn.movingMean!.data())).toEqual(before);
    expect(Array.from(await ref.layers[1].getWeights()[2].data())).not.toEqual(before);
  });

  it('NCHW (axis 1): wgnn normalizes per channel over N, H, W; TF.js 4.22 gives other numbers and its fit fails', async () => {
    const shape = [2, 3, 4, 4];
    const vals = Array.from({ length: 96 }, (_, i) => Math.fround(Math.sin(i * 1.7) * 3 + (i % 5)));
    // float64 reference: statistics of channel c over the 2 x 4 x 4 values at (n, c, h, w).
    const want = new Float64Array(96);
    const means: number[] = [];
    for (let c = 0; c < 3; c++) {
      const idx = [0, 1].flatMap((n) => Array.from({ length: 16 }, (_, k) => (n * 3 + c) * 16 + k));
      const m = idx.reduce((a, i) => a + vals[i], 0) / 32;
      const v = idx.reduce((a, i) => a + (vals[i] - m) ** 2, 0) / 32;
      for (const i of idx) want[i] = (vals[i] - m) / Math.sqrt(v + 1e-3);
      means.push(m);
    }
    const ours1 = wg.layers.batchNormalization({ axis: 1, momentum: 0.9 });
    const ref1 = tf.layers.batchNormalization({ axis: 1, momentum: 0.9 });
    const y = ours1.apply(wg.tensor(vals, shape), { training: true }) as wg.Tensor;
    const yRef = ref1.apply(tf.tensor(vals, shape), { training: true }) as tf.Tensor;
    expect(await y.data()).toBeAllClose(want, { rtol: 1e-5, atol: 1e-5 });
    expect(await ours1.movingMean!.data()).toBeAllClose(means.map((m) => 0.1 * m), { rtol: 1e-5 });
    // TF.js's channels-first training output is not the per-channel normalization (off by ~0.2 here).
    const refY = (await yRef.data()) as Float32Array;
    expect(Math.max(...refY.map((v, i) => Math.abs(v - want[i])))).toBeGreaterThan(0.1);

    // fit with a channels-first BN: TF.js 4.22 throws a reshape error in its training path.
    const x = tf.tensor(vals, shape);
    const refModel = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [3, 4, 4] }), tf.layers.batchNormalization({ axis: 1 })] });
    refModel.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(refModel.fit(x, tf.zerosLike(x), { batchSize: 2, epochs: 1, shuffle: false, verbose: 0 })).rejects.toThrow(/must match the product of shape/);
    const inp = wg.input({ shape: [3, 4, 4] });
    const bn = wg.layers.batchNormalization({ axis: 1 });
    const model = wg.model({ inputs: inp, outputs: bn.apply(inp) });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const h = await model.fit(wg.tensor(vals, shape), wg.zeros(shape), { batchSize: 2, epochs: 1, shuffle: false });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
    // One step of momentum 0.99 from 0 towards the per-channel batch means.
    expect(await bn.movingMean!.data()).toBeAllClose(means.map((m) => 0.01 * m), { rtol: 1e-5, atol: 1e-7 });
  });

  it("Adam: epsilon is added to sqrt(v) before the bias correction (Keras), TF.js adds it to sqrt(v_hat)", async () => {
    // One step on w = 0 with gradient g = 1e-7: Keras: w = -lr*sqrt(1-b2)/(1-b1) * m/(sqrt(v)+eps).
    const g = 1e-7;
    const lr = 0.001;
    const m = 0.1 * g;
    const v = 0.001 * g * g;
    const keras = -lr * (Math.sqrt(1 - 0.999) / (1 - 0.9)) * m / (Math.sqrt(v) + 1e-7);
    const tfjs = -lr * (m / 0.1) / (Math.sqrt(v / 0.001) + 1e-7);
    const w = wg.variable(wg.zeros([1]), { name: 'adam_w' });
    const opt = wg.optimizers.adam();
    opt.applyGradients([{ variable: w, grad: wg.tensor([g]) }]);
    expect(await w.data()).toBeAllClose([keras], { rtol: 1e-4 });
    // TF.js's own Adam, same hyper-parameters, lands on its formula, not on Keras's.
    const tw = tf.variable(tf.zeros([1]));
    tf.train.adam(lr, 0.9, 0.999, 1e-7).applyGradients([{ name: tw.name, tensor: tf.tensor([g]) }]);
    expect(await tw.data()).toBeAllClose([tfjs], { rtol: 1e-4 });
    expect(Math.abs(keras - tfjs) / Math.abs(tfjs)).toBeGreaterThan(0.1);
  });

  it('NaN batch: TF.js writes NaN into the weights; wgnn raises NonFiniteError and keeps them', async () => {
    const { model } = ours();
    const ref = await theirs(model);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    ref.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const bad = X.map((r, i) => (i === 0 ? [NaN, r[1], r[2]] : r));
    const before = await Promise.all(model.weights.map(async (w) => Array.from(await w.data())));
    await expect(model.fit(wg.tensor(bad), wg.tensor(Y), { batchSize: 10, shuffle: false })).rejects.toThrow(wg.NonFiniteError);
    expect(await Promise.all(model.weights.map(async (w) => Array.from(await w.data())))).toEqual(before);
    await ref.fit(tf.tensor(bad), tf.tensor(Y), { batchSize: 10, shuffle: false, verbose: 0 });
    expect(Array.from(await ref.getWeights()[0].data()).some(Number.isNaN)).toBe(true);
  });
});
