/** Layer behaviour on every backend: config validation, names, weights, BN modes and edge cases. */
import { describe, expect, it, vi } from 'vitest';
import * as wg from '../../src/index.js';

const data = async (t: wg.Tensor) => Array.from(await t.data());

describe('layer config validation', () => {
  it('rejects unknown options and out-of-range values, naming the layer', () => {
    expect(() => wg.layers.dense({ units: 3, unitz: 4 } as never)).toThrow(/Dense 'dense.*': unknown option 'unitz'/);
    expect(() => wg.layers.dense({ units: 0 })).toThrow(wg.ValueError);
    expect(() => wg.layers.dense({ units: 2, activation: 'gelu' as never })).toThrow(/unknown activation/);
    expect(() => wg.layers.batchNormalization({ momentum: 1.5 })).toThrow(/BatchNormalization '.*': momentum must be in \[0, 1\]/);
    expect(() => wg.layers.batchNormalization({ epsilon: -1 })).toThrow(/epsilon/);
    expect(() => wg.layers.batchNormalization({ movingVarianceCorrection: 'both' as never })).toThrow(/movingVarianceCorrection/);
    expect(() => wg.layers.batchNormalization({ foo: 1 } as never)).toThrow(/unknown option 'foo'/);
    expect(() => wg.layers.dropout({ rate: 1 })).toThrow(/rate must be a number in \[0, 1\)/);
    expect(() => wg.optimizers.sgd({ learningRate: -1 })).toThrow(wg.ValueError);
  });

  it('gives unique Keras-style default names and <layer>/<weight> variable names', () => {
    const a = wg.layers.dense({ units: 2 });
    const b = wg.layers.dense({ units: 2 });
    expect(a.name).not.toBe(b.name);
    expect(b.name).toMatch(/^dense_\d+$/);
    const d = wg.layers.dense({ units: 3, name: 'head' });
    d.apply(wg.zeros([4, 2]));
    expect(d.weights.map((w) => [w.name, w.shape])).toEqual([['head/kernel', [2, 3]], ['head/bias', [3]]]);
    const bn = wg.layers.batchNormalization({ name: 'bn' });
    bn.apply(wg.input({ shape: [5] }));
    expect(bn.weights.map((w) => w.name)).toEqual(['bn/gamma', 'bn/beta', 'bn/moving_mean', 'bn/moving_variance']);
    expect(bn.trainableWeights.map((w) => w.name)).toEqual(['bn/gamma', 'bn/beta']);
  });
});

describe('Dense', () => {
  it('computes activation(x @ kernel + bias) with a seeded glorot-uniform kernel', async () => {
    const mk = () => wg.layers.dense({ units: 2, activation: 'relu', kernelInitializer: { name: 'glorotUniform', seed: 7 } });
    const d = mk();
    const x = wg.tensor([[1, -2, 3]]);
    const y = d.apply(x);
    const [k, b] = d.getWeights();
    const ref = wg.relu(wg.add(wg.matmul(x, k), b));
    expect(await data(y)).toEqual(await data(ref));
    const limit = Math.sqrt(6 / 5);
    for (const v of await data(k)) expect(Math.abs(v)).toBeLessThanOrEqual(limit);
  });

  it('setWeights checks shapes with a clear ShapeError', () => {
    const d = wg.layers.dense({ units: 2, name: 'd_set' });
    d.apply(wg.zeros([1, 3]));
    expect(() => d.setWeights([wg.zeros([2, 2]), wg.zeros([2])])).toThrow(/Dense 'd_set': weight 'd_set\/kernel' has shape \[3,2\] but setWeights got \[2,2\]/);
    expect(() => d.apply(wg.zeros([1, 4]))).toThrow(/input has 4 features on axis -1 but the layer was built for 3/);
  });
});

