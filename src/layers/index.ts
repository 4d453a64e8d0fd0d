/** The `wg.layers` factories (TF.js-style lower-camel names) and the layer classes. */
import { BatchNormalization, type BatchNormalizationOptions } from './batchnorm.js';
import { Activation, Dense, Dropout, type ActivationOptions, type DenseOptions, type DropoutOptions } from './core.js';
import type { LayerOptions } from './layer.js';
import { Add, Average, Concatenate, MergeLayer, Multiply, Subtract, type ConcatenateOptions } from './merge.js';

/** Fully connected layer (see `Dense`). */
export function dense(options: DenseOptions): Dense {
  return new Dense(options);
}

/** Batch normalization, Keras 3 semantics (see `BatchNormalization`). */
export function batchNormalization(options: BatchNormalizationOptions = {}): BatchNormalization {
  return new BatchNormalization(options);
}

/** Elementwise activation layer. */
export function activation(options: ActivationOptions): Activation {
  return new Activation(options);
}

/** Inverted dropout, active only in training mode. */
export function dropout(options: DropoutOptions): Dropout {
  return new Dropout(options);
}

/** Elementwise sum of several inputs: `add().apply([a, b])`. */
export function add(options: LayerOptions = {}): Add {
  return new Add(options);
}

/** a - b of exactly two inputs: `subtract().apply([a, b])`. */
export function subtract(options: LayerOptions = {}): Subtract {
  return new Subtract(options);
}

/** Elementwise product of several inputs. */
export function multiply(options: LayerOptions = {}): Multiply {
  return new Multiply(options);
}

/** Elementwise mean of several inputs. */
export function average(options: LayerOptions = {}): Average {
  return new Average(options);
}

/** Joins several inputs on `axis` (default -1). */
export function concatenate(options: ConcatenateOptions = {}): Concatenate {
  return new Concatenate(options);
}

export { BatchNormalization, Activation, Dense, Dropout };
export { MergeLayer, Add, Subtract, Multiply, Average, Concatenate };
export type { BatchNormalizationOptions, ActivationOptions, DenseOptions, DropoutOptions };
export type { ConcatenateOptions };
export type { Init, MovingSnapshot } from './batchnorm.js';
export type { ActivationName } from './activations.js';
export type { InitializerName, InitializerConfig } from './initializers.js';
