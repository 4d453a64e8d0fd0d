/**
 * Merge layers (Keras class names): Add, Subtract, Multiply, Average, Concatenate. Each takes
 * an array of inputs, `layer.apply([a, b])`, symbolic or eager; shapes are checked at apply time.
 */
import { fmtShape } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { concat } from '../ops/movement.js';
import { BASE_OPTIONS, Layer, checkOptions, type LayerOptions, type SymbolicShape, type SymbolicTensor } from './layer.js';

const fmtSym = (s: SymbolicShape) => fmtShape(s.map((d) => d ?? -1));

/**
 * Base of layers that combine several inputs into one output. Subclasses give the output shape
 * for the input shapes (throwing on a mismatch) and the eager computation.
 */
export abstract class MergeLayer extends Layer {
  /** The output shape for `shapes` (batch dimension may be null); throws a ShapeError on a mismatch. */
  protected abstract mergeShapes(shapes: readonly SymbolicShape[]): SymbolicShape;
  /** The eager computation on inputs whose shapes `mergeShapes` accepted. */
  protected abstract merge(xs: readonly Tensor[]): Tensor;

  /** Merge layers have no weights. */
  protected build(_inputShape: SymbolicShape): void {}

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return this.mergeShapes([inputShape]);
  }

  protected call(x: Tensor, _training: boolean): Tensor {
    return this.callNode([x], false)[0];
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable };
  }

  override applySymbolic(xs: readonly SymbolicTensor[]): SymbolicTensor[] {
    const out = this.#check(xs.map((x) => x.shape));
    this.ensureBuilt(xs[0].shape);
    return this.addNode(xs, [out]);
  }

  override callNode(xs: readonly Tensor[], _training: boolean): Tensor[] {
    this.#check(xs.map((x) => x.shape));
    this.ensureBuilt(xs[0].shape);
    return [this.merge(xs)];
  }

  #check(shapes: readonly SymbolicShape[]): SymbolicShape {
    if (shapes.length < 2) throw this.valueError(`needs at least 2 inputs, got ${shapes.length}${this.shapesNote(shapes)}`);
    return this.mergeShapes(shapes);
  }

  /** ` (input shapes [a], [b])` for error messages (-1 = unknown). */
  protected shapesNote(shapes: readonly SymbolicShape[]): string {
    return shapes.length === 0 ? '' : ` (input shapes ${shapes.map(fmtSym).join(', ')})`;
  }
}

/**
 * Elementwise merges (Add, Subtract, Multiply, Average). Accepted shapes: the same rank; on each
 * axis the sizes are equal, or one is 1 (broadcast, as Keras), or unknown (null).
 */
abstract class ElementwiseMerge extends MergeLayer {
  protected mergeShapes(shapes: readonly SymbolicShape[]): SymbolicShape {
    const rank = shapes[0].length;
    if (shapes.some((s) => s.length !== rank)) throw this.shapeError(`inputs must have the same rank${this.shapesNote(shapes)}`);
    const out: (number | null)[] = [];
    for (let a = 0; a < rank; a++) {
      const known = shapes.map((s) => s[a]).filter((d): d is number => d !== null);
      const big = known.filter((d) => d !== 1);
      if (big.some((d) => d !== big[0])) {
        throw this.shapeError(`inputs do not match on axis ${a} (sizes must be equal or 1)${this.shapesNote(shapes)}`);
      }
      out.push(big[0] ?? (known.length === shapes.length ? 1 : null));
    }
    return out;
  }
}

/** `add([a, b, ...])`: the elementwise sum, summed left to right. */
export class Add extends ElementwiseMerge {
  get className(): string {
    return 'Add';
  }

  constructor(options: LayerOptions = {}) {
    super(options, 'add');
    checkOptions(this.name, 'Add', options, BASE_OPTIONS);
  }

  protected merge(xs: readonly Tensor[]): Tensor {
    return xs.slice(1).reduce<Tensor>((s, x) => add(s, x), xs[0]);
  }
}

