/**
 * Learning-rate schedules with Keras 3's formulas (`keras.optimizers.schedules`). A schedule maps
 * the optimizer's step count (`iterations`: updates applied so far, 0 for the first) to a
 * learning rate. The step count lives on the host, so the rate of each step is computed there
 * and travels in the optimizer kernel's uniform: a schedule costs no readback and no recompile.
 *
 *   exponentialDecay:        lr = initial * decayRate ^ (step / decaySteps)   (staircase: floor)
 *   piecewiseConstantDecay:  lr = values[i] for boundaries[i-1] < step <= boundaries[i]
 *   cosineDecay:             s = min(step, decaySteps);
 *                            lr = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decaySteps)) + alpha)
 *                            (with warmupSteps: a linear ramp from initial to warmupTarget first)
 */
import { ValueError } from '../core/errors.js';

/** A learning rate as a function of the 0-based step (Keras `LearningRateSchedule`). */
export abstract class LearningRateSchedule {
  /** The learning rate of step `step` (0 = the first update). */
  abstract call(step: number): number;
  /** The constructor options, as given (for inspection and `toString`). */
  abstract getConfig(): Readonly<Record<string, unknown>>;
}

function check(fn: string, name: string, v: unknown, ok: (x: number) => boolean, range: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new ValueError(`optimizers.schedules.${fn}: ${name} must be ${range}, got ${String(v)}`);
  return v;
}

function checkKeys(fn: string, o: object, allowed: readonly string[]): void {
  if (o === null || typeof o !== 'object') throw new ValueError(`optimizers.schedules.${fn}: needs an options object`);
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ValueError(`optimizers.schedules.${fn}: unknown option '${k}' (allowed: ${allowed.join(', ')})`);
  }
}

const nonNegative = (x: number) => x >= 0 && Number.isFinite(x);
const positive = (x: number) => x > 0 && Number.isFinite(x);
const positiveInt = (x: number) => Number.isInteger(x) && x > 0;

export interface ExponentialDecayOptions {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  /** Decay in whole multiples of decaySteps (floor of the exponent). Default false. */
  readonly staircase?: boolean;
}

class ExponentialDecay extends LearningRateSchedule {
  readonly #o: Required<ExponentialDecayOptions>;

  constructor(o: Required<ExponentialDecayOptions>) {
    super();
    this.#o = o;
  }

  call(step: number): number {
    const p = step / this.#o.decaySteps;
    return this.#o.initialLearningRate * this.#o.decayRate ** (this.#o.staircase ? Math.floor(p) : p);
  }

