/**
 * The layer classes the TF.js layers format can carry, one entry each: the Keras config keys and
 * how each maps to the wgnn constructor option (config.ts), and the constructor. Adding a class
 * is one entry here; `readConfig` rejects any key an entry does not list.
 */
import { ValueError } from '../core/errors.js';
import type { Layer } from '../layers/layer.js';
import { BatchNormalization, type BatchNormalizationOptions } from '../layers/batchnorm.js';
import { Activation, Dense, Dropout, type ActivationOptions, type DenseOptions, type DropoutOptions } from '../layers/core.js';
import { Add, Average, Concatenate, Multiply, Subtract, type ConcatenateOptions } from '../layers/merge.js';
import { Conv2D, DepthwiseConv2D, SeparableConv2D, type Conv2DOptions, type DepthwiseConv2DOptions, type SeparableConv2DOptions } from '../layers/conv.js';
import {
  AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D, type GlobalPooling2DOptions, type Pooling2DOptions,
} from '../layers/pooling.js';
import { Flatten, Reshape, ZeroPadding2D, type FlattenOptions, type ReshapeOptions, type ZeroPadding2DOptions } from '../layers/reshaping.js';
import { ReLU, Softmax, type ReLUOptions, type SoftmaxOptions } from '../layers/activation_layers.js';
import {
  BASE_RULES, enumOf, extension, init, nullOnly, plain, readConfig, readOnly, regularizer, writeConfig, type Json, type Kept, type KeyRule,
} from './config.js';

export interface LayerEntry {
  /** Every Keras config key of the class (besides the input-shape keys the topology reader takes). */
  readonly rules: Readonly<Record<string, KeyRule>>;
  readonly create: (options: Json) => Layer;
}

const DENSE: LayerEntry = {
  rules: {
    ...BASE_RULES, units: plain('units'), activation: plain('activation', true), use_bias: plain('useBias', true),
    kernel_initializer: init('kernelInitializer'), bias_initializer: init('biasInitializer'),
    kernel_regularizer: regularizer('kernelRegularizer'), bias_regularizer: regularizer('biasRegularizer'), activity_regularizer: nullOnly,
    kernel_constraint: nullOnly, bias_constraint: nullOnly,
  },
  create: (o) => new Dense(o as unknown as DenseOptions),
};

const BATCH_NORM: LayerEntry = {
  rules: {
    ...BASE_RULES, axis: plain('axis', true), momentum: plain('momentum', true), epsilon: plain('epsilon', true),
    center: plain('center', true), scale: plain('scale', true),
    beta_initializer: init('betaInitializer'), gamma_initializer: init('gammaInitializer'),
    moving_mean_initializer: init('movingMeanInitializer'), moving_variance_initializer: init('movingVarianceInitializer'),
    beta_regularizer: nullOnly, gamma_regularizer: nullOnly, beta_constraint: nullOnly, gamma_constraint: nullOnly,
    // Keras 3: one replica only.
    synchronized: readOnly(false),
    moving_variance_correction: extension('movingVarianceCorrection', 'biased'),
  },
  create: (o) => new BatchNormalization(bnAxis(o) as BatchNormalizationOptions),
};

/** Keras 2 saves `axis` as a one-element list ([3]); wgnn takes the integer. */
function bnAxis(o: Json): Json {
  const a = o.axis;
  if (Array.isArray(a) && a.length === 1) return { ...o, axis: a[0] };
  return o;
}

const ACTIVATION: LayerEntry = {
  rules: { ...BASE_RULES, activation: plain('activation') },
  create: (o) => new Activation(o as unknown as ActivationOptions),
};

const DROPOUT: LayerEntry = {
  rules: { ...BASE_RULES, rate: plain('rate'), noise_shape: nullOnly, seed: plain('seed', true) },
  create: (o) => new Dropout(o as unknown as DropoutOptions),
};

const DATA_FORMAT = enumOf('dataFormat', { channels_last: 'channelsLast', channels_first: 'channelsFirst' });

/** Keys every convolution has (Keras 2 and 3; `groups` only 1). */
const CONV_RULES: Readonly<Record<string, KeyRule>> = {
  ...BASE_RULES, kernel_size: plain('kernelSize'), strides: plain('strides', true), padding: plain('padding', true),
  data_format: DATA_FORMAT, dilation_rate: plain('dilationRate', true), activation: plain('activation', true),
  use_bias: plain('useBias', true), bias_initializer: init('biasInitializer'), bias_regularizer: nullOnly,
  activity_regularizer: nullOnly, bias_constraint: nullOnly, groups: readOnly(1),
};

const DEPTHWISE_RULES: Readonly<Record<string, KeyRule>> = {
  depth_multiplier: plain('depthMultiplier', true), depthwise_initializer: init('depthwiseInitializer'),
  depthwise_regularizer: nullOnly, depthwise_constraint: nullOnly,
};

const POOL_RULES: Readonly<Record<string, KeyRule>> = {
  ...BASE_RULES, pool_size: plain('poolSize', true), strides: plain('strides', true), padding: plain('padding', true), data_format: DATA_FORMAT,
};

const GLOBAL_POOL_RULES: Readonly<Record<string, KeyRule>> = { ...BASE_RULES, data_format: DATA_FORMAT, keepdims: plain('keepDims', true) };

/** A merge layer with only the base keys. */
const merge = (create: (o: Json) => Layer): LayerEntry => ({ rules: BASE_RULES, create });

