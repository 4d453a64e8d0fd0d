/**
 * Topologies as Keras writes them, beyond what TF.js writes: Keras 3 (`Functional`, node dicts with
 * `__keras_tensor__` histories, `batch_shape`, DTypePolicy objects, module / registered_name /
 * build_config) and tf.keras 2 through the converter (`model_config` wrapper, BN axis as a list,
 * VarianceScaling initializers, L1L2 regularizers). Reference: TF.js 4.22 running the same weights.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { fixedInput } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const k3init = (cls: string, config: Record<string, unknown> = {}) => ({ module: 'keras.initializers', class_name: cls, config, registered_name: null });
const k3tensor = (layer: string, shape: (number | null)[]) => ({ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [layer, 0, 0] } });

function k3dense(name: string, units: number, activation: string, from: string, inDim: number) {
  return {
    module: 'keras.layers', class_name: 'Dense', registered_name: null, name, build_config: { input_shape: [null, inDim] },
    config: {
      name, trainable: true, dtype: policy, units, activation, use_bias: true,
      kernel_initializer: k3init('GlorotUniform', { seed: null }), bias_initializer: k3init('Zeros'),
      kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null,
    },
    inbound_nodes: [{ args: [k3tensor(from, [null, inDim])], kwargs: {} }],
  };
}

function k3bn(name: string, from: string, c: number) {
  return {
    module: 'keras.layers', class_name: 'BatchNormalization', registered_name: null, name, build_config: { input_shape: [null, c] },
    config: {
      name, trainable: true, dtype: policy, axis: -1, momentum: 0.99, epsilon: 0.001, center: true, scale: true,
      beta_initializer: k3init('Zeros'), gamma_initializer: k3init('Ones'), moving_mean_initializer: k3init('Zeros'),
      moving_variance_initializer: k3init('Ones'), beta_regularizer: null, gamma_regularizer: null, beta_constraint: null,
      gamma_constraint: null, synchronized: false,
    },
    inbound_nodes: [{ args: [k3tensor(from, [null, c])], kwargs: {} }],
  };
}

/** Deterministic float32 weights for `specs`, positive where a variance goes. */
function weightsFor(specs: { name: string; shape: number[] }[]): ArrayBuffer {
  const n = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  const out = new Float32Array(n);
  let at = 0;
  for (const w of specs) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    for (let i = 0; i < size; i++) out[at + i] = w.name.endsWith('variance') ? 0.5 + (i % 3) * 0.25 : Math.sin(at + i * 1.7 + 0.3) * 0.6; // never exactly 0: TF.js's |w| gradient at 0 is -1, Keras's 0
    at += size;
  }
  return out.buffer;
}

const specs = (entries: [string, number[]][]) => entries.map(([name, shape]) => ({ name, shape, dtype: 'float32' as const }));

/** The same network in TF.js with the same weights, by layer order. */
async function tfTwin(art: wg.ModelArtifacts, build: () => tf.LayersModel): Promise<tf.LayersModel> {
  const m = build();
  const all = new Float32Array(art.weightData);
  let at = 0;
  const byName = new Map<string, tf.Tensor>();
  for (const s of art.weightSpecs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    byName.set(s.name, tf.tensor(all.slice(at, at + n), s.shape));
    at += n;
  }
  for (const l of m.layers) {
    const ws = l.weights.map((w) => byName.get(`${l.name}/${w.originalName.split('/').pop()}`) as tf.Tensor);
    if (ws.length) l.setWeights(ws);
  }
  return m;
}

async function samePredictions(m: wg.Model, ref: tf.LayersModel, inDim: number): Promise<void> {
  const x = fixedInput(6, inDim);
  const want = (await (ref.predict(tf.tensor(x)) as tf.Tensor).data()) as Float32Array;
  expect(await m.predict(wg.tensor(x)).data()).toBeAllClose(want, { rtol: 1e-5, atol: 1e-6 });
}

const k3names = (p: string): [string, number[]][] => [[`${p}_d1/kernel`, [3, 4]], [`${p}_d1/bias`, [4]], [`${p}_bn/gamma`, [4]], [`${p}_bn/beta`, [4]], [`${p}_bn/moving_mean`, [4]], [`${p}_bn/moving_variance`, [4]], [`${p}_d2/kernel`, [4, 2]], [`${p}_d2/bias`, [2]]];

