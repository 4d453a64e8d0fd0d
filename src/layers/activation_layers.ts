/** ReLU and Softmax as layers (Keras 3 `ReLU`, `Softmax`). No weights. */
import type { Tensor } from '../core/tensor.js';
import { fill } from '../ops/creation.js';
import { add, greater, minimum, mul, sub, where } from '../ops/elementwise.js';
import { softmax } from '../ops/softmax.js';
import { BASE_OPTIONS, Layer, checkOptions, type LayerOptions, type SymbolicShape } from './layer.js';

export interface ReLUOptions extends LayerOptions {
  /** Upper clip (>= 0); default none. */
  readonly maxValue?: number | null;
  /** Slope below the threshold (>= 0); default 0. */
  readonly negativeSlope?: number;
  /** Values at or below it are damped (>= 0, as Keras); default 0. */
  readonly threshold?: number;
}

/**
 * Keras ReLU: f(x) = maxValue if x >= maxValue; x if threshold <= x < maxValue;
 * negativeSlope * (x - threshold) otherwise. Computed as Keras 3 computes it
 * (`keras.activations.relu`): min(x * (x > threshold), maxValue) - negativeSlope * relu(threshold - x),
 * so at x == threshold > 0 the output is 0, as Keras gives (`relu([5], threshold=5) = [0]`),
 * where the docstring formula would say 5. The gradient is that of the branch taken.
 */
export class ReLU extends Layer {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;

  get className(): string {
    return 'ReLU';
  }

  constructor(options: ReLUOptions = {}) {
    super(options, 're_lu');
    checkOptions(this.name, 'ReLU', options, [...BASE_OPTIONS, 'maxValue', 'negativeSlope', 'threshold']);
    const { maxValue = null, negativeSlope = 0, threshold = 0 } = options;
    if (maxValue !== null && !(typeof maxValue === 'number' && maxValue >= 0)) {
      throw this.valueError(`maxValue must be a number >= 0 or null, got ${JSON.stringify(maxValue)}`);
    }
    if (!(typeof negativeSlope === 'number' && negativeSlope >= 0)) {
      throw this.valueError(`negativeSlope must be a number >= 0, got ${JSON.stringify(negativeSlope)}`);
    }
    if (!(typeof threshold === 'number' && threshold >= 0 && Number.isFinite(threshold))) {
      throw this.valueError(`threshold must be a finite number >= 0, got ${JSON.stringify(threshold)}`);
    }
    this.maxValue = maxValue;
    this.negativeSlope = negativeSlope;
    this.threshold = threshold;
  }

  protected build(): void {}

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  protected call(x: Tensor): Tensor {
    const above = where(greater(x, this.threshold), x, fill([], 0));
    const pos = this.maxValue === null ? above : minimum(above, this.maxValue);
    return this.negativeSlope === 0 ? pos : add(pos, mul(minimum(sub(x, this.threshold), 0), this.negativeSlope));
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: this.trainable, maxValue: this.maxValue, negativeSlope: this.negativeSlope,
      threshold: this.threshold, ...(this.inputShape ? { inputShape: this.inputShape } : {}),
    };
  }
}

export interface SoftmaxOptions extends LayerOptions {
  /** Default -1. */
  readonly axis?: number;
}

/** Softmax along `axis` (see the `softmax` op: max-subtracted, one kernel each way). */
export class Softmax extends Layer {
  readonly axis: number;

  get className(): string {
    return 'Softmax';
  }

  constructor(options: SoftmaxOptions = {}) {
    super(options, 'softmax');
    checkOptions(this.name, 'Softmax', options, [...BASE_OPTIONS, 'axis']);
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw this.valueError(`axis must be an integer, got ${JSON.stringify(options.axis)}`);
  }

  protected override checkInput(shape: SymbolicShape): void {
    super.checkInput(shape);
    if (this.axis >= shape.length || this.axis < -shape.length) {
      throw this.shapeError(`axis ${this.axis} is out of range for input of rank ${shape.length}`);
    }
  }

  protected build(): void {}

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  protected call(x: Tensor): Tensor {
    return softmax(x, this.axis);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, axis: this.axis, ...(this.inputShape ? { inputShape: this.inputShape } : {}) };
  }
}
