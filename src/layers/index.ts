/** The `wg.layers` factories (TF.js-style lower-camel names) and the layer classes. */
import { BatchNormalization, type BatchNormalizationOptions } from './batchnorm.js';
import {
  Conv2D, DepthwiseConv2D, SeparableConv2D, type Conv2DOptions, type DepthwiseConv2DOptions, type SeparableConv2DOptions,
} from './conv.js';
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

/** 2-D convolution layer (see `Conv2D`). */
export function conv2d(options: Conv2DOptions): Conv2D {
  return new Conv2D(options);
}

/** Depthwise 2-D convolution layer (see `DepthwiseConv2D`). */
export function depthwiseConv2d(options: DepthwiseConv2DOptions): DepthwiseConv2D {
  return new DepthwiseConv2D(options);
}

/** Depthwise then pointwise (1x1) convolution layer (see `SeparableConv2D`). */
export function separableConv2d(options: SeparableConv2DOptions): SeparableConv2D {
  return new SeparableConv2D(options);
}

export { BatchNormalization, Activation, Dense, Dropout };
export { Conv2D, DepthwiseConv2D, SeparableConv2D };
export type { Conv2DOptions, DepthwiseConv2DOptions, SeparableConv2DOptions, ConvLayerOptions } from './conv.js';
export type { BatchNormalizationOptions, ActivationOptions, DenseOptions, DropoutOptions };
export type { Init, MovingSnapshot } from './batchnorm.js';
export type { ActivationName } from './activations.js';
export type { InitializerName, InitializerConfig } from './initializers.js';