const tfRef = (p: string) => () => tf.sequential({ layers: [
  tf.layers.dense({ units: 4, inputShape: [3], activation: 'relu', name: `${p}_d1` }),
  tf.layers.batchNormalization({ name: `${p}_bn` }),
  tf.layers.dense({ units: 2, activation: 'softmax', name: `${p}_d2` }),
] });

describe('Keras 3 topologies', () => {
  it('Functional with __keras_tensor__ nodes, batch_shape and DTypePolicy: same predictions as TF.js on the same weights', async () => {
    const topo = {
      module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional',
      config: {
        name: 'k3f', trainable: true,
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', registered_name: null, name: 'k3f_in', config: { batch_shape: [null, 3], dtype: 'float32', sparse: false, name: 'k3f_in' }, inbound_nodes: [] },
          k3dense('k3f_d1', 4, 'relu', 'k3f_in', 3), k3bn('k3f_bn', 'k3f_d1', 4), k3dense('k3f_d2', 2, 'softmax', 'k3f_bn', 4),
        ],
        input_layers: [['k3f_in', 0, 0]], output_layers: ['k3f_d2', 0, 0],
      },
      build_config: { input_shape: [null, 3] },
    };
    const weightSpecs = specs(k3names('k3f')).reverse();
    const art = { modelTopology: topo, weightSpecs, weightData: weightsFor(weightSpecs) } as unknown as wg.ModelArtifacts;
    const m = await wg.loadLayersModel(art);
    expect(m.layers.map((l) => l.className)).toEqual(['Dense', 'BatchNormalization', 'Dense']);
    await samePredictions(m, await tfTwin(art, tfRef('k3f')), 3);
  });

  it('Sequential with an InputLayer entry and trainable: false on the model: every layer loads frozen', async () => {
    const layers = [k3dense('k3s_d1', 4, 'relu', 'x', 3), k3bn('k3s_bn', 'x', 4), k3dense('k3s_d2', 2, 'softmax', 'x', 4)]
      .map(({ inbound_nodes: _n, ...rest }) => rest);
    const topo = {
      module: 'keras', class_name: 'Sequential', registered_name: null,
      config: { name: 'k3s', trainable: false, dtype: policy, layers: [{ module: 'keras.layers', class_name: 'InputLayer', registered_name: null, config: { batch_shape: [null, 3], dtype: 'float32', sparse: false, name: 'k3s_in' } }, ...layers], build_input_shape: [null, 3] },
    };
    const weightSpecs = specs(k3names('k3s'));
    const art = { modelTopology: topo, weightSpecs, weightData: weightsFor(weightSpecs) } as unknown as wg.ModelArtifacts;
    const m = await wg.loadLayersModel(art);
    expect(m.layers.map((l) => l.trainable)).toEqual([false, false, false]);
    expect(m.trainableWeights).toEqual([]);
    await samePredictions(m, await tfTwin(art, tfRef('k3s')), 3);
  });

  it('node call arguments (training honoured, others refused), a multi-output reference and an unknown model key are errors naming them', async () => {
    const base = {
      class_name: 'Functional', config: {
        name: 'k3e', layers: [
          { class_name: 'InputLayer', name: 'k3e_in', config: { batch_shape: [null, 3], name: 'k3e_in' }, inbound_nodes: [] },
          k3dense('k3e_d', 2, 'linear', 'k3e_in', 3),
        ], input_layers: [['k3e_in', 0, 0]], output_layers: [['k3e_d', 0, 0]],
      },
    };
    const weightSpecs = specs([['k3e_d/kernel', [3, 2]], ['k3e_d/bias', [2]]]);
    const load = (t: unknown) => wg.loadLayersModel({ modelTopology: t, weightSpecs, weightData: weightsFor(weightSpecs) } as never);
    const withKw = structuredClone(base);
    (withKw.config.layers[1] as { inbound_nodes: unknown }).inbound_nodes = [{ args: [k3tensor('k3e_in', [null, 3])], kwargs: { training: false } }];
    // training: false is a call argument wgnn honours (the node runs in inference mode inside fit).
    expect((await load(withKw)).graphNodes.map((n) => n.training)).toEqual([false]);
    (withKw.config.layers[1] as { inbound_nodes: unknown }).inbound_nodes = [{ args: [k3tensor('k3e_in', [null, 3])], kwargs: { scale: 2 } }];
    await expect(load(withKw)).rejects.toThrow(/node call argument \{"scale":2\} is not supported \(only training/);
    const multi = structuredClone(base);
    multi.config.output_layers = [['k3e_d', 0, 1]];
    await expect(load(multi)).rejects.toThrow(/layer 'k3e_d' has no output 1 \(node 0\)/);
    const extra = structuredClone(base) as { config: Record<string, unknown> };
    extra.config.loss = 'mse';
    await expect(load(extra)).rejects.toThrow(/Functional config key 'loss' = "mse" is not supported/);
    await expect(load(base)).resolves.toBeInstanceOf(wg.Model);
  });
});

