/** The `wg.layers` factories (TF.js-style lower-camel names) and the layer classes. */
import { BatchNormalization, type BatchNormalizationOptions } from './batchnorm.js';
import { Activation, Dense, Dropout, type ActivationOptions, type DenseOptions, type DropoutOptions } from './core.js';

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

export { BatchNormalization, Activation, Dense, Dropout };
export type { BatchNormalizationOptions, ActivationOptions, DenseOptions, DropoutOptions };
export type { Init, MovingSnapshot } from './batchnorm.js';
export type { ActivationName } from './activations.js';
export type { InitializerName, InitializerConfig } from './initializers.js';
