/**
 * The fine-tuning section's models and runs, without DOM: the pretrained network's convolutional
 * layers re-applied to a smaller input up to a cut, a new head (global average pooling ->
 * dense(classes, softmax)), and two ways to "freeze" the base:
 *
 * - 'frozen': `base.trainable = false` (Keras): every BN layer of the base runs in inference mode,
 *   its moving statistics never change, nothing in the base trains.
 * - 'trap': what TF.js 4.22 does with `trainable: false` on a BN layer: its weights do not train,
 *   but inside `fit` it still normalizes with each batch's statistics and updates its moving
 *   statistics. Made with wgnn's public API: the base's layers stay `trainable = true` (so its BN
 *   layers run in training mode inside fit) and every base variable gets `variable.trainable =
 *   false` (so no weight of the base receives gradients).
 */
import * as wg from 'wgnn';

export type RunKind = 'frozen' | 'trap';

export interface FineTuneSettings {
  /** Input side the base is re-applied at (the file's input is 224). */
  readonly size: number;
  /** Name of the last base layer kept. */
  readonly cut: string;
  readonly classes: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Seed of the head's initial weights (the same head in both runs). */
  readonly headSeed: number;
}

/** The BN layer whose moving statistics the page plots, and how many of its channels. */
export const WATCHED_BN = 'bn_Conv1';
export const WATCHED_CHANNELS = 3;

export interface PretrainedInfo {
  readonly model: wg.Model;
  readonly layers: number;
  readonly params: number;
  readonly bnLayers: number;
  readonly loadMs: number;
}

/** Loads the pretrained TF.js layers model and counts its layers, parameters and BN layers. */
export async function loadPretrained(source: wg.ModelSource): Promise<PretrainedInfo> {
  const t0 = performance.now();
  const model = await wg.loadLayersModel(source);
  const loadMs = performance.now() - t0;
  const params = model.weights.reduce((n, w) => n + w.size, 0);
  return { model, layers: model.layers.length, params, bnLayers: model.bnLayers.length, loadMs };
}

/**
 * The model's layers called again, in graph order, on a new `size` x `size` input, up to and
 * including the layer named `cut`: the same layer objects (so the same weights and statistics),
 * a new graph. Its convolutions are size-independent; only the head needed 224.
 */
export function convBase(pretrained: wg.Model, size: number, cut: string): wg.Model {
  const inp = wg.input({ shape: [size, size, 3] });
  const mapped = new Map<number, wg.SymbolicTensor>([[pretrained.inputs[0].id, inp]]);
  for (const node of pretrained.graphNodes) {
    const xs = node.inputs.map((t) => mapped.get(t.id));
    if (xs.some((t) => t === undefined)) throw new Error(`demo: layer '${node.layer.name}' reads a tensor before the cut was reached`);
    const out = node.layer.apply(xs.length === 1 ? xs[0]! : (xs as wg.SymbolicTensor[]));
    mapped.set(node.outputs[0].id, out);
    if (node.layer.name === cut) return wg.model({ inputs: inp, outputs: out, name: 'base' });
  }
  throw new Error(`demo: no layer named '${cut}' in the pretrained model`);
}

/** Freezes `base` the Keras way, or the TF.js 4.22 way (see the file comment). */
export function freeze(base: wg.Model, kind: RunKind): void {
  if (kind === 'frozen') {
    base.trainable = false;
    return;
  }
  base.trainable = true;
  for (const w of base.weights) w.trainable = false;
}

export interface Run {
  readonly kind: RunKind;
  readonly model: wg.Model;
  readonly base: wg.Model;
  readonly bn: wg.layers.BatchNormalization;
  /** The base up to the watched BN layer's input (for each step's batch statistics). */
  readonly bnInput: wg.Model;
}

