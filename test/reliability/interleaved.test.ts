/**
 * Two models training at once on one device (two `fit` calls awaited together) end bitwise equal
 * to each trained alone (issue 13): fits share the backend, its buffer pool and caches, and the
 * step context, but no values.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';

function net(name: string, seed: number) {
  const inp = wg.input({ shape: [5] });
  const h = wg.layers.dense({ units: 6, activation: 'relu', kernelInitializer: { name: 'glorotUniform', seed }, name: `${name}_h` }).apply(inp);
  const n = wg.layers.batchNormalization({ name: `${name}_bn` }).apply(h);
  const out = wg.layers.dense({ units: 2, kernelInitializer: { name: 'glorotUniform', seed: seed + 1 }, name: `${name}_o` }).apply(n);
  const model = wg.model({ inputs: inp, outputs: out, name });
  model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
  return model;
}

async function bits(m: wg.Model): Promise<number[][]> {
  const ts = [...m.weights, ...m.compiled!.optimizer.slots];
  return Promise.all(ts.map(async (t) => Array.from(new Uint32Array((await t.data()).buffer))));
}

const data = (seed: number) => ({ x: wg.randomNormal([20, 5], { seed }), y: wg.randomNormal([20, 2], { seed: seed + 50 }) });

describe('interleaved fits on one device', () => {
  for (const withCallbacks of [false, true]) {
    it(`two fits awaited together equal each fit alone (${withCallbacks ? 'with a batch callback: interleaving at every batch' : 'no callbacks'})`, async () => {
      const [da, db] = [data(1), data(2)];
      const batches: string[] = [];
      const opts = (tag: string): wg.FitOptions => ({
        batchSize: 6, epochs: 3, seed: 9, validationSplit: 0.2,
        ...(withCallbacks ? { callbacks: { onBatchEnd: async () => { batches.push(tag); await new Promise((r) => setTimeout(r, 0)); } } } : {}),
      });
      const aloneA = net(`alone_a${+withCallbacks}`, 10);
      const aloneB = net(`alone_b${+withCallbacks}`, 20);
      const hA = await aloneA.fit(da.x, da.y, opts('a'));
      const hB = await aloneB.fit(db.x, db.y, opts('b'));
      batches.length = 0;
      const bothA = net(`both_a${+withCallbacks}`, 10);
      const bothB = net(`both_b${+withCallbacks}`, 20);
      const [hA2, hB2] = await Promise.all([bothA.fit(da.x, da.y, opts('a')), bothB.fit(db.x, db.y, opts('b'))]);
      if (withCallbacks) {
        // Really interleaved: each fit ran batches while the other was still running.
        expect(batches.indexOf('b')).toBeLessThan(batches.lastIndexOf('a'));
        expect(batches.indexOf('a')).toBeLessThan(batches.lastIndexOf('b'));
      }
      expect(hA2.history).toEqual(hA.history);
      expect(hB2.history).toEqual(hB.history);
      expect(await bits(bothA)).toEqual(await bits(aloneA));
      expect(await bits(bothB)).toEqual(await bits(aloneB));
      for (const m of [aloneA, aloneB, bothA, bothB]) m.dispose();
    });
  }
});
