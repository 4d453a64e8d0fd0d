/**
 * Training callbacks (Keras / TF.js): a `Callback` base class with six hooks, and the list that
 * `fit` dispatches to. `fit({ callbacks })` takes a Callback, a plain object of hooks (TF.js's
 * `CustomCallbackArgs`) or an array of either; every hook may be async and is awaited.
 *
 * Order in one fit: onTrainBegin, then per epoch onEpochBegin, per batch onBatchBegin /
 * onBatchEnd, onEpochEnd (after validation), and onTrainEnd. `onBatchEnd` gets the batch loss,
 * which costs one readback per batch: fit reads it only when some callback defines onBatchEnd.
 */
import { ValueError } from '../../core/errors.js';
import type { Model } from '../model.js';

/** Logs of onBatchBegin: the batch index and its number of rows. */
export interface BatchBeginLogs { readonly batch: number; readonly size: number }
/** Logs of onBatchEnd: also the batch loss (and accuracy), read back for it. */
export interface BatchLogs extends BatchBeginLogs { readonly loss: number; readonly accuracy?: number }
/** Logs of an epoch: `loss`, metrics, `val_*` when validating; callbacks may add entries (Keras). */
export interface EpochLogs { loss: number; [metric: string]: number }
/** Logs of onTrainBegin (empty) and onTrainEnd (the last epoch's logs, if any epoch ran). */
export type TrainLogs = Readonly<Record<string, number>>;

/** What a fit tells its callbacks (TF.js `params`). */
export interface FitParams {
  readonly epochs: number;
  readonly initialEpoch: number;
  /** Batches per epoch. */
  readonly steps: number;
  /** Training rows. */
  readonly samples: number;
  readonly batchSize: number;
  readonly verbose: 0 | 1 | 2;
  readonly doValidation: boolean;
  readonly metrics: readonly string[];
}

/** @internal The part of a fit that callbacks may steer. */
export interface FitControl { initialEpoch: number; readonly epochs: number; phase: 'trainBegin' | 'running' }

/** What a hook returns: nothing, or a promise fit awaits. */
export type Awaitable = void | Promise<void>;

/**
 * Base class of callbacks (Keras `keras.callbacks.Callback`, TF.js `tf.Callback`): override the
 * hooks you need. During a fit `this.model` is the model being trained and `this.params` the
 * fit's parameters; a callback stops training with `this.model.stopTraining = true`.
 */
export class Callback {
  #model: Model | null = null;
  #params: FitParams | null = null;
  #control: FitControl | null = null;

  /** @internal Called by fit before onTrainBegin. */
  bind(model: Model, params: FitParams, control: FitControl): void {
    this.#model = model;
    this.#params = params;
    this.#control = control;
  }

  /** The model being trained (set by fit). */
  get model(): Model {
    if (!this.#model) throw new ValueError(`${this.constructor.name}: this.model is set by fit; the callback is not in a fit yet`);
    return this.#model;
  }

  /** The fit's parameters (set by fit). */
  get params(): FitParams {
    if (!this.#params) throw new ValueError(`${this.constructor.name}: this.params is set by fit; the callback is not in a fit yet`);
    return this.#params;
  }

  /**
   * Makes the fit start at `epoch` (Keras `initialEpoch`; e.g. resuming from a backup). Only
   * during onTrainBegin; epochs before it do not run, and history and logs count from it.
   */
  setInitialEpoch(epoch: number): void {
    const c = this.#control;
    if (!c || c.phase !== 'trainBegin') throw new ValueError(`${this.constructor.name}: setInitialEpoch is only allowed in onTrainBegin`);
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > c.epochs) {
      throw new ValueError(`${this.constructor.name}: setInitialEpoch(${epoch}): must be an integer in [0, epochs = ${c.epochs}]`);
    }
    c.initialEpoch = epoch;
  }

  onTrainBegin(_logs: TrainLogs): Awaitable {}
  onTrainEnd(_logs: TrainLogs): Awaitable {}
  onEpochBegin(_epoch: number, _logs: TrainLogs): Awaitable {}
  onEpochEnd(_epoch: number, _logs: EpochLogs): Awaitable {}
  onBatchBegin(_batch: number, _logs: BatchBeginLogs): Awaitable {}
  /** Defining this costs one readback per batch (the batch loss). */
  onBatchEnd(_batch: number, _logs: BatchLogs): Awaitable {}
}

/** TF.js's `CustomCallbackArgs`: any of the six hooks as plain functions. */
export interface CallbackHooks {
  onTrainBegin?(logs: TrainLogs): Awaitable;
  onTrainEnd?(logs: TrainLogs): Awaitable;
  onEpochBegin?(epoch: number, logs: TrainLogs): Awaitable;
  onEpochEnd?(epoch: number, logs: EpochLogs): Awaitable;
  onBatchBegin?(batch: number, logs: BatchBeginLogs): Awaitable;
  onBatchEnd?(batch: number, logs: BatchLogs): Awaitable;
}

/** What `fit({ callbacks })` accepts. */
export type CallbackSpec = Callback | CallbackHooks | readonly (Callback | CallbackHooks)[];

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;
type Hook = (typeof HOOKS)[number];

/** A plain object of hooks as a Callback; the hooks run with the object as `this`. */
class HooksCallback extends Callback {
  readonly #hooks: CallbackHooks;

