/** ReLU and Softmax as layers (Keras 3 `ReLU`, `Softmax`). No weights. */
import type { Tensor } from '../core/tensor.js';
import { fill } from '../ops/creation.js';
import { greaterEqual, mul, sub, where } from '../ops/elementwise.js';
import { softmax } from '../ops/softmax.js';
import { BASE_OPTIONS, Layer, checkOptions, type LayerOptions, type SymbolicShape } from './layer.js';

export interface ReLUOptions extends LayerOptions {
  /** Upper clip (>= 0); default none. */
  readonly maxValue?: number | null;
  /** Slope below the threshold (>= 0); default 0. */
  readonly negativeSlope?: number;
  /** Default 0. */
  readonly threshold?: number;
}

/**
 * Keras ReLU: f(x) = maxValue if x >= maxValue; x if threshold <= x < maxValue;
 * negativeSlope * (x - threshold) otherwise. The gradient is that of the branch taken.
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
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
      throw this.valueError(`threshold must be a finite number, got ${JSON.stringify(threshold)}`);
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
    const below = this.negativeSlope === 0 ? fill([], 0) : mul(sub(x, this.threshold), this.negativeSlope);
    const y = where(greaterEqual(x, this.threshold), x, below);
    return this.maxValue === null ? y : where(greaterEqual(x, this.maxValue), fill([], this.maxValue), y);
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
