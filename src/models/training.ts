/**
 * compile / fit / evaluate / trainOnBatch. One training step is device work only:
 *
 *   forward (tape, training mode; BN writes its moving statistics into pending copies)
 *   -> loss -> backward -> checkFinite(loss, every gradient) into the fit's 1-element flag
 *   -> optimizer kernels guarded by the flag -> guarded commit of the pending statistics
 *   -> loss (and accuracy) accumulated on the device; flagSum += flag.
 *
 * The flag is sticky: once a step is non-finite, later steps of the fit are skipped on the device
 * too. Nothing is read back until the end of the epoch (or a batch callback): one read of
 * [lossSum, accSum, flagSum, moving statistics]. flagSum counts the skipped steps, so the first
 * bad batch is `steps - flagSum`; the error names it and the host-side Adam step count is rolled
 * back, leaving weights, optimizer slots and moving statistics exactly as before that batch.
 */
import { engine } from '../core/engine.js';
import { NonFiniteError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { Tensor, type Variable } from '../core/tensor.js';
import { keep, tidy } from '../core/scope.js';
import { fill, seededUniform } from '../ops/creation.js';
import { add, mul } from '../ops/elementwise.js';
import { gather, gatherPair, slice } from '../ops/movement.js';
import { mean } from '../ops/reduce.js';
import { variableGrads } from '../autograd/grad.js';
import { getOptimizer, type Optimizer, type OptimizerName } from '../optimizers/optimizer.js';
import { accuracy, accuracyKind, checkSparseLabels, getLoss, reducedLoss, type AccuracyKind, type LossFn, type LossName } from '../losses/losses.js';
import { withStepContext, type StepContext } from '../layers/step_context.js';
import type { Model } from './model.js';
import { readback } from './readback.js';
import { CallbackList, type CallbackSpec, type EpochLogs, type FitControl, type FitParams } from './callbacks/callback.js';
import { Progress, defaultSink } from './callbacks/progress.js';

export interface CompileOptions {
  /** Default 'rmsprop' (Keras). */
  readonly optimizer?: OptimizerName | Optimizer;
  /** One loss, or one per output (an array in output order, or an object keyed by output layer name); the total is their sum. */
  readonly loss: LossSpec | readonly LossSpec[] | Readonly<Record<string, LossSpec>>;
  /** Only 'accuracy' (alias 'acc'): binary / categorical / sparse chosen from the loss as Keras does. */
  readonly metrics?: readonly string[];
}

export type LossSpec = LossName | LossFn;

/** @internal The loss (and accuracy) of one model output. */
export interface OutputLoss {
  /** The output's layer name: the prefix of its log keys (`<name>_loss`) when the model has several outputs. */
  readonly name: string;
  readonly lossName: string;
  readonly loss: LossFn;
  readonly accuracy: AccuracyKind | null;
}

/** @internal What `compile` resolved (`lossName`, `loss`, `accuracy`: those of the first output). */
export interface Compiled {
  readonly optimizer: Optimizer;
  readonly lossName: string;
  readonly loss: LossFn;
  readonly accuracy: AccuracyKind | null;
  readonly outputs: readonly OutputLoss[];
}

export type { BatchLogs, EpochLogs } from './callbacks/callback.js';

export interface FitOptions {
  readonly batchSize?: number;
  readonly epochs?: number;
  /** Shuffle the training rows every epoch (default true). */
  readonly shuffle?: boolean;
  /** Seed of the shuffle (same seed, same order); without one Math.random is used. */
  readonly seed?: number;
  /** Fraction of the LAST rows (taken before shuffling, as Keras) held out for validation. */
  readonly validationSplit?: number;
  readonly validationData?: readonly [Tensor | readonly Tensor[], Tensor | readonly Tensor[]];
  /** Drop a last batch smaller than batchSize (avoids a one-row BN batch). */
  readonly dropRemainder?: boolean;
  /**
   * A callback, an object of hooks (onTrainBegin/End, onEpochBegin/End, onBatchBegin/End, async
   * allowed) or an array of them; see `wg.callbacks`. Only onBatchEnd costs a readback per batch.
   */
  readonly callbacks?: CallbackSpec;
  /**
   * 0 (default): silent. 1: a Keras-style progress bar per epoch in a terminal, one line per
   * epoch otherwise. 2: one line per epoch.
   */
  readonly verbose?: 0 | 1 | 2;
  /** First epoch to run (Keras `initialEpoch`): epochs initialEpoch .. epochs - 1 run. Default 0. */
  readonly initialEpoch?: number;
}

export interface EvaluateOptions { readonly batchSize?: number }

/** `history.history.loss[e]`: the sample-weighted mean batch loss of epoch e (Keras). */
export interface History {
  readonly epoch: number[];
  readonly history: Record<string, number[]>;
}

const FIT_KEYS = ['batchSize', 'epochs', 'shuffle', 'seed', 'validationSplit', 'validationData', 'dropRemainder', 'callbacks', 'verbose',
  'initialEpoch'];

/** @internal */
export function compileModel(model: Model, o: CompileOptions): Compiled {
  const label = `${model.className} '${model.name}'`;
  if (o === null || typeof o !== 'object') throw new ValueError(`${label}: compile needs an options object`);
  for (const k of Object.keys(o)) {
    if (!['optimizer', 'loss', 'metrics'].includes(k)) throw new ValueError(`${label}: compile: unknown option '${k}'`);
  }
  const metrics = o.metrics ?? [];
  for (const m of metrics) {
    if (m !== 'accuracy' && m !== 'acc') throw new ValueError(`${label}: compile: unknown metric ${JSON.stringify(m)} (only 'accuracy')`);
  }
  let outs: readonly { name: string; shape: readonly (number | null)[] }[] = [{ name: 'output', shape: [null] }];
  try {
    outs = model.outputs.map((t) => ({ name: t.node?.layer.name ?? t.name, shape: t.shape }));
  } catch {
    // A Sequential without an input shape is built by the first fit; Keras's choice then needs only the loss.
  }
  const specs = lossSpecs(label, o.loss, outs.map((t) => t.name));
  const outputs = outs.map((t, k) => {
    const { name, fn } = getLoss(specs[k]);
    return { name: t.name, lossName: name, loss: fn, accuracy: metrics.length > 0 ? accuracyKind(name, t.shape) : null };
  });
  const first = outputs[0];
  return { optimizer: getOptimizer(o.optimizer), lossName: first.lossName, loss: first.loss, accuracy: first.accuracy, outputs };
}

/** One loss spec per output, from one loss, an array (output order) or an object keyed by output name. */
function lossSpecs(label: string, loss: CompileOptions['loss'], names: readonly string[]): LossSpec[] {
  if (typeof loss === 'string' || typeof loss === 'function') return names.map(() => loss);
  if (Array.isArray(loss)) {
    if (loss.length !== names.length) throw new ValueError(`${label}: compile: ${loss.length} losses for ${names.length} outputs (${names.join(', ')})`);
    return [...loss];
  }
  if (loss !== null && typeof loss === 'object') {
    const rec = loss as Readonly<Record<string, LossSpec>>;
    const extra = Object.keys(rec).filter((k) => !names.includes(k));
    const missing = names.filter((n) => !(n in rec));
    if (extra.length > 0 || missing.length > 0) {
      throw new ValueError(`${label}: compile: loss keys must be the output names (${names.join(', ')}); ` +
        `${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `unknown ${extra.join(', ')}` : ''}`);
    }
    return names.map((n) => rec[n]);
  }
  return names.map(() => loss as LossSpec);
}

function compiledOf(model: Model): Compiled {
  if (!model.compiled) throw new ValueError(`${model.className} '${model.name}': call compile() before fit/evaluate/trainOnBatch`);
  return model.compiled;
}

/** Inputs and targets as arrays (model order). */
interface Data {
  readonly xs: Tensor[];
  readonly ys: Tensor[];
}

/** Counts and shapes of x and y against the model and each other, before any work. */
function checkData(model: Model, c: Compiled, x: Tensor | readonly Tensor[], y: Tensor | readonly Tensor[], what: string): Data {
  // fit checks the weights itself, after its callbacks' onTrainBegin (backupAndRestore may restore them).
  const xs = model.checkInputs(x, `${what} x`, what !== 'fit');
  const label = `${model.className} '${model.name}'`;
  const ys = Array.isArray(y) ? [...y] : [y as Tensor];
  const outs = model.outputs;
  const bad = ys.find((t) => !(t instanceof Tensor));
  if (bad !== undefined) throw new ValueError(`${label}: ${what} y must be a Tensor or an array of Tensors, got ${Array.isArray(bad) ? 'an array' : typeof bad}`);
  const gone = ys.find((t) => t.isDisposed);
  if (gone) throw new ValueError(`${label}: ${what} y (shape ${fmtShape(gone.shape)}) was disposed`);
  if (ys.length !== outs.length) {
    throw new ValueError(`${label}: ${what} y: the model has ${outs.length} outputs (${c.outputs.map((o) => o.name).join(', ')}) but y has ${ys.length} tensors`);
  }
  const x0 = xs[0];
  ys.forEach((yk, k) => {
    const which = outs.length > 1 ? ` ${k} (${c.outputs[k].name})` : '';
    if (yk.rank < 1 || yk.shape[0] !== x0.shape[0]) {
      throw new ShapeError(`${label}: ${what} x has ${x0.shape[0]} rows (shape ${fmtShape(x0.shape)}) but y${which} has shape ${fmtShape(yk.shape)}`);
    }
    const out = outs[k].shape;
    const sparse = c.outputs[k].lossName === 'sparseCategoricalCrossentropy';
    const ok = sparse
      ? yk.size === yk.shape[0]
      : yk.rank === out.length && out.every((d, i) => d === null || d === yk.shape[i]);
    if (!ok) {
      const classes = out[out.length - 1] ?? 0;
      const integerLabels = c.outputs[k].lossName === 'categoricalCrossentropy' && yk.size === yk.shape[0] && classes > 1;
      throw new ShapeError(`${label}: ${what} y${which} has shape ${fmtShape(yk.shape)} but the model output is ${fmtShape(out.map((d) => d ?? -1))}` +
        (sparse ? ' (sparse labels: [batch] or [batch, 1]; for one-hot labels use categoricalCrossentropy)' : '') +
        (integerLabels ? ` (categoricalCrossentropy takes one-hot labels [batch, ${classes}]; for integer class labels use sparseCategoricalCrossentropy)` : ''));
    }
  });
  if (x0.shape[0] === 0) throw new ValueError(`${label}: ${what}: empty batch (x shape ${fmtShape(x0.shape)})`);
  return { xs, ys };
}

/** What the steps of one fit epoch share: reused pending copies, a scalar 1 seeding every backward. */
interface EpochKept {
  readonly reuse: Map<Variable, Variable>;
  readonly one: Tensor;
}

/**
 * Device results of one step; the caller owns and disposes them. `parts`: with several outputs,
 * each output's loss and accuracy (null without the metric), for the per-output logs.
 */
interface StepOut { readonly loss: Tensor; readonly correct: Tensor | null; readonly parts?: readonly StepOut[] }

/** The total loss (sum over outputs, Keras) of predictions against targets; per-output parts kept when several. */
function totalLoss(c: Compiled, ys: readonly Tensor[], yPreds: readonly Tensor[]): StepOut {
  if (c.outputs.length === 1) {
    const correct = c.accuracy ? keep(mean(accuracy(c.accuracy, ys[0], yPreds[0]))) : null;
    return { loss: reducedLoss(c.loss, ys[0], yPreds[0]), correct };
  }
  const parts = c.outputs.map((o, k) => ({
    loss: keep(reducedLoss(o.loss, ys[k], yPreds[k])),
    correct: o.accuracy ? keep(mean(accuracy(o.accuracy, ys[k], yPreds[k]))) : null,
  }));
  return { loss: parts.slice(1).reduce<Tensor>((t, p) => add(t, p.loss), parts[0].loss), correct: null, parts };
}

/**
 * One training step as device work only (see the file comment). `flag` is the fit's sticky
 * 1-element flag. Reads `model.trainableWeights` live, so `trainable` changes apply here.
 */
function trainStep(model: Model, c: Compiled, xb: readonly Tensor[], yb: readonly Tensor[], flag: Tensor, epoch?: EpochKept): StepOut {
  const reuse = epoch?.reuse;
  const ctx: StepContext = { flag, commits: [], reuse };
  const vars = model.trainableWeights;
  let out: StepOut | null = null;
  const { value, gradsByVariable: grads } = withStepContext(ctx, () => variableGrads(() => {
    out = totalLoss(c, yb, model.executeAll(xb, true));
    // Weight regularizers (Keras model.losses), frozen weights excluded.
    return model.regularizationLosses().reduce((a, p) => add(a, p), out.loss);
  }, vars, epoch?.one));
  const { correct, parts } = out as unknown as StepOut;
  const b = engine.backend;
  const pairs = vars.map((v) => ({ variable: v, grad: grads.get(v) as Tensor }));
  b.checkFiniteAll([value, ...pairs.map((p) => p.grad)], flag.handle);
  c.optimizer.applyGradients(pairs, flag);
  b.assignAll(ctx.commits.map(({ target, pending }) => ({ dst: target.handle, src: pending.handle, size: target.size })), flag.handle);
  if (!reuse) for (const { pending } of ctx.commits) pending.dispose();
  for (const p of pairs) if (p.grad !== epoch?.one) p.grad.dispose();
  return { loss: value, correct, parts };
}

function shuffled(n: number, shuffle: boolean, next: () => number): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  if (!shuffle) return idx;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}

