/**
 * Convolution layers (Keras names and config keys): Conv2D, DepthwiseConv2D, SeparableConv2D.
 * Bias and activation are fused into the convolution's output pass (`fusedConv2d`); softmax,
 * which is not elementwise, runs after it.
 */
import { fmtShape } from '../core/errors.js';
import type { Tensor, Variable } from '../core/tensor.js';
import { axisPadding, fusedConv2d, type Conv2dOptions } from '../ops/conv.js';
import { applyActivation, checkActivation, type ActivationName } from './activations.js';
import { getInitializer, initializerConfig, type Initializer, type InitializerConfig, type InitializerName } from './initializers.js';
import { BASE_OPTIONS, Layer, checkOptions, type LayerOptions, type SymbolicShape } from './layer.js';

/** Options common to the convolution layers. */
export interface ConvLayerOptions extends LayerOptions {
  /** [kh, kw] or one number for both. */
  readonly kernelSize: number | readonly [number, number];
  /** Default 1. */
  readonly strides?: number | readonly [number, number];
  /** Default 'valid'. */
  readonly padding?: 'valid' | 'same';
  /** Default 'channelsLast' ([batch, h, w, c]); 'channelsFirst' is [batch, c, h, w]. */
  readonly dataFormat?: 'channelsLast' | 'channelsFirst';
  /** Default 1; not together with strides > 1. */
  readonly dilationRate?: number | readonly [number, number];
  readonly activation?: ActivationName;
  readonly useBias?: boolean;
  /** Default 'zeros'. */
  readonly biasInitializer?: InitializerName | InitializerConfig;
}

export interface Conv2DOptions extends ConvLayerOptions {
  readonly filters: number;
  /** Default 'glorotUniform'. */
  readonly kernelInitializer?: InitializerName | InitializerConfig;
}

export interface DepthwiseConv2DOptions extends ConvLayerOptions {
  /** Output channels per input channel; default 1. */
  readonly depthMultiplier?: number;
  /** Default 'glorotUniform'. */
  readonly depthwiseInitializer?: InitializerName | InitializerConfig;
}

export interface SeparableConv2DOptions extends ConvLayerOptions {
  readonly filters: number;
  readonly depthMultiplier?: number;
  readonly depthwiseInitializer?: InitializerName | InitializerConfig;
  readonly pointwiseInitializer?: InitializerName | InitializerConfig;
}

const COMMON = [...BASE_OPTIONS, 'kernelSize', 'strides', 'padding', 'dataFormat', 'dilationRate', 'activation', 'useBias', 'biasInitializer'];