  constructor(hooks: CallbackHooks) {
    super();
    this.#hooks = hooks;
    for (const h of HOOKS) {
      const fn = hooks[h] as ((...a: unknown[]) => Awaitable) | undefined;
      if (fn) Object.defineProperty(this, h, { value: (...a: unknown[]) => fn.apply(this.#hooks, a) });
    }
  }
}

function checkHooks(label: string, where: string, o: object): void {
  for (const [k, v] of Object.entries(o)) {
    if (k === 'onYield') {
      throw new ValueError(`${label}: fit: callbacks${where}: onYield is not supported (wgnn does not yield to the event loop between batches; use onBatchEnd)`);
    }
    if (!(HOOKS as readonly string[]).includes(k)) {
      throw new ValueError(`${label}: fit: callbacks${where}: unknown hook '${k}' (hooks: ${HOOKS.join(', ')})`);
    }
    if (typeof v !== 'function') throw new ValueError(`${label}: fit: callbacks${where}.${k} must be a function, got ${typeof v}`);
  }
}

function toCallback(label: string, where: string, c: unknown): Callback {
  if (c instanceof Callback) return c;
  if (c === null || typeof c !== 'object' || Array.isArray(c)) {
    throw new ValueError(`${label}: fit: callbacks${where} must be a wg.callbacks.Callback or an object of hooks, got ${c === null ? 'null' : typeof c}`);
  }
  checkHooks(label, where, c);
  return new HooksCallback(c as CallbackHooks);
}

/** True when `cb` overrides `hook` (the base class's hooks do nothing). */
function defines(cb: Callback, hook: Hook): boolean {
  return cb[hook] !== Callback.prototype[hook];
}

/** @internal The callbacks of one fit, called in order; validated before any work. */
export class CallbackList {
  readonly callbacks: readonly Callback[];

  constructor(label: string, spec: CallbackSpec | undefined, extra: readonly Callback[] = []) {
    const list = spec === undefined ? [] : Array.isArray(spec) ? spec : [spec];
    this.callbacks = [...list.map((c, i) => toCallback(label, Array.isArray(spec) ? `[${i}]` : '', c)), ...extra];
  }

  /** Whether onBatchEnd needs the batch loss (one readback per batch). */
  get wantsBatchEnd(): boolean {
    return this.callbacks.some((c) => defines(c, 'onBatchEnd'));
  }

  bind(model: Model, params: FitParams, control: FitControl): void {
    for (const c of this.callbacks) c.bind(model, params, control);
  }

  async onTrainBegin(logs: TrainLogs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin(logs);
  }

  async onTrainEnd(logs: TrainLogs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd(logs);
  }

  async onEpochBegin(epoch: number, logs: TrainLogs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin(epoch, logs);
  }

  async onEpochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd(epoch, logs);
  }

  async onBatchBegin(batch: number, logs: BatchBeginLogs): Promise<void> {
    for (const c of this.callbacks) if (defines(c, 'onBatchBegin')) await c.onBatchBegin(batch, logs);
  }

  async onBatchEnd(batch: number, logs: BatchLogs): Promise<void> {
    for (const c of this.callbacks) if (defines(c, 'onBatchEnd')) await c.onBatchEnd(batch, logs);
  }
}