/** @internal Throws unless `o` is undefined or a plain options object (a null would fail obscurely later). */
export function checkOptionsObject(label: string, what: string, o: unknown, allowed: readonly string[]): void {
  if (o === undefined) return;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    throw new ValueError(`${label}: ${what}: options must be an object or omitted, got ${o === null ? 'null' : Array.isArray(o) ? 'an array' : typeof o}`);
  }
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ValueError(`${label}: ${what}: unknown option '${k}' (allowed: ${allowed.join(', ')})`);
  }
}

/** @internal A batchSize option: undefined gives 32; anything but a positive integer is a ValueError naming `what`. */
export function checkBatchSize(label: string, what: string, batchSize: unknown): number {
  const bs = batchSize ?? 32;
  if (typeof bs !== 'number' || !Number.isInteger(bs) || bs <= 0) {
    throw new ValueError(`${label}: ${what}: batchSize must be a positive integer, got ${String(bs)}`);
  }
  return bs;
}

function checkFitOptions(label: string, o: FitOptions): { batchSize: number; epochs: number; split: number; initialEpoch: number } {
  checkOptionsObject(label, 'fit', o, FIT_KEYS);
  const batchSize = checkBatchSize(label, 'fit', o.batchSize);
  const epochs = o.epochs ?? 1;
  const split = o.validationSplit ?? 0;
  if (!Number.isInteger(epochs) || epochs < 0) throw new ValueError(`${label}: fit: epochs must be an integer >= 0, got ${epochs}`);
  if (!(split >= 0 && split < 1)) throw new ValueError(`${label}: fit: validationSplit must be in [0, 1), got ${split}`);
  const initialEpoch = o.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs) {
    throw new ValueError(`${label}: fit: initialEpoch must be an integer in [0, epochs = ${epochs}], got ${initialEpoch}`);
  }
  if (o.verbose !== undefined && o.verbose !== 0 && o.verbose !== 1 && o.verbose !== 2) {
    throw new ValueError(`${label}: fit: verbose must be 0, 1 or 2, got ${String(o.verbose)}`);
  }
  return { batchSize, epochs, split, initialEpoch };
}