/** Validates the common options and computes output shapes; subclasses own weights and `call`. */
abstract class ConvLayer extends Layer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: 'channelsLast' | 'channelsFirst';
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly #biasInit: Initializer;

  constructor(options: ConvLayerOptions, base: string, className: string, extra: readonly string[]) {
    super(options, base);
    checkOptions(this.name, className, options, [...COMMON, ...extra]);
    this.kernelSize = this.#pair('kernelSize', options.kernelSize);
    this.strides = this.#pair('strides', options.strides ?? 1);
    this.dilationRate = this.#pair('dilationRate', options.dilationRate ?? 1);
    if (Math.max(...this.strides) > 1 && Math.max(...this.dilationRate) > 1) {
      throw this.valueError(`strides > 1 together with dilationRate > 1 is not supported (strides ${fmtShape(this.strides)}, dilationRate ${fmtShape(this.dilationRate)})`);
    }
    const padding = options.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same') throw this.valueError(`padding must be 'valid' or 'same', got ${JSON.stringify(padding)}`);
    this.padding = padding;
    const format = options.dataFormat ?? 'channelsLast';
    if (format !== 'channelsLast' && format !== 'channelsFirst') {
      throw this.valueError(`dataFormat must be 'channelsLast' or 'channelsFirst', got ${JSON.stringify(format)}`);
    }
    this.dataFormat = format;
    this.activation = checkActivation(options.activation, this.label);
    this.useBias = options.useBias ?? true;
    this.#biasInit = getInitializer(options.biasInitializer, 'zeros', `${this.label} biasInitializer`);
  }

  /** The `bias` weight of `size` channels when the layer uses one (call from `build`, after the kernels). */
  protected addBias(size: number): Variable | null {
    return this.useBias ? this.addWeight('bias', () => this.#biasInit.apply([size]), true) : null;
  }

  protected positive(what: string, v: unknown): number {
    if (!Number.isInteger(v) || (v as number) <= 0) throw this.valueError(`${what} must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  }

  #describe(shape: SymbolicShape): string {
    return `(input shape ${fmtShape(shape.map((d) => d ?? -1))}, kernelSize ${fmtShape(this.kernelSize)}, strides ${fmtShape(this.strides)}, ` +
      `padding '${this.padding}', dilationRate ${fmtShape(this.dilationRate)}, dataFormat '${this.dataFormat}')`;
  }

  #pair(what: string, v: unknown): [number, number] {
    const p = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? v : null;
    if (!p || !p.every((d) => Number.isInteger(d) && d > 0)) {
      throw this.valueError(`${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
    }
    return [p[0], p[1]];
  }

  /** Index of the channel axis in a rank-4 shape. */
  protected get channelAxis(): 1 | 3 {
    return this.dataFormat === 'channelsFirst' ? 1 : 3;
  }

  /** Output channels for `inC` input channels. */
  protected abstract outChannels(inC: number): number;

  /** Input channels the layer's weights expect, once built. */
  protected abstract get builtChannels(): number | null;

  protected override checkInput(shape: SymbolicShape): void {
    if (shape.length !== 4) throw this.shapeError(`input must have rank 4, got rank ${shape.length} ${this.#describe(shape)}`);
    const c = shape[this.channelAxis];
    if (c === null) throw this.shapeError(`the channel dimension must be known ${this.#describe(shape)}`);
    const built = this.builtChannels;
    if (built !== null && c !== built) throw this.shapeError(`input has ${c} channels but the layer was built for ${built} ${this.#describe(shape)}`);
    const [h, w] = this.#spatial(shape);
    if ((h !== null && h <= 0) || (w !== null && w <= 0)) {
      throw this.shapeError(`the kernel does not fit the padded input: output would be ${h ?? '?'}x${w ?? '?'} ${this.#describe(shape)}`);
    }
  }

  #spatial(shape: SymbolicShape): [number | null, number | null] {
    const [h, w] = this.dataFormat === 'channelsFirst' ? [shape[2], shape[3]] : [shape[1], shape[2]];
    const out = (size: number | null, axis: 0 | 1): number | null =>
      size === null ? null : axisPadding(this.padding, axis, size, this.kernelSize[axis], this.strides[axis], this.dilationRate[axis])[1];
    return [out(h, 0), out(w, 1)];
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const [h, w] = this.#spatial(inputShape);
    const c = this.outChannels(inputShape[this.channelAxis] as number);
    return this.dataFormat === 'channelsFirst' ? [inputShape[0], c, h, w] : [inputShape[0], h, w, c];
  }

  /** The op options of this layer's convolution. */
  protected get convOptions(): Conv2dOptions {
    return {
      strides: this.strides, padding: this.padding, dilations: this.dilationRate,
      dataFormat: this.dataFormat === 'channelsFirst' ? 'NCHW' : 'NHWC',
    };
  }

  /** Convolution + bias + activation; softmax (not elementwise) after the fused pass. */
  protected convolve(x: Tensor, filter: Tensor, bias: Tensor | null, depthwise: boolean, options = this.convOptions): Tensor {
    const fused = this.activation === 'softmax' ? 'linear' : this.activation;
    const y = fusedConv2d(x, filter, { ...options, bias, activation: fused, depthwise });
    if (this.activation !== 'softmax') return y;
    if (this.dataFormat === 'channelsLast') return applyActivation('softmax', y);
    throw this.valueError("activation 'softmax' needs dataFormat 'channelsLast' (softmax runs over the last axis)");
  }

  protected commonConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: this.trainable, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding,
      dataFormat: this.dataFormat, dilationRate: this.dilationRate, activation: this.activation, useBias: this.useBias,
      biasInitializer: initializerConfig(this.#biasInit),
    };
  }

  protected withInputShape(config: Record<string, unknown>): Record<string, unknown> {
    return { ...config, ...(this.inputShape ? { inputShape: this.inputShape } : {}) };
  }
}

/**
 * 2-D convolution layer: y = activation(conv2d(x, kernel) + bias), kernel [kh, kw, inC, filters],
 * bias [filters]. Weights `<name>/kernel`, `<name>/bias` (Keras order).
 */
export class Conv2D extends ConvLayer {
  readonly filters: number;
  readonly #kernelInit: Initializer;
  #kernel: Variable | null = null;
  #bias: Variable | null = null;

  get className(): string {
    return 'Conv2D';
  }

  constructor(options: Conv2DOptions) {
    super(options, 'conv2d', 'Conv2D', ['filters', 'kernelInitializer']);
    this.filters = this.positive('filters', options.filters);
    this.#kernelInit = getInitializer(options.kernelInitializer, 'glorotUniform', `${this.label} kernelInitializer`);
  }

  protected outChannels(): number {
    return this.filters;
  }

  protected get builtChannels(): number | null {
    return this.#kernel ? this.#kernel.shape[2] : null;
  }

  protected build(inputShape: SymbolicShape): void {
    const inC = inputShape[this.channelAxis] as number;
    this.#kernel = this.addWeight('kernel', () => this.#kernelInit.apply([...this.kernelSize, inC, this.filters]), true);
    this.#bias = this.addBias(this.filters);
  }

