/** `sequential({layers})`: a linear stack of layers, built from the first layer's inputShape or the first data. */
import { ValueError } from '../core/errors.js';
import { Layer, SymbolicTensor, input } from '../layers/layer.js';
import { Model } from './model.js';

export interface SequentialOptions {
  readonly layers?: readonly Layer[];
  readonly name?: string;
}

/** The sample shape a first layer declares: its `inputShape`, or a built model's input shape. */
function declaredShape(first: Layer): readonly number[] | null {
  if (first.inputShape) return first.inputShape;
  if (first instanceof Model && first.built && first.inputs.length === 1) return first.input.shape.slice(1) as number[];
  return null;
}

/**
 * A Model whose graph is `layers[0] -> layers[1] -> ...`. Built at construction (as TF.js) when
 * the first layer has an `inputShape` (or is a built model); otherwise by the first data or `build`.
 */
export class Sequential extends Model {
  readonly #stack: Layer[] = [];
  #start: SymbolicTensor | null = null;
  #end: SymbolicTensor | null = null;

  constructor(options: SequentialOptions = {}) {
    super(null, 'sequential', options.name);
    for (const l of options.layers ?? []) this.add(l);
  }

  override get className(): string {
    return 'Sequential';
  }

  /** Appends a layer; once built, the layer is applied to the current output at once. */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new ValueError(`Sequential '${this.name}': add() expects a layer`);
    if (layer === this) throw new ValueError(`Sequential '${this.name}': cannot add a model to itself (the graph would have a cycle)`);
    if (this.#end) {
      // The graph is validated (duplicate names) before the stack changes.
      this.#setEnd(layer.apply(this.#end));
      this.#stack.push(layer);
      return;
    }
    this.#stack.push(layer);
    const shape = this.#stack.length === 1 ? declaredShape(layer) : null;
    if (shape) this.#build(shape);
  }

  protected override ensureGraph(sampleShape: readonly number[]): void {
    if (this.#end) return;
    if (this.#stack.length === 0) throw new ValueError(`Sequential '${this.name}': no layers`);
    this.#build(sampleShape);
  }

  /** Builds the graph for samples of `shape` (no batch dimension), as Keras's `model.build`. */
  override build(shape: readonly number[]): void {
    if (!this.#end) this.#build(shape);
  }

  override get layers(): Layer[] {
    return [...this.#stack];
  }

  #build(shape: readonly number[]): void {
    let t: SymbolicTensor = input({ shape });
    this.#start = t;
    for (const l of this.#stack) t = l.apply(t);
    this.#setEnd(t);
  }

  #setEnd(t: SymbolicTensor): void {
    this.setGraph(this.#start as SymbolicTensor, t);
    this.#end = t;
  }
}