describe('tf.keras 2 through the TF.js converter', () => {
  function keras2(reg: unknown, bnTrainable = false) {
    const dense = (name: string, units: number, act: string, from: string, kr: unknown = null) => ({
      name, class_name: 'Dense', inbound_nodes: [[[from, 0, 0, {}]]],
      config: {
        name, trainable: true, units, activation: act, use_bias: true,
        kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'normal', seed: null } },
        bias_initializer: { class_name: 'Zeros', config: {} }, kernel_regularizer: kr, bias_regularizer: null,
        activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
      },
    });
    return {
      keras_version: '2.2.4', backend: 'tensorflow',
      model_config: { class_name: 'Model', config: {
        name: 'k2', input_layers: [['k2_in', 0, 0]], output_layers: [['k2_d2', 0, 0]],
        layers: [
          { name: 'k2_in', class_name: 'InputLayer', config: { batch_input_shape: [null, 3], dtype: 'float32', sparse: false, name: 'k2_in' }, inbound_nodes: [] },
          dense('k2_d1', 4, 'relu', 'k2_in', reg),
          { name: 'k2_bn', class_name: 'BatchNormalization', inbound_nodes: [[['k2_d1', 0, 0, {}]]], config: {
            name: 'k2_bn', trainable: bnTrainable, axis: [1], momentum: 0.999, epsilon: 0.001, center: true, scale: true,
            beta_initializer: { class_name: 'Zeros', config: {} }, gamma_initializer: { class_name: 'Ones', config: {} },
            moving_mean_initializer: { class_name: 'Zeros', config: {} }, moving_variance_initializer: { class_name: 'Ones', config: {} },
            beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null } },
          dense('k2_d2', 2, 'softmax', 'k2_bn'),
        ] } },
      training_config: { optimizer_config: { class_name: 'SGD', config: { lr: 0.01 } }, loss: 'categorical_crossentropy', metrics: ['accuracy'] },
    };
  }
  const weightSpecs = specs(k3names('k2'));

  it('model_config wrapper, BN axis [1] saved frozen, VarianceScaling kept verbatim on save, L1L2 kept', async () => {
    const reg = { class_name: 'L1L2', config: { l1: 0, l2: 0.0005 } };
    const art = { modelTopology: keras2(reg), weightSpecs, weightData: weightsFor(weightSpecs) } as unknown as wg.ModelArtifacts;
    const m = await wg.loadLayersModel(art);
    expect(m.layers[1].trainable).toBe(false);
    // Keras's training_config in the topology compiles the model (SGD with Keras's `lr` spelling).
    expect(m.compiled?.optimizer.config).toEqual({ kind: 'sgd', learningRate: 0.01, momentum: 0 });
    expect(m.compiled?.lossName).toBe('categoricalCrossentropy');
    await samePredictions(m, await tfTwin(art, tfRef('k2')), 3);
    const saved = (await m.save()).modelTopology as { config: { layers: { config: Record<string, unknown> }[] } };
    expect(saved.config.layers[1].config.kernel_initializer).toEqual({ class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'normal', seed: null } });
    expect(saved.config.layers[1].config.kernel_regularizer).toEqual({ class_name: 'L1L2', config: { l1: 0, l2: 0.0005 } });
  });

  it('an L1L2 kernel_regularizer is a training-loss term: wgnn fit equals TF.js fit with the same regularizer', async () => {
    const reg = { class_name: 'L1L2', config: { l1: 0.01, l2: 0.05 } };
    // BN trainable here: TF.js's fit ignores a frozen BN (a documented difference), which would hide the point.
    const art = { modelTopology: keras2(reg, true), weightSpecs, weightData: weightsFor(weightSpecs) } as unknown as wg.ModelArtifacts;
    const m = await wg.loadLayersModel(art);
    const ref = await tfTwin(art, () => tf.sequential({ layers: [
      tf.layers.dense({ units: 4, inputShape: [3], activation: 'relu', name: 'k2_d1', kernelRegularizer: tf.regularizers.l1l2({ l1: 0.01, l2: 0.05 }) }),
      tf.layers.batchNormalization({ name: 'k2_bn' }),
      tf.layers.dense({ units: 2, activation: 'softmax', name: 'k2_d2' }),
    ] }));
    const x = fixedInput(8, 3);
    const y = x.map((r) => (r[0] > r[1] ? [1, 0] : [0, 1]));
    m.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    ref.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const h = await m.fit(wg.tensor(x), wg.tensor(y), { batchSize: 4, epochs: 2, shuffle: false });
    const hr = await ref.fit(tf.tensor(x), tf.tensor(y), { batchSize: 4, epochs: 2, shuffle: false, verbose: 0 });
    expect(h.history.loss).toBeAllClose(hr.history.loss as number[], { rtol: 1e-4 });
    expect(await m.layers[0].weights[0].data()).toBeAllClose((await ref.layers[0].getWeights()[0].data()) as Float32Array, { rtol: 1e-4, atol: 1e-6 });
    // Without the regularizer the same fit gives other weights (the term is not a no-op).
    const plain = await wg.loadLayersModel({ ...art, modelTopology: keras2(null, true) } as wg.ModelArtifacts);
    plain.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    await plain.fit(wg.tensor(x), wg.tensor(y), { batchSize: 4, epochs: 2, shuffle: false });
    expect(Array.from(await plain.layers[0].weights[0].data())).not.toEqual(Array.from(await m.layers[0].weights[0].data()));
  });

  it('weights named with the model name as a prefix bind; an activity regularizer or a custom regularizer is refused', async () => {
    const prefixed = weightSpecs.map((s) => ({ ...s, name: `k2/${s.name}` }));
    const m = await wg.loadLayersModel({ modelTopology: keras2(null), weightSpecs: prefixed, weightData: weightsFor(weightSpecs) } as never);
    expect(m.weights.map((w) => w.name)).toEqual(weightSpecs.map((s) => s.name));
    const bad = keras2({ class_name: 'OrthogonalRegularizer', config: { factor: 0.01 } });
    await expect(wg.loadLayersModel({ modelTopology: bad, weightSpecs, weightData: weightsFor(weightSpecs) } as never))
      .rejects.toThrow(/Dense 'k2_d1': config key 'kernel_regularizer' = \{"class_name":"OrthogonalRegularizer".*L1L2/);
    const act = keras2(null);
    (act.model_config.config.layers[1].config as Record<string, unknown>).activity_regularizer = { class_name: 'L2', config: { l2: 1 } };
    await expect(wg.loadLayersModel({ modelTopology: act, weightSpecs, weightData: weightsFor(weightSpecs) } as never))
      .rejects.toThrow(/config key 'activity_regularizer' .*not supported by wgnn \(only null\)/);
  });
});

