/**
 * Models on every backend: frozen fine-tuning, atomic training steps, save/load, summary,
 * optimizer formulas, and how much device work a step is.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';

const bits = async (ts: readonly wg.Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.data())));

function dataset(n: number, seed: number) {
  const x = wg.randomNormal([n, 4], { seed, mean: 1, stddev: 2 });
  const y = wg.tidy(() => wg.sigmoid(wg.matmul(x, wg.tensor([[0.5], [-1], [0.25], [2]]))));
  return { x, y };
}

function mlp(name: string) {
  const inp = wg.input({ shape: [4] });
  const d1 = wg.layers.dense({ units: 6, activation: 'relu', kernelInitializer: { name: 'glorotUniform', seed: 1 }, name: `${name}_d1` });
  const bn = wg.layers.batchNormalization({ name: `${name}_bn` });
  const d2 = wg.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: { name: 'glorotUniform', seed: 2 }, name: `${name}_d2` });
  const model = wg.model({ inputs: inp, outputs: d2.apply(bn.apply(d1.apply(inp))) });
  return { model, bn };
}

/** Everything a step may change: weights, moving statistics, optimizer slots. */
async function state(model: wg.Model) {
  return bits([...model.weights, ...(model.compiled?.optimizer.slots ?? [])]);
}

describe('frozen fine-tuning (trainable = false on BatchNormalization)', () => {
  it('fit keeps gamma, beta and the moving statistics bitwise; unfreezing works at the next fit', async () => {
    const { model, bn } = mlp('ft');
    const { x, y } = dataset(24, 5);
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }), loss: 'binaryCrossentropy' });
    bn.trainable = false;
    const before = await bits(bn.weights);
    await model.fit(x, y, { batchSize: 8, epochs: 2, seed: 1 });
    expect(await bits(bn.weights)).toEqual(before);
    expect(model.summary()).toMatch(/ft_bn \(BatchNormalization\).*frozen \(inference\)/);
    bn.trainable = true; // no recompile
    await model.fit(x, y, { batchSize: 8, epochs: 1, seed: 1 });
    const after = await bits(bn.weights);
    for (let i = 0; i < 4; i++) expect(after[i]).not.toEqual(before[i]);
    expect(model.summary()).toMatch(/ft_bn \(BatchNormalization\).*training-capable; .*moving_mean/);
  });
});

describe('atomic training steps', () => {
  it('a shape mismatch is rejected before any work', async () => {
    const { model } = mlp('shape');
    const { x, y } = dataset(16, 6);
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await model.fit(x, y, { batchSize: 8, epochs: 1, shuffle: false });
    const before = await state(model);
    const iters = model.compiled!.optimizer.iterations;
    await expect(model.fit(wg.zeros([16, 3]), y)).rejects.toThrow(/fit x has shape \[16,3\] but the model expects \[-1,4\]/);
    await expect(model.fit(x, wg.zeros([15, 1]))).rejects.toThrow(/x has 16 rows .* y has shape \[15,1\]/);
    await expect(model.trainOnBatch(x, wg.zeros([16, 2]))).rejects.toThrow(wg.ShapeError);
    await expect(model.fit(x, y, { batchSize: 32, dropRemainder: true })).rejects.toThrow(/16 training rows .* no batch to train on/);
    expect(await state(model)).toEqual(before);
    expect(model.compiled!.optimizer.iterations).toBe(iters);
  });

  it('a NaN batch leaves weights, optimizer state and moving statistics bitwise unchanged and names the batch', async () => {
    const { model } = mlp('nan');
    const { x, y } = dataset(16, 7);
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await model.fit(x, y, { batchSize: 8, epochs: 1, shuffle: false });
    // Rows 8..15 are batch 2; poison one of them.
    const bad = wg.tidy(() => wg.concat([wg.slice(x, [0], [12]), wg.fill([1, 4], NaN), wg.slice(x, [13], [3])], 0));
    const ok = await state(model);
    const iters = model.compiled!.optimizer.iterations;
    await expect(model.fit(bad, y, { batchSize: 8, shuffle: false })).rejects.toThrow(/epoch 1, batch 2 of 2 .*NaN or Inf/);
    // Batch 1 was applied, batch 2 was not: compare with a clean one-batch step from the same state.
    const afterBad = await state(model);
    expect(model.compiled!.optimizer.iterations).toBe(iters + 1);
    const first = wg.tidy(() => [wg.slice(x, [0], [8]), wg.slice(y, [0], [8])]);
    const { model: twin } = mlp('nan_twin');
    twin.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await twin.fit(x, y, { batchSize: 8, epochs: 1, shuffle: false });
    expect(await state(twin)).toEqual(ok);
    await twin.trainOnBatch(first[0], first[1]);
    expect(await state(twin)).toEqual(afterBad);
    // trainOnBatch with the bad rows changes nothing at all.
    const badBatch = wg.slice(bad, [8], [8]);
    await expect(model.trainOnBatch(badBatch, wg.slice(y, [8], [8]))).rejects.toThrow(wg.NonFiniteError);
    expect(await state(model)).toEqual(afterBad);
    expect(model.compiled!.optimizer.iterations).toBe(iters + 1);
  });
});

