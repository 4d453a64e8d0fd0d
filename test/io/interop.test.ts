/**
 * The TF.js layers format both ways, against @tensorflow/tfjs 4.22 (CPU backend) in the same
 * test: wgnn writes, TF.js's `tf.io.fromMemory` + `loadLayersModel` reads; TF.js writes
 * (`tf.io.withSaveHandler`), wgnn reads. Same predictions within 1e-5, same moving statistics,
 * the compile settings in trainingConfig; wgnn to wgnn is bit-exact.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { asWg, bitsByName, fixedInput, tfArtifacts, tfLoad } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const X = fixedInput(12, 3);
const Y = X.map(([a, b, c]) => [0.5 * a - b + 0.25 * c]);

function wgMlp(kind: 'sequential' | 'functional', tag: string): wg.Model {
  const layers = () => [
    wg.layers.dense({ units: 5, activation: 'relu', kernelInitializer: { name: 'glorotUniform', seed: 3 }, name: `${tag}_d1` }),
    wg.layers.batchNormalization({ name: `${tag}_bn`, momentum: 0.8 }),
    wg.layers.activation({ activation: 'tanh', name: `${tag}_act` }),
    wg.layers.dropout({ rate: 0.2, name: `${tag}_drop` }),
    wg.layers.dense({ units: 1, kernelInitializer: { name: 'glorotUniform', seed: 4 }, name: `${tag}_d2` }),
  ];
  if (kind === 'sequential') {
    const ls = layers();
    return wg.sequential({ layers: [wg.layers.dense({ units: 5, inputShape: [3], activation: 'relu', kernelInitializer: { name: 'glorotUniform', seed: 3 }, name: `${tag}_d1` }), ...ls.slice(1)], name: `${tag}_model` });
  }
  const inp = wg.input({ shape: [3], name: `${tag}_in` });
  let t = inp;
  for (const l of layers()) t = l.apply(t);
  return wg.model({ inputs: inp, outputs: t, name: `${tag}_model` });
}

async function trained(kind: 'sequential' | 'functional', tag: string): Promise<wg.Model> {
  const m = wgMlp(kind, tag);
  m.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), loss: 'meanSquaredError' });
  await m.fit(wg.tensor(X), wg.tensor(Y), { batchSize: 4, epochs: 2, shuffle: false });
  return m;
}

async function tfWeights(m: tf.LayersModel): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const w of m.weights) out[w.originalName] = (await w.read().data()) as Float32Array;
  return out;
}

describe('wgnn writes, TF.js 4.22 reads', () => {
  for (const kind of ['sequential', 'functional'] as const) {
    it(`${kind} Dense-BN-Activation-Dropout-Dense: same predictions, weights and moving statistics, compiled as saved`, async () => {
      const m = await trained(kind, `w2t_${kind}`);
      const art = await m.save();
      expect(art.format).toBe('layers-model');
      const ref = await tfLoad(art);
      expect(ref.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
      const theirs = await tfWeights(ref);
      for (const w of m.weights) expect(theirs[w.name]).toEqual(await w.data());
      const x = wg.tensor(X);
      const want = (await (ref.predict(tf.tensor(X)) as tf.Tensor).data()) as Float32Array;
      expect(await m.predict(x).data()).toBeAllClose(want, { rtol: 1e-5, atol: 1e-5 });
      // The compile settings travel as TF.js's trainingConfig: TF.js compiles the loaded model.
      expect(art.trainingConfig).toEqual({ loss: 'mean_squared_error', metrics: [], optimizer_config: { class_name: 'Momentum', config: { learningRate: 0.05, momentum: 0.9, useNesterov: false } } });
      expect(ref.optimizer.getClassName()).toBe('Momentum');
    });
  }
});

describe('TF.js 4.22 writes, wgnn reads', () => {
  for (const kind of ['sequential', 'functional'] as const) {
    it(`${kind} model trained in TF.js: same predictions and moving statistics in wgnn`, async () => {
      const mk = () => [
        tf.layers.dense({ units: 4, activation: 'relu', name: `t2w_${kind}_d1` }),
        tf.layers.batchNormalization({ name: `t2w_${kind}_bn`, momentum: 0.7 }),
        tf.layers.dropout({ rate: 0.1, name: `t2w_${kind}_drop` }),
        tf.layers.dense({ units: 1, name: `t2w_${kind}_d2`, activation: 'sigmoid' }),
      ];
      let ref: tf.LayersModel;
      if (kind === 'sequential') {
        ref = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [3] }), ...mk()] });
      } else {
        const inp = tf.input({ shape: [3] });
        let t: tf.SymbolicTensor = inp;
        for (const l of mk()) t = l.apply(t) as tf.SymbolicTensor;
        ref = tf.model({ inputs: inp, outputs: t });
      }
      ref.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      await ref.fit(tf.tensor(X), tf.tensor(Y.map(([v]) => [v > 0 ? 1 : 0])), { batchSize: 4, epochs: 2, shuffle: false, verbose: 0 });
      const art = await tfArtifacts(ref);
      const m = await wg.loadLayersModel(asWg(art));
      const theirs = await tfWeights(ref);
      expect(Object.keys(theirs).sort()).toEqual(m.weights.map((w) => w.name).sort());
      for (const w of m.weights) expect(await w.data()).toEqual(theirs[w.name]);
      const want = (await (ref.predict(tf.tensor(X)) as tf.Tensor).data()) as Float32Array;
      expect(await m.predict(wg.tensor(X)).data()).toBeAllClose(want, { rtol: 1e-5, atol: 1e-5 });
    });
  }

  it('a trainingConfig from TF.js compiles the wgnn model (Adam, binary crossentropy, accuracy)', async () => {
    const ref = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3], activation: 'sigmoid' })] });
    ref.compile({ optimizer: tf.train.adam(0.02), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    // TF.js's own writer of the field (saved only with includeOptimizer, which adds optimizer weights).
    const trainingConfig = (ref as unknown as { getTrainingConfig(): unknown }).getTrainingConfig();
    const m = await wg.loadLayersModel({ ...asWg(await tfArtifacts(ref)), trainingConfig } as wg.ModelArtifacts);
    expect(m.compiled?.optimizer.config).toEqual({ kind: 'adam', learningRate: 0.02, beta1: 0.9, beta2: 0.999, epsilon: expect.any(Number) });
    expect(m.compiled?.lossName).toBe('binaryCrossentropy');
    expect(m.compiled?.accuracy).not.toBeNull();
  });

  it('optimizer state saved by TF.js (includeOptimizer) is refused by name, not dropped', async () => {
    const ref = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
    ref.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
    await ref.fit(tf.tensor(X), tf.tensor(Y), { epochs: 1, verbose: 0 });
    await expect(wg.loadLayersModel(asWg(await tfArtifacts(ref, true)))).rejects.toThrow(/optimizer state .*'iter'/);
  });
});

describe('wgnn to wgnn', () => {
  it('is bit-exact, trainable flags included, and loadModel reads the same artifacts', async () => {
    const m = await trained('functional', 'w2w');
    m.layers[1].trainable = false;
    const art = await m.save();
    const json = JSON.parse(JSON.stringify({ ...art, weightData: undefined }));
    for (const load of [wg.loadLayersModel, wg.loadModel]) {
      const same = await load({ ...json, weightData: art.weightData });
      expect(await bitsByName(same.weights)).toEqual(await bitsByName(m.weights));
      expect(same.layers.map((l) => l.trainable)).toEqual(m.layers.map((l) => l.trainable));
      expect(Array.from(await same.predict(wg.tensor(X)).data())).toEqual(Array.from(await m.predict(wg.tensor(X)).data()));
    }
  });

  it('a BatchNormalization saved with trainable: false loads frozen: fit leaves its statistics bitwise unchanged', async () => {
    const m = wgMlp('sequential', 'frozen');
    m.layers[1].trainable = false;
    const same = await wg.loadLayersModel(await m.save());
    const bn = same.layers[1];
    expect(bn.trainable).toBe(false);
    const before = await bitsByName(bn.weights);
    same.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await same.fit(wg.tensor(X), wg.tensor(Y), { batchSize: 4, epochs: 1, shuffle: false });
    expect(await bitsByName(bn.weights)).toEqual(before);
  });
});

describe('graphs both ways: a residual block (Add) and a nested base model', () => {
  function wgResidual(tag: string): wg.Model {
    const inp = wg.input({ shape: [3], name: `${tag}_in` });
    const h = wg.layers.dense({ units: 3, activation: 'relu', name: `${tag}_d1`, kernelInitializer: { name: 'glorotUniform', seed: 21 } }).apply(inp);
    const b = wg.layers.batchNormalization({ name: `${tag}_bn` }).apply(h);
    const sum = wg.layers.add({ name: `${tag}_add` }).apply([b, inp]);
    const cat = wg.layers.concatenate({ name: `${tag}_cat` }).apply([sum, h]);
    return wg.model({ inputs: inp, outputs: wg.layers.dense({ units: 2, name: `${tag}_out`, kernelInitializer: { name: 'glorotUniform', seed: 22 } }).apply(cat), name: `${tag}_m` });
  }

  function wgNested(tag: string): wg.Model {
    const i = wg.input({ shape: [3], name: `${tag}_bin` });
    const bd = wg.layers.dense({ units: 4, activation: 'relu', name: `${tag}_bd`, kernelInitializer: { name: 'glorotUniform', seed: 23 } }).apply(i);
    const base = wg.model({ inputs: i, outputs: wg.layers.batchNormalization({ name: `${tag}_bbn` }).apply(bd), name: `${tag}_base` });
    return wg.sequential({ name: `${tag}_top`, layers: [base, wg.layers.dense({ units: 1, name: `${tag}_head`, kernelInitializer: { name: 'glorotUniform', seed: 24 } })] });
  }

  for (const [what, mk] of [['residual', wgResidual], ['nested base', wgNested]] as const) {
    it(`${what}: wgnn -> TF.js -> wgnn: same predictions and moving statistics, then bit-exact back`, async () => {
      const m = mk(`g2_${what.replace(' ', '_')}`);
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await m.fit(wg.tensor(X), wg.tensor(Y.map(([v]) => (m.outputs[0].shape[1] === 2 ? [v, -v] : [v]))), { batchSize: 4, epochs: 1, shuffle: false });
      const ref = await tfLoad(await m.save());
      const theirs = await tfWeights(ref);
      for (const w of m.weights) expect(theirs[w.name]).toEqual(await w.data());
      const want = (await (ref.predict(tf.tensor(X)) as tf.Tensor).data()) as Float32Array;
      expect(await m.predict(wg.tensor(X)).data()).toBeAllClose(want, { rtol: 1e-5, atol: 1e-5 });
      // TF.js writes it again; wgnn reads TF.js's file.
      const back = await wg.loadLayersModel(asWg(await tfArtifacts(ref)));
      expect(await bitsByName(back.weights)).toEqual(await bitsByName(m.weights));
      expect(Array.from(await back.predict(wg.tensor(X)).data())).toEqual(Array.from(await m.predict(wg.tensor(X)).data()));
    });
  }
});

describe('image layers both ways (padding, pooling, ReLU, Flatten, Softmax)', () => {
  const IMG = Array.from({ length: 2 * 6 * 6 * 3 }, (_, i) => Math.sin(0.37 * i) * 1.5);
  it('TF.js -> wgnn -> TF.js: same predictions, the same layers written back', async () => {
    const ref = tf.sequential({ layers: [
      tf.layers.zeroPadding2d({ padding: [[1, 0], [0, 1]], inputShape: [6, 6, 3], name: 'img_pad' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'img_max' }),
      tf.layers.batchNormalization({ name: 'img_bn', momentum: 0.9 }),
      tf.layers.reLU({ maxValue: 1, name: 'img_relu' }),
      tf.layers.averagePooling2d({ poolSize: 2, name: 'img_avg' }),
      tf.layers.flatten({ name: 'img_flat' }),
      tf.layers.dense({ units: 3, name: 'img_dense' }),
      tf.layers.softmax({ name: 'img_softmax' }),
    ] });
    await ref.fit(tf.tensor(IMG, [2, 6, 6, 3]), tf.tensor([[1, 0, 0], [0, 1, 0]]), { epochs: 1, verbose: 0 }).catch(() => undefined);
    const art = await tfArtifacts(ref);
    const m = await wg.loadLayersModel(asWg(art));
    const want = (await (ref.predict(tf.tensor(IMG, [2, 6, 6, 3])) as tf.Tensor).data()) as Float32Array;
    expect(await m.predict(wg.tensor(IMG, [2, 6, 6, 3])).data()).toBeAllClose(want, { rtol: 1e-5, atol: 1e-6 });
    const back = await tfLoad(await m.save());
    const again = (await (back.predict(tf.tensor(IMG, [2, 6, 6, 3])) as tf.Tensor).data()) as Float32Array;
    expect(again).toBeAllClose(want, { rtol: 1e-6, atol: 1e-7 });
    expect(back.layers.map((l) => [l.getClassName(), l.name])).toEqual(ref.layers.map((l) => [l.getClassName(), l.name]));
  });
});

describe('a CNN both ways (Conv2D, DepthwiseConv2D, SeparableConv2D, BN, pooling)', () => {
  const IMG = Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => Math.cos(0.23 * i) * 1.2);
  it('TF.js trains it, wgnn reads it: same predictions and moving statistics; wgnn writes it back, TF.js reads it', async () => {
    const ref = tf.sequential({ layers: [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [8, 8, 3], name: 'cnn_conv', activation: 'relu' }),
      tf.layers.batchNormalization({ name: 'cnn_bn', momentum: 0.8 }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, name: 'cnn_dw' }),
      tf.layers.separableConv2d({ filters: 5, kernelSize: 2, name: 'cnn_sep', padding: 'same' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'cnn_max' }),
      tf.layers.globalAveragePooling2d({ name: 'cnn_gap' }),
      tf.layers.dense({ units: 2, activation: 'softmax', name: 'cnn_out' }),
    ] });
    ref.compile({ optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy' });
    await ref.fit(tf.tensor(IMG, [2, 8, 8, 3]), tf.tensor([[1, 0], [0, 1]]), { epochs: 2, verbose: 0 });
    const m = await wg.loadLayersModel(asWg(await tfArtifacts(ref)));
    const theirs = await tfWeights(ref);
    for (const w of m.weights) expect(await w.data()).toEqual(theirs[w.name]);
    const want = (await (ref.predict(tf.tensor(IMG, [2, 8, 8, 3])) as tf.Tensor).data()) as Float32Array;
    expect(await m.predict(wg.tensor(IMG, [2, 8, 8, 3])).data()).toBeAllClose(want, { rtol: 1e-5, atol: 1e-5 });
    const back = await tfLoad(await m.save());
    const again = (await (back.predict(tf.tensor(IMG, [2, 8, 8, 3])) as tf.Tensor).data()) as Float32Array;
    expect(again).toBeAllClose(want, { rtol: 1e-6, atol: 1e-7 });
  });
});
