/**
 * wgnn's training steps through the public API (the same architectures as bench/tfjs_peers.ts):
 * the seed model and the 784-256-BN-ReLU-10 MLP, timed as one `fit` epoch over K batches
 * (shuffle off), which reads back once at the end of the epoch; `wg.ready()` then waits for the GPU.
 */
import * as wg from '../src/index.js';

export interface WgModelCase {
  readonly model: wg.Model;
  readonly x: wg.Tensor;
  readonly y: wg.Tensor;
  readonly batchSize: number;
}

export function wgSeedModel(batches: number): WgModelCase {
  const input = wg.input({ shape: [5] });
  const out = wg.layers.batchNormalization({ epsilon: 1e-9, momentum: 0.99 }).apply(input) as wg.SymbolicTensor;
  const model = wg.model({ inputs: input, outputs: out });
  model.compile({ optimizer: 'rmsprop', loss: (a, b) => wg.square(wg.sub(a, b)) });
  const x = wg.randomNormal([3 * batches, 5], { mean: 0.3, stddev: 5, seed: 1 });
  return { model, x, y: wg.add(x, 0), batchSize: 3 };
}

export function wgMlpModel(batches: number, optimizer: 'rmsprop' | 'sgd'): WgModelCase {
  const model = wg.sequential({
    layers: [
      wg.layers.dense({ units: 256, inputShape: [784] }),
      wg.layers.batchNormalization({ axis: -1, momentum: 0.99, epsilon: 1e-3 }),
      wg.layers.activation({ activation: 'relu' }),
      wg.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const n = 256 * batches;
  const x = wg.randomUniform([n, 784], { seed: 2 });
  const onehot = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) onehot[i * 10 + Math.floor(Math.random() * 10)] = 1;
  return { model, x, y: wg.tensor(onehot, [n, 10]), batchSize: 256 };
}

/** The issue-14 MLP: 784 -> 512 -> BN -> ReLU -> 512 -> BN -> ReLU -> 10 softmax, Adam. */
export function wgMlp512Model(batches: number, batchSize: number): WgModelCase {
  const block = (): wg.Layer[] => [
    wg.layers.batchNormalization({ axis: -1, momentum: 0.99, epsilon: 1e-3 }), wg.layers.activation({ activation: 'relu' }),
  ];
  const model = wg.sequential({
    layers: [
      wg.layers.dense({ units: 512, inputShape: [784] }), ...block(),
      wg.layers.dense({ units: 512 }), ...block(),
      wg.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  const n = batchSize * batches;
  const x = wg.randomUniform([n, 784], { seed: 4 });
  const onehot = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) onehot[i * 10 + Math.floor(Math.random() * 10)] = 1;
  return { model, x, y: wg.tensor(onehot, [n, 10]), batchSize };
}

export interface EpochStats { ms: number; dispatches: number; submits: number; readbacks: number }

/** One fit epoch over the first `batches` batches (no shuffle), GPU awaited; ms and counters. */
export async function wgFitEpoch(c: WgModelCase, batches: number): Promise<EpochStats> {
  const rows = Math.min(c.x.shape[0], batches * c.batchSize);
  const xs = wg.slice(c.x, [0], [rows]);
  const ys = wg.slice(c.y, [0], [rows]);
  await wg.ready();
  const s0 = wg.backendStats();
  const t0 = performance.now();
  await c.model.fit(xs, ys, { batchSize: c.batchSize, epochs: 1, shuffle: false });
  await wg.ready();
  const ms = performance.now() - t0;
  const s1 = wg.backendStats();
  xs.dispose();
  ys.dispose();
  return { ms, dispatches: s1.dispatches - s0.dispatches, submits: s1.submits - s0.submits, readbacks: s1.readbacks - s0.readbacks };
}

export function wgDisposeCase(c: WgModelCase): void {
  c.x.dispose();
  c.y.dispose();
}

export { wg };