describe('nested models: weights scoped by the model names', () => {
  function nested(tag: string, innerName: string, headName: string) {
    const i = wg.input({ shape: [3], name: `${tag}_bin` });
    const base = wg.model({ inputs: i, outputs: wg.layers.dense({ units: 2, name: innerName, kernelInitializer: { name: 'glorotUniform', seed: 41 } }).apply(i), name: `${tag}_base` });
    return wg.sequential({ name: `${tag}_top`, layers: [base, wg.layers.dense({ units: 1, name: headName, kernelInitializer: { name: 'glorotUniform', seed: 42 } })] });
  }

  it('file names with the nested and outer model names in front bind (Keras-converter style)', async () => {
    const m = nested('sc', 'sc_inner', 'sc_head');
    const art = await m.save();
    const scoped = art.weightSpecs.map((s) => ({ ...s, name: s.name.startsWith('sc_inner') ? `sc_top/sc_base/${s.name}` : `sc_top/${s.name}` }));
    const back = await wg.loadLayersModel({ ...art, weightSpecs: scoped });
    expect(Array.from(await back.predict(wg.tensor([[1, 2, 3]])).data())).toEqual(Array.from(await m.predict(wg.tensor([[1, 2, 3]])).data()));
  });

  it('a nested layer named like an outer one is saved under its scoped name and loads back bit-exactly', async () => {
    const m = nested('dup', 'same_name', 'same_name');
    const art = await m.save();
    expect(art.weightSpecs.map((s) => s.name)).toEqual(['dup_base/same_name/kernel', 'dup_base/same_name/bias', 'dup_top/same_name/kernel', 'dup_top/same_name/bias']);
    const back = await wg.loadLayersModel(art);
    for (let k = 0; k < m.weights.length; k++) expect(Array.from(await back.weights[k].data())).toEqual(Array.from(await m.weights[k].data()));
  });
});