  protected call(x: Tensor): Tensor {
    return this.convolve(x, this.#kernel as Variable, this.#bias, false);
  }

  getConfig(): Record<string, unknown> {
    return this.withInputShape({ ...this.commonConfig(), filters: this.filters, kernelInitializer: initializerConfig(this.#kernelInit) });
  }
}

/**
 * Depthwise 2-D convolution layer: each input channel c convolved with depthwise_kernel[:, :, c, m]
 * gives output channel c * depthMultiplier + m; then bias and activation. Weights
 * `<name>/depthwise_kernel` [kh, kw, inC, depthMultiplier], `<name>/bias` [inC * depthMultiplier].
 */
export class DepthwiseConv2D extends ConvLayer {
  readonly depthMultiplier: number;
  readonly #depthwiseInit: Initializer;
  #kernel: Variable | null = null;
  #bias: Variable | null = null;

  get className(): string {
    return 'DepthwiseConv2D';
  }

  constructor(options: DepthwiseConv2DOptions) {
    super(options, 'depthwise_conv2d', 'DepthwiseConv2D', ['depthMultiplier', 'depthwiseInitializer']);
    this.depthMultiplier = this.positive('depthMultiplier', options.depthMultiplier ?? 1);
    this.#depthwiseInit = getInitializer(options.depthwiseInitializer, 'glorotUniform', `${this.label} depthwiseInitializer`);
  }

  protected outChannels(inC: number): number {
    return inC * this.depthMultiplier;
  }

  protected get builtChannels(): number | null {
    return this.#kernel ? this.#kernel.shape[2] : null;
  }

  protected build(inputShape: SymbolicShape): void {
    const inC = inputShape[this.channelAxis] as number;
    this.#kernel = this.addWeight('depthwise_kernel', () => this.#depthwiseInit.apply([...this.kernelSize, inC, this.depthMultiplier]), true);
    this.#bias = this.addBias(inC * this.depthMultiplier);
  }

  protected call(x: Tensor): Tensor {
    return this.convolve(x, this.#kernel as Variable, this.#bias, true);
  }

  getConfig(): Record<string, unknown> {
    return this.withInputShape({
      ...this.commonConfig(), depthMultiplier: this.depthMultiplier, depthwiseInitializer: initializerConfig(this.#depthwiseInit),
    });
  }
}

/**
 * Separable 2-D convolution layer: a depthwise convolution (no bias), then a 1x1 convolution to
 * `filters` channels with bias and activation fused. Weights `<name>/depthwise_kernel`
 * [kh, kw, inC, depthMultiplier], `<name>/pointwise_kernel` [1, 1, inC * depthMultiplier, filters],
 * `<name>/bias` [filters] (Keras order).
 */
export class SeparableConv2D extends ConvLayer {
  readonly filters: number;
  readonly depthMultiplier: number;
  readonly #depthwiseInit: Initializer;
  readonly #pointwiseInit: Initializer;
  #depthwise: Variable | null = null;
  #pointwise: Variable | null = null;
  #bias: Variable | null = null;

  get className(): string {
    return 'SeparableConv2D';
  }

  constructor(options: SeparableConv2DOptions) {
    super(options, 'separable_conv2d', 'SeparableConv2D', ['filters', 'depthMultiplier', 'depthwiseInitializer', 'pointwiseInitializer']);
    this.filters = this.positive('filters', options.filters);
    this.depthMultiplier = this.positive('depthMultiplier', options.depthMultiplier ?? 1);
    this.#depthwiseInit = getInitializer(options.depthwiseInitializer, 'glorotUniform', `${this.label} depthwiseInitializer`);
    this.#pointwiseInit = getInitializer(options.pointwiseInitializer, 'glorotUniform', `${this.label} pointwiseInitializer`);
  }

  protected outChannels(): number {
    return this.filters;
  }

  protected get builtChannels(): number | null {
    return this.#depthwise ? this.#depthwise.shape[2] : null;
  }

  protected build(inputShape: SymbolicShape): void {
    const inC = inputShape[this.channelAxis] as number;
    const mid = inC * this.depthMultiplier;
    this.#depthwise = this.addWeight('depthwise_kernel', () => this.#depthwiseInit.apply([...this.kernelSize, inC, this.depthMultiplier]), true);
    this.#pointwise = this.addWeight('pointwise_kernel', () => this.#pointwiseInit.apply([1, 1, mid, this.filters]), true);
    this.#bias = this.addBias(this.filters);
  }

  protected call(x: Tensor): Tensor {
    const mid = fusedConv2d(x, this.#depthwise as Variable, { ...this.convOptions, depthwise: true });
    return this.convolve(mid, this.#pointwise as Variable, this.#bias, false, { dataFormat: this.convOptions.dataFormat });
  }

  getConfig(): Record<string, unknown> {
    return this.withInputShape({
      ...this.commonConfig(), filters: this.filters, depthMultiplier: this.depthMultiplier,
      depthwiseInitializer: initializerConfig(this.#depthwiseInit), pointwiseInitializer: initializerConfig(this.#pointwiseInit),
    });
  }
}
