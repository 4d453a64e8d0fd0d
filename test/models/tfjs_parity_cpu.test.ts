/**
 * Parity with TF.js layers (@tensorflow/tfjs 4.22, pure-JS CPU backend), node-cpu only (the file
 * suffix): a Dense-BN-Dense model with identical initial weights, shuffle off, trained with SGD
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
