/**
 * Functional models: a DAG of layers from `input()` to an output SymbolicTensor, run eagerly
 * in topological order. Training (`compile`/`fit`/`evaluate`/`trainOnBatch`) lives in
 * training.ts, `summary` in summary.ts, `save` in ../io/save.ts (loading in ../io/load.ts).
 */
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { engine } from '../core/engine.js';
import { Tensor, type Variable } from '../core/tensor.js';
import { concat, slice } from '../ops/movement.js';
import { graphOf } from './graph.js';
import { GraphNode, Layer, SymbolicTensor, copyOf, fixNodeTraining, trainingOption, type ApplyOptions, type SymbolicShape } from '../layers/layer.js';
import { BatchNormalization } from '../layers/batchnorm.js';
import type { Compiled, CompileOptions, EvaluateOptions, FitOptions, History } from './training.js';
import { compileModel, evaluateModel, fitModel, trainOnBatchModel } from './training.js';
import { summarize } from './summary.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { saveModel } from '../io/save.js';
import type { ModelArtifacts, SaveOptions } from '../io/artifacts.js';

/** Options of `model()`: one input or several, one output or several (in model order). */
export interface ModelOptions {
  readonly inputs: SymbolicTensor | readonly SymbolicTensor[];
  readonly outputs: SymbolicTensor | readonly SymbolicTensor[];
  readonly name?: string;
}

const fmtSym = (s: SymbolicShape) => fmtShape(s.map((d) => d ?? -1));

/** A model: layers in a graph, with Keras's `compile` / `fit` / `predict` / `evaluate`; usable as a layer. */
export class Model extends Layer {
  #inputs: SymbolicTensor[] = [];
  #outputs: SymbolicTensor[] = [];
  #graph: GraphNode[] = [];
  #trainableFlag = true;
  /** @internal Set by `compile`. */
  compiled: Compiled | null = null;
  /**
   * Set to true (from a callback) to end `fit` after the current batch: that epoch finishes with
   * the batches that ran (its logs, validation and onEpochEnd), then onTrainEnd. Reset by each fit.
   */
  stopTraining = false;

  /** `name`: the name of a model whose graph comes later (Sequential). */
  constructor(options: ModelOptions | null, defaultName = 'model', name?: string) {
    super({ name: options?.name ?? name }, defaultName);
    if (options !== null) {
      const ins = Array.isArray(options.inputs) ? options.inputs : [options.inputs];
      const outs = Array.isArray(options.outputs) ? options.outputs : [options.outputs];
      if (ins.length === 0 || outs.length === 0 || ![...ins, ...outs].every((t) => t instanceof SymbolicTensor)) {
        throw new ValueError(`Model '${this.name}': inputs and outputs must be SymbolicTensors or non-empty arrays of them (from wg.input() and layer.apply())`);
      }
      this.setGraph(ins, outs);
    }
  }

  /** @internal Validates and records the graph from `inputs` to `outputs`. */
  protected setGraph(input: SymbolicTensor | readonly SymbolicTensor[], output: SymbolicTensor | readonly SymbolicTensor[]): void {
    const ins = Array.isArray(input) ? [...input] : [input as SymbolicTensor];
    const outs = Array.isArray(output) ? [...output] : [output as SymbolicTensor];
    this.#graph = graphOf(this, ins, outs);
    this.#inputs = ins;
    this.#outputs = outs;
  }

  /** @internal Builds the graph on first use (Sequential without an input shape). */
  protected ensureGraph(_sampleShape: readonly number[]): void {}

  get className(): string {
    return 'Model';
  }

  get input(): SymbolicTensor {
    return this.inputs[0];
  }

  get output(): SymbolicTensor {
    return this.outputs[0];
  }

