/**
 * Keras 3's ReduceLROnPlateau. Per epoch, with better(a, b) = a < b - minDelta (mode min) or
 * a > b + minDelta (mode max):
 *
 *   logs.learning_rate = optimizer.learningRate
 *   if cooling down: cooldown -= 1, wait = 0
 *   if better(current, best): best = current, wait = 0
 *   else if not cooling down: wait += 1; once wait >= patience and lr > minLr:
 *     optimizer.learningRate = max(lr * factor, minLr), cooldown = cooldown option, wait = 0
 *
 * The new rate applies from the next step (no recompile, no readback).
 */
import { ValueError } from '../../core/errors.js';
import type { Optimizer } from '../../optimizers/optimizer.js';
import { Callback, type EpochLogs, type TrainLogs } from './callback.js';
import { checkOptions, direction, monitored, nonNegative, nonNegativeInt, option, type MonitorMode } from './monitor.js';

export interface ReduceLROnPlateauOptions {
  /** Default 'val_loss'. */
  readonly monitor?: string;
  /** New rate = rate * factor, in (0, 1). Default 0.1. */
  readonly factor?: number;
  /** Epochs without improvement before reducing. Default 10. */
  readonly patience?: number;
  /** Default 'auto' (from the monitor's name). */
  readonly mode?: MonitorMode;
  /** Smallest change that counts as an improvement. Default 1e-4. */
  readonly minDelta?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  readonly cooldown?: number;
  /** Lower bound of the rate. Default 0. */
  readonly minLr?: number;
  /** 1: print each reduction. Default 0. */
  readonly verbose?: 0 | 1;
}

const FN = 'reduceLROnPlateau';
const KEYS = ['monitor', 'factor', 'patience', 'mode', 'minDelta', 'cooldown', 'minLr', 'verbose'];

/** Multiplies the learning rate by `factor` when the monitored quantity plateaus (Keras `ReduceLROnPlateau`). */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly #verbose: number;
  wait = 0;
  cooldownCounter = 0;
  best = Infinity;

  constructor(o: ReduceLROnPlateauOptions = {}) {
    super();
    checkOptions(FN, o, KEYS);
    this.monitor = o.monitor ?? 'val_loss';
    if (typeof this.monitor !== 'string') throw new ValueError(`callbacks.${FN}: monitor must be a string, got ${typeof this.monitor}`);
    this.mode = direction(FN, this.monitor, o.mode ?? 'auto');
    this.factor = option(FN, 'factor', o.factor ?? 0.1, (x) => x > 0 && x < 1, 'in (0, 1)');
    this.patience = option(FN, 'patience', o.patience ?? 10, nonNegativeInt, 'an integer >= 0');
    this.minDelta = option(FN, 'minDelta', o.minDelta ?? 1e-4, nonNegative, 'a finite number >= 0');
    this.cooldown = option(FN, 'cooldown', o.cooldown ?? 0, nonNegativeInt, 'an integer >= 0');
    this.minLr = option(FN, 'minLr', o.minLr ?? 0, nonNegative, 'a finite number >= 0');
    this.#verbose = option(FN, 'verbose', o.verbose ?? 0, (x) => x === 0 || x === 1, '0 or 1');
  }

  #optimizer(): Optimizer {
    const c = this.model.compiled;
    if (!c) throw new ValueError(`callbacks.${FN}: the model is not compiled`);
    if (c.optimizer.schedule) {
      throw new ValueError(`callbacks.${FN}: the optimizer's learning rate is a schedule; reducing it would replace the schedule (use a constant learningRate, or the schedule alone)`);
    }
    return c.optimizer;
  }

  #better(a: number, b: number): boolean {
    return this.mode === 'min' ? a < b - this.minDelta : a > b + this.minDelta;
  }

  override onTrainBegin(_logs: TrainLogs): void {
    this.#optimizer();
    this.wait = 0;
    this.cooldownCounter = 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  override onEpochEnd(epoch: number, logs: EpochLogs): void {
    const opt = this.#optimizer();
    logs.learning_rate = opt.learningRate;
    const current = monitored(FN, this.monitor, logs);
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    if (this.#better(current, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter === 0 && ++this.wait >= this.patience) {
      const old = opt.learningRate;
      if (old > this.minLr) {
        opt.learningRate = Math.max(old * this.factor, this.minLr);
        if (this.#verbose > 0) console.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${opt.learningRate}.`);
        this.cooldownCounter = this.cooldown;
        this.wait = 0;
      }
    }
  }
}

/** `wg.callbacks.reduceLROnPlateau(options)`: see ReduceLROnPlateau. */
export function reduceLROnPlateau(o: ReduceLROnPlateauOptions = {}): ReduceLROnPlateau {
  return new ReduceLROnPlateau(o);
}
