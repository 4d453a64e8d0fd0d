/**
 * Optimizers with the Keras 3 formulas (SEMANTICS.md section 6), applied by the backend's fused
 * `optimizerStepAll` kernel (two weights per dispatch on WebGPU, in place, optionally guarded by
 * a device flag so a non-finite step writes nothing).
 *
 *   sgd:     v = momentum * v - lr * g; w += v          (momentum 0: w -= lr * g)
 *   rmsprop: s = rho * s + (1 - rho) * g^2; w -= lr * g / sqrt(s + eps)
 *   adam:    m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
 *            w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps), t = 1, 2, ...
 */
import type { OptimizerUpdate } from '../backend/backend.js';
import { engine } from '../core/engine.js';
import { ValueError } from '../core/errors.js';
import type { Tensor, Variable } from '../core/tensor.js';
import { tidy } from '../core/scope.js';
import { fill, variable } from '../ops/creation.js';
import { LearningRateSchedule } from './schedules.js';

export interface SgdConfig { readonly kind: 'sgd'; readonly learningRate: number; readonly momentum: number }
export interface RmspropConfig { readonly kind: 'rmsprop'; readonly learningRate: number; readonly rho: number; readonly epsilon: number }
export interface AdamConfig {
  readonly kind: 'adam'; readonly learningRate: number; readonly beta1: number; readonly beta2: number; readonly epsilon: number;
}
export type OptimizerConfig = SgdConfig | RmspropConfig | AdamConfig;

const SLOT_NAMES = { sgd: ['momentum'], rmsprop: ['velocity'], adam: ['momentum', 'velocity'] } as const;

export interface SgdOptions { readonly learningRate?: LearningRate; readonly momentum?: number }
export interface RmspropOptions { readonly learningRate?: LearningRate; readonly rho?: number; readonly epsilon?: number }
export interface AdamOptions { readonly learningRate?: LearningRate; readonly beta1?: number; readonly beta2?: number; readonly epsilon?: number }

/** A learning rate: a number, or a schedule of the step count. */
export type LearningRate = number | LearningRateSchedule;

/** A configured optimizer with its per-weight slots and host-side step count. */
export class Optimizer {
  readonly #config: OptimizerConfig;
  #lr: number;
  #schedule: LearningRateSchedule | null = null;
  /** Steps applied so far (Adam's t - 1). Kept on the host; `fit` rolls it back for skipped steps. */
  iterations = 0;
  readonly #slots = new Map<Variable, Variable[]>();

  /** `learningRate` in `config` is the starting constant; pass a schedule as the second argument. */
  constructor(config: OptimizerConfig, schedule?: LearningRateSchedule) {
    this.#config = config;
    this.#lr = config.learningRate;
    if (schedule) this.learningRate = schedule;
  }

  /**
   * The hyper-parameters, with the learning rate of the next step. A frozen snapshot: assigning
   * to it throws; set `optimizer.learningRate` instead.
   */
  get config(): OptimizerConfig {
    return Object.freeze({ ...this.#config, learningRate: this.learningRate });
  }

  /**
   * The learning rate of the next step (a schedule evaluated at `iterations`). Settable at any
   * time, to a number or a `wg.optimizers.schedules.*` schedule (which replaces any earlier one):
   * it takes effect at the next step, without recompiling; nothing is read back.
   */
  get learningRate(): number {
    return this.#schedule ? this.#schedule.call(this.iterations) : this.#lr;
  }

  set learningRate(lr: LearningRate) {
    if (lr instanceof LearningRateSchedule) {
      this.#schedule = lr;
      return;
    }
    this.#lr = learningRateValue(`optimizers.${this.#config.kind}.learningRate`, lr);
    this.#schedule = null;
  }

  /** TF.js's spelling of `optimizer.learningRate = lr`. */
  setLearningRate(lr: LearningRate): void {
    this.learningRate = lr;
  }

  /** The schedule in use, or null for a constant learning rate. */
  get schedule(): LearningRateSchedule | null {
    return this.#schedule;
  }

  #slotsFor(w: Variable): Variable[] {
    let s = this.#slots.get(w);
    if (!s) {
      const c = this.#config;
      const names = c.kind === 'sgd' && c.momentum === 0 ? [] : SLOT_NAMES[c.kind];
      s = names.map((n) => tidy(() => variable(fill(w.shape, 0), { name: `${w.name}/${n}`, trainable: false })));
      this.#slots.set(w, s);
    }
    return s;
  }

  #update(): OptimizerUpdate {
    const c = { ...this.#config, learningRate: this.learningRate };
    return c.kind === 'adam' ? { ...c, step: this.iterations + 1 } : c;
  }

  /**
   * One step for every (weight, gradient) pair, in place on the device. With `guard` (a 1-element
   * flag tensor), the kernels write nothing when guard[0] != 0; `iterations` still advances (the
   * caller rolls it back once it has read the flag).
   */
  applyGradients(pairs: readonly { readonly variable: Variable; readonly grad: Tensor }[], guard?: Tensor): void {
    const items = pairs.map(({ variable: w, grad }) => ({
      weight: w.handle, grad: grad.handle, slots: this.#slotsFor(w).map((s) => s.handle), size: w.size,
    }));
    engine.backend.optimizerStepAll(this.#update(), items, guard?.handle);
    this.iterations++;
  }

  /** Every slot variable, in creation order (for tests and inspection). */
  get slots(): Variable[] {
    return [...this.#slots.values()].flat();
  }

  /** Releases the slots. */
  dispose(): void {
    for (const s of this.slots) s.dispose();
    this.#slots.clear();
  }
}

/** A constant learning rate: finite and >= 0 (0 freezes training, as a schedule's floor may). */
function learningRateValue(what: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && Number.isFinite(v))) {
    throw new ValueError(`${what} must be a finite number >= 0 or a wg.optimizers.schedules.* schedule, got ${String(v)}`);
  }
  return v;
}

/** Splits a learning-rate option into the config's starting constant and an optional schedule. */
function lrOption(kind: string, v: LearningRate | undefined, dflt: number): { learningRate: number; schedule?: LearningRateSchedule } {
  if (v instanceof LearningRateSchedule) return { learningRate: v.call(0), schedule: v };
  return { learningRate: learningRateValue(`optimizers.${kind}: learningRate`, v ?? dflt) };
}

function num(kind: string, name: string, v: unknown, ok: (x: number) => boolean, range: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new ValueError(`optimizers.${kind}: ${name} must be ${range}, got ${String(v)}`);
  return v;
}

function checkKeys(kind: string, o: object, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ValueError(`optimizers.${kind}: unknown option '${k}' (allowed: ${allowed.join(', ')})`);
  }
}

