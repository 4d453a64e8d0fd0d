/**
 * The Layer base (config validation, lazy `build`, named weights, `apply` symbolic or eager) and
 * the symbolic tensors that `input()` starts and functional models are made of.
 */
import { BackendError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { Tensor, type Variable } from '../core/tensor.js';
import { variable } from '../ops/creation.js';
import { tidy } from '../core/scope.js';
import { engine } from '../core/engine.js';
import { wrap } from '../ops/op.js';

/** A bitwise copy of a tensor's values (a new tensor). */
export function copyOf(t: Tensor): Tensor {
  return wrap(engine.backend.copy(t.handle, t.size), t.shape);
}

/** A shape with an unknown batch dimension first: `[null, 5]`. */
export type SymbolicShape = readonly (number | null)[];

let symbolicIds = 0;

/**
 * A placeholder for a tensor in a functional graph: `input({shape})` makes one, and
 * `layer.apply(symbolic)` makes the next. Carries the producing layer and its inputs.
 */
export class SymbolicTensor {
  readonly id = symbolicIds++;
  readonly isSymbolic = true;
  constructor(
    readonly shape: SymbolicShape,
    /** null for model inputs. */
    readonly layer: Layer | null,
    readonly inputs: readonly SymbolicTensor[],
    readonly name: string,
  ) {}
}

/** Options of `input()`: the shape of one sample (no batch dimension). */
export interface InputOptions {
  readonly shape: readonly number[];
  readonly name?: string;
}

/** A model input with batch dimension null: `input({shape: [5]})` has shape [null, 5]. */
export function input(options: InputOptions): SymbolicTensor {
  checkOptions('input', 'Input', options as object, ['shape', 'name']);
  const shape = options.shape;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new ValueError(`Input: shape must be an array of positive integers, got ${JSON.stringify(shape)}`);
  }
  return new SymbolicTensor([null, ...shape], null, [], options.name ?? uniqueName('input'));
}

const nameCounts = new Map<string, number>();

/** Keras-style unique default names: `dense`, `dense_1`, `dense_2`, ... */
export function uniqueName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** Throws a ValueError naming the layer when `options` has a key outside `allowed`. */
export function checkOptions(layerName: string, className: string, options: object, allowed: readonly string[]): void {
  if (options === null || typeof options !== 'object') throw new ValueError(`${className}: options must be an object`);
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) {
      throw new ValueError(`${className} '${layerName}': unknown option '${k}' (allowed: ${allowed.join(', ')})`);
    }
  }
}

/** Options every layer accepts. */
export interface LayerOptions {
  readonly name?: string;
  readonly trainable?: boolean;
  /** Shape of one sample, for the first layer of a `sequential` model. */
  readonly inputShape?: readonly number[];
}

export const BASE_OPTIONS = ['name', 'trainable', 'inputShape'] as const;

/** Options of `apply`: training mode (SEMANTICS.md section 5: explicit, else false). */
export interface ApplyOptions {
  readonly training?: boolean;
}

interface WeightSlot {
  readonly variable: Variable;
  /** Trainable when the layer is (gamma, kernel); false for statistics. */
  readonly trainableWeight: boolean;
}

/**
 * Base of every layer. Subclasses validate their config in the constructor, create their
 * weights in `build(inputShape)` with `addWeight`, and compute in `call`.
 */
export abstract class Layer {
  readonly name: string;
  /** Keras class name: 'Dense', 'BatchNormalization', ... (a getter, usable in constructors). */
  abstract get className(): string;
  readonly inputShape: readonly number[] | null;
  #trainable: boolean;
  #weights: WeightSlot[] = [];
  #builtShape: SymbolicShape | null = null;

