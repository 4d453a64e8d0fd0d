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
import { accuracy, accuracyKind, getLoss, reducedLoss, type AccuracyKind, type LossFn, type LossName } from '../losses/losses.js';
import { withStepContext, type StepContext } from '../layers/step_context.js';
import type { Model } from './model.js';
import { readback } from './readback.js';

export interface CompileOptions {
  /** Default 'rmsprop' (Keras). */
  readonly optimizer?: OptimizerName | Optimizer;
  readonly loss: LossName | LossFn;
  /** Only 'accuracy' (alias 'acc'): binary / categorical / sparse chosen from the loss as Keras does. */
  readonly metrics?: readonly string[];
}

/** @internal What `compile` resolved. */
export interface Compiled {
  readonly optimizer: Optimizer;
  readonly lossName: string;
  readonly loss: LossFn;
  readonly accuracy: AccuracyKind | null;
}

export interface BatchLogs { readonly batch: number; readonly size: number; readonly loss: number; readonly accuracy?: number }
export interface EpochLogs { readonly loss: number; readonly [metric: string]: number }

export interface FitOptions {
  readonly batchSize?: number;
  readonly epochs?: number;
  /** Shuffle the training rows every epoch (default true). */
  readonly shuffle?: boolean;
  /** Seed of the shuffle (same seed, same order); without one Math.random is used. */
  readonly seed?: number;
  /** Fraction of the LAST rows (taken before shuffling, as Keras) held out for validation. */
  readonly validationSplit?: number;
  readonly validationData?: readonly [Tensor, Tensor];
  /** Drop a last batch smaller than batchSize (avoids a one-row BN batch). */
  readonly dropRemainder?: boolean;
  /** onBatchEnd reads the batch loss back (one readback per batch); onEpochEnd gets the epoch logs. */
  readonly callbacks?: {
    readonly onBatchEnd?: (batch: number, logs: BatchLogs) => void | Promise<void>;
    readonly onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  };
  /** 1: one console line per epoch; 0 (default): silent. */
  readonly verbose?: 0 | 1;
}

export interface EvaluateOptions { readonly batchSize?: number }

/** `history.history.loss[e]`: the sample-weighted mean batch loss of epoch e (Keras). */
export interface History {
  readonly epoch: number[];
  readonly history: Record<string, number[]>;
}

const FIT_KEYS = ['batchSize', 'epochs', 'shuffle', 'seed', 'validationSplit', 'validationData', 'dropRemainder', 'callbacks', 'verbose'];

/** @internal */
export function compileModel(model: Model, o: CompileOptions): Compiled {
  const label = `${model.className} '${model.name}'`;
  if (o === null || typeof o !== 'object') throw new ValueError(`${label}: compile needs an options object`);
  for (const k of Object.keys(o)) {
    if (!['optimizer', 'loss', 'metrics'].includes(k)) throw new ValueError(`${label}: compile: unknown option '${k}'`);
  }
  const { name, fn } = getLoss(o.loss);
  const metrics = o.metrics ?? [];
  for (const m of metrics) {
    if (m !== 'accuracy' && m !== 'acc') throw new ValueError(`${label}: compile: unknown metric ${JSON.stringify(m)} (only 'accuracy')`);
  }
  let outShape: readonly (number | null)[] = [null];
  try {
    outShape = model.output.shape;
  } catch {
    // A Sequential without an input shape is built by the first fit; Keras's choice then needs only the loss.
  }
  const acc = metrics.length > 0 ? accuracyKind(name, outShape) : null;
  return { optimizer: getOptimizer(o.optimizer), lossName: name, loss: fn, accuracy: acc };
}

function compiledOf(model: Model): Compiled {
  if (!model.compiled) throw new ValueError(`${model.className} '${model.name}': call compile() before fit/evaluate/trainOnBatch`);
  return model.compiled;
}

/** Shapes of x and y against the model and each other, before any work. */
function checkData(model: Model, c: Compiled, x: Tensor, y: Tensor, what: string): void {
  model.checkInput(x, `${what} x`);
  const label = `${model.className} '${model.name}'`;
  if (!(y instanceof Tensor)) throw new ValueError(`${label}: ${what} y must be a Tensor, got ${Array.isArray(y) ? 'an array' : typeof y}`);
  if (y.isDisposed) throw new ValueError(`${label}: ${what} y (shape ${fmtShape(y.shape)}) was disposed`);
  if (y.rank < 1 || y.shape[0] !== x.shape[0]) {
    throw new ShapeError(`${label}: ${what} x has ${x.shape[0]} rows (shape ${fmtShape(x.shape)}) but y has shape ${fmtShape(y.shape)}`);
  }
  const out = model.output.shape;
  const sparse = c.lossName === 'sparseCategoricalCrossentropy';
  const ok = sparse
    ? y.size === y.shape[0]
    : y.rank === out.length && out.every((d, i) => d === null || d === y.shape[i]);
  if (!ok) {
    throw new ShapeError(`${label}: ${what} y has shape ${fmtShape(y.shape)} but the model output is ${fmtShape(out.map((d) => d ?? -1))}` +
      (sparse ? ' (sparse labels: [batch] or [batch, 1])' : ''));
  }
  if (x.shape[0] === 0) throw new ValueError(`${label}: ${what}: empty batch (x shape ${fmtShape(x.shape)})`);
}