const REGISTRY = new Map<string, LayerEntry>([
  ['Dense', DENSE],
  ['BatchNormalization', BATCH_NORM],
  ['Activation', ACTIVATION],
  ['Dropout', DROPOUT],
  ['Add', merge((o) => new Add(o))],
  ['Subtract', merge((o) => new Subtract(o))],
  ['Multiply', merge((o) => new Multiply(o))],
  ['Average', merge((o) => new Average(o))],
  ['Concatenate', { rules: { ...BASE_RULES, axis: plain('axis', true) }, create: (o) => new Concatenate(o as ConcatenateOptions) }],
  ['Conv2D', {
    rules: { ...CONV_RULES, filters: plain('filters'), kernel_initializer: init('kernelInitializer'), kernel_regularizer: nullOnly, kernel_constraint: nullOnly },
    create: (o) => new Conv2D(o as unknown as Conv2DOptions),
  }],
  ['DepthwiseConv2D', { rules: { ...CONV_RULES, ...DEPTHWISE_RULES }, create: (o) => new DepthwiseConv2D(o as unknown as DepthwiseConv2DOptions) }],
  ['SeparableConv2D', {
    rules: {
      ...CONV_RULES, ...DEPTHWISE_RULES, filters: plain('filters'), pointwise_initializer: init('pointwiseInitializer'),
      pointwise_regularizer: nullOnly, pointwise_constraint: nullOnly,
    },
    create: (o) => new SeparableConv2D(o as unknown as SeparableConv2DOptions),
  }],
  ['MaxPooling2D', { rules: POOL_RULES, create: (o) => new MaxPooling2D(o as Pooling2DOptions) }],
  ['AveragePooling2D', { rules: POOL_RULES, create: (o) => new AveragePooling2D(o as Pooling2DOptions) }],
  ['GlobalAveragePooling2D', { rules: GLOBAL_POOL_RULES, create: (o) => new GlobalAveragePooling2D(o as GlobalPooling2DOptions) }],
  ['GlobalMaxPooling2D', { rules: GLOBAL_POOL_RULES, create: (o) => new GlobalMaxPooling2D(o as GlobalPooling2DOptions) }],
  ['ZeroPadding2D', { rules: { ...BASE_RULES, padding: plain('padding', true), data_format: DATA_FORMAT }, create: (o) => new ZeroPadding2D(o as ZeroPadding2DOptions) }],
  ['Flatten', { rules: { ...BASE_RULES, data_format: DATA_FORMAT }, create: (o) => new Flatten(o as FlattenOptions) }],
  ['Reshape', { rules: { ...BASE_RULES, target_shape: plain('targetShape') }, create: (o) => new Reshape(o as unknown as ReshapeOptions) }],
  ['ReLU', {
    rules: { ...BASE_RULES, max_value: plain('maxValue', true), negative_slope: plain('negativeSlope', true), threshold: plain('threshold', true) },
    create: (o) => new ReLU(o as ReLUOptions),
  }],
  ['Softmax', { rules: { ...BASE_RULES, axis: plain('axis', true) }, create: (o) => new Softmax(o as SoftmaxOptions) }],
]);

/** Registers a layer class (other modules add theirs at the end of this list of calls). */
export function registerLayer(className: string, entry: LayerEntry): void {
  REGISTRY.set(className, entry);
}

/** Initializer configs of loaded layers that wgnn has no kind for; `save` writes them back. */
const KEPT = new WeakMap<Layer, Kept>();

/** The supported class names, for error messages. */
export function supportedClasses(): string[] {
  return [...REGISTRY.keys(), 'InputLayer', 'Sequential', 'Model', 'Functional'];
}

/** Builds a layer from its Keras class name and config; errors name `label`, the key and the value. */
export function layerFromConfig(className: string, config: Json, where: string, extra: Json = {}): Layer {
  const entry = REGISTRY.get(className);
  if (!entry) throw new ValueError(`${where}: unknown layer class '${className}' (supported: ${supportedClasses().join(', ')})`);
  const label = `${where}: ${className} '${String(config.name)}'`;
  const kept: Kept = new Map();
  const options = { ...readConfig(label, config, entry.rules, kept), ...extra };
  let layer: Layer;
  try {
    layer = entry.create(options);
  } catch (e) {
    throw new ValueError(`${where}: ${(e as Error).message}`);
  }
  if (kept.size > 0) KEPT.set(layer, kept);
  return layer;
}

/** The Keras config of a layer (without input-shape keys). */
export function layerToConfig(layer: Layer, where: string): Json {
  const entry = REGISTRY.get(layer.className);
  if (!entry) throw new ValueError(`${where}: layer ${layer.label} has no TF.js layers form (supported: ${supportedClasses().join(', ')})`);
  return writeConfig(layer.getConfig(), entry.rules, KEPT.get(layer));
}

/** Builds a layer from wgnn's own (camelCase) options, as 0.1 artifacts store them. */
export function layerFromOptions(className: string, options: Json, where: string): Layer {
  const entry = REGISTRY.get(className);
  if (!entry) throw new ValueError(`${where}: unknown layer class '${className}' (supported: ${supportedClasses().join(', ')})`);
  try {
    return entry.create(options);
  } catch (e) {
    throw new ValueError(`${where}: ${(e as Error).message}`);
  }
}
