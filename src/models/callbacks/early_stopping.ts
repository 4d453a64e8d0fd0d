/**
 * Keras 3's EarlyStopping. Per epoch (from `startFromEpoch`), with d = |minDelta| and
 * better(a, b) = a + d < b (mode min) or a - d > b (mode max):
 *
 *   wait += 1
 *   if best is unset or better(current, best):
 *     best = current, bestEpoch = epoch (and a copy of the weights with restoreBestWeights)
 *     if there is no baseline or better(current, baseline): wait = 0
 *   else if wait >= patience and epoch > 0: stop (model.stopTraining = true)
 *
 * At the end of training, restoreBestWeights puts back the weights of the best epoch bitwise
 * (those of the first monitored epoch if none improved), whether or not training stopped early.
 */
import type { Tensor } from '../../core/tensor.js';
import { Callback, type EpochLogs, type TrainLogs } from './callback.js';
import { ValueError } from '../../core/errors.js';
import { checkOptions, direction, monitored, nonNegativeInt, option, type MonitorMode } from './monitor.js';

export interface EarlyStoppingOptions {
  /** Default 'val_loss'. */
  readonly monitor?: string;
  /** Smallest change that counts as an improvement (its sign is ignored). Default 0. */
  readonly minDelta?: number;
  /** Epochs without improvement before stopping. Default 0. */
  readonly patience?: number;
  /** Default 'auto' (from the monitor's name). */
  readonly mode?: MonitorMode;
  /** Training stops unless the monitor beats this within `patience` epochs. */
  readonly baseline?: number;
  /** Restore the best epoch's weights at the end. Default false. */
  readonly restoreBestWeights?: boolean;
  /** Epochs to wait before monitoring starts. Default 0. */
  readonly startFromEpoch?: number;
  /** 1: print when stopping / restoring. Default 0. */
  readonly verbose?: 0 | 1;
}

const FN = 'earlyStopping';
const KEYS = ['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights', 'startFromEpoch', 'verbose'];

/** Stops training when the monitored quantity stops improving (Keras `EarlyStopping`). */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly mode: 'min' | 'max';
  readonly #delta: number;
  readonly #verbose: number;
  /** Epochs since the last improvement. */
  wait = 0;
  /** Epoch at which training was stopped (0 if it was not). */
  stoppedEpoch = 0;
  /** Best monitored value so far (null before the first monitored epoch). */
  best: number | null = null;
  bestEpoch = 0;
  #bestWeights: Tensor[] | null = null;

  constructor(o: EarlyStoppingOptions = {}) {
    super();
    checkOptions(FN, o, KEYS);
    this.monitor = o.monitor ?? 'val_loss';
    if (typeof this.monitor !== 'string') throw new ValueError(`callbacks.${FN}: monitor must be a string, got ${typeof this.monitor}`);
    this.mode = direction(FN, this.monitor, o.mode ?? 'auto');
    const d = Math.abs(option(FN, 'minDelta', o.minDelta ?? 0, Number.isFinite, 'a finite number'));
    this.#delta = this.mode === 'min' ? -d : d;
    this.patience = option(FN, 'patience', o.patience ?? 0, nonNegativeInt, 'an integer >= 0');
    this.baseline = o.baseline === undefined ? null : option(FN, 'baseline', o.baseline, Number.isFinite, 'a finite number');
    this.restoreBestWeights = o.restoreBestWeights ?? false;
    this.startFromEpoch = option(FN, 'startFromEpoch', o.startFromEpoch ?? 0, nonNegativeInt, 'an integer >= 0');
    this.#verbose = option(FN, 'verbose', o.verbose ?? 0, (x) => x === 0 || x === 1, '0 or 1');
  }

  #better(value: number, reference: number | null): boolean {
    if (reference === null) return true;
    return this.mode === 'min' ? value - this.#delta < reference : value - this.#delta > reference;
  }

  #keepWeights(): void {
    for (const t of this.#bestWeights ?? []) t.dispose();
    this.#bestWeights = this.model.getWeights();
  }

  override onTrainBegin(_logs: TrainLogs): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = null;
    this.bestEpoch = 0;
    this.#dropWeights();
  }

  override onEpochEnd(epoch: number, logs: EpochLogs): void {
    const current = monitored(FN, this.monitor, logs);
    if (epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.#bestWeights === null) {
      this.#keepWeights();
      this.bestEpoch = epoch;
    }
    this.wait++;
    if (this.#better(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.#keepWeights();
      if (this.baseline === null || this.#better(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  override onTrainEnd(_logs: TrainLogs): void {
    if (this.stoppedEpoch > 0 && this.#verbose > 0) console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.#bestWeights) {
      if (this.#verbose > 0) console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.model.setWeights(this.#bestWeights);
    }
    this.#dropWeights();
  }

  #dropWeights(): void {
    for (const t of this.#bestWeights ?? []) t.dispose();
    this.#bestWeights = null;
  }
}

/** `wg.callbacks.earlyStopping(options)`: see EarlyStopping. */
export function earlyStopping(o: EarlyStoppingOptions = {}): EarlyStopping {
  return new EarlyStopping(o);
}