/** base -> global average pooling -> dense(classes, softmax), compiled with Adam. */
export function buildRun(pretrained: wg.Model, kind: RunKind, s: FineTuneSettings): Run {
  const base = convBase(pretrained, s.size, s.cut);
  freeze(base, kind);
  const inp = wg.input({ shape: [s.size, s.size, 3] });
  const pooled = wg.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(base.apply(inp));
  const out = wg.layers.dense({
    units: s.classes, activation: 'softmax', name: 'head', kernelInitializer: { name: 'glorotUniform', seed: s.headSeed },
  }).apply(pooled);
  const model = wg.model({ inputs: inp, outputs: out, name: `finetune_${kind}` });
  model.compile({ optimizer: wg.optimizers.adam({ learningRate: s.learningRate }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const bn = base.getLayer(WATCHED_BN);
  if (!(bn instanceof wg.layers.BatchNormalization)) throw new Error(`demo: '${WATCHED_BN}' is not a BatchNormalization layer`);
  const bnNode = base.graphNodes.find((n) => n.layer === bn);
  const bnInput = wg.model({ inputs: base.inputs[0], outputs: bnNode!.inputs[0] });
  return { kind, model, base, bn, bnInput };
}

export interface Stats { readonly mean: number[]; readonly variance: number[] }

/** The watched BN layer's moving statistics, first WATCHED_CHANNELS channels, read from the device. */
export async function movingStats(bn: wg.layers.BatchNormalization): Promise<Stats> {
  const [m, v] = await Promise.all([bn.movingMean!.data(), bn.movingVariance!.data()]);
  return { mean: Array.from(m.subarray(0, WATCHED_CHANNELS)), variance: Array.from(v.subarray(0, WATCHED_CHANNELS)) };
}

/** Per-channel mean / biased variance at the watched BN layer's input over images [start, start + n). */
export async function batchStats(run: Run, x: wg.Tensor, start: number, n: number): Promise<Stats> {
  const joined = wg.tidy(() => {
    const [, h, w, c] = x.shape;
    const m = wg.moments(run.bnInput.apply(wg.slice(x, [start, 0, 0, 0], [n, h, w, c])), [0, 1, 2]);
    return wg.concat([wg.slice(m.mean, [0], [WATCHED_CHANNELS]), wg.slice(m.variance, [0], [WATCHED_CHANNELS])], 0);
  });
  const v = Array.from(await joined.data());
  joined.dispose();
  return { mean: v.slice(0, WATCHED_CHANNELS), variance: v.slice(WATCHED_CHANNELS) };
}

export interface StepReport {
  readonly kind: RunKind;
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly stepsPerEpoch: number;
  readonly loss: number;
  readonly accuracy: number | null;
  readonly moving: Stats;
  readonly batch: Stats;
}

export interface Data {
  readonly xTrain: wg.Tensor;
  readonly yTrain: wg.Tensor;
  readonly xTest: wg.Tensor;
  readonly yTest: wg.Tensor;
}

export interface RunResult {
  /** Inference-mode (evaluate) accuracy on the held-out images. */
  readonly testAccuracy: number;
  /** The watched statistics before fit and after every step, bit for bit (Float32 values). */
  readonly movingBefore: Stats;
  readonly movingAfter: Stats;
  readonly ms: number;
}

/**
 * fit on the training images (fixed order: `shuffle: false`, `dropRemainder: true`, so step b of
 * every epoch uses images [b * batch, (b + 1) * batch)), reporting each step; then `evaluate`
 * (inference mode) on the held-out images.
 */
export interface RunHooks {
  onStep(r: StepReport): void;
  onEpoch(epoch: number, logs: Readonly<Record<string, number>>): void;
}

export async function trainRun(run: Run, data: Data, s: FineTuneSettings, hooks: RunHooks): Promise<RunResult> {
  const t0 = performance.now();
  const n = data.xTrain.shape[0];
  const batchSize = Math.min(s.batchSize, n);
  const stepsPerEpoch = Math.floor(n / batchSize);
  const movingBefore = await movingStats(run.bn);
  let batch = await batchStats(run, data.xTrain, 0, batchSize);
  let step = 0;
  let epoch = 0;
  let moving = movingBefore;
  await run.model.fit(data.xTrain, data.yTrain, {
    batchSize, epochs: s.epochs, shuffle: false, dropRemainder: true,
    callbacks: {
      onBatchEnd: async (b, logs) => {
        step++;
        moving = await movingStats(run.bn);
        hooks.onStep({
          kind: run.kind, step, totalSteps: stepsPerEpoch * s.epochs, epoch, stepsPerEpoch,
          loss: logs.loss, accuracy: logs.accuracy ?? null, moving, batch,
        });
        batch = await batchStats(run, data.xTrain, ((b + 1) % stepsPerEpoch) * batchSize, batchSize);
      },
      onEpochEnd: (e, logs) => {
        epoch = e + 1;
        hooks.onEpoch(e, logs);
      },
    },
  });
  const testAccuracy = (await run.model.evaluate(data.xTest, data.yTest))['accuracy'];
  return { testAccuracy, movingBefore, movingAfter: moving, ms: performance.now() - t0 };
}

/** Disposes a run's own weights (the head) and optimizer state; the pretrained model owns the base's. */
export function disposeRun(run: Run): void {
  wg.dispose(run.model.getLayer('head').weights);
  run.model.compiled?.optimizer.dispose();
}