/** Accumulators of one epoch on the device, [loss * rows, correct * rows, flag] summed: one dispatch a step. */
class EpochSums {
  readonly sums: Tensor = fill([3], 0);

  add(step: StepOut, rows: number, flag: Tensor): void {
    engine.backend.accumulateStep(this.sums.handle, step.loss.handle, step.correct?.handle ?? null, flag.handle, rows);
  }

  dispose(): void {
    this.sums.dispose();
  }
}

/** Reports eager-call BN problems before training (one readback only if such a call happened). */
async function checkEagerStatistics(model: Model): Promise<void> {
  for (const l of model.bnLayers) await l.checkStatistics();
}

/** @internal */
export async function fitModel(model: Model, x: Tensor | readonly Tensor[], y: Tensor | readonly Tensor[], o: FitOptions): Promise<History> {
  const label = `${model.className} '${model.name}'`;
  const c = compiledOf(model);
  const { batchSize, epochs, split, initialEpoch } = checkFitOptions(label, o);
  const verbose = o.verbose ?? 0;
  const callbacks = new CallbackList(label, o.callbacks, verbose === 0 ? [] : [new Progress(defaultSink(verbose))]);
  const data = checkData(model, c, x, y, 'fit');
  const val = o.validationData ? checkData(model, c, o.validationData[0], o.validationData[1], 'validation') : null;
  await checkEagerStatistics(model);
  const n = data.xs[0].shape[0];
  const nTrain = split > 0 ? Math.floor(n * (1 - split)) : n;
  if (split > 0 && (nTrain === 0 || nTrain === n)) {
    throw new ValueError(`${label}: fit: validationSplit ${split} of ${n} rows leaves ${nTrain} for training and ` +
      `${n - nTrain} for validation; each needs at least one row`);
  }
  let [train, valid] = [data, val];
  const made = new Map<Tensor, [Tensor, Tensor]>();
  if (split > 0) {
    // Each distinct tensor sliced once: fit(x, x) gets the input slices themselves as targets.
    const cut = (t: Tensor) => made.get(t) ?? made.set(t, [slice(t, [0], [nTrain]), slice(t, [nTrain])]).get(t) as [Tensor, Tensor];
    train = { xs: data.xs.map((t) => cut(t)[0]), ys: data.ys.map((t) => cut(t)[0]) };
    valid = { xs: data.xs.map((t) => cut(t)[1]), ys: data.ys.map((t) => cut(t)[1]) };
  }
  const history: History = { epoch: [], history: {} };
  const next = seededUniform(o.seed ?? Math.floor(Math.random() * 2 ** 32));
  const control: FitControl = { initialEpoch, epochs, phase: 'trainBegin' };
  const steps = o.dropRemainder ? Math.floor(nTrain / batchSize) : Math.ceil(nTrain / batchSize);
  const params: FitParams = {
    epochs, initialEpoch, steps, samples: nTrain, batchSize, verbose, doValidation: valid !== null,
    metrics: ['loss', ...(c.accuracy ? ['accuracy'] : []), ...(valid ? ['val_loss', ...(c.accuracy ? ['val_accuracy'] : [])] : [])],
  };
  model.stopTraining = false;
  callbacks.bind(model, params, control);
  try {
    await callbacks.onTrainBegin({});
    control.phase = 'running';
    // After onTrainBegin: wg.callbacks.backupAndRestore may have restored weights left on a lost device.
    model.checkWeightsAlive('fit');
    // Skipped epochs still draw their shuffles: epoch e's order depends only on the seed and e,
    // so a resumed fit (initialEpoch, backupAndRestore) continues the uninterrupted one exactly.
    for (let e = 0; e < control.initialEpoch; e++) shuffled(nTrain, o.shuffle ?? true, next);
    let last: EpochLogs | null = null;
    for (let e = control.initialEpoch; e < epochs && !model.stopTraining; e++) {
      await callbacks.onEpochBegin(e, {});
      const logs = await runEpoch(model, c, train, { ...o, batchSize }, e, next, callbacks);
      if (valid) {
        const v = await evaluateModel(model, valid.xs, valid.ys, { batchSize });
        for (const [k, val] of Object.entries(v)) logs[`val_${k}`] = val;
      }
      await callbacks.onEpochEnd(e, logs);
      history.epoch.push(e);
      for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
      last = logs;
    }
    await callbacks.onTrainEnd(last ?? {});
  } finally {
    for (const pair of made.values()) for (const t of pair) t.dispose();
  }
  return history;
}

