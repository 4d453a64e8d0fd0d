/**
 * Functional graphs on every backend: several inputs and outputs, a shared layer, merge layers,
 * against a TF.js 4.22 functional model with the same weights (predict, and fit on arrays with
 * one loss per output); graph errors; nested models; duplicate names; summary; save/load.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const XA = Array.from({ length: 10 }, (_, i) => [Math.sin(i + 1) * 2, Math.cos(3 * i), (i % 4) - 1.5]);
const XB = Array.from({ length: 10 }, (_, i) => [Math.cos(i) - 0.5, Math.sin(2 * i + 1), ((i * 7) % 5) / 3]);
const Y1 = XA.map(([a, b], i) => [a - XB[i][1] + 0.5 * b]);
const Y2 = XA.map(([a, , c], i) => [a * 0.3 + XB[i][0], c - XB[i][2]]);

/** Two inputs, one Dense shared by both, Add and Concatenate, two outputs. */
function twoTower() {
  const a = wg.input({ shape: [3], name: 'in_a' });
  const b = wg.input({ shape: [3], name: 'in_b' });
  const shared = wg.layers.dense({ units: 4, activation: 'tanh', name: 'shared', kernelInitializer: { name: 'glorotUniform', seed: 3 } });
  const [ha, hb] = [shared.apply(a), shared.apply(b)];
  const y1 = wg.layers.dense({ units: 1, name: 'out_a', kernelInitializer: { name: 'glorotUniform', seed: 4 } }).apply(wg.layers.add({ name: 'sum' }).apply([ha, hb]));
  const y2 = wg.layers.dense({ units: 2, name: 'out_b', kernelInitializer: { name: 'glorotUniform', seed: 5 } })
    .apply(wg.layers.concatenate({ name: 'cat' }).apply([ha, hb]));
  return wg.model({ inputs: [a, b], outputs: [y1, y2], name: 'towers' });
}

/** The same graph in TF.js, weights copied layer by layer from `from`. */
async function twoTowerTf(from: wg.Model) {
  const a = tf.input({ shape: [3] });
  const b = tf.input({ shape: [3] });
  const shared = tf.layers.dense({ units: 4, activation: 'tanh', name: 'shared' });
  const [ha, hb] = [shared.apply(a), shared.apply(b)] as tf.SymbolicTensor[];
  const y1 = tf.layers.dense({ units: 1, name: 'out_a' }).apply(tf.layers.add().apply([ha, hb])) as tf.SymbolicTensor;
  const y2 = tf.layers.dense({ units: 2, name: 'out_b' }).apply(tf.layers.concatenate().apply([ha, hb])) as tf.SymbolicTensor;
  const m = tf.model({ inputs: [a, b], outputs: [y1, y2] });
  for (const name of ['shared', 'out_a', 'out_b']) {
    const l = from.getLayer(name);
    m.getLayer(name).setWeights(await Promise.all(l.weights.map(async (w) => tf.tensor(await w.data(), [...w.shape]))));
  }
  return m;
}