  /** The model's inputs, in order. */
  get inputs(): readonly SymbolicTensor[] {
    if (this.#inputs.length === 0) throw new ValueError(`${this.label}: not built yet (give the first layer an inputShape, or call it on data)`);
    return this.#inputs;
  }

  /** The model's outputs, in order. */
  get outputs(): readonly SymbolicTensor[] {
    this.inputs;
    return this.#outputs;
  }

  override get built(): boolean {
    return this.#inputs.length > 0;
  }

  /**
   * The graph, one node per layer call, in execution order (each after the nodes it reads).
   * `node.layer`, `node.index` (the layer's call count), `node.inputs` (SymbolicTensors: each is a
   * model input when `node === null`, else output `outputIndex` of `input.node`), `node.outputs`.
   */
  get graphNodes(): readonly GraphNode[] {
    return this.#graph;
  }

  /** @internal Each node's first output, in execution order. */
  get nodes(): readonly SymbolicTensor[] {
    return this.#graph.map((n) => n.outputs[0]);
  }

  /** Distinct layers in execution order (a nested model is one layer). */
  get layers(): Layer[] {
    return [...new Set(this.#graph.map((n) => n.layer))];
  }

  /** The layer named `name` (or at index `name` of `layers`, as TF.js). */
  getLayer(name: string | number): Layer {
    const layers = this.layers;
    const l = typeof name === 'number' ? layers[name] : layers.find((x) => x.name === name);
    if (!l) {
      throw new ValueError(`${this.label}: no layer ${typeof name === 'number' ? `at index ${name} (${layers.length} layers)` : `named '${name}'`} (layers: ${layers.map((x) => x.name).join(', ')})`);
    }
    return l;
  }

  /** Every weight, layer by layer, Keras order within each layer (a shared weight once). */
  override get weights(): Variable[] {
    return [...new Set(this.layers.flatMap((l) => l.weights))];
  }

  /** The weights that receive gradients now (read live: `trainable` changes count at the next step). */
  override get trainableWeights(): Variable[] {
    return [...new Set(this.layers.flatMap((l) => l.trainableWeights))];
  }

  override get nonTrainableWeights(): Variable[] {
    return [...new Set(this.layers.flatMap((l) => l.nonTrainableWeights))];
  }

  /** Setting it sets every layer's `trainable` (nested models too); no recompile needed. */
  override get trainable(): boolean {
    return this.#trainableFlag;
  }

  override set trainable(value: boolean) {
    this.#trainableFlag = value;
    for (const l of this.layers) l.trainable = value;
  }

  /** Every layer's weight-regularizer penalties, nested models included (Keras `model.losses`). */
  override regularizationLosses(): Tensor[] {
    return this.layers.flatMap((l) => l.regularizationLosses());
  }

  /** @internal The BatchNormalization layers, nested models included. */
  get bnLayers(): BatchNormalization[] {
    return this.layers.flatMap((l) => (l instanceof Model ? l.bnLayers : l instanceof BatchNormalization ? [l] : []));
  }

  /** @internal Checks count and shapes of `x` against the inputs (before any work); returns them as an array. */
  checkInputs(x: Tensor | readonly Tensor[], what = 'input'): Tensor[] {
    const xs = Array.isArray(x) ? [...x] : [x as Tensor];
    if (xs.length === 0 || !xs.every((t) => t instanceof Tensor)) throw new ValueError(`${this.label}: ${what} must be a Tensor or an array of Tensors`);
    this.ensureGraph(xs[0].shape.slice(1) as number[]);
    const want = this.inputs;
    if (xs.length !== want.length) {
      throw new ValueError(`${this.label}: ${what}: the model has ${want.length} inputs (${want.map((i) => `${i.name} ${fmtSym(i.shape)}`).join(', ')}) but got ${xs.length} tensors (shapes ${xs.map((t) => fmtShape(t.shape)).join(', ')})`);
    }
    xs.forEach((t, k) => {
      const w = want[k].shape;
      if (t.rank !== w.length || w.some((d, i) => d !== null && d !== t.shape[i])) {
        const which = want.length > 1 ? ` ${k} (${want[k].name})` : '';
        throw new ShapeError(`${this.label}: ${what}${which} has shape ${fmtShape(t.shape)} but the model expects ${fmtSym(w)} (-1 = any batch size)`);
      }
    });
    if (xs.some((t) => t.shape[0] !== xs[0].shape[0])) {
      throw new ShapeError(`${this.label}: ${what}: the inputs have different batch sizes (shapes ${xs.map((t) => fmtShape(t.shape)).join(', ')})`);
    }
    return xs;
  }

  /** @internal Runs the graph with a resolved training flag; intermediates are the caller's. One tensor per output. */
  executeAll(xs: readonly Tensor[], training: boolean): Tensor[] {
    const values = new Map<number, Tensor>(this.inputs.map((inp, k) => [inp.id, xs[k]]));
    for (const node of this.#graph) {
      const outs = node.layer.callNode(node.inputs.map((i) => values.get(i.id) as Tensor), node.training ?? training);
      node.outputs.forEach((o, k) => values.set(o.id, outs[k]));
    }
    return this.outputs.map((o) => values.get(o.id) as Tensor);
  }

  /** @internal The first output of `executeAll` for one input tensor. */
  execute(x: Tensor, training: boolean): Tensor {
    return this.executeAll([x], training)[0];
  }

  /**
   * Calls the model. Eager: `training` (default false) is passed to every layer (a frozen BN layer
   * still runs in inference mode). Symbolic: returns the output for new inputs (nesting).
   * A model with several outputs: use `applyOutputs`.
   */
  override apply(x: SymbolicTensor | readonly SymbolicTensor[], options?: ApplyOptions): SymbolicTensor;
  override apply(x: Tensor | readonly Tensor[], options?: ApplyOptions): Tensor;
  override apply(x: SymbolicTensor | Tensor | readonly (SymbolicTensor | Tensor)[], options: ApplyOptions = {}): SymbolicTensor | Tensor {
    // Eager: one tidy around the whole call (intermediates are not the caller's).
    return engine.tidy(() => super.apply(x as Tensor, options));
  }

  /** As `apply`, one result per model output. */
  applyOutputs(x: SymbolicTensor | readonly SymbolicTensor[], options?: ApplyOptions): SymbolicTensor[];
  applyOutputs(x: Tensor | readonly Tensor[], options?: ApplyOptions): Tensor[];
  applyOutputs(x: SymbolicTensor | Tensor | readonly (SymbolicTensor | Tensor)[], options: ApplyOptions = {}): (SymbolicTensor | Tensor)[] {
    const xs = Array.isArray(x) ? x : [x];
    const training = trainingOption(this.label, options);
    if (xs.length > 0 && xs.every((t) => t instanceof SymbolicTensor)) {
      const outs = this.applySymbolic(xs as SymbolicTensor[]);
      fixNodeTraining(outs, training);
      return outs;
    }
    return engine.tidy(() => this.callNode(xs as Tensor[], training ?? false));
  }

  override applySymbolic(xs: readonly SymbolicTensor[]): SymbolicTensor[] {
    this.ensureGraph(xs[0].shape.slice(1) as number[]);
    const want = this.inputs;
    const ok = xs.length === want.length && xs.every((t, k) => t.shape.length === want[k].shape.length &&
      t.shape.every((d, i) => i === 0 || d === null || want[k].shape[i] === null || d === want[k].shape[i]));
    if (!ok) {
      throw new ShapeError(`${this.label}: called on ${xs.length} input(s) of shapes ${xs.map((t) => fmtSym(t.shape)).join(', ')} but the model takes ${want.map((t) => fmtSym(t.shape)).join(', ')}`);
    }
    return this.addNode(xs, this.outputs.map((o) => o.shape));
  }

  override callNode(xs: readonly Tensor[], training: boolean): Tensor[] {
    // No tidy here: inside a training step the tape needs the intermediates.
    return this.executeAll(this.checkInputs(xs), training);
  }

  protected build(_inputShape: SymbolicShape): void {}

  override ensureBuilt(shape: SymbolicShape): void {
    this.ensureGraph(shape.slice(1) as number[]);
  }

  computeOutputShape(_inputShape: SymbolicShape): SymbolicShape {
    return this.output.shape;
  }

  protected call(x: Tensor, training: boolean): Tensor {
    return this.execute(x, training);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }

  /**
   * Inference-mode outputs for `x`, computed in batches of `batchSize` (default 32) and joined.
   * A tensor (one-input model) gives a tensor; an array (one tensor per input, model order) gives
   * an array with one tensor per output (a single tensor when the model has one output).
   */
  predict(x: Tensor, options?: { batchSize?: number }): Tensor;
  predict(x: readonly Tensor[], options?: { batchSize?: number }): Tensor | Tensor[];
  predict(x: Tensor | readonly Tensor[], options: { batchSize?: number } = {}): Tensor | Tensor[] {
    const xs = this.checkInputs(x, 'predict input');
    const bs = options.batchSize ?? 32;
    if (!Number.isInteger(bs) || bs <= 0) throw new ValueError(`${this.label}: batchSize must be a positive integer, got ${bs}`);
    if (!Array.isArray(x) && this.#outputs.length > 1) {
      throw new ValueError(`${this.label}: the model has ${this.#outputs.length} outputs: pass x as an array ([x]) to get one tensor per output`);
    }
    const n = xs[0].shape[0];
    const ys = n <= bs ? engine.tidy(() => this.executeAll(xs, false)) : engine.tidy(() => {
      const parts: Tensor[][] = [];
      for (let s = 0; s < n; s += bs) {
        // One tidy per batch: only its outputs outlive it, so memory does not grow with n.
        const k = Math.min(bs, n - s);
        parts.push(engine.tidy(() => this.executeAll(xs.map((t) => slice(t, [s], [k])), false)));
      }
      return this.#outputs.map((_, o) => concat(parts.map((p) => p[o]), 0));
    });
    return ys.length === 1 ? ys[0] : ys;
  }

  /** Current weight values (copies), in `weights` order. */
  override getWeights(): Tensor[] {
    return this.weights.map((w) => copyOf(w));
  }

  /** Sets every weight from `values` (in `weights` order); all shapes are checked before any write. */
  override setWeights(values: readonly Tensor[]): void {
    if (!this.built) throw new ValueError(`${this.label}: setWeights: model not built yet: give the first layer an inputShape or call it on data`);
    const ws = this.weights;
    if (values.length !== ws.length) {
      throw new ValueError(`${this.label}: setWeights got ${values.length} arrays but the model has ${ws.length} weights`);
    }
    ws.forEach((w, i) => {
      const v = values[i];
      if (v.rank !== w.rank || v.shape.some((d, j) => d !== w.shape[j])) {
        throw new ShapeError(`${this.label}: weight '${w.name}' has shape ${fmtShape(w.shape)} but setWeights got ${fmtShape(v.shape)}`);
      }
    });
    let at = 0;
    for (const l of this.layers) {
      const k = l.weights.length;
      l.setWeights(values.slice(at, at + k));
      at += k;
    }
  }

  /** Layers, output shapes, parameter counts, and each BN layer's mode and moving statistics. */
  summary(): string {
    return summarize(this);
  }

  /** The compiled optimizer (TF.js / Keras `model.optimizer`): e.g. `model.optimizer.learningRate = 1e-4`. */
  get optimizer(): Optimizer {
    if (!this.compiled) throw new ValueError(`${this.className} '${this.name}': model.optimizer is set by compile(); call compile() first`);
    return this.compiled.optimizer;
  }

  /** Sets the optimizer (default 'rmsprop'), the loss and the metrics (['accuracy']). */
  compile(options: CompileOptions): void {
    this.compiled = compileModel(this, options);
  }

  /** Trains in training mode; see FitOptions. x, y: a tensor or one per input / output (model order). */
  fit(x: Tensor | readonly Tensor[], y: Tensor | readonly Tensor[], options: FitOptions = {}): Promise<History> {
    return fitModel(this, x, y, options);
  }

  /** Inference-mode loss and metrics over (x, y), read back once. */
  evaluate(x: Tensor | readonly Tensor[], y: Tensor | readonly Tensor[], options: EvaluateOptions = {}): Promise<Record<string, number>> {
    return evaluateModel(this, x, y, options);
  }

  /** One training step on (x, y); resolves to the batch loss (read back). */
  trainOnBatch(x: Tensor | readonly Tensor[], y: Tensor | readonly Tensor[]): Promise<number> {
    return trainOnBatchModel(this, x, y);
  }

  /**
   * The model in the TF.js layers format (topology, weight specs, float32 weight bytes, and the
   * compile settings as `trainingConfig`), returned and, with a `destination`, written there:
   * 'downloads://name', 'indexeddb://name', 'localstorage://name', 'http(s)://...' (POST), or in
   * Node a folder path or 'file://' URL. See `loadLayersModel`.
   */
  save(destination?: string, options?: SaveOptions): Promise<ModelArtifacts> {
    return saveModel(this, destination, options);
  }
}

export type { SymbolicShape };
