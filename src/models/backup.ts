/**
 * Host backups of a model's training state and `wg.callbacks.backupAndRestore` (Keras
 * `BackupAndRestore`, issue 13 item 7): the
 * weights (moving statistics included), the optimizer slots and step count after the last
 * completed epoch, kept in host memory. The values arrive with the readback `fit` already does at
 * each epoch's end (a readback tap, see readback.ts): no extra transfer. Restoring works on the
 * same device, or after a device loss and `init()`, when the variables take new device data.
 */
import { ValueError, fmtShape } from '../core/errors.js';
import type { Tensor, Variable } from '../core/tensor.js';
import { tidy } from '../core/scope.js';
import { tensor } from '../ops/creation.js';
import type { Model } from './model.js';
import type { ReadbackTap } from './readback.js';
import { Callback } from './callbacks/callback.js';

/** The training state after one completed epoch, on the host. */
export interface BackupState {
  /** The last completed epoch (0-based). */
  readonly epoch: number;
  /** Values of `model.weights`, in order. */
  readonly weights: readonly Float32Array[];
  /** Per weight (same order), the values of its optimizer slots (empty before its first step). */
  readonly slots: readonly (readonly Float32Array[])[];
  /** The optimizer's step count. */
  readonly iterations: number;
}

type Snapshot = Omit<BackupState, 'epoch'>;

/** A readback tap that keeps the latest weights, slots and step count of `model` on the host. */
export class HostMirror implements ReadbackTap {
  readonly #model: Model;
  #layout: { slotCounts: number[]; iterations: number } | null = null;
  /** The values of the last readback. */
  latest: Snapshot | null = null;

  constructor(model: Model) {
    this.#model = model;
  }

  tensors(): readonly Tensor[] {
    const ws = this.#model.weights;
    const opt = this.#model.compiled?.optimizer;
    const slots = ws.map((w) => opt?.existingSlots(w) ?? []);
    this.#layout = { slotCounts: slots.map((s) => s.length), iterations: opt?.iterations ?? 0 };
    return [...ws, ...slots.flat()];
  }

  receive(values: readonly Float32Array[]): void {
    const layout = this.#layout;
    if (!layout) return;
    const n = layout.slotCounts.length;
    let at = n;
    const slots = layout.slotCounts.map((k) => values.slice(at, (at += k)));
    this.latest = { weights: values.slice(0, n), slots, iterations: layout.iterations };
  }
}

/**
 * Puts `state` back into `model`: weights (onto the active backend where they were left on a
 * lost device), optimizer slots and step count. Everything is checked before the first write.
 */
export function restoreState(model: Model, state: BackupState): void {
  const label = `${model.className} '${model.name}': backupAndRestore`;
  const ws = model.weights;
  const opt = model.compiled?.optimizer;
  if (!opt) throw new ValueError(`${label}: the model is not compiled`);
  if (state.weights.length !== ws.length) {
    throw new ValueError(`${label}: the backup holds ${state.weights.length} weights but the model has ${ws.length}`);
  }
  ws.forEach((w, i) => checkSize(label, w, state.weights[i], 'weight'));
  ws.forEach((w, i) => state.slots[i].forEach((s) => checkSize(label, w, s, 'optimizer slot of')));
  tidy(() => {
    model.setWeights(ws.map((w, i) => tensor(state.weights[i], w.shape)));
    ws.forEach((w, i) => {
      if (state.slots[i].length > 0) opt.restoreSlots(w, state.slots[i].map((s) => tensor(s, w.shape)));
    });
  });
  opt.iterations = state.iterations;
}

function checkSize(label: string, w: Variable, values: Float32Array, what: string): void {
  if (values.length !== w.size) {
    throw new ValueError(`${label}: the backup's ${what} '${w.name}' has ${values.length} values but the weight has shape ${fmtShape(w.shape)}`);
  }
}

/** Options of `wg.callbacks.backupAndRestore`. */
export interface BackupAndRestoreOptions {
  /** Drop the backup when a fit ends normally (Keras `delete_checkpoint`, default true). */
  readonly deleteCheckpoint?: boolean;
}

/**
 * Keras's `BackupAndRestore`, in host memory: after every completed epoch it keeps the weights
 * (moving statistics included), the optimizer slots and step count, from the readback fit already
 * does at the epoch's end. When a fit is interrupted (an error, or the WebGPU device lost), the
 * next `fit` with the same callback restores that state, onto the new device after `init()` when
 * the old one is gone, and resumes at the next epoch; with the same `seed` it ends bitwise equal
 * to an uninterrupted fit.
 */
export class BackupAndRestore extends Callback {
  readonly #deleteCheckpoint: boolean;
  #state: BackupState | null = null;
  #mirror: HostMirror | null = null;

  constructor(options: BackupAndRestoreOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') throw new ValueError('callbacks.backupAndRestore: options must be an object');
    for (const k of Object.keys(options)) {
      if (k !== 'deleteCheckpoint') throw new ValueError(`callbacks.backupAndRestore: unknown option '${k}' (allowed: deleteCheckpoint)`);
    }
    const d = options.deleteCheckpoint ?? true;
    if (typeof d !== 'boolean') throw new ValueError(`callbacks.backupAndRestore: deleteCheckpoint must be a boolean, got ${String(d)}`);
    this.#deleteCheckpoint = d;
  }

  /** The state kept now (null before the first completed epoch, and after a fit that ended normally). */
  get state(): BackupState | null {
    return this.#state;
  }

  override onTrainBegin(): void {
    const model = this.model;
    if (this.#mirror) model.readbackTaps.delete(this.#mirror);
    this.#mirror = new HostMirror(model);
    model.readbackTaps.add(this.#mirror);
    if (!this.#state) return;
    restoreState(model, this.#state);
    this.setInitialEpoch(Math.min(this.#state.epoch + 1, this.params.epochs));
  }

  override onEpochEnd(epoch: number): void {
    const latest = this.#mirror?.latest;
    if (latest) this.#state = { epoch, ...latest };
  }

  override onTrainEnd(): void {
    if (this.#mirror) this.model.readbackTaps.delete(this.#mirror);
    this.#mirror = null;
    if (this.#deleteCheckpoint) this.#state = null;
  }
}

/** `new BackupAndRestore(options)` (Keras `keras.callbacks.BackupAndRestore`, kept in host memory). */
export function backupAndRestore(options: BackupAndRestoreOptions = {}): BackupAndRestore {
  return new BackupAndRestore(options);
}