describe('save / loadModel', () => {
  it('round-trips topology and weights bitwise', async () => {
    const { model } = mlp('save');
    const { x, y } = dataset(16, 8);
    model.compile({ loss: 'meanSquaredError' });
    await model.fit(x, y, { batchSize: 4, epochs: 1, seed: 3 });
    const art = await model.save();
    expect(art.weightSpecs.map((s) => s.name)).toEqual(model.weights.map((w) => w.name));
    expect(art.weightSpecs.every((s) => s.dtype === 'float32')).toBe(true);
    const json = JSON.parse(JSON.stringify(art.modelTopology));
    const same = await wg.loadModel({ ...art, modelTopology: json });
    expect(await bits(same.weights)).toEqual(await bits(model.weights));
    expect(Array.from(await same.predict(x).data())).toEqual(Array.from(await model.predict(x).data()));
  });
});

describe('sequential, predict, evaluate, summary', () => {
  it('trains a Sequential with accuracy and validation, and reports parameter counts', async () => {
    const seq = wg.sequential({ layers: [
      wg.layers.dense({ units: 8, inputShape: [4], activation: 'tanh', kernelInitializer: { name: 'glorotUniform', seed: 4 } }),
      wg.layers.batchNormalization(),
      wg.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: { name: 'glorotUniform', seed: 5 } }),
    ] });
    const { x, y } = dataset(40, 9);
    const labels = wg.tidy(() => wg.greater(y, 0.5));
    seq.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const h = await seq.fit(x, labels, { batchSize: 8, epochs: 8, seed: 2, validationSplit: 0.25 });
    expect(Object.keys(h.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(h.history.loss[7]).toBeLessThan(h.history.loss[0]);
    const ev = await seq.evaluate(x, labels);
    expect(ev.accuracy).toBeGreaterThan(0.7);
    expect((await seq.predict(x, { batchSize: 7 }).data()).length).toBe(40);
    const s = seq.summary();
    expect(s).toMatch(/Total params: 81/);
    expect(s).toMatch(/Trainable params: 65/);
    expect(s).toMatch(/Non-trainable params: 16/);
  });
});

describe('weight penalties in the reported loss', () => {
  it('evaluate, val_loss and fit report the loss with the penalties (Keras model.losses); frozen weights carry none', async () => {
    const model = wg.sequential({ layers: [wg.layers.dense({
      units: 2, inputShape: [3], kernelInitializer: { name: 'glorotUniform', seed: 3 }, biasInitializer: 'ones',
      kernelRegularizer: { l1: 0.05, l2: 0.1 }, biasRegularizer: { l2: 0.2 },
    })] });
    // Learning rate 0: fit leaves the weights as they are, so every figure below sees the same ones.
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0 }), loss: 'meanSquaredError' });
    const x = wg.randomNormal([6, 3], { seed: 1 });
    const y = wg.randomNormal([6, 2], { seed: 2 });
    const [k, b] = await Promise.all(model.weights.map((w) => w.data()));
    const p = await model.predict(x).data();
    const yv = await y.data();
    const mse = Array.from(p).reduce((s, v, i) => s + (v - yv[i]) ** 2, 0) / p.length;
    const pen = Array.from(k).reduce((s, v) => s + 0.05 * Math.abs(v) + 0.1 * v * v, 0) + Array.from(b).reduce((s, v) => s + 0.2 * v * v, 0);
    expect(pen).toBeGreaterThan(0.1);
    expect((await model.evaluate(x, y)).loss).toBeCloseTo(mse + pen, 5);
    const h = await model.fit(x, y, { batchSize: 6, epochs: 1, validationData: [x, y] });
    expect(h.history.loss[0]).toBeCloseTo(mse + pen, 5);
    expect(h.history.val_loss[0]).toBeCloseTo(mse + pen, 5);
    model.layers[0].trainable = false;
    expect((await model.evaluate(x, y)).loss).toBeCloseTo(mse, 5);
    wg.dispose([x, y]);
  });
});

