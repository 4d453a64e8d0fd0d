/** `model.dispose()` (issue 13 item 7): frees weights and this model's optimizer slots, once. */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';

function net(name: string, optimizer: wg.optimizers.Optimizer) {
  const inp = wg.input({ shape: [3] });
  const d = wg.layers.dense({ units: 2, kernelInitializer: { name: 'glorotUniform', seed: 5 }, name: `${name}_d` });
  const bn = wg.layers.batchNormalization({ name: `${name}_bn` });
  const model = wg.model({ inputs: inp, outputs: bn.apply(d.apply(inp)), name });
  model.compile({ optimizer, loss: 'meanSquaredError' });
  return { model, bn };
}

describe('model.dispose', () => {
  it('returns memory to where it was before the model, keeps a shared optimizer\'s other slots, and refuses reuse', async () => {
    const x = wg.randomNormal([6, 3], { seed: 1 });
    const y = wg.randomNormal([6, 2], { seed: 2 });
    const before = wg.memory();
    const opt = wg.optimizers.adam();
    const a = net('disp_a', opt);
    const b = net('disp_b', opt);
    a.bn.apply(y, { training: true }).dispose(); // makes the layer's eager non-finite flag
    await a.model.fit(x, y, { batchSize: 3, epochs: 1, seed: 1 });
    await b.model.fit(x, y, { batchSize: 3, epochs: 1, seed: 1 });
    const bSlots = await Promise.all(b.model.trainableWeights.flatMap((w) => opt.slotsOf(w)).map((s) => s.data()));
    // a: 6 weights + 4 trainable weights x 2 Adam slots.
    expect(a.model.dispose()).toEqual({ refCountAfterDispose: 0, numDisposedVariables: 6 + 8 });
    expect(b.model.dispose().numDisposedVariables).toBe(6 + 8);
    expect(wg.memory().numTensors).toBe(before.numTensors);
    expect(wg.memory().numBytes).toBe(before.numBytes);
    expect(bSlots.length).toBe(8);
    expect(() => a.model.predict(x)).toThrow(/Model 'disp_a': predict input: the model was disposed/);
    await expect(a.model.fit(x, y)).rejects.toThrow(/Model 'disp_a': fit x: the model was disposed/);
    expect(() => a.model.dispose()).toThrow(wg.ValueError);
  });

  it('a shared optimizer keeps the slots of a model that is not disposed', async () => {
    const x = wg.randomNormal([6, 3], { seed: 3 });
    const y = wg.randomNormal([6, 2], { seed: 4 });
    const opt = wg.optimizers.adam();
    const a = net('share_a', opt);
    const b = net('share_b', opt);
    await a.model.fit(x, y, { batchSize: 3, epochs: 1, seed: 1 });
    await b.model.fit(x, y, { batchSize: 3, epochs: 1, seed: 1 });
    const slotBits = async () => Promise.all(b.model.trainableWeights.flatMap((w) => opt.slotsOf(w)).map(async (s) => Array.from(await s.data())));
    const kept = await slotBits();
    a.model.dispose();
    expect(await slotBits()).toEqual(kept);
    expect(opt.slots.length).toBe(8);
    b.model.dispose();
  });
});
