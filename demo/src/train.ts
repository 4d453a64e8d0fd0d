/**
 * Panel 2's model and training loop, without DOM: dense(64) -> batchNormalization -> relu ->
 * dense(10, softmax) on the digits, trained with `fit`, reading the BN layer's moving statistics
 * and the batch statistics of every step from onBatchEnd.
 */
import * as wg from 'wgnn';
import { loadDigits } from './digits.js';

export interface TrainSettings {
  readonly samples: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly learningRate: number;
  readonly trainable: boolean;
}

/** Channels of the BN layer shown in the statistics plot. */
export const PLOTTED_CHANNELS = 3;

export interface StepInfo {
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly batchesPerEpoch: number;
  readonly loss: number;
  readonly accuracy: number | null;
  /** Time of the step on the device (fit's work up to onBatchEnd), ms. */
  readonly stepMs: number;
  readonly moving: { readonly mean: number[]; readonly variance: number[] };
  /** Statistics of this step's rows at the BN input, measured just before the step. */
  readonly batch: { readonly mean: number[]; readonly variance: number[] };
  readonly trainable: boolean;
}

export interface TrainHooks {
  /** The BN layer, before fit starts (the page flips its `trainable` mid-training). */
  onBuilt(bn: wg.layers.BatchNormalization): void;
  onStep(info: StepInfo): void;
  onEpoch(epoch: number, logs: Readonly<Record<string, number>>): void;
}

/** A trained model and its validation data, alive until `dispose`. */
export interface Trained {
  readonly model: wg.Model;
  readonly bn: wg.layers.BatchNormalization;
  readonly xVal: wg.Tensor;
  readonly yVal: wg.Tensor;
  readonly batchSize: number;
  /** Median ms per training step (first step, which compiles pipelines, left out). */
  readonly medianStepMs: number;
  dispose(): void;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
}