/** What the steps of one fit epoch share: reused pending copies, a scalar 1 seeding every backward. */
interface EpochKept {
  readonly reuse: Map<Variable, Variable>;
  readonly one: Tensor;
}

/** Device results of one step; the caller owns and disposes them. */
interface StepOut { readonly loss: Tensor; readonly correct: Tensor | null }

/**
 * One training step as device work only (see the file comment). `flag` is the fit's sticky
 * 1-element flag. Reads `model.trainableWeights` live, so `trainable` changes apply here.
 */
function trainStep(model: Model, c: Compiled, xb: Tensor, yb: Tensor, flag: Tensor, epoch?: EpochKept): StepOut {
  const reuse = epoch?.reuse;
  const ctx: StepContext = { flag, commits: [], reuse };
  const vars = model.trainableWeights;
  let correct: Tensor | null = null;
  const { value, grads } = withStepContext(ctx, () => variableGrads(() => {
    const yPred = model.execute(xb, true);
    if (c.accuracy) correct = keep(mean(accuracy(c.accuracy, yb, yPred)));
    return reducedLoss(c.loss, yb, yPred);
  }, vars, epoch?.one));
  const b = engine.backend;
  const pairs = vars.map((v) => ({ variable: v, grad: grads[v.name] }));
  b.checkFiniteAll([value, ...pairs.map((p) => p.grad)], flag.handle);
  c.optimizer.applyGradients(pairs, flag);
  b.assignAll(ctx.commits.map(({ target, pending }) => ({ dst: target.handle, src: pending.handle, size: target.size })), flag.handle);
  if (!reuse) for (const { pending } of ctx.commits) pending.dispose();
  for (const p of pairs) if (p.grad !== epoch?.one) p.grad.dispose();
  return { loss: value, correct };
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

function checkFitOptions(label: string, o: FitOptions): { batchSize: number; epochs: number; split: number } {
  checkOptionsObject(label, 'fit', o, FIT_KEYS);
  const batchSize = checkBatchSize(label, 'fit', o.batchSize);
  const epochs = o.epochs ?? 1;
  const split = o.validationSplit ?? 0;
  if (!Number.isInteger(epochs) || epochs < 0) throw new ValueError(`${label}: fit: epochs must be an integer >= 0, got ${epochs}`);
  if (!(split >= 0 && split < 1)) throw new ValueError(`${label}: fit: validationSplit must be in [0, 1), got ${split}`);
  return { batchSize, epochs, split };
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
export async function fitModel(model: Model, x: Tensor, y: Tensor, o: FitOptions): Promise<History> {
  const label = `${model.className} '${model.name}'`;
  const c = compiledOf(model);
  const { batchSize, epochs, split } = checkFitOptions(label, o);
  checkData(model, c, x, y, 'fit');
  if (o.validationData) checkData(model, c, o.validationData[0], o.validationData[1], 'validation');
  await checkEagerStatistics(model);
  const nTrain = split > 0 ? Math.floor(x.shape[0] * (1 - split)) : x.shape[0];
  if (split > 0 && (nTrain === 0 || nTrain === x.shape[0])) {
    throw new ValueError(`${label}: fit: validationSplit ${split} of ${x.shape[0]} rows leaves ${nTrain} for training and ` +
      `${x.shape[0] - nTrain} for validation; each needs at least one row`);
  }
  let [xt, yt, xv, yv] = [x, y, o.validationData?.[0], o.validationData?.[1]];
  if (split > 0) {
    // fit(x, x): the targets are the input slices themselves.
    [xt, xv] = [slice(x, [0], [nTrain]), slice(x, [nTrain])];
    [yt, yv] = y === x ? [xt, xv] : [slice(y, [0], [nTrain]), slice(y, [nTrain])];
  }
  const history: History = { epoch: [], history: {} };
  const next = seededUniform(o.seed ?? Math.floor(Math.random() * 2 ** 32));
  try {
    for (let e = 0; e < epochs; e++) {
      const logs = await runEpoch(model, c, xt, yt, { ...o, batchSize }, e, next);
      if (xv && yv) {
        const v = await evaluateModel(model, xv, yv, { batchSize });
        for (const [k, val] of Object.entries(v)) logs[`val_${k}`] = val;
      }
      history.epoch.push(e);
      for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
      if (o.verbose === 1) console.log(`${label} epoch ${e + 1}/${epochs}: ${Object.entries(logs).map(([k, v]) => `${k}=${v.toPrecision(5)}`).join(' ')}`);
      await o.callbacks?.onEpochEnd?.(e, logs as EpochLogs);
    }
  } finally {
    if (split > 0) for (const t of new Set([xt, yt, xv, yv])) t?.dispose();
  }
  return history;
}

interface EpochOptions extends FitOptions { readonly batchSize: number }

async function runEpoch(
  model: Model, c: Compiled, x: Tensor, y: Tensor, o: EpochOptions, epoch: number, next: () => number,
): Promise<Record<string, number>> {
  const n = x.shape[0];
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
  const flag = fill([1], 0);
  const sums = new EpochSums();
  const reuse = new Map<Variable, Variable>();
  const kept: EpochKept = { reuse, one: fill([], 1) };
  const itersBefore = c.optimizer.iterations;
  let rows = 0;
  try {
    for (let b = 0; b < batches.length; b++) {
      const idx = batches[b];
      const step = tidy(() => {
        // One gather dispatch for inputs and targets; fit(x, x) (an autoencoder, the seed model):
        // one gather serves as both.
        const [xb, yb] = y === x ? [gather(x, idx), null] : gatherPair(x, y, idx);
        const s = trainStep(model, c, xb, yb ?? xb, flag, kept);
        return [s.loss, ...(s.correct ? [s.correct] : [])];
      });
      const out: StepOut = { loss: step[0], correct: step[1] ?? null };
      sums.add(out, idx.length, flag);
      rows += idx.length;
      if (o.callbacks?.onBatchEnd) {
        // The callback may change weights or statistics: the next step copies its targets afresh.
        dropPending(reuse);
        const [loss, f, acc] = await readback(model, [out.loss, flag, out.correct ?? out.loss]);
        if (f !== 0) throw failure(model, c, epoch, b, batches, itersBefore + b);
        await o.callbacks.onBatchEnd(b, { batch: b, size: idx.length, loss, ...(c.accuracy ? { accuracy: acc } : {}) });
      }
      for (const t of step) t.dispose();
    }
    const [lossSum, correctSum, flagSum] = await readback(model, [sums.sums]);
    if (flagSum !== 0) {
      const first = batches.length - flagSum;
      throw failure(model, c, epoch, first, batches, itersBefore + first);
    }
    return { loss: lossSum / rows, ...(c.accuracy ? { accuracy: correctSum / rows } : {}) };
  } finally {
    flag.dispose();
    sums.dispose();
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
    `${model.className} '${model.name}': fit epoch ${epoch + 1}, batch ${batch + 1} of ${batches.length} ` +
      `(${batches[batch]?.length ?? 0} rows): NaN or Inf in the loss, a gradient or the BatchNormalization batch statistics. ` +
      'That step and the rest of the epoch were skipped on the device: weights, optimizer state and moving statistics are as before that batch.',
  );
}

/** @internal */
export async function trainOnBatchModel(model: Model, x: Tensor, y: Tensor): Promise<number> {
  const c = compiledOf(model);
  checkData(model, c, x, y, 'trainOnBatch');
  await checkEagerStatistics(model);
  const flag = fill([1], 0);
  const before = c.optimizer.iterations;
  try {
    const s = tidy(() => trainStep(model, c, x, y, flag));
    const [loss, f] = await readback(model, [s.loss, flag]);
    s.loss.dispose();
    s.correct?.dispose();
    if (f !== 0) {
      c.optimizer.iterations = before;
      throw new NonFiniteError(`${model.className} '${model.name}': trainOnBatch: NaN or Inf in the loss, a gradient or the batch statistics; nothing was updated`);
    }
    return loss;
  } finally {
    flag.dispose();
  }
}

/** @internal Inference-mode loss (and accuracy), batched, summed on the device, read once. */
export async function evaluateModel(model: Model, x: Tensor, y: Tensor, o: EvaluateOptions): Promise<Record<string, number>> {
  const c = compiledOf(model);
  const label = `${model.className} '${model.name}'`;
  checkOptionsObject(label, 'evaluate', o, ['batchSize']);
  const bs = checkBatchSize(label, 'evaluate', o?.batchSize);
  checkData(model, c, x, y, 'evaluate');
  await checkEagerStatistics(model);
  const n = x.shape[0];
  const [lossSum, correctSum] = tidy(() => {
    let l: Tensor = fill([], 0);
    let a: Tensor = fill([], 0);
    for (let s = 0; s < n; s += bs) {
      // One tidy per batch: the running sums are all that outlive it, so memory does not grow with n.
      const [nl, na] = tidy(() => {
        const k = Math.min(bs, n - s);
        const xb = slice(x, [s], [k]);
        const yb = y === x ? xb : slice(y, [s], [k]);
        const yPred = model.execute(xb, false);
        const l2 = add(l, mul(reducedLoss(c.loss, yb, yPred), k));
        return [l2, c.accuracy ? add(a, mul(mean(accuracy(c.accuracy, yb, yPred)), k)) : a];
      });
      if (nl !== l) l.dispose();
      if (na !== a) a.dispose();
      [l, a] = [nl, na];
    }
    return [l, a];
  });
  const [loss, correct] = await readback(model, [lossSum, correctSum]);
  lossSum.dispose();
  correctSum.dispose();
  return { loss: loss / n, ...(c.accuracy ? { accuracy: correct / n } : {}) };
}
