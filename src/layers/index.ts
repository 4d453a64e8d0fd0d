/** The `wg.layers` factories (TF.js-style lower-camel names) and the layer classes. */
import { BatchNormalization, type BatchNormalizationOptions } from './batchnorm.js';
import {
  Conv2D, DepthwiseConv2D, SeparableConv2D, type Conv2DOptions, type DepthwiseConv2DOptions, type SeparableConv2DOptions,
} from './conv.js';
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

export { Conv2D, DepthwiseConv2D, SeparableConv2D };
export type { Conv2DOptions, DepthwiseConv2DOptions, SeparableConv2DOptions, ConvLayerOptions } from './conv.js';
export type { BatchNormalizationOptions, ActivationOptions, DenseOptions, DropoutOptions };
export type { ConcatenateOptions };
export type { Init, MovingSnapshot } from './batchnorm.js';
export type { ActivationName } from './activations.js';
export type { InitializerName, InitializerConfig } from './initializers.js';

import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D } from './pooling.js';
import type { DataFormat, GlobalPooling2DOptions, Pooling2DOptions } from './pooling.js';
import { Flatten, Reshape, ZeroPadding2D } from './reshaping.js';
import type { FlattenOptions, PadPair, ReshapeOptions, ZeroPadding2DOptions } from './reshaping.js';
import { ReLU, Softmax } from './activation_layers.js';
import type { ReLUOptions, SoftmaxOptions } from './activation_layers.js';

/** 2-D max pooling (Keras MaxPooling2D). */
export function maxPooling2d(options: Pooling2DOptions = {}): MaxPooling2D {
  return new MaxPooling2D(options);
}

/** 2-D average pooling (Keras AveragePooling2D). */
export function averagePooling2d(options: Pooling2DOptions = {}): AveragePooling2D {
  return new AveragePooling2D(options);
}

/** Mean over the spatial axes (Keras GlobalAveragePooling2D). */
export function globalAveragePooling2d(options: GlobalPooling2DOptions = {}): GlobalAveragePooling2D {
  return new GlobalAveragePooling2D(options);
}

/** Max over the spatial axes (Keras GlobalMaxPooling2D). */
export function globalMaxPooling2d(options: GlobalPooling2DOptions = {}): GlobalMaxPooling2D {
  return new GlobalMaxPooling2D(options);
}

/** Zero padding of the spatial axes (Keras ZeroPadding2D). */
export function zeroPadding2d(options: ZeroPadding2DOptions = {}): ZeroPadding2D {
  return new ZeroPadding2D(options);
}

/** [batch, ...] -> [batch, n] (Keras Flatten). */
export function flatten(options: FlattenOptions = {}): Flatten {
  return new Flatten(options);
}

/** [batch, ...] -> [batch, ...targetShape] (Keras Reshape). */
export function reshape(options: ReshapeOptions): Reshape {
  return new Reshape(options);
}

/** Keras ReLU layer (maxValue, negativeSlope, threshold). */
export function reLU(options: ReLUOptions = {}): ReLU {
  return new ReLU(options);
}

/** Softmax along an axis (Keras Softmax layer). */
export function softmax(options: SoftmaxOptions = {}): Softmax {
  return new Softmax(options);
}

export { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D, Flatten, Reshape, ZeroPadding2D, ReLU, Softmax };
export type {
  DataFormat, GlobalPooling2DOptions, Pooling2DOptions, FlattenOptions, PadPair, ReshapeOptions, ZeroPadding2DOptions, ReLUOptions,
  SoftmaxOptions,
};
export type { RegularizerConfig } from './regularizers.js';