/** `subtract([a, b])`: a - b (exactly two inputs). */
export class Subtract extends ElementwiseMerge {
  get className(): string {
    return 'Subtract';
  }

  constructor(options: LayerOptions = {}) {
    super(options, 'subtract');
    checkOptions(this.name, 'Subtract', options, BASE_OPTIONS);
  }

  protected override mergeShapes(shapes: readonly SymbolicShape[]): SymbolicShape {
    if (shapes.length !== 2) throw this.valueError(`takes exactly 2 inputs, got ${shapes.length}${this.shapesNote(shapes)}`);
    return super.mergeShapes(shapes);
  }

  protected merge(xs: readonly Tensor[]): Tensor {
    return sub(xs[0], xs[1]);
  }
}

/** `multiply([a, b, ...])`: the elementwise product, left to right. */
export class Multiply extends ElementwiseMerge {
  get className(): string {
    return 'Multiply';
  }

  constructor(options: LayerOptions = {}) {
    super(options, 'multiply');
    checkOptions(this.name, 'Multiply', options, BASE_OPTIONS);
  }

  protected merge(xs: readonly Tensor[]): Tensor {
    return xs.slice(1).reduce<Tensor>((s, x) => mul(s, x), xs[0]);
  }
}

/** `average([a, b, ...])`: (a + b + ...) * (1 / n), as TF.js computes it. */
export class Average extends ElementwiseMerge {
  get className(): string {
    return 'Average';
  }

  constructor(options: LayerOptions = {}) {
    super(options, 'average');
    checkOptions(this.name, 'Average', options, BASE_OPTIONS);
  }

  protected merge(xs: readonly Tensor[]): Tensor {
    return mul(xs.slice(1).reduce<Tensor>((s, x) => add(s, x), xs[0]), 1 / xs.length);
  }
}

export interface ConcatenateOptions extends LayerOptions {
  /** The axis to join on (default -1; negative counts from the end; 0, the batch axis, is refused). */
  readonly axis?: number;
}

/** `concatenate({ axis })`: joins the inputs on `axis`; every other axis must match. */
export class Concatenate extends MergeLayer {
  readonly axis: number;

  get className(): string {
    return 'Concatenate';
  }

  constructor(options: ConcatenateOptions = {}) {
    super(options, 'concatenate');
    checkOptions(this.name, 'Concatenate', options, [...BASE_OPTIONS, 'axis']);
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw this.valueError(`axis must be an integer, got ${String(options.axis)}`);
  }

  protected mergeShapes(shapes: readonly SymbolicShape[]): SymbolicShape {
    const rank = shapes[0].length;
    if (shapes.some((s) => s.length !== rank)) throw this.shapeError(`inputs must have the same rank${this.shapesNote(shapes)}`);
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    if (axis < 1 || axis >= rank) {
      throw this.shapeError(`axis ${this.axis} is out of range for inputs of rank ${rank} (allowed: 1..${rank - 1} or -${rank - 1}..-1)${this.shapesNote(shapes)}`);
    }
    const out: (number | null)[] = [...shapes[0]];
    for (let a = 0; a < rank; a++) {
      const known = shapes.map((s) => s[a]);
      if (a === axis) {
        out[a] = known.some((d) => d === null) ? null : (known as number[]).reduce((x, y) => x + y, 0);
        continue;
      }
      const k = known.filter((d): d is number => d !== null);
      if (k.some((d) => d !== k[0])) throw this.shapeError(`inputs differ on axis ${a}, which is not the concatenation axis ${this.axis}${this.shapesNote(shapes)}`);
      out[a] = k[0] ?? null;
    }
    return out;
  }

  protected merge(xs: readonly Tensor[]): Tensor {
    const axis = this.axis < 0 ? this.axis + xs[0].rank : this.axis;
    return concat(xs, axis);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}
