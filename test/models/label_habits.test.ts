/**
 * Label and layer habits on every backend: sparse labels out of range fail loudly (caught on the
 * device through the step flag, named at the epoch's readback), categorical losses given the
 * other kind of labels say which loss to use, and BatchNormalization's gamma / beta getters.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';

const bits = async (ts: readonly wg.Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.data())));

function classifier(name: string, loss: wg.CompileOptions['loss']) {
  const inp = wg.input({ shape: [4] });
  const out = wg.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: { name: 'glorotUniform', seed: 5 }, name: `${name}_d` }).apply(inp);
  const model = wg.model({ inputs: inp, outputs: out });
  model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.01 }), loss, metrics: ['accuracy'] });
  return model;
}

describe('sparse labels out of range', () => {
  it('fit raises at the epoch readback naming the batch and the labels; the bad step is skipped on the device', async () => {
    const model = classifier('sparse_fit', 'sparseCategoricalCrossentropy');
    const x = wg.randomNormal([12, 4], { seed: 1 });
    // Batches of 4, no shuffle: rows 8..11 (batch 3) hold labels 5 and 7 for 3 classes.
    const y = wg.tensor([0, 1, 2, 0, 1, 2, 0, 1, 5, 7, 0, 1]);
    const s0 = wg.backendStats().readbacks;
    const err = await model.fit(x, y, { batchSize: 4, epochs: 1, shuffle: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(wg.ValueError);
    expect((err as Error).message).toMatch(
      /fit epoch 1, batch 3 of 3 \(4 rows\): sparseCategoricalCrossentropy labels must be integers in \[0, 3\) for 3 classes, got 5, 7\. That step and the rest of the epoch were skipped/,
    );
    if (wg.getBackend() === 'webgpu') expect(wg.backendStats().readbacks - s0).toBe(2); // the epoch's readback, then the labels
    // Batches 1 and 2 trained, batch 3 did not: the same model fitted on the first 8 rows only.
    expect(model.compiled!.optimizer.iterations).toBe(2);
    const ref = classifier('sparse_ref', 'sparseCategoricalCrossentropy');
    await ref.fit(wg.slice(x, [0], [8]), wg.slice(y, [0], [8]), { batchSize: 4, epochs: 1, shuffle: false });
    expect(await bits(model.weights)).toEqual(await bits(ref.weights));
    expect(await bits(model.compiled!.optimizer.slots)).toEqual(await bits(ref.compiled!.optimizer.slots));
  });

  it('trainOnBatch and evaluate name the labels too; the loss function alone gives NaN, not 0', async () => {
    const model = classifier('sparse_tob', 'sparseCategoricalCrossentropy');
    const x = wg.randomNormal([4, 4], { seed: 2 });
    const y = wg.tensor([0, 3, 1, -1]);
    const before = await bits(model.weights);
    await expect(model.trainOnBatch(x, y)).rejects.toThrow(/trainOnBatch: sparseCategoricalCrossentropy labels must be integers in \[0, 3\) for 3 classes, got 3, -1; nothing was updated/);
    expect(await bits(model.weights)).toEqual(before);
    await expect(model.evaluate(x, y)).rejects.toThrow(/evaluate: sparseCategoricalCrossentropy labels .* got 3, -1/);
    // Not whole numbers: rejected the same way on every backend (oneHot gives a zero row for them).
    await expect(model.trainOnBatch(x, wg.tensor([0, 1.5, 1, 2]))).rejects.toThrow(/labels must be integers in \[0, 3\) for 3 classes, got 1.5/);
    expect(await wg.oneHot(wg.tensor([1.5, 2, -0.5]), 3).array()).toEqual([[0, 0, 0], [0, 0, 1], [0, 0, 0]]);
    const l = wg.losses.sparseCategoricalCrossentropy(wg.tensor([0, 5]), wg.tensor([[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]]));
    const v = await l.data();
    expect(v[0]).toBeAllClose(-Math.log(0.5), { rtol: 1e-5 });
    expect(Number.isNaN(v[1])).toBe(true);
  });
});

describe('the other kind of labels', () => {
  it('categoricalCrossentropy given integer labels says to use sparseCategoricalCrossentropy', async () => {
    const model = classifier('cat_int', 'categoricalCrossentropy');
    const x = wg.randomNormal([4, 4], { seed: 3 });
    await expect(model.fit(x, wg.tensor([0, 2, 1, 1]))).rejects.toThrow(
      /fit y has shape \[4\] but the model output is \[-1,3\] \(categoricalCrossentropy takes one-hot labels \[batch, 3\]; for integer class labels use sparseCategoricalCrossentropy\)/,
    );
    await expect(model.evaluate(x, wg.tensor([[0], [2], [1], [1]]))).rejects.toThrow(/use sparseCategoricalCrossentropy/);
  });

  it('sparseCategoricalCrossentropy given one-hot labels says to use categoricalCrossentropy', async () => {
    const model = classifier('sparse_hot', 'sparseCategoricalCrossentropy');
    await expect(model.fit(wg.zeros([2, 4]), wg.tensor([[1, 0, 0], [0, 1, 0]]))).rejects.toThrow(/for one-hot labels use categoricalCrossentropy/);
  });
});

describe('BatchNormalization gamma and beta', () => {
  it('are the scale and offset variables (null before build, or with scale / center off)', async () => {
    const bn = wg.layers.batchNormalization({ name: 'bn_getters' });
    expect(bn.gamma).toBeNull();
    const inp = wg.input({ shape: [3] });
    wg.model({ inputs: inp, outputs: bn.apply(inp) });
    expect(bn.gamma).toBe(bn.weights[0]);
    expect(bn.beta).toBe(bn.weights[1]);
    expect(bn.gamma!.name).toMatch(/gamma/);
    expect(Array.from(await bn.gamma!.data())).toEqual([1, 1, 1]);
    expect(Array.from(await bn.beta!.data())).toEqual([0, 0, 0]);
    const noScale = wg.layers.batchNormalization({ scale: false, center: false });
    wg.model({ inputs: inp, outputs: noScale.apply(inp) });
    expect(noScale.gamma).toBeNull();
    expect(noScale.beta).toBeNull();
  });
});
