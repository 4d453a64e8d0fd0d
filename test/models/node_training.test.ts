/**
 * `layer.apply(symbolic, { training })` fixes that call's mode, and it wins over the mode the
 * model runs in (Keras's rule): `base.apply(x, { training: false })` is the fine-tuning pattern
 * (the base's BN stays in inference mode inside fit, while its gamma/beta still train), and
 * `{ training: true }` keeps a BN in training mode even in predict. Checked by hand-derived
 * values: inference BN at initial statistics is x / sqrt(1 + eps); training BN normalizes per batch.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { ValueError } from '../../src/core/errors.js';
import '../util.js';

const X = [[1, 2], [3, 5], [-2, 0.5], [4, -1]];

function bnModel(training: boolean | undefined) {
  const inp = wg.input({ shape: [2] });
  const bn = wg.layers.batchNormalization({ epsilon: 1e-3 });
  const mid = bn.apply(inp, training === undefined ? {} : { training });
  const out = wg.layers.dense({ units: 1, kernelInitializer: 'ones', useBias: false }).apply(mid);
  return { model: wg.model({ inputs: inp, outputs: out }), bn };
}

describe('apply(symbolic, { training }) fixes the mode of that call', () => {
  it('training: false keeps BN in inference mode inside fit; its gamma/beta still train', async () => {
    const { model, bn } = bnModel(false);
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const x = wg.tensor(X);
    const y = wg.tensor([[1], [0], [1], [0]]);
    const gamma0 = Array.from(await bn.weights[0].data());
    await model.fit(x, y, { batchSize: 4, epochs: 2, shuffle: false });
    expect(Array.from(await bn.movingMean!.data())).toEqual([0, 0]);
    expect(Array.from(await bn.movingVariance!.data())).toEqual([1, 1]);
    expect(Array.from(await bn.weights[0].data())).not.toEqual(gamma0);
    wg.dispose([x, y]);
  });

  it('without it, fit runs BN in training mode and the moving statistics move', async () => {
    const { model, bn } = bnModel(undefined);
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const x = wg.tensor(X);
    const y = wg.tensor([[1], [0], [1], [0]]);
    await model.fit(x, y, { batchSize: 4, epochs: 1, shuffle: false });
    // One step, momentum 0.99: moving mean = 0.01 * batch mean (column means 1.5 and 1.625).
    expect(await bn.movingMean!.data()).toBeAllClose([0.015, 0.01625], { rtol: 1e-5 });
    wg.dispose([x, y]);
  });

  it('training: true runs BN in training mode even in predict', async () => {
    const { model, bn } = bnModel(true);
    const x = wg.tensor(X);
    const y = model.predict(x);
    const out = Array.from(await y.data());
    // Sum over the two channels of the batch-normalized columns (gamma 1, beta 0, kernel ones).
    const cols = [X.map((r) => r[0]), X.map((r) => r[1])];
    const norm = cols.map((c) => {
      const m = c.reduce((a, v) => a + v, 0) / c.length;
      const v = c.reduce((a, u) => a + (u - m) ** 2, 0) / c.length;
      return c.map((u) => (u - m) / Math.sqrt(v + 1e-3));
    });
    expect(out).toBeAllClose(X.map((_, i) => norm[0][i] + norm[1][i]), { rtol: 1e-5, atol: 1e-6 });
    expect(Array.from(await bn.movingMean!.data())).not.toEqual([0, 0]);
    wg.dispose([x, y]);
  });

  it('a nested base called with training: false: frozen-mode BN inside the outer fit', async () => {
    const inner = bnModel(undefined);
    const inp = wg.input({ shape: [2] });
    const out = wg.layers.dense({ units: 1 }).apply(inner.model.apply(inp, { training: false }));
    const outer = wg.model({ inputs: inp, outputs: out });
    outer.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = wg.tensor(X);
    const y = wg.tensor([[1], [0], [1], [0]]);
    await outer.fit(x, y, { batchSize: 2, epochs: 1 });
    expect(Array.from(await inner.bn.movingMean!.data())).toEqual([0, 0]);
    wg.dispose([x, y]);
  });

  it('survives save / loadModel', async () => {
    const { model } = bnModel(true);
    const loaded = await wg.loadModel(await model.save());
    expect(loaded.graphNodes.map((n) => n.training)).toEqual(model.graphNodes.map((n) => n.training));
    expect(loaded.graphNodes.some((n) => n.training === true)).toBe(true);
  });

  it('rejects a non-boolean training and unknown apply options', () => {
    const inp = wg.input({ shape: [2] });
    const d = wg.layers.dense({ units: 1, name: 'd_opts' });
    expect(() => d.apply(inp, { training: 'yes' as unknown as boolean })).toThrow(ValueError);
    expect(() => d.apply(inp, { training: 'yes' as unknown as boolean })).toThrow("Dense 'd_opts': apply: training must be a boolean, got yes");
    expect(() => d.apply(inp, { mask: null } as unknown as wg.ApplyOptions)).toThrow("Dense 'd_opts': apply: unknown option 'mask' (allowed: training)");
  });
});
