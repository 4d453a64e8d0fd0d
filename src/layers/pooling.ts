/**
 * MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D (Keras 3 / TF.js
 * layers semantics). No weights. Inputs are rank 4: [batch, h, w, c] ('channelsLast', default)
 * or [batch, c, h, w] ('channelsFirst').
 */
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { avgPool, maxPool, poolGeometry, type PoolOptions, type PoolPadding } from '../ops/pooling.js';
import { max, mean } from '../ops/reduce.js';
import { BASE_OPTIONS, Layer, checkOptions, type LayerOptions, type SymbolicShape } from './layer.js';

export type DataFormat = 'channelsLast' | 'channelsFirst';

/** Shape with nulls shown as -1 (error messages). */
export function showShape(shape: SymbolicShape): string {
  return fmtShape(shape.map((d) => d ?? -1));
}

/** Validates a dataFormat option; `label` names the layer. */
export function checkDataFormat(label: string, value: unknown): DataFormat {
  const v = value ?? 'channelsLast';
  if (v !== 'channelsLast' && v !== 'channelsFirst') {
    throw new ValueError(`${label}: dataFormat must be 'channelsLast' or 'channelsFirst', got ${JSON.stringify(value)}`);
  }
  return v;
}

/** Throws a ShapeError unless `shape` has rank `rank`. */
export function checkRank(label: string, shape: SymbolicShape, rank: number, what: string): void {
  if (shape.length !== rank) throw new ShapeError(`${label}: input must have rank ${rank} (${what}), got ${showShape(shape)}`);
}

function positivePair(label: string, key: string, v: unknown): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || p.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new ValueError(`${label}: ${key} must be a positive integer or two, got ${JSON.stringify(v)}`);
  }
  return [p[0] as number, p[1] as number];
}

export interface Pooling2DOptions extends LayerOptions {
  /** Window [h, w] (one number: square); default [2, 2]. */
  readonly poolSize?: number | readonly [number, number];
  /** Default (undefined or null): poolSize, as Keras and TF.js. */
  readonly strides?: number | readonly [number, number] | null;
  /** 'valid' (default) or 'same' (TF's: extra pad at bottom / right; avg over valid cells). */
  readonly padding?: PoolPadding;
  readonly dataFormat?: DataFormat;
}

const POOL_OPTIONS = [...BASE_OPTIONS, 'poolSize', 'strides', 'padding', 'dataFormat'];

/** The shared part of MaxPooling2D and AveragePooling2D. */
abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: PoolPadding;
  readonly dataFormat: DataFormat;

  constructor(options: Pooling2DOptions, base: string, className: string) {
    super(options, base);
    checkOptions(this.name, className, options, POOL_OPTIONS);
    this.poolSize = positivePair(this.label, 'poolSize', options.poolSize ?? 2);
    this.strides = positivePair(this.label, 'strides', options.strides ?? this.poolSize);
    const padding = options.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same') {
      throw this.valueError(`padding must be 'valid' or 'same', got ${JSON.stringify(options.padding)}`);
    }
    this.padding = padding;
    this.dataFormat = checkDataFormat(this.label, options.dataFormat);
  }

  protected get opOptions(): PoolOptions {
    return { poolSize: this.poolSize, strides: this.strides, padding: this.padding, dataFormat: this.dataFormat === 'channelsLast' ? 'NHWC' : 'NCHW' };
  }

  protected override checkInput(shape: SymbolicShape): void {
    checkRank(this.label, shape, 4, this.dataFormat === 'channelsLast' ? '[batch, height, width, channels]' : '[batch, channels, height, width]');
    poolGeometry(this.label, 'max', shape, this.opOptions, this.dataFormat);
  }

  protected build(): void {}

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return poolGeometry(this.label, 'max', inputShape, this.opOptions, this.dataFormat).outShape;
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: this.trainable, poolSize: this.poolSize, strides: this.strides, padding: this.padding,
      dataFormat: this.dataFormat, ...(this.inputShape ? { inputShape: this.inputShape } : {}),
    };
  }
}

/** 2-D max pooling (see `maxPool`): the gradient goes to each window's first largest cell. */
export class MaxPooling2D extends Pooling2D {
  get className(): string {
    return 'MaxPooling2D';
  }

  constructor(options: Pooling2DOptions = {}) {
    super(options, 'max_pooling2d', 'MaxPooling2D');
  }

  protected call(x: Tensor): Tensor {
    return maxPool(x, this.opOptions);
  }
}

/** 2-D average pooling (see `avgPool`); 'same' border windows average their valid cells. */
export class AveragePooling2D extends Pooling2D {
  get className(): string {
    return 'AveragePooling2D';
  }

  constructor(options: Pooling2DOptions = {}) {
    super(options, 'average_pooling2d', 'AveragePooling2D');
  }

  protected call(x: Tensor): Tensor {
    return avgPool(x, this.opOptions);
  }
}

export interface GlobalPooling2DOptions extends LayerOptions {
  readonly dataFormat?: DataFormat;
  /** Keep the spatial axes as size 1 ([batch, 1, 1, c]); default false ([batch, c]). */
  readonly keepDims?: boolean;
}

/** The shared part of the global poolings: a reduction over the two spatial axes. */
abstract class GlobalPooling2D extends Layer {
  readonly dataFormat: DataFormat;
  readonly keepDims: boolean;

  constructor(options: GlobalPooling2DOptions, base: string, className: string) {
    super(options, base);
    checkOptions(this.name, className, options, [...BASE_OPTIONS, 'dataFormat', 'keepDims']);
    this.dataFormat = checkDataFormat(this.label, options.dataFormat);
    this.keepDims = options.keepDims ?? false;
    if (typeof this.keepDims !== 'boolean') throw this.valueError(`keepDims must be a boolean, got ${JSON.stringify(options.keepDims)}`);
  }

  protected get axes(): [number, number] {
    return this.dataFormat === 'channelsLast' ? [1, 2] : [2, 3];
  }

  protected override checkInput(shape: SymbolicShape): void {
    checkRank(this.label, shape, 4, this.dataFormat === 'channelsLast' ? '[batch, height, width, channels]' : '[batch, channels, height, width]');
  }

  protected build(): void {}

  computeOutputShape(s: SymbolicShape): SymbolicShape {
    const c = this.dataFormat === 'channelsLast' ? s[3] : s[1];
    if (!this.keepDims) return [s[0], c];
    return this.dataFormat === 'channelsLast' ? [s[0], 1, 1, c] : [s[0], c, 1, 1];
  }

  protected reduced(x: Tensor, f: typeof mean): Tensor {
    return f(x, this.axes, this.keepDims);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: this.trainable, dataFormat: this.dataFormat, keepDims: this.keepDims,
      ...(this.inputShape ? { inputShape: this.inputShape } : {}),
    };
  }
}

/** Mean over the spatial axes: [batch, h, w, c] -> [batch, c]. */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  get className(): string {
    return 'GlobalAveragePooling2D';
  }

  constructor(options: GlobalPooling2DOptions = {}) {
    super(options, 'global_average_pooling2d', 'GlobalAveragePooling2D');
  }

  protected call(x: Tensor): Tensor {
    return this.reduced(x, mean);
  }
}

/** Max over the spatial axes: [batch, h, w, c] -> [batch, c]; ties share dy as TF.js's max. */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  get className(): string {
    return 'GlobalMaxPooling2D';
  }

  constructor(options: GlobalPooling2DOptions = {}) {
    super(options, 'global_max_pooling2d', 'GlobalMaxPooling2D');
  }

  protected call(x: Tensor): Tensor {
    return this.reduced(x, max);
  }
}