  constructor(options: LayerOptions, defaultBase: string) {
    this.name = options.name ?? uniqueName(defaultBase);
    this.#trainable = options.trainable ?? true;
    this.inputShape = options.inputShape ? [...options.inputShape] : null;
    if (typeof this.#trainable !== 'boolean') throw this.valueError(`trainable must be a boolean, got ${String(options.trainable)}`);
  }

  /** Whether the layer's weights receive gradients (and, for BN, whether it can train). Live. */
  get trainable(): boolean {
    return this.#trainable;
  }

  set trainable(value: boolean) {
    this.#trainable = value;
    for (const w of this.#weights) w.variable.trainable = value && w.trainableWeight;
  }

  get built(): boolean {
    return this.#builtShape !== null;
  }

  /** The input shape the layer was built for (batch dimension null). */
  get builtShape(): SymbolicShape | null {
    return this.#builtShape;
  }

  /** Every weight in Keras order. */
  get weights(): Variable[] {
    return this.#weights.map((w) => w.variable);
  }

  get trainableWeights(): Variable[] {
    return this.#weights.filter((w) => w.variable.trainable).map((w) => w.variable);
  }

  get nonTrainableWeights(): Variable[] {
    return this.#weights.filter((w) => !w.variable.trainable).map((w) => w.variable);
  }

  /** Creates the weights for `inputShape` (called once, lazily). */
  protected abstract build(inputShape: SymbolicShape): void;
  /** The output shape for an input shape (batch dimension may be null). */
  abstract computeOutputShape(inputShape: SymbolicShape): SymbolicShape;
  /** The eager computation. */
  protected abstract call(x: Tensor, training: boolean): Tensor;
  /** The constructor options that rebuild this layer (for `save`). */
  abstract getConfig(): Record<string, unknown>;

  /** Creates a Variable `<layer>/<name>` from `init` (a tensor it copies) and registers it. */
  protected addWeight(name: string, init: () => Tensor, trainableWeight: boolean): Variable {
    const v = tidy(() => variable(init(), { name: `${this.name}/${name}`, trainable: trainableWeight && this.#trainable }));
    this.#weights.push({ variable: v, trainableWeight });
    return v;
  }

  /** Builds the layer for `shape` once; later shapes must agree with it (checked by `checkInput`). */
  ensureBuilt(shape: SymbolicShape): void {
    if (this.#builtShape !== null) return;
    this.checkInput(shape);
    this.build(shape);
    this.#builtShape = [null, ...shape.slice(1)];
  }

  /** Validates an input shape before any work (subclasses add their checks). */
  protected checkInput(shape: SymbolicShape): void {
    if (shape.length < 1) throw this.shapeError(`input must have rank >= 1, got ${fmtShape(shape.map((d) => d ?? -1))}`);
  }

  /**
   * Applies the layer. On a SymbolicTensor it builds the layer and returns the symbolic output;
   * on a Tensor it computes eagerly (`training` default false).
   */
  apply(x: SymbolicTensor, options?: ApplyOptions): SymbolicTensor;
  apply(x: Tensor, options?: ApplyOptions): Tensor;
  apply(x: SymbolicTensor | Tensor, options: ApplyOptions = {}): SymbolicTensor | Tensor {
    if (x instanceof SymbolicTensor) {
      this.ensureBuilt(x.shape);
      this.checkInput(x.shape);
      return new SymbolicTensor(this.computeOutputShape(x.shape), this, [x], this.name);
    }
    if (!(x instanceof Tensor)) throw this.valueError('apply expects a Tensor or a SymbolicTensor from input()');
    return this.applyEager(x, options.training ?? false);
  }

  /** Eager call with a resolved training flag (models use it). */
  applyEager(x: Tensor, training: boolean): Tensor {
    this.checkWeightsAlive('call');
    this.ensureBuilt(x.shape);
    this.checkInput(x.shape);
    return this.call(x, training);
  }

  /** Current weight values as new tensors, Keras order. */
  getWeights(): Tensor[] {
    return this.weights.map((w) => copyOf(w));
  }

  /**
   * Replaces every weight (Keras order), all or nothing: the count, each value's kind, liveness,
   * backend and shape are checked before the first write. Values are not checked for NaN/Inf
   * (as Keras; that would need a readback).
   */
  setWeights(values: readonly Tensor[]): void {
    checkWeightValues(this.label, this.weights, values);
    // A weight left on a lost device takes the value onto the active backend (recovery).
    values.forEach((v, i) => (this.weights[i].isLost ? this.weights[i].restoreFrom(v) : this.weights[i].assign(v)));
  }

  /** Disposes the layer's weights; calling it afterwards is a clear error. Returns how many were disposed. */
  dispose(): number {
    const ws = this.weights.filter((w) => !w.isDisposed);
    for (const w of ws) w.dispose();
    return ws.length;
  }

  /** @internal Throws, naming this layer and the weight, when a weight was disposed (before any work). */
  checkWeightsAlive(what: string): void {
    for (const w of this.weights) {
      if (w.isDisposed) throw new ValueError(`${this.label}: ${what}: weight '${w.name}' (shape ${fmtShape(w.shape)}) was disposed`);
      const lost = w.record.backend.lostError();
      if (lost) {
        throw new BackendError(`${this.label}: ${what}: weight '${w.name}' lives on a WebGPU device that is gone (${lost.message}); ` +
          'after init(), restore the weights with setWeights (or fit with wg.callbacks.backupAndRestore)');
      }
    }
  }

  /** `ClassName 'name'`, the prefix of every error of this layer. */
  get label(): string {
    return `${this.className} '${this.name}'`;
  }

  protected valueError(msg: string): ValueError {
    return new ValueError(`${this.label}: ${msg}`);
  }

  protected shapeError(msg: string): ShapeError {
    return new ShapeError(`${this.label}: ${msg}`);
  }
}

/**
 * Validates `values` for `setWeights` on `weights` before any write: the count, then for each
 * value that it is a live Tensor on the weight's backend with exactly the weight's shape.
 */
export function checkWeightValues(label: string, weights: readonly Variable[], values: readonly Tensor[]): void {
  if (!Array.isArray(values)) throw new ValueError(`${label}: setWeights expects an array of tensors, got ${typeof values}`);
  if (values.length !== weights.length) {
    throw new ValueError(`${label}: setWeights got ${values.length} arrays but it has ${weights.length} weights (${weights.map((w) => w.name).join(', ')})`);
  }
  values.forEach((v, i) => {
    const w = weights[i];
    const at = `setWeights value ${i} for weight '${w.name}'`;
    if (!(v instanceof Tensor)) throw new ValueError(`${label}: ${at} must be a Tensor, got ${v === null ? 'null' : typeof v}`);
    if (w.isDisposed) throw new ValueError(`${label}: ${at}: the weight was disposed`);
    if (v.isDisposed) throw new ValueError(`${label}: ${at} (shape ${fmtShape(v.shape)}) was disposed`);
    const lost = v.record.backend.lostError();
    if (lost) throw new BackendError(`${label}: ${at} lives on a WebGPU device that is gone (${lost.message})`);
    if (v.record.backend !== w.record.backend && !w.isLost) {
      throw new ValueError(`${label}: ${at} lives on backend '${v.record.backend.name}' but the weight on '${w.record.backend.name}'`);
    }
    if (v.shape.length !== w.shape.length || v.shape.some((d, j) => d !== w.shape[j])) {
      throw new ShapeError(`${label}: weight '${w.name}' has shape ${fmtShape(w.shape)} but setWeights got ${fmtShape(v.shape)}`);
    }
  });
}