describe('BatchNormalization', () => {
  it('errors name the layer and all shapes', () => {
    const bn = wg.layers.batchNormalization({ name: 'bn_shapes' });
    bn.apply(wg.zeros([3, 5]));
    expect(() => bn.apply(wg.zeros([3, 4]))).toThrow(
      "BatchNormalization 'bn_shapes': input has 4 channels on axis -1 but the layer was built for 5 (input shape [3,4])",
    );
    expect(() => bn.apply(wg.zeros([0, 5]), { training: true })).toThrow(/bn_shapes': empty batch \(input shape \[0,5\]\)/);
  });

  it('inference mode uses the moving statistics; training mode uses batch statistics and updates them', async () => {
    const bn = wg.layers.batchNormalization({ momentum: 0.5, epsilon: 0 });
    const x = wg.tensor([[1, 10], [3, 30]]);
    expect(await data(bn.apply(x))).toEqual([1, 10, 3, 30]);
    expect(await bn.apply(x, { training: true }).data()).toBeAllClose([-1, -1, 1, 1]);
    expect(await bn.movingMean!.data()).toBeAllClose([1, 10]);
    expect(await bn.movingVariance!.data()).toBeAllClose([1, 50.5]);
  });

  it('trainable = false: inference mode even with training true, takes effect at the next call', async () => {
    const bn = wg.layers.batchNormalization({ epsilon: 0 });
    const x = wg.tensor([[1, 10], [3, 30]]);
    bn.trainable = false;
    expect(await data(bn.apply(x, { training: true }))).toEqual([1, 10, 3, 30]);
    expect(await data(bn.movingMean!)).toEqual([0, 0]);
    expect(bn.trainableWeights).toHaveLength(0);
    bn.trainable = true;
    expect(await bn.apply(x, { training: true }).data()).toBeAllClose([-1, -1, 1, 1]);
    expect(bn.trainableWeights).toHaveLength(2);
  });

  it('one value per channel in training mode: output beta, variance pulled to 0, one warning per layer', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const bn = wg.layers.batchNormalization({ momentum: 0.5, name: 'bn_one' });
    const x = wg.tensor([[4, -2]]);
    expect(await data(bn.apply(x, { training: true }))).toEqual([0, 0]);
    bn.apply(x, { training: true });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/bn_one'.*one value per channel.*batch size >= 2.*dropRemainder/);
    expect(await bn.movingVariance!.data()).toBeAllClose([0.25, 0.25]);
    warn.mockRestore();
  });

  it('non-finite batch statistics in an eager training call leave the moving statistics alone and are reported', async () => {
    const bn = wg.layers.batchNormalization({ name: 'bn_nan' });
    bn.apply(wg.tensor([[1, 2], [3, 4]]), { training: true });
    const before = [await data(bn.movingMean!), await data(bn.movingVariance!)];
    bn.apply(wg.tensor([[NaN, 2], [3, 4]]), { training: true });
    expect([await data(bn.movingMean!), await data(bn.movingVariance!)]).toEqual(before);
    await expect(bn.checkStatistics()).rejects.toThrow(/bn_nan'.*NaN\/Inf batch statistics/);
    await expect(bn.checkStatistics()).resolves.toBeUndefined();
  });

  it('NCHW: axis 1 normalizes channels of a rank-4 input', async () => {
    const bn = wg.layers.batchNormalization({ axis: 1, epsilon: 0, momentum: 0 });
    const x = wg.randomNormal([2, 3, 2, 2], { seed: 3, mean: 5, stddev: 2 });
    bn.apply(x, { training: true });
    const m = wg.mean(x, [0, 2, 3]);
    expect(await bn.movingMean!.data()).toBeAllClose(await m.data(), { rtol: 1e-5 });
  });
});

describe('Dropout', () => {
  it('is the identity in inference mode and scales kept values by 1 / (1 - rate) in training', async () => {
    const d = wg.layers.dropout({ rate: 0.5, seed: 1 });
    const x = wg.ones([4, 8]);
    expect(await data(d.apply(x))).toEqual(new Array(32).fill(1));
    const y = await data(d.apply(x, { training: true }));
    expect(y.every((v) => v === 0 || v === 2)).toBe(true);
    expect(y.some((v) => v === 0)).toBe(true);
  });
});
