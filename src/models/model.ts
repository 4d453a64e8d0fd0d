/**
 * Functional models: a DAG of layers from `input()` to an output SymbolicTensor, run eagerly
 * in topological order. Training (`compile`/`fit`/`evaluate`/`trainOnBatch`) lives in
 * training.ts, `summary` in summary.ts, `save`/`loadModel` in serialize.ts.
 */
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { engine } from '../core/engine.js';
import { Tensor, type Variable } from '../core/tensor.js';
import { concat } from '../ops/movement.js';
import { slice } from '../ops/movement.js';
import { Layer, SymbolicTensor, checkWeightValues, uniqueName, type ApplyOptions, type SymbolicShape } from '../layers/layer.js';
import { BatchNormalization } from '../layers/batchnorm.js';
import type { Compiled, CompileOptions, EvaluateOptions, FitOptions, History } from './training.js';
import { checkBatchSize, checkOptionsObject, compileModel, evaluateModel, fitModel, trainOnBatchModel } from './training.js';
import { summarize } from './summary.js';
import { saveModel, type ModelArtifacts } from './serialize.js';
import type { ReadbackTap } from './readback.js';

/** Options of `model()`: one input and one output (multi-input/output graphs are not supported yet). */
export interface ModelOptions {
  readonly inputs: SymbolicTensor;
  readonly outputs: SymbolicTensor;
  readonly name?: string;
}

/** The layers between `input` and `output`, each node after its inputs. */
function topoSort(input: SymbolicTensor, output: SymbolicTensor): SymbolicTensor[] {
  const order: SymbolicTensor[] = [];
  const seen = new Set<number>();
  const visit = (t: SymbolicTensor): void => {
    if (seen.has(t.id)) return;
    seen.add(t.id);
    if (t.layer === null) {
      if (t !== input) throw new ValueError(`model: output depends on an input (${t.name}) that is not the model's input`);
      return;
    }
    for (const i of t.inputs) visit(i);
    order.push(t);
  };
  visit(output);
  if (!seen.has(input.id)) throw new ValueError("model: the output does not depend on the model's input");
  return order;
}

/** A model: layers in a graph, with Keras's `compile` / `fit` / `predict` / `evaluate`. */
export class Model {
  readonly name: string;
  #input: SymbolicTensor | null = null;
  #output: SymbolicTensor | null = null;
  #nodes: SymbolicTensor[] = [];
  /** @internal Set by `compile`. */
  compiled: Compiled | null = null;
  #disposed = false;
  /** @internal Extra tensors every readback of this model brings to the host (see readback.ts). */
  readonly readbackTaps = new Set<ReadbackTap>();

  constructor(options: ModelOptions | null, defaultName = 'model') {
    this.name = options?.name ?? uniqueName(defaultName);
    if (options !== null) {
      if (!(options.inputs instanceof SymbolicTensor) || !(options.outputs instanceof SymbolicTensor)) {
        throw new ValueError(`Model '${this.name}': inputs and outputs must be SymbolicTensors (from wg.input() and layer.apply())`);
      }
      this.setGraph(options.inputs, options.outputs);
    }
  }

  /** @internal */
  protected setGraph(input: SymbolicTensor, output: SymbolicTensor): void {
    this.#nodes = topoSort(input, output);
    this.#input = input;
    this.#output = output;
  }

  /** @internal Builds the graph on first use (Sequential without an input shape). */
  protected ensureGraph(_sampleShape: readonly number[]): void {}

  get className(): string {
    return 'Model';
  }