interface EpochOptions extends FitOptions { readonly batchSize: number }

/** The rows `idx` of every input and target; fit(x, x) (an autoencoder, the seed model): one gather serves as both. */
function gatherBatch(d: Data, idx: Int32Array): Data {
  if (d.xs.length === 1 && d.ys.length === 1) {
    const [x, y] = [d.xs[0], d.ys[0]];
    // One gather dispatch for inputs and targets.
    const [xb, yb] = y === x ? [gather(x, idx), null] : gatherPair(x, y, idx);
    return { xs: [xb], ys: [yb ?? xb] };
  }
  const got = new Map<Tensor, Tensor>();
  const g = (t: Tensor) => got.get(t) ?? got.set(t, gather(t, idx)).get(t) as Tensor;
  return { xs: d.xs.map(g), ys: d.ys.map(g) };
}

/** Per-output accumulators (several outputs only) and their log keys, Keras's: `<name>_loss`, then `<name>_accuracy`. */
class OutputSums {
  readonly #sums: EpochSums[];

  constructor(readonly c: Compiled) {
    this.#sums = c.outputs.length > 1 ? c.outputs.map(() => new EpochSums()) : [];
  }

  add(step: StepOut, rows: number, flag: Tensor): void {
    step.parts?.forEach((p, k) => this.#sums[k].add(p, rows, flag));
  }

  get tensors(): Tensor[] {
    return this.#sums.map((s) => s.sums);
  }

  /** Log entries from the read-back values of `tensors` (3 numbers per output). */
  logs(values: readonly number[], rows: number): Record<string, number> {
    const out: Record<string, number> = {};
    this.c.outputs.forEach((o, k) => { if (this.#sums.length) out[`${o.name}_loss`] = values[3 * k] / rows; });
    this.c.outputs.forEach((o, k) => { if (this.#sums.length && o.accuracy) out[`${o.name}_accuracy`] = values[3 * k + 1] / rows; });
    return out;
  }

  dispose(): void {
    for (const s of this.#sums) s.dispose();
  }
}

function epochBatches(model: Model, n: number, o: EpochOptions, next: () => number): Int32Array[] {
  const order = shuffled(n, o.shuffle ?? true, next);
  const batches: Int32Array[] = [];
  for (let s = 0; s < n; s += o.batchSize) {
    if (o.dropRemainder && s + o.batchSize > n) break;
    batches.push(order.subarray(s, Math.min(n, s + o.batchSize)));
  }
  if (batches.length === 0) {
    throw new ValueError(
      `${model.className} '${model.name}': fit has ${n} training rows and dropRemainder with batchSize ${o.batchSize}: no batch to train on`,
    );
  }
  return batches;
}

/**
 * One epoch; stops after the batch during which `model.stopTraining` was set (Keras), and then
 * reports the mean over the batches that ran.
 */
async function runEpoch(
  model: Model, c: Compiled, data: Data, o: EpochOptions, epoch: number, next: () => number, callbacks: CallbackList,
): Promise<EpochLogs> {
  const batches = epochBatches(model, data.xs[0].shape[0], o, next);
  const flag = fill([1], 0);
  const sums = new EpochSums();
  const perOutput = new OutputSums(c);
  const reuse = new Map<Variable, Variable>();
  const kept: EpochKept = { reuse, one: fill([], 1) };
  const itersBefore = c.optimizer.iterations;
  const wantsBatchEnd = callbacks.wantsBatchEnd;
  let rows = 0;
  let ran = 0;
  try {
    for (let b = 0; b < batches.length && !(b > 0 && model.stopTraining); b++) {
      const idx = batches[b];
      await callbacks.onBatchBegin(b, { batch: b, size: idx.length });
      const { step, out } = tidy(() => {
        const b = gatherBatch(data, idx);
        const s = trainStep(model, c, b.xs, b.ys, flag, kept);
        const parts = s.parts ?? [];
        return { step: [s.loss, ...(s.correct ? [s.correct] : []), ...parts.flatMap((p) => [p.loss, ...(p.correct ? [p.correct] : [])])], out: s };
      });
      sums.add(out, idx.length, flag);
      perOutput.add(out, idx.length, flag);
      rows += idx.length;
      ran++;
      if (wantsBatchEnd) {
        // The callback may change weights or statistics: the next step copies its targets afresh.
        dropPending(reuse);
        const [loss, f, acc] = await readback(model, [out.loss, flag, out.correct ?? out.loss]);
        if (f !== 0) throw await stepFailure(model, c, data.ys[0], epoch, b, batches, itersBefore + b);
        await callbacks.onBatchEnd(b, { batch: b, size: idx.length, loss, ...(out.correct ? { accuracy: acc } : {}) });
      }
      for (const t of step) t.dispose();
    }
    const [lossSum, correctSum, flagSum, ...rest] = await readback(model, [sums.sums, ...perOutput.tensors], true);
    if (flagSum !== 0) {
      const first = ran - flagSum;
      throw await stepFailure(model, c, data.ys[0], epoch, first, batches, itersBefore + first);
    }
    if (c.outputs.length > 1) return { loss: lossSum / rows, ...perOutput.logs(rest, rows) };
    return { loss: lossSum / rows, ...(c.accuracy ? { accuracy: correctSum / rows } : {}) };
  } finally {
    flag.dispose();
    sums.dispose();
    perOutput.dispose();
    kept.one.dispose();
    dropPending(reuse);
  }
}

function dropPending(reuse: Map<Variable, Variable>): void {
  for (const p of reuse.values()) p.dispose();
  reuse.clear();
}

/** Rolls the host step count back to the failed batch and builds the error. */
function failure(model: Model, c: Compiled, epoch: number, batch: number, batches: readonly Int32Array[], iterations: number): NonFiniteError {
  c.optimizer.iterations = iterations;
  return new NonFiniteError(
    `${failedBatch(model, epoch, batch, batches)}: NaN or Inf in the loss, a gradient or the BatchNormalization batch statistics. ${SKIPPED}`,
  );
}

const SKIPPED = 'That step and the rest of the epoch were skipped on the device: weights, optimizer state and moving statistics are as before that batch.';

function failedBatch(model: Model, epoch: number, batch: number, batches: readonly Int32Array[]): string {
  return `${model.className} '${model.name}': fit epoch ${epoch + 1}, batch ${batch + 1} of ${batches.length} (${batches[batch]?.length ?? 0} rows)`;
}

/**
 * `failure`, after telling a bad sparse label apart from a non-finite step: the sparse loss is
 * NaN for out-of-range labels, so the step flag caught them on the device; only now, on the
 * error path, are the failed batch's labels read to say so.
 */
async function stepFailure(
  model: Model, c: Compiled, y: Tensor, epoch: number, batch: number, batches: readonly Int32Array[], iterations: number,
): Promise<Error> {
  const err = failure(model, c, epoch, batch, batches, iterations);
  if (c.lossName !== 'sparseCategoricalCrossentropy' || !batches[batch]) return err;
  const labels = gather(y, batches[batch]);
  try {
    await checkSparseLabels(labels, model.output.shape.at(-1) ?? 0, failedBatch(model, epoch, batch, batches));
  } catch (e) {
    return e instanceof ValueError ? new ValueError(`${e.message}. ${SKIPPED}`) : err;
  } finally {
    labels.dispose();
  }
  return err;
}

/** With a sparse loss, a ValueError naming out-of-range labels in `y` (an error path: one readback). */
async function checkSparse(model: Model, c: Compiled, y: Tensor, what: string, suffix: string): Promise<void> {
  if (c.lossName !== 'sparseCategoricalCrossentropy') return;
  try {
    await checkSparseLabels(y, model.output.shape.at(-1) ?? 0, `${model.className} '${model.name}': ${what}`);
  } catch (e) {
    throw e instanceof ValueError ? new ValueError(`${e.message}${suffix}`) : e;
  }
}

/** @internal */
export async function trainOnBatchModel(model: Model, x: Tensor | readonly Tensor[], y: Tensor | readonly Tensor[]): Promise<number> {
  const c = compiledOf(model);
  const d = checkData(model, c, x, y, 'trainOnBatch');
  await checkEagerStatistics(model);
  const flag = fill([1], 0);
  const before = c.optimizer.iterations;
  try {
    const s = tidy(() => trainStep(model, c, d.xs, d.ys, flag));
    const [loss, f] = await readback(model, [s.loss, flag]);
    s.loss.dispose();
    s.correct?.dispose();
    for (const p of s.parts ?? []) {
      p.loss.dispose();
      p.correct?.dispose();
    }
    if (f !== 0) {
      c.optimizer.iterations = before;
      await checkSparse(model, c, d.ys[0], 'trainOnBatch', '; nothing was updated');
      throw new NonFiniteError(`${model.className} '${model.name}': trainOnBatch: NaN or Inf in the loss, a gradient or the batch statistics; nothing was updated`);
    }
    return loss;
  } finally {
    flag.dispose();
  }
}

/**
 * The scalars evaluate sums for one batch: [loss, accuracy?] with one output; with several,
 * [total loss, each output's loss, each output's accuracy (those with the metric)].
 */
function evalScalars(c: Compiled, ys: readonly Tensor[], yPreds: readonly Tensor[]): Tensor[] {
  if (c.outputs.length === 1) {
    return [reducedLoss(c.loss, ys[0], yPreds[0]), ...(c.accuracy ? [mean(accuracy(c.accuracy, ys[0], yPreds[0]))] : [])];
  }
  const losses = c.outputs.map((o, k) => reducedLoss(o.loss, ys[k], yPreds[k]));
  const accs = c.outputs.flatMap((o, k) => (o.accuracy ? [mean(accuracy(o.accuracy, ys[k], yPreds[k]))] : []));
  return [losses.slice(1).reduce<Tensor>((t, l) => add(t, l), losses[0]), ...losses, ...accs];
}

/** The log keys of `evalScalars`, in its order. */
function evalKeys(c: Compiled): string[] {
  if (c.outputs.length === 1) return ['loss', ...(c.accuracy ? ['accuracy'] : [])];
  return ['loss', ...c.outputs.map((o) => `${o.name}_loss`), ...c.outputs.filter((o) => o.accuracy).map((o) => `${o.name}_accuracy`)];
}

/** @internal Inference-mode loss (and accuracy), batched, summed on the device, read once. */
export async function evaluateModel(
  model: Model, x: Tensor | readonly Tensor[], y: Tensor | readonly Tensor[], o: EvaluateOptions,
): Promise<Record<string, number>> {
  const c = compiledOf(model);
  const label = `${model.className} '${model.name}'`;
  checkOptionsObject(label, 'evaluate', o, ['batchSize']);
  const bs = checkBatchSize(label, 'evaluate', o?.batchSize);
  const d = checkData(model, c, x, y, 'evaluate');
  await checkEagerStatistics(model);
  const n = d.xs[0].shape[0];
  const keys = evalKeys(c);
  const sums = tidy(() => {
    let acc: Tensor[] = keys.map(() => fill([], 0));
    for (let s = 0; s < n; s += bs) {
      // One tidy per batch: the running sums are all that outlive it, so memory does not grow with n.
      const next = tidy(() => {
        const k = Math.min(bs, n - s);
        const cut = new Map<Tensor, Tensor>();
        const sl = (t: Tensor) => cut.get(t) ?? cut.set(t, slice(t, [s], [k])).get(t) as Tensor;
        const vals = evalScalars(c, d.ys.map(sl), model.executeAll(d.xs.map(sl), false));
        return acc.map((a, i) => add(a, mul(vals[i], k)));
      });
      for (const a of acc) a.dispose();
      acc = next;
    }
    // The weight penalties (Keras adds model.losses to the evaluated loss as fit does; trainable
    // weights only), once per sample so that the division by n below leaves them whole.
    const reg = model.regularizationLosses();
    if (reg.length > 0) acc[0] = add(acc[0], mul(reg.slice(1).reduce<Tensor>((t, r) => add(t, r), reg[0]), n));
    return acc;
  });
  const values = await readback(model, sums);
  for (const t of sums) t.dispose();
  if (Number.isNaN(values[0])) await checkSparse(model, c, d.ys[0], 'evaluate', '');
  return Object.fromEntries(keys.map((k, i) => [k, values[i] / n]));
}