  getConfig(): Readonly<Record<string, unknown>> {
    return { ...this.#o };
  }
}

/** `initialLearningRate * decayRate ^ (step / decaySteps)` (Keras `ExponentialDecay`). */
export function exponentialDecay(o: ExponentialDecayOptions): LearningRateSchedule {
  const fn = 'exponentialDecay';
  checkKeys(fn, o, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase']);
  return new ExponentialDecay({
    initialLearningRate: check(fn, 'initialLearningRate', o.initialLearningRate, nonNegative, 'a finite number >= 0'),
    decaySteps: check(fn, 'decaySteps', o.decaySteps, positive, '> 0'),
    decayRate: check(fn, 'decayRate', o.decayRate, nonNegative, 'a finite number >= 0'),
    staircase: o.staircase ?? false,
  });
}

export interface PiecewiseConstantDecayOptions {
  /** Increasing step boundaries. */
  readonly boundaries: readonly number[];
  /** One more value than boundaries: values[0] up to and including boundaries[0], and so on. */
  readonly values: readonly number[];
}

class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly #o: PiecewiseConstantDecayOptions;

  constructor(o: PiecewiseConstantDecayOptions) {
    super();
    this.#o = o;
  }

  call(step: number): number {
    const { boundaries, values } = this.#o;
    const i = boundaries.findIndex((b) => step <= b);
    return values[i === -1 ? boundaries.length : i];
  }

  getConfig(): Readonly<Record<string, unknown>> {
    return { boundaries: [...this.#o.boundaries], values: [...this.#o.values] };
  }
}

/** Constant pieces between step boundaries (Keras `PiecewiseConstantDecay`). */
export function piecewiseConstantDecay(o: PiecewiseConstantDecayOptions): LearningRateSchedule {
  const fn = 'piecewiseConstantDecay';
  checkKeys(fn, o, ['boundaries', 'values']);
  const { boundaries, values } = o;
  if (!Array.isArray(boundaries) || !Array.isArray(values) || values.length !== boundaries.length + 1) {
    throw new ValueError(`optimizers.schedules.${fn}: values must have one more element than boundaries ` +
      `(got ${Array.isArray(values) ? values.length : String(values)} values, ${Array.isArray(boundaries) ? boundaries.length : String(boundaries)} boundaries)`);
  }
  boundaries.forEach((b, i) => {
    check(fn, `boundaries[${i}]`, b, Number.isFinite, 'a finite number');
    if (i > 0 && !(b > boundaries[i - 1])) throw new ValueError(`optimizers.schedules.${fn}: boundaries must increase, got [${boundaries.join(', ')}]`);
  });
  values.forEach((v, i) => check(fn, `values[${i}]`, v, nonNegative, 'a finite number >= 0'));
  return new PiecewiseConstantDecay({ boundaries: [...boundaries], values: [...values] });
}

export interface CosineDecayOptions {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  /** Floor of the decay as a fraction of the starting rate. Default 0. */
  readonly alpha?: number;
  /** With warmupSteps: ramp linearly from initialLearningRate to this, then decay from it. */
  readonly warmupTarget?: number;
  readonly warmupSteps?: number;
}

class CosineDecay extends LearningRateSchedule {
  readonly #o: CosineDecayOptions & { alpha: number; warmupSteps: number };

  constructor(o: CosineDecayOptions & { alpha: number; warmupSteps: number }) {
    super();
    this.#o = o;
  }

  #decay(step: number, from: number): number {
    const { decaySteps, alpha } = this.#o;
    const cosine = 0.5 * (1 + Math.cos(Math.PI * (step / decaySteps)));
    return from * ((1 - alpha) * cosine + alpha);
  }

  call(step: number): number {
    const { initialLearningRate, decaySteps, warmupTarget, warmupSteps } = this.#o;
    if (warmupTarget === undefined) return this.#decay(Math.min(step, decaySteps), initialLearningRate);
    const s = Math.min(step, decaySteps + warmupSteps);
    if (s < warmupSteps) return (warmupTarget - initialLearningRate) * (s / warmupSteps) + initialLearningRate;
    return this.#decay(s - warmupSteps, warmupTarget);
  }

  getConfig(): Readonly<Record<string, unknown>> {
    return { ...this.#o };
  }
}

/** Half a cosine from the starting rate down to `alpha` times it (Keras `CosineDecay`, with optional warmup). */
export function cosineDecay(o: CosineDecayOptions): LearningRateSchedule {
  const fn = 'cosineDecay';
  checkKeys(fn, o, ['initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget', 'warmupSteps']);
  const warmupSteps = check(fn, 'warmupSteps', o.warmupSteps ?? 0, (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0');
  if (o.warmupTarget === undefined && warmupSteps > 0) {
    throw new ValueError(`optimizers.schedules.${fn}: warmupSteps ${warmupSteps} needs a warmupTarget (the rate to ramp up to)`);
  }
  return new CosineDecay({
    initialLearningRate: check(fn, 'initialLearningRate', o.initialLearningRate, nonNegative, 'a finite number >= 0'),
    decaySteps: check(fn, 'decaySteps', o.decaySteps, positiveInt, 'a positive integer'),
    alpha: check(fn, 'alpha', o.alpha ?? 0, (x) => x >= 0 && x <= 1, 'in [0, 1]'),
    ...(o.warmupTarget === undefined ? {} : { warmupTarget: check(fn, 'warmupTarget', o.warmupTarget, nonNegative, 'a finite number >= 0') }),
    warmupSteps,
  });
}