  get input(): SymbolicTensor {
    if (!this.#input) throw new ValueError(`${this.className} '${this.name}': not built yet (give the first layer an inputShape, or call it on data)`);
    return this.#input;
  }

  get output(): SymbolicTensor {
    this.input;
    return this.#output as SymbolicTensor;
  }

  /** @internal The graph nodes in execution order. */
  get nodes(): readonly SymbolicTensor[] {
    return this.#nodes;
  }

  /** Distinct layers in execution order. */
  get layers(): Layer[] {
    return [...new Set(this.#nodes.map((n) => n.layer as Layer))];
  }

  /** Every weight, layer by layer, Keras order within each layer. */
  get weights(): Variable[] {
    return this.layers.flatMap((l) => l.weights);
  }

  /** The weights that receive gradients now (read live: `trainable` changes count at the next step). */
  get trainableWeights(): Variable[] {
    return this.layers.flatMap((l) => l.trainableWeights);
  }

  /** @internal The BatchNormalization layers. */
  get bnLayers(): BatchNormalization[] {
    return this.layers.filter((l): l is BatchNormalization => l instanceof BatchNormalization);
  }

  /** @internal Throws a ShapeError when x does not fit the input (before any work). */
  checkInput(x: Tensor, what = 'input'): void {
    if (!(x instanceof Tensor)) throw new ValueError(`${this.className} '${this.name}': ${what} must be a Tensor`);
    if (this.#disposed) throw new ValueError(`${this.className} '${this.name}': ${what}: the model was disposed`);
    if (x.isDisposed) throw new ValueError(`${this.className} '${this.name}': ${what} (shape ${fmtShape(x.shape)}) was disposed`);
    this.ensureGraph(x.shape.slice(1));
    for (const l of this.layers) l.checkWeightsAlive(what);
    const want = this.input.shape;
    if (x.rank !== want.length || want.some((d, i) => d !== null && d !== x.shape[i])) {
      throw new ShapeError(
        `${this.className} '${this.name}': ${what} has shape ${fmtShape(x.shape)} but the model expects ${fmtShape(want.map((d) => d ?? -1))} (-1 = any batch size)`,
      );
    }
  }

  /** @internal Runs the graph on `x` with a resolved training flag; intermediates are the caller's. */
  execute(x: Tensor, training: boolean): Tensor {
    const values = new Map<number, Tensor>([[this.input.id, x]]);
    for (const node of this.#nodes) {
      const args = node.inputs.map((i) => values.get(i.id) as Tensor);
      values.set(node.id, (node.layer as Layer).applyEager(args[0], training));
    }
    return values.get(this.output.id) as Tensor;
  }

  /**
   * Calls the model. Eager: `training` (default false) is passed to every layer (a frozen BN layer
   * still runs in inference mode). Symbolic: returns the output for a new input (nesting).
   */
  apply(x: Tensor, options: ApplyOptions = {}): Tensor {
    this.checkInput(x);
    return engine.tidy(() => this.execute(x, options.training ?? false));
  }

  /** Inference-mode outputs for `x`, computed in batches of `batchSize` (default 32) and joined. */
  predict(x: Tensor, options: { batchSize?: number } = {}): Tensor {
    const label = `${this.className} '${this.name}'`;
    checkOptionsObject(label, 'predict', options, ['batchSize']);
    const bs = checkBatchSize(label, 'predict', options?.batchSize);
    this.checkInput(x, 'predict input');
    const n = x.shape[0];
    if (n <= bs) return this.apply(x);
    return engine.tidy(() => {
      const parts: Tensor[] = [];
      for (let s = 0; s < n; s += bs) {
        // One tidy per batch: only its output outlives it, so memory does not grow with n.
        parts.push(engine.tidy(() => this.execute(slice(x, [s], [Math.min(bs, n - s)]), false)));
      }
      return concat(parts, 0);
    });
  }

  /** Current weight values (copies), in `weights` order. */
  getWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  /** Sets every weight from `values` (in `weights` order); all shapes are checked before any write. */
  setWeights(values: readonly Tensor[]): void {
    checkWeightValues(`${this.className} '${this.name}'`, this.weights, values);
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

  /** Sets the optimizer (default 'rmsprop'), the loss and the metrics (['accuracy']). */
  compile(options: CompileOptions): void {
    this.compiled = compileModel(this, options);
  }

  /** Trains in training mode; see FitOptions. Resolves to the per-epoch History. */
  fit(x: Tensor, y: Tensor, options: FitOptions = {}): Promise<History> {
    return fitModel(this, x, y, options);
  }

  /** Inference-mode loss and metrics over (x, y), read back once. */
  evaluate(x: Tensor, y: Tensor, options: EvaluateOptions = {}): Promise<Record<string, number>> {
    return evaluateModel(this, x, y, options);
  }

  /** One training step on (x, y); resolves to the batch loss (read back). */
  trainOnBatch(x: Tensor, y: Tensor): Promise<number> {
    return trainOnBatchModel(this, x, y);
  }

  /** Topology (JSON), weight specs and the weights' float32 bytes; see `loadModel`. */
  save(): Promise<ModelArtifacts> {
    return saveModel(this);
  }

  /**
   * Frees the model's device memory: every layer's weights and the optimizer slots of those
   * weights (TF.js `model.dispose()`). Works after a device loss too (the dead handles are let
   * go). The model cannot be used afterwards; a second call is a ValueError.
   */
  dispose(): { refCountAfterDispose: number; numDisposedVariables: number } {
    if (this.#disposed) throw new ValueError(`${this.className} '${this.name}': dispose: the model was already disposed`);
    this.#disposed = true;
    const slots = this.compiled?.optimizer.releaseSlots(this.weights) ?? 0;
    const weights = this.layers.reduce((n, l) => n + l.dispose(), 0);
    return { refCountAfterDispose: 0, numDisposedVariables: weights + slots };
  }

  /** True after `dispose()`. */
  get isDisposed(): boolean {
    return this.#disposed;
  }
}

export type { SymbolicShape };