describe('fit(x, x): one gather serves as inputs and targets (gatherPair otherwise)', () => {
  const seedModel = () => {
    const inp = wg.input({ shape: [5] });
    const m = wg.model({ inputs: inp, outputs: wg.layers.batchNormalization({ epsilon: 1e-9 }).apply(inp) });
    m.compile({ loss: (a, b) => wg.square(wg.sub(a, b)) });
    return m;
  };
  for (const o of [{ shuffle: false }, { shuffle: true, seed: 3 }, { shuffle: true, seed: 4, validationSplit: 0.25 }]) {
    it(`same history, weights and slots as fit(x, copy of x) (${JSON.stringify(o)})`, async () => {
      const x = wg.randomNormal([12, 5], { seed: 5, mean: 2, stddev: 3 });
      const copy = wg.tidy(() => wg.add(x, 0));
      const a = seedModel();
      const b = seedModel();
      const s0 = wg.backendStats();
      const ha = await a.fit(x, x, { batchSize: 3, epochs: 2, ...o });
      const s1 = wg.backendStats();
      const hb = await b.fit(x, copy, { batchSize: 3, epochs: 2, ...o });
      const s2 = wg.backendStats();
      expect(ha.history).toEqual(hb.history);
      expect(await state(a)).toEqual(await state(b));
      expect(await x.data()).toEqual(await copy.data());
      if (wg.getBackend() === 'webgpu') {
        // One gather dispatch per step either way (gatherPair for distinct x and y); with a split,
        // one slice fewer for the split and one per validation batch (3 rows: one per epoch).
        expect((s2.dispatches - s1.dispatches) - (s1.dispatches - s0.dispatches)).toBe(o.validationSplit ? 2 + 2 : 0);
      }
    });
  }
});

describe('device work per training step', () => {
  it('reads back once per epoch and reports dispatches/submits per step', async () => {
    const { model } = mlp('stats');
    const { x, y } = dataset(64, 10);
    model.compile({ optimizer: 'rmsprop', loss: 'meanSquaredError' });
    await model.fit(x, y, { batchSize: 8, epochs: 1, shuffle: false });
    const s0 = wg.backendStats();
    await model.fit(x, y, { batchSize: 8, epochs: 2, shuffle: false });
    const s1 = wg.backendStats();
    if (wg.getBackend() === 'webgpu') {
      expect(s1.readbacks - s0.readbacks).toBe(2);
      const per = (k: 'dispatches' | 'submits') => (s1[k] - s0[k]) / 16;
      console.log(`[wgnn] Dense-BN-Dense step (batch 8): ${per('dispatches')} dispatches, ${per('submits')} submits per step`);
    }
  });

  it('seed model and MLP 784-256-BN-ReLU-10 (batch 256): dispatches and submits per step, no readback inside an epoch', async () => {
    const measure = async (model: wg.Model, x: wg.Tensor, y: wg.Tensor, batchSize: number) => {
      await model.fit(x, y, { batchSize, epochs: 1, shuffle: false });
      const s0 = wg.backendStats();
      await model.fit(x, y, { batchSize, epochs: 1, shuffle: false });
      const s1 = wg.backendStats();
      const steps = Math.ceil(x.shape[0] / batchSize);
      return { d: (s1.dispatches - s0.dispatches) / steps, s: (s1.submits - s0.submits) / steps, r: s1.readbacks - s0.readbacks };
    };
    const inp = wg.input({ shape: [5] });
    const seedModel = wg.model({ inputs: inp, outputs: wg.layers.batchNormalization({ epsilon: 1e-9 }).apply(inp) });
    seedModel.compile({ loss: (a, b) => wg.square(wg.sub(a, b)) });
    const xs = wg.randomNormal([9, 5], { seed: 1 });
    const seed = await measure(seedModel, xs, xs, 3);
    const mlpModel = wg.sequential({ layers: [
      wg.layers.dense({ units: 256, inputShape: [784], kernelInitializer: { name: 'glorotUniform', seed: 1 } }),
      wg.layers.batchNormalization(), wg.layers.activation({ activation: 'relu' }),
      wg.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: { name: 'glorotUniform', seed: 2 } }),
    ] });
    mlpModel.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const xm = wg.randomUniform([512, 784], { seed: 2 });
    const ym = wg.tensor(Array.from({ length: 512 }, (_, i) => i % 10));
    const mlpStats = await measure(mlpModel, xm, ym, 256);
    if (wg.getBackend() === 'webgpu') {
      expect(seed.r).toBe(1);
      expect(mlpStats.r).toBe(1);
      console.log(`[wgnn] seed model step (batch 3): ${seed.d} dispatches, ${seed.s} submits; ` +
        `MLP 784-256-BN-ReLU-10 step (batch 256): ${mlpStats.d} dispatches, ${mlpStats.s} submits (1 readback per epoch)`);
    }
  });
});