/**
 * The options of an optimizer factory. TF.js's positional form `adam(0.01)` is accepted for the
 * learning rate alone; further positional values throw (TF.js's orders differ per optimizer).
 */
function options<T extends { learningRate?: LearningRate }>(kind: string, o: T | LearningRate | undefined, rest: readonly unknown[], allowed: readonly string[]): T {
  if (rest.length > 0) {
    throw new ValueError(`optimizers.${kind}: got ${rest.length + 1} positional arguments; only the learning rate may be positional: ` +
      `pass an options object { ${allowed.join(', ')} }`);
  }
  if (o === undefined) return {} as T;
  if (typeof o === 'number' || o instanceof LearningRateSchedule) return { learningRate: o } as T;
  if (o === null || typeof o !== 'object') throw new ValueError(`optimizers.${kind}: expected an options object or a learning rate, got ${String(o)}`);
  checkKeys(kind, o, allowed);
  return o;
}

const positive = (x: number) => x > 0 && Number.isFinite(x);
const unit = (x: number) => x >= 0 && x < 1;

/** SGD (Keras defaults: learningRate 0.01, momentum 0). `learningRate` may be a schedule. */
export function sgd(opts?: SgdOptions | LearningRate, ...rest: unknown[]): Optimizer {
  const o = options('sgd', opts, rest, ['learningRate', 'momentum']);
  const { learningRate, schedule } = lrOption('sgd', o.learningRate, 0.01);
  return new Optimizer({ kind: 'sgd', learningRate, momentum: num('sgd', 'momentum', o.momentum ?? 0, unit, 'in [0, 1)') }, schedule);
}

/** RMSprop (Keras defaults: learningRate 0.001, rho 0.9, epsilon 1e-7). `learningRate` may be a schedule. */
export function rmsprop(opts?: RmspropOptions | LearningRate, ...rest: unknown[]): Optimizer {
  const o = options('rmsprop', opts, rest, ['learningRate', 'rho', 'epsilon']);
  const { learningRate, schedule } = lrOption('rmsprop', o.learningRate, 0.001);
  return new Optimizer({
    kind: 'rmsprop', learningRate, rho: num('rmsprop', 'rho', o.rho ?? 0.9, unit, 'in [0, 1)'),
    epsilon: num('rmsprop', 'epsilon', o.epsilon ?? 1e-7, positive, '> 0'),
  }, schedule);
}

/** Adam (Keras defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7 outside the sqrt). `learningRate` may be a schedule. */
export function adam(opts?: AdamOptions | LearningRate, ...rest: unknown[]): Optimizer {
  const o = options('adam', opts, rest, ['learningRate', 'beta1', 'beta2', 'epsilon']);
  const { learningRate, schedule } = lrOption('adam', o.learningRate, 0.001);
  return new Optimizer({
    kind: 'adam', learningRate,
    beta1: num('adam', 'beta1', o.beta1 ?? 0.9, unit, 'in [0, 1)'), beta2: num('adam', 'beta2', o.beta2 ?? 0.999, unit, 'in [0, 1)'),
    epsilon: num('adam', 'epsilon', o.epsilon ?? 1e-7, positive, '> 0'),
  }, schedule);
}

export type OptimizerName = 'sgd' | 'rmsprop' | 'adam';

/** An optimizer from a name (Keras defaults) or an instance; undefined = 'rmsprop' as in Keras. */
export function getOptimizer(spec: OptimizerName | Optimizer | undefined): Optimizer {
  if (spec === undefined) return rmsprop();
  if (spec instanceof Optimizer) return spec;
  switch (spec) {
    case 'sgd':
      return sgd();
    case 'rmsprop':
      return rmsprop();
    case 'adam':
      return adam();
    default:
      throw new ValueError(`compile: unknown optimizer ${JSON.stringify(spec)} (use 'sgd', 'rmsprop', 'adam' or wg.optimizers.*)`);
  }
}