describe('multi-input / multi-output functional model with a shared layer (vs TF.js)', () => {
  it('predict on an array gives one tensor per output, as TF.js', async () => {
    const m = twoTower();
    const ref = await twoTowerTf(m);
    const ys = m.predict([wg.tensor(XA), wg.tensor(XB)], { batchSize: 4 }) as wg.Tensor[];
    const ts = ref.predict([tf.tensor(XA), tf.tensor(XB)]) as tf.Tensor[];
    expect(ys.map((y) => [...y.shape])).toEqual([[10, 1], [10, 2]]);
    for (let i = 0; i < 2; i++) expect(await ys[i].data()).toBeAllClose(await ts[i].data(), { rtol: 1e-5 });
    expect(m.layers.map((l) => l.name)).toEqual(['shared', 'sum', 'out_a', 'cat', 'out_b']);
    expect(m.weights.length).toBe(6);
  });

  it('fit on arrays with one loss per output: same weights and per-output history as TF.js (shared-layer gradients summed)', async () => {
    const m = twoTower();
    const ref = await twoTowerTf(m);
    m.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.05 }), loss: ['meanSquaredError', 'meanAbsoluteError'] });
    ref.compile({ optimizer: tf.train.sgd(0.05), loss: ['meanSquaredError', 'meanAbsoluteError'] });
    const h = await m.fit([wg.tensor(XA), wg.tensor(XB)], [wg.tensor(Y1), wg.tensor(Y2)], { batchSize: 4, epochs: 3, shuffle: false });
    const hr = await ref.fit([tf.tensor(XA), tf.tensor(XB)], [tf.tensor(Y1), tf.tensor(Y2)], { batchSize: 4, epochs: 3, shuffle: false, verbose: 0 });
    expect(Object.keys(h.history).sort()).toEqual(Object.keys(hr.history).sort());
    expect(Object.keys(h.history).sort()).toEqual(['loss', 'out_a_loss', 'out_b_loss']);
    for (const k of Object.keys(h.history)) expect(h.history[k]).toBeAllClose(hr.history[k] as number[], { rtol: 1e-4 });
    for (const name of ['shared', 'out_a', 'out_b']) {
      const ours = m.getLayer(name).weights;
      const theirs = ref.getLayer(name).getWeights();
      for (let i = 0; i < ours.length; i++) expect(await ours[i].data()).toBeAllClose(await theirs[i].data(), { rtol: 1e-4, atol: 1e-6 });
    }
    const ev = await m.evaluate([wg.tensor(XA), wg.tensor(XB)], [wg.tensor(Y1), wg.tensor(Y2)]);
    const evr = ref.evaluate([tf.tensor(XA), tf.tensor(XB)], [tf.tensor(Y1), tf.tensor(Y2)]) as tf.Scalar[];
    // TF.js 4.22 returns 4 scalars here: [out_a loss, total, out_a loss, out_b loss].
    const tfv = await Promise.all(evr.map(async (t) => (await t.data())[0]));
    expect([ev.loss, ev.out_a_loss, ev.out_b_loss]).toBeAllClose(tfv.slice(1), { rtol: 1e-5 });
  });

  it('fit, evaluate, trainOnBatch and predict on arrays leak no tensors (nested model, validationSplit)', async () => {
    const m = twoTower();
    const j = [wg.input({ shape: [3] }), wg.input({ shape: [3] })];
    const outer = wg.model({ inputs: j, outputs: m.applyOutputs(j) });
    outer.compile({ optimizer: wg.optimizers.adam(), loss: 'meanSquaredError', metrics: ['accuracy'] });
    const data = [[wg.tensor(XA), wg.tensor(XB)], [wg.tensor(Y1), wg.tensor(Y2)]] as const;
    await outer.fit(data[0], data[1], { batchSize: 3, epochs: 1, validationSplit: 0.3 });
    const base = wg.memory().numTensors;
    await outer.fit(data[0], data[1], { batchSize: 3, epochs: 2, validationSplit: 0.3, callbacks: { onBatchEnd: () => {} } });
    await outer.evaluate(data[0], data[1], { batchSize: 4 });
    await outer.trainOnBatch(data[0], data[1]);
    wg.dispose(outer.predict(data[0], { batchSize: 4 }) as wg.Tensor[]);
    expect(wg.memory().numTensors).toBe(base);
  });

  it('loss as an object keyed by output name equals the array form; accuracy logs per output', async () => {
    const run = async (loss: wg.CompileOptions['loss']) => {
      const m = twoTower();
      m.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss, metrics: ['accuracy'] });
      const h = await m.fit([wg.tensor(XA), wg.tensor(XB)], [wg.tensor(Y1), wg.tensor(Y2)], { batchSize: 5, epochs: 1, shuffle: false });
      return { h, w: await m.getLayer('shared').weights[0].data() };
    };
    const byArray = await run(['meanSquaredError', 'meanAbsoluteError']);
    const byName = await run({ out_b: 'meanAbsoluteError', out_a: 'meanSquaredError' });
    expect(Array.from(byName.w)).toEqual(Array.from(byArray.w));
    expect(Object.keys(byName.h.history)).toEqual(['loss', 'out_a_loss', 'out_b_loss', 'out_a_accuracy', 'out_b_accuracy']);
    const hh = byName.h.history;
    expect(hh.loss[0]).toBeAllClose(hh.out_a_loss[0] + hh.out_b_loss[0], { rtol: 1e-6 });
  });

  it('validates counts and shapes of x and y before any work, and the loss spec', async () => {
    const m = twoTower();
    const [xa, xb] = [wg.tensor(XA), wg.tensor(XB)];
    expect(() => m.predict(xa)).toThrow(/the model has 2 inputs \(in_a \[-1,3\], in_b \[-1,3\]\) but got 1 tensors/);
    expect(() => m.predict([xa, wg.zeros([10, 4])])).toThrow(/input 1 \(in_b\) has shape \[10,4\] but the model expects \[-1,3\]/);
    expect(() => m.predict([xa, wg.zeros([9, 3])])).toThrow(/different batch sizes/);
    expect(() => m.compile({ loss: ['meanSquaredError'] })).toThrow(/1 losses for 2 outputs \(out_a, out_b\)/);
    expect(() => m.compile({ loss: { out_a: 'meanSquaredError', nope: 'meanSquaredError' } })).toThrow(/missing out_b; unknown nope/);
    m.compile({ loss: 'meanSquaredError' });
    const before = await m.weights[0].data();
    await expect(m.fit([xa, xb], [wg.tensor(Y1)])).rejects.toThrow(/the model has 2 outputs \(out_a, out_b\) but y has 1 tensors/);
    await expect(m.fit([xa, xb], [wg.tensor(Y1), wg.tensor(Y1)])).rejects.toThrow(/fit y 1 \(out_b\) has shape \[10,1\] but the model output is \[-1,2\]/);
    expect(Array.from(await m.weights[0].data())).toEqual(Array.from(before));
  });
});

