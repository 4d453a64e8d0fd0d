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
import { BackendError, ValueError } from '../core/errors.js';
import type { Tensor, Variable } from '../core/tensor.js';
import { tidy } from '../core/scope.js';
import { fill, variable } from '../ops/creation.js';

export interface SgdConfig { readonly kind: 'sgd'; readonly learningRate: number; readonly momentum: number }
export interface RmspropConfig { readonly kind: 'rmsprop'; readonly learningRate: number; readonly rho: number; readonly epsilon: number }
export interface AdamConfig {
  readonly kind: 'adam'; readonly learningRate: number; readonly beta1: number; readonly beta2: number; readonly epsilon: number;
}
export type OptimizerConfig = SgdConfig | RmspropConfig | AdamConfig;

const SLOT_NAMES = { sgd: ['momentum'], rmsprop: ['velocity'], adam: ['momentum', 'velocity'] } as const;

/** A configured optimizer with its per-weight slots and host-side step count. */
export class Optimizer {
  readonly config: OptimizerConfig;
  /** Steps applied so far (Adam's t - 1). Kept on the host; `fit` rolls it back for skipped steps. */
  iterations = 0;
  readonly #slots = new Map<Variable, Variable[]>();

  constructor(config: OptimizerConfig) {
    this.config = config;
  }

  #slotsFor(w: Variable): Variable[] {
    let s = this.#slots.get(w);
    const lost = s?.find((v) => v.isLost);
    if (lost) {
      throw new BackendError(`optimizers.${this.config.kind}: slot '${lost.name}' lives on a WebGPU device that is gone; ` +
        'restore the optimizer state with wg.callbacks.backupAndRestore, or compile a new optimizer');
    }
    if (!s) {
      const names = this.config.kind === 'sgd' && this.config.momentum === 0 ? [] : SLOT_NAMES[this.config.kind];
      s = names.map((n) => tidy(() => variable(fill(w.shape, 0), { name: `${w.name}/${n}`, trainable: false })));
      this.#slots.set(w, s);
    }
    return s;
  }

  #update(): OptimizerUpdate {
    const c = this.config;
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

  /** @internal The slots of `w` (created on first use), in SLOT_NAMES order. */
  slotsOf(w: Variable): Variable[] {
    return this.#slotsFor(w);
  }

  /** @internal The slots `w` has now: none before its first step. */
  existingSlots(w: Variable): readonly Variable[] {
    return this.#slots.get(w) ?? [];
  }

  /**
   * @internal Sets the slots of `w` from `values` (a backup): slots left on a lost device take
   * the values onto the active backend. Throws before any write when the count does not match.
   */
  restoreSlots(w: Variable, values: readonly Tensor[]): void {
    const slots = this.#slots.get(w) ?? this.#slotsFor(w);
    if (slots.length !== values.length) {
      throw new ValueError(`optimizers.${this.config.kind}: weight '${w.name}' has ${slots.length} slot(s), the backup ${values.length}`);
    }
    slots.forEach((s, i) => (s.isLost ? s.restoreFrom(values[i]) : s.assign(values[i])));
  }

  /** Disposes the slots of the given weights (a model being disposed); other weights keep theirs. */
  releaseSlots(weights: readonly Variable[]): number {
    let n = 0;
    for (const w of weights) {
      for (const s of this.#slots.get(w) ?? []) {
        s.dispose();
        n++;
      }
      this.#slots.delete(w);
    }
    return n;
  }

  /** Releases the slots. */
  dispose(): void {
    for (const s of this.slots) s.dispose();
    this.#slots.clear();
  }
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

const positive = (x: number) => x > 0 && Number.isFinite(x);
const unit = (x: number) => x >= 0 && x < 1;

/** SGD (Keras defaults: learningRate 0.01, momentum 0). */
export function sgd(o: { learningRate?: number; momentum?: number } = {}): Optimizer {
  checkKeys('sgd', o, ['learningRate', 'momentum']);
  return new Optimizer({
    kind: 'sgd', learningRate: num('sgd', 'learningRate', o.learningRate ?? 0.01, positive, '> 0'),
    momentum: num('sgd', 'momentum', o.momentum ?? 0, unit, 'in [0, 1)'),
  });
}

/** RMSprop (Keras defaults: learningRate 0.001, rho 0.9, epsilon 1e-7). */
export function rmsprop(o: { learningRate?: number; rho?: number; epsilon?: number } = {}): Optimizer {
  checkKeys('rmsprop', o, ['learningRate', 'rho', 'epsilon']);
  return new Optimizer({
    kind: 'rmsprop', learningRate: num('rmsprop', 'learningRate', o.learningRate ?? 0.001, positive, '> 0'),
    rho: num('rmsprop', 'rho', o.rho ?? 0.9, unit, 'in [0, 1)'),
    epsilon: num('rmsprop', 'epsilon', o.epsilon ?? 1e-7, positive, '> 0'),
  });
}

/** Adam (Keras defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7 outside the sqrt). */
export function adam(o: { learningRate?: number; beta1?: number; beta2?: number; epsilon?: number } = {}): Optimizer {
  checkKeys('adam', o, ['learningRate', 'beta1', 'beta2', 'epsilon']);
  return new Optimizer({
    kind: 'adam', learningRate: num('adam', 'learningRate', o.learningRate ?? 0.001, positive, '> 0'),
    beta1: num('adam', 'beta1', o.beta1 ?? 0.9, unit, 'in [0, 1)'), beta2: num('adam', 'beta2', o.beta2 ?? 0.999, unit, 'in [0, 1)'),
    epsilon: num('adam', 'epsilon', o.epsilon ?? 1e-7, positive, '> 0'),
  });
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
