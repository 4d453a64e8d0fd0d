/** `sequential({layers})`: a linear stack of layers, built from the first layer's inputShape or the first data. */
import { ValueError } from '../core/errors.js';
import { Layer, SymbolicTensor, input } from '../layers/layer.js';
import { Model } from './model.js';

export interface SequentialOptions {
  readonly layers?: readonly Layer[];
  readonly name?: string;
}

/** A Model whose graph is `layers[0] -> layers[1] -> ...`. */
export class Sequential extends Model {
  readonly #stack: Layer[] = [];
  #built = false;

  constructor(options: SequentialOptions = {}) {
    super(null, 'sequential');
    for (const l of options.layers ?? []) this.add(l);
  }

  override get className(): string {
    return 'Sequential';
  }

  /** Appends a layer (before the model is first built). */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new ValueError(`Sequential '${this.name}': add() expects a layer`);
    if (this.#built) throw new ValueError(`Sequential '${this.name}': cannot add layers after the model was built`);
    this.#stack.push(layer);
    const first = this.#stack[0].inputShape;
    if (first && this.#stack.length === 1) this.#pendingShape = first;
  }

  #pendingShape: readonly number[] | null = null;

  protected override ensureGraph(sampleShape: readonly number[]): void {
    if (this.#built) return;
    if (this.#stack.length === 0) throw new ValueError(`Sequential '${this.name}': no layers`);
    this.#build(this.#pendingShape ?? sampleShape);
  }

  /** Builds the graph for samples of `shape` (no batch dimension), as Keras's `model.build`. */
  build(shape: readonly number[]): void {
    if (!this.#built) this.#build(shape);
  }

  override get layers(): Layer[] {
    return [...this.#stack];
  }

  #build(shape: readonly number[]): void {
    let t: SymbolicTensor = input({ shape });
    const start = t;
    for (const l of this.#stack) t = l.apply(t);
    this.setGraph(start, t);
    this.#built = true;
  }

  /** Builds now when the first layer has an inputShape (so summary/compile work before any data). */
  override get input(): SymbolicTensor {
    if (!this.#built && this.#pendingShape) this.#build(this.#pendingShape);
    return super.input;
  }
}