describe('graph errors', () => {
  it('an output that depends on a foreign input, an unused input, a model inside itself', () => {
    const a = wg.input({ shape: [2], name: 'ga' });
    const b = wg.input({ shape: [2], name: 'gb' });
    const y = wg.layers.dense({ units: 1 }).apply(b);
    expect(() => wg.model({ inputs: a, outputs: y })).toThrow(/depends on input 'gb', which is not among the model's inputs \(ga\)/);
    expect(() => wg.model({ inputs: [a, b], outputs: y })).toThrow(/input\(s\) 'ga' not used by any output/);
    expect(() => wg.model({ inputs: y, outputs: y })).toThrow(/is a layer output, not a tensor from wg.input/);
    const seq = wg.sequential({ layers: [wg.layers.dense({ units: 2, inputShape: [2] })] });
    expect(() => seq.add(seq)).toThrow(/cannot add a model to itself/);
  });

  it('rejects duplicate layer names, as Keras', () => {
    const inp = wg.input({ shape: [3] });
    const h = wg.layers.dense({ units: 2, name: 'dup' }).apply(inp);
    const y = wg.layers.dense({ units: 1, name: 'dup' }).apply(h);
    expect(() => wg.model({ inputs: inp, outputs: y })).toThrow(/two layers are named 'dup' \(Dense and Dense\)/);
    expect(() => wg.sequential({ layers: [wg.layers.dense({ units: 2, name: 'd2', inputShape: [3] }), wg.layers.dense({ units: 1, name: 'd2' })] }))
      .toThrow(/two layers are named 'd2'/);
  });

  it('fit: a nested layer and an outer layer with the same name train exactly as with distinct names', async () => {
    const build = (innerName: string, outerName: string) => {
      const i = wg.input({ shape: [3] });
      const inner = wg.model({ inputs: i, outputs: wg.layers.dense({ units: 3, name: innerName, kernelInitializer: { name: 'glorotUniform', seed: 21 } }).apply(i) });
      const j = wg.input({ shape: [3] });
      const y = wg.layers.dense({ units: 1, name: outerName, kernelInitializer: { name: 'glorotUniform', seed: 22 } }).apply(inner.apply(j));
      const m = wg.model({ inputs: j, outputs: y });
      m.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
      return m;
    };
    const same = build('twin', 'twin');
    const distinct = build('twin_a', 'twin_b');
    expect(same.weights.map((w) => w.name)).toEqual(['twin/kernel', 'twin/bias', 'twin/kernel', 'twin/bias']);
    await same.fit(wg.tensor(XA), wg.tensor(Y1), { batchSize: 4, epochs: 2, shuffle: false });
    await distinct.fit(wg.tensor(XA), wg.tensor(Y1), { batchSize: 4, epochs: 2, shuffle: false });
    for (let k = 0; k < 4; k++) expect(Array.from(await same.weights[k].data())).toEqual(Array.from(await distinct.weights[k].data()));
  });

  it('variableGrads keys gradients by Variable identity: two variables with one name never mix', async () => {
    const v1 = wg.variable(wg.tensor([1, 2]), { name: 'dup/kernel' });
    const v2 = wg.variable(wg.tensor([3, 4]), { name: 'dup/kernel' });
    const { gradsByVariable, grads } = wg.variableGrads(() => wg.add(wg.sum(wg.square(v1)), wg.sum(wg.mul(v2, 3))), [v1, v2]);
    expect(await gradsByVariable.get(v1)?.array()).toEqual([2, 4]);
    expect(await gradsByVariable.get(v2)?.array()).toEqual([3, 3]);
    expect(() => grads['dup/kernel']).toThrow(/several variables are named 'dup\/kernel'/);
  });
});

describe('nested models', () => {
  const base = () => {
    const i = wg.input({ shape: [3] });
    const h = wg.layers.dense({ units: 4, activation: 'relu', kernelInitializer: { name: 'glorotUniform', seed: 8 } }).apply(i);
    return wg.model({ inputs: i, outputs: wg.layers.batchNormalization().apply(h), name: `base_${Math.random().toString(36).slice(2, 6)}` });
  };

  it('a model as the first layer of a sequential and inside a functional model: same outputs as calling it', async () => {
    const b = base();
    const head = wg.layers.dense({ units: 1, kernelInitializer: { name: 'glorotUniform', seed: 9 } });
    const seq = wg.sequential({ layers: [b, head] });
    const x = wg.tensor(XA);
    const want = await head.apply(b.apply(x)).data();
    expect(await seq.predict(x).data()).toEqual(want);
    const j = wg.input({ shape: [3] });
    const outer = wg.model({ inputs: j, outputs: head.apply(b.apply(j)) });
    expect(await outer.predict(x).data()).toEqual(want);
    expect(outer.getLayer(0)).toBe(b);
    expect(outer.getLayer(b.name)).toBe(b);
    expect(() => outer.getLayer('nope')).toThrow(/no layer named 'nope'/);
    expect(outer.weights.length).toBe(b.weights.length + 2);
    expect(outer.summary()).toMatch(new RegExp(`${b.name} \\(Functional\\) +\\[null,4\\] +32 +input_\\d+\\[0\\]\\[0\\]`));
  });

  it('trainable on the nested model is recursive and read live (no recompile)', async () => {
    const b = base();
    const seq = wg.sequential({ layers: [b, wg.layers.dense({ units: 1 })] });
    seq.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    b.trainable = false;
    expect(b.layers.every((l) => !l.trainable)).toBe(true);
    const before = await Promise.all(seq.weights.map((w) => w.data()));
    await seq.fit(wg.tensor(XA), wg.tensor(Y1), { batchSize: 5, epochs: 1 });
    const after = await Promise.all(seq.weights.map((w) => w.data()));
    // Frozen: the base's kernel, bias, gamma, beta and (inference-mode BN) moving statistics.
    for (let i = 0; i < 6; i++) expect(Array.from(after[i])).toEqual(Array.from(before[i]));
    expect(Array.from(after[6])).not.toEqual(Array.from(before[6]));
    b.trainable = true;
    await seq.fit(wg.tensor(XA), wg.tensor(Y1), { batchSize: 5, epochs: 1 });
    expect(Array.from(await seq.weights[0].data())).not.toEqual(Array.from(after[0]));
  });
});

describe('models with several outputs as layers', () => {
  it('apply on a several-output model points to applyOutputs; nested symbolically, it gives one tensor per output', async () => {
    const m = twoTower();
    const [xa, xb] = [wg.tensor(XA), wg.tensor(XB)];
    expect(() => m.apply([xa, xb])).toThrow(/has 2 outputs: use applyOutputs/);
    const eager = m.applyOutputs([xa, xb]);
    const p = m.predict([xa, xb]) as wg.Tensor[];
    for (let k = 0; k < 2; k++) expect(Array.from(await eager[k].data())).toEqual(Array.from(await p[k].data()));
    const [a, b] = [wg.input({ shape: [3] }), wg.input({ shape: [3] })];
    const [o1, o2] = m.applyOutputs([a, b]);
    expect([o1.shape, o2.shape]).toEqual([[null, 1], [null, 2]]);
    const outer = wg.model({ inputs: [a, b], outputs: wg.layers.concatenate().apply([o1, o2]) });
    const y = outer.predict([xa, xb]) as wg.Tensor;
    expect(Array.from(await y.data())).toEqual(Array.from(await wg.concat(p, 1).data()));
    expect(() => m.applyOutputs([a])).toThrow(/called on 1 input\(s\) of shapes \[-1,3\] but the model takes \[-1,3\], \[-1,3\]/);
  });

  it('loads version-1 artifacts (wgnn 0.1.0) unchanged', async () => {
    const kernel = [0.5, -1, 2, 0.25, 1.5, -0.75];
    const bias = [0.1, -0.2];
    const art: wg.ModelArtifacts = {
      modelTopology: {
        format: 'wgnn-layers-model', version: 1, className: 'Model', name: 'v1model',
        input: { name: 'v1in', shape: [3] },
        nodes: [{ className: 'Dense', config: { name: 'v1dense', units: 2 }, input: 'v1in', name: 'v1dense#0' }],
        output: 'v1dense#0',
      },
      weightSpecs: [{ name: 'v1dense/kernel', shape: [3, 2], dtype: 'float32' }, { name: 'v1dense/bias', shape: [2], dtype: 'float32' }],
      weightData: new Float32Array([...kernel, ...bias]).buffer,
    };
    const m = await wg.loadModel(art);
    const y = await m.predict(wg.tensor([[1, 2, 3]])).data();
    // Hand computation: [1,2,3] @ [[0.5,-1],[2,0.25],[1.5,-0.75]] + bias.
    expect(y).toBeAllClose([0.5 + 4 + 4.5 + 0.1, -1 + 0.5 - 2.25 - 0.2]);
  });
});

describe('Sequential built at construction (issue 11)', () => {
  it('getWeights returns the real weights before any call; setWeights copies a model', async () => {
    const mk = () => wg.sequential({ layers: [wg.layers.dense({ units: 3, inputShape: [2] }), wg.layers.dense({ units: 1 })] });
    const m = mk();
    const m2 = mk();
    expect(m.getWeights().map((w) => [...w.shape])).toEqual([[2, 3], [3], [3, 1], [1]]);
    m2.setWeights(m.getWeights());
    const x = wg.tensor([[1, 2], [-3, 0.5]]);
    expect(Array.from(await m2.predict(x).data())).toEqual(Array.from(await m.predict(x).data()));
    const lazy = wg.sequential({ layers: [wg.layers.dense({ units: 3 })] });
    expect(() => lazy.setWeights(m.getWeights())).toThrow(/model not built yet: give the first layer an inputShape or call it on data/);
  });
});

describe('summary of a functional graph', () => {
  it('lists every node with its inbound nodes (Connected to), as Keras', () => {
    const lines = twoTower().summary().split('\n');
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.replace(/ +/g, ' ');
    expect(lines[2].replace(/ +/g, ' ')).toBe('Layer (type) Output shape Param # Connected to Mode / state');
    expect(row('in_a')).toBe('in_a (InputLayer) [null,3] 0');
    expect(lines.filter((l) => l.startsWith('shared (Dense)')).map((l) => l.replace(/ +/g, ' '))).toEqual([
      'shared (Dense) [null,4] 16 in_a[0][0]', 'shared (Dense) [null,4] 16 in_b[0][0]',
    ]);
    expect(row('sum')).toBe('sum (Add) [null,4] 0 shared[0][0], shared[1][0]');
    expect(row('cat')).toBe('cat (Concatenate) [null,8] 0 shared[0][0], shared[1][0]');
    expect(row('out_b')).toBe('out_b (Dense) [null,2] 18 cat[0][0]');
    expect(lines).toContain('Total params: 39');
  });
});

describe('save / loadModel round trip (TF.js layers format)', () => {
  it('multi-input/output, a shared layer, merge layers and a nested model: same bits, same outputs', async () => {
    const i = wg.input({ shape: [3] });
    const inner = wg.model({ inputs: i, outputs: wg.layers.dense({ units: 3, activation: 'relu' }).apply(i), name: 'inner_rt' });
    const a = wg.input({ shape: [3], name: 'rt_a' });
    const b = wg.input({ shape: [3], name: 'rt_b' });
    const shared = wg.layers.dense({ units: 3, name: 'rt_shared' });
    const s = wg.layers.subtract({ name: 'rt_sub' }).apply([shared.apply(a), inner.apply(shared.apply(b))]);
    const y2 = wg.layers.multiply({ name: 'rt_mul' }).apply([s, wg.layers.average({ name: 'rt_avg' }).apply([shared.apply(a), s])]);
    const m = wg.model({ inputs: [a, b], outputs: [s, y2], name: 'rt' });
    const art = await m.save();
    // Through JSON, as a file would be.
    const back = await wg.loadModel({ ...art, modelTopology: JSON.parse(JSON.stringify(art.modelTopology)) });
    expect(back.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
    expect(back.weights.map((w) => w.name)).toEqual(m.weights.map((w) => w.name));
    for (let k = 0; k < m.weights.length; k++) expect(Array.from(await back.weights[k].data())).toEqual(Array.from(await m.weights[k].data()));
    const xs = [wg.tensor(XA), wg.tensor(XB)];
    const [p, q] = [m.predict(xs) as wg.Tensor[], back.predict(xs) as wg.Tensor[]];
    for (let k = 0; k < 2; k++) expect(Array.from(await q[k].data())).toEqual(Array.from(await p[k].data()));
    expect(back.summary().replace(/"rt"/, '')).toBe(m.summary().replace(/"rt"/, ''));
    const seq = wg.sequential({ layers: [inner, wg.layers.dense({ units: 2 })] });
    const seqBack = await wg.loadModel(await seq.save());
    expect(Array.from(await seqBack.predict(xs[0]).data())).toEqual(Array.from(await seq.predict(xs[0]).data()));
  });
});
