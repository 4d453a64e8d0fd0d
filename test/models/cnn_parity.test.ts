/**
 * CNN blocks trained with wgnn (the project's backend) and with TF.js 4.22 layers (pure-JS CPU
 * backend) from the same initial weights, SGD, shuffle off, `trainable` true everywhere (TF.js's
 * BN ignores `trainable`, see tfjs_parity.test.ts): 20 steps (10 epochs of 2 batches of 4) give
 * the same per-epoch losses, weights and BN moving statistics within 1e-4 relative (atol 1e-6
 * for values near zero). The networks are bench/cnn_nets.ts's, built by the same node list in
 * both libraries.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { copyWeightsToTf, mobilenetSpec, resnetSpec, tfNet, wgNet, type NetSpec } from '../../bench/cnn_nets.js';
import { Rng } from '../util.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const [N, BATCH, EPOCHS] = [8, 4, 10];

const CASES: { readonly title: string; readonly spec: NetSpec; readonly lr: number }[] = [
  { title: 'residual block (stem conv-BN-ReLU, conv-BN-ReLU-conv-BN + add + ReLU)', spec: resnetSpec([8, 8, 3], 8, 1, null), lr: 0.05 },
  {
    title: 'MobileNetV2 inverted residuals (1x1 expand, ReLU6, 3x3 depthwise stride 1 then 2, 1x1 project, add)',
    spec: mobilenetSpec([16, 16, 3], 8, [[8, 1], [12, 2]], null, 2), lr: 0.05,
  },
];

describe('CNN blocks train as in TF.js (same initial weights, SGD, 20 steps)', () => {
  for (const [i, c] of CASES.entries()) {
    it(`${c.title}: same losses, weights and moving statistics`, async () => {
      const model = wgNet(c.spec, 3 + i);
      const ref = tfNet(c.spec);
      const out = model.outputs[0].shape.slice(1) as number[];
      const r = new Rng(90 + i);
      const xv = r.uniform(N * c.spec.input.reduce((a, b) => a * b, 1), -1, 1);
      const yv = r.uniform(N * out.reduce((a, b) => a * b, 1), -1, 1);
      const [xs, ys] = [[N, ...c.spec.input], [N, ...out]];
      await copyWeightsToTf(model, ref);
      model.compile({ optimizer: wg.optimizers.sgd({ learningRate: c.lr }), loss: 'meanSquaredError' });
      ref.compile({ optimizer: tf.train.sgd(c.lr), loss: 'meanSquaredError' });
      const [x, y] = [wg.tensor(xv, xs), wg.tensor(yv, ys)];
      const h = await model.fit(x, y, { batchSize: BATCH, epochs: EPOCHS, shuffle: false });
      const hr = await ref.fit(tf.tensor(Float32Array.from(xv), xs), tf.tensor(Float32Array.from(yv), ys), { batchSize: BATCH, epochs: EPOCHS, shuffle: false, verbose: 0 });
      expect(h.history.loss).toBeAllClose(hr.history.loss as number[], { rtol: 1e-4 });
      // The loss moved: the test compares training, not two copies of the initial weights.
      expect(h.history.loss[EPOCHS - 1]).toBeLessThan(0.95 * h.history.loss[0]);
      let moving = 0;
      for (const l of model.layers) {
        const theirs = ref.getLayer(l.name).getWeights();
        expect(l.weights.map((w) => [...w.shape])).toEqual(theirs.map((w) => w.shape));
        for (const [k, w] of l.weights.entries()) {
          expect(await w.data(), w.name).toBeAllClose(theirs[k].dataSync(), { rtol: 1e-4, atol: 1e-6 });
          if (w.name.includes('moving_')) moving++;
        }
      }
      expect(moving).toBe(2 * model.layers.filter((l) => l.className === 'BatchNormalization').length);
      wg.dispose([x, y]);
    });
  }
});
