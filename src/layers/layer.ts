/**
 * The Layer base (config validation, lazy `build`, named weights, `apply` symbolic or eager) and
 * the symbolic tensors that `input()` starts and functional models are made of.
 */
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
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
 * `layer.apply(symbolic)` makes the next. Carries the producing layer and its inputs, and
 * the graph node (one call of a layer) it is output `outputIndex` of.
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
    /** The call that produced this tensor; null for model inputs. */
    readonly node: GraphNode | null = null,
    /** Which output of `node` this is. */
    readonly outputIndex = 0,
  ) {}
}

/**
 * One call of a layer in a graph (Keras's "node"): `layer` applied to `inputs` gave `outputs`.
 * `index` counts the layer's calls (0 for the first; a shared layer has several nodes).
 * Walk a model's graph with `model.graphNodes` (execution order): each input is named by
 * `(input.node?.layer.name ?? input.name, input.node?.index ?? 0, input.outputIndex)`.
 */
export class GraphNode {
  readonly outputs: SymbolicTensor[] = [];
  /**
   * The `training` given to this call (`layer.apply(x, { training })` on symbolic inputs), which
   * wins over the mode the model runs in, as in Keras: `base.apply(x, { training: false })` keeps
   * `base` in inference mode inside `fit`. null: the call follows the model's mode.
   */
  training: boolean | null = null;
  constructor(readonly layer: Layer, readonly inputs: readonly SymbolicTensor[], readonly index: number) {}
}

/** `options.training` checked: undefined, or a boolean (anything else is an error naming `who`). */
export function trainingOption(who: string, options: ApplyOptions): boolean | undefined {
  if (options === null || typeof options !== 'object') throw new ValueError(`${who}: apply options must be an object, got ${String(options)}`);
  for (const k of Object.keys(options)) {
    if (k !== 'training') throw new ValueError(`${who}: apply: unknown option '${k}' (allowed: training)`);
  }
  const t = options.training;
  if (t !== undefined && typeof t !== 'boolean') throw new ValueError(`${who}: apply: training must be a boolean, got ${String(t)}`);
  return t;
}

/** Fixes the mode of the nodes that made `outs` when the symbolic call gave one. */
export function fixNodeTraining(outs: readonly SymbolicTensor[], training: boolean | undefined): void {
  if (training === undefined) return;
  for (const o of outs) if (o.node) o.node.training = training;
}

const fmtSym = (s: SymbolicShape) => fmtShape(s.map((d) => d ?? -1));

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

/** Options of `apply`: training mode (docs/semantics.md, "Training mode and inference mode": explicit, else false). */
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
 * weights in `build(inputShape)` with `addWeight`, and compute in `call` (one input tensor).
 * Layers with several inputs (merge layers, models) override `applySymbolic` and `callNode`,
 * which take one tensor per input and return one per output (see MergeLayer in merge.ts).
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
   * on a Tensor it computes eagerly (`training` default false). Merge layers take an array.
   */
  apply(x: SymbolicTensor | readonly SymbolicTensor[], options?: ApplyOptions): SymbolicTensor;
  apply(x: Tensor | readonly Tensor[], options?: ApplyOptions): Tensor;
  apply(x: SymbolicTensor | Tensor | readonly (SymbolicTensor | Tensor)[], options: ApplyOptions = {}): SymbolicTensor | Tensor {
    const xs = Array.isArray(x) ? x : [x];
    const training = trainingOption(this.label, options);
    let outs: readonly (SymbolicTensor | Tensor)[];
    if (xs.length > 0 && xs.every((t) => t instanceof SymbolicTensor)) {
      outs = this.applySymbolic(xs as SymbolicTensor[]);
      fixNodeTraining(outs as SymbolicTensor[], training);
    } else if (xs.length > 0 && xs.every((t) => t instanceof Tensor)) outs = this.callNode(xs as Tensor[], training ?? false);
    else throw this.valueError('apply expects a Tensor or a SymbolicTensor from input() (or an array of one kind)');
    if (outs.length !== 1) throw this.valueError(`has ${outs.length} outputs: use applyOutputs (one result per output)`);
    return outs[0];
  }

  /** @internal One symbolic call: checks and builds for the inputs, records a graph node, returns its outputs. */
  applySymbolic(xs: readonly SymbolicTensor[]): SymbolicTensor[] {
    const x = this.single(xs);
    this.ensureBuilt(x.shape);
    this.checkInput(x.shape);
    return this.addNode(xs, [this.computeOutputShape(x.shape)]);
  }

  /** @internal One eager call of a graph node (one tensor per input, one per output). */
  callNode(xs: readonly Tensor[], training: boolean): Tensor[] {
    return [this.applyEager(this.single(xs), training)];
  }

  #nodeCount = 0;

  /** Records a call of this layer on `inputs` with outputs of `shapes`. */
  protected addNode(inputs: readonly SymbolicTensor[], shapes: readonly SymbolicShape[]): SymbolicTensor[] {
    const node = new GraphNode(this, [...inputs], this.#nodeCount++);
    for (const [i, shape] of shapes.entries()) {
      node.outputs.push(new SymbolicTensor(shape, this, node.inputs, this.name, node, i));
    }
    return node.outputs;
  }

  /** The one input of a single-input layer. */
  protected single<T extends SymbolicTensor | Tensor>(xs: readonly T[]): T {
    if (xs.length !== 1) {
      throw this.valueError(`takes one input but got ${xs.length} (shapes ${xs.map((x) => fmtSym(x.shape)).join(', ')})`);
    }
    return xs[0];
  }

  /** Eager call with a resolved training flag (models use it). */
  applyEager(x: Tensor, training: boolean): Tensor {
    this.ensureBuilt(x.shape);
    this.checkInput(x.shape);
    return this.call(x, training);
  }

  /** Current weight values as new tensors, Keras order. */
  getWeights(): Tensor[] {
    return this.weights.map((w) => copyOf(w));
  }

  /** Replaces every weight (Keras order); shapes must match exactly. */
  setWeights(values: readonly Tensor[]): void {
    const ws = this.weights;
    if (values.length !== ws.length) {
      throw new ValueError(`${this.label}: setWeights got ${values.length} arrays but the layer has ${ws.length} weights (${ws.map((w) => w.name).join(', ')})`);
    }
    values.forEach((v, i) => {
      const w = ws[i];
      if (v.shape.length !== w.shape.length || v.shape.some((d, j) => d !== w.shape[j])) {
        throw new ShapeError(`${this.label}: weight '${w.name}' has shape ${fmtShape(w.shape)} but setWeights got ${fmtShape(v.shape)}`);
      }
    });
    values.forEach((v, i) => ws[i].assign(v));
  }

  /** Penalties this layer adds to the training loss (weight regularizers); none by default. */
  regularizationLosses(): Tensor[] {
    return [];
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