function build(features: number, s: TrainSettings) {
  const inp = wg.input({ shape: [features] });
  const hidden = wg.layers.dense({ units: 64, useBias: false }).apply(inp);
  const bn = wg.layers.batchNormalization({ momentum: s.momentum, epsilon: s.epsilon, trainable: s.trainable });
  const act = wg.layers.activation({ activation: 'relu' }).apply(bn.apply(hidden));
  const out = wg.layers.dense({ units: 10, activation: 'softmax' }).apply(act);
  const model = wg.model({ inputs: inp, outputs: out });
  model.compile({ optimizer: wg.optimizers.adam({ learningRate: s.learningRate }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  // The same layers up to the BN input: gives the batch statistics BN sees in a step.
  const bnInput = wg.model({ inputs: inp, outputs: hidden });
  return { model, bn, bnInput };
}

interface BatchStats { readonly mean: number[]; readonly variance: number[] }

/** Per-channel mean / biased variance of the BN input over rows [start, start + size). */
async function batchStats(bnInput: wg.Model, x: wg.Tensor, start: number, size: number): Promise<BatchStats> {
  const joined = wg.tidy(() => {
    const m = wg.moments(bnInput.apply(wg.slice(x, [start, 0], [size, -1])), 0);
    return wg.concat([wg.slice(m.mean, [0], [PLOTTED_CHANNELS]), wg.slice(m.variance, [0], [PLOTTED_CHANNELS])], 0);
  });
  const v = Array.from(await joined.data());
  joined.dispose();
  return { mean: v.slice(0, PLOTTED_CHANNELS), variance: v.slice(PLOTTED_CHANNELS) };
}

/**
 * fit's callbacks: times each step, reads the BN layer's moving statistics (the snapshot fit's
 * per-batch readback refreshed) and measures the next step's batch statistics before it runs.
 */
class StepWatcher {
  readonly times: number[] = [];
  #next: BatchStats | null = null;
  // The value the coming step runs with: fit starts it right after a callback resolves, with no
  // UI event in between, so a click during an await counts for the step after.
  #trainable: boolean;
  #step = 0;
  #epoch = 0;
  #t0 = 0;

  constructor(
    readonly parts: { bn: wg.layers.BatchNormalization; bnInput: wg.Model; x: wg.Tensor },
    readonly plan: { batchSize: number; batchesPerEpoch: number; totalSteps: number },
    readonly hooks: TrainHooks,
  ) {
    this.#trainable = parts.bn.trainable;
  }

  async start(): Promise<void> {
    this.#next = await batchStats(this.parts.bnInput, this.parts.x, 0, this.plan.batchSize);
    this.#t0 = performance.now();
  }

  readonly onBatchEnd = async (b: number, logs: { loss: number; accuracy?: number }): Promise<void> => {
    const stepMs = performance.now() - this.#t0;
    if (this.#step > 0) this.times.push(stepMs);
    const snap = this.parts.bn.snapshot;
    const moving = {
      mean: Array.from(snap?.mean.subarray(0, PLOTTED_CHANNELS) ?? []),
      variance: Array.from(snap?.variance.subarray(0, PLOTTED_CHANNELS) ?? []),
    };
    this.#step++;
    this.hooks.onStep({
      ...this.plan, step: this.#step, epoch: this.#epoch, loss: logs.loss, accuracy: logs.accuracy ?? null,
      stepMs, moving, batch: this.#next!, trainable: this.#trainable,
    });
    const { batchSize: bs, batchesPerEpoch } = this.plan;
    this.#next = await batchStats(this.parts.bnInput, this.parts.x, ((b + 1) % batchesPerEpoch) * bs, bs);
    this.#trainable = this.parts.bn.trainable;
    this.#t0 = performance.now();
  };

  readonly onEpochEnd = (e: number, logs: Readonly<Record<string, number>>): void => {
    this.#epoch = e + 1;
    this.#trainable = this.parts.bn.trainable;
    this.hooks.onEpoch(e, logs);
    this.#t0 = performance.now();
  };
}

/**
 * Trains on the active backend. The rows are shuffled once (seeded) and `fit` runs with
 * `shuffle: false` and `dropRemainder: true`, so step b of every epoch uses rows
 * [b * batchSize, (b + 1) * batchSize): that is how the plot knows each step's batch.
 */
export async function train(s: TrainSettings, hooks: TrainHooks): Promise<Trained> {
  const data = loadDigits(s.samples);
  const xTrain = wg.tensor(data.train.x, [data.train.n, data.features]);
  const yTrain = wg.tensor(data.train.y, [data.train.n]);
  const xVal = wg.tensor(data.validation.x, [data.validation.n, data.features]);
  const yVal = wg.tensor(data.validation.y, [data.validation.n]);
  const { model, bn, bnInput } = build(data.features, s);
  hooks.onBuilt(bn);
  const batchSize = Math.min(s.batchSize, data.train.n);
  const batchesPerEpoch = Math.floor(data.train.n / batchSize);
  const watcher = new StepWatcher({ bn, bnInput, x: xTrain }, { batchSize, batchesPerEpoch, totalSteps: batchesPerEpoch * s.epochs }, hooks);
  const dispose = () => {
    wg.dispose([xVal, yVal, ...model.weights]);
    model.compiled?.optimizer.dispose();
  };
  try {
    await watcher.start();
    await model.fit(xTrain, yTrain, {
      batchSize, epochs: s.epochs, shuffle: false, dropRemainder: true, validationData: [xVal, yVal],
      callbacks: { onBatchEnd: watcher.onBatchEnd, onEpochEnd: watcher.onEpochEnd },
    });
  } catch (e) {
    dispose();
    throw e;
  } finally {
    wg.dispose([xTrain, yTrain]);
  }
  return { model, bn, xVal, yVal, batchSize, medianStepMs: median(watcher.times), dispose };
}

/** Accuracy of the validation set in inference mode (evaluate), or in training mode in batches. */
export async function validationAccuracy(t: Trained, training: boolean): Promise<number> {
  if (!training) return (await t.model.evaluate(t.xVal, t.yVal))['accuracy'];
  const n = t.xVal.shape[0];
  let correct = 0;
  for (let s = 0; s < n;) {
    // A last batch of one row would have variance 0 (output = beta): join it to the one before.
    const size = n - s - t.batchSize === 1 ? t.batchSize + 1 : Math.min(t.batchSize, n - s);
    const hits = wg.tidy(() => {
      const pred = t.model.apply(wg.slice(t.xVal, [s, 0], [size, -1]), { training: true });
      return wg.sum(wg.equal(wg.argMax(pred, -1), wg.slice(t.yVal, [s], [size])));
    });
    correct += (await hits.data())[0];
    hits.dispose();
    s += size;
  }
  return correct / n;
}
