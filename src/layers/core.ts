/** Dense, Activation and Dropout layers. */
import { fmtShape } from '../core/errors.js';
import type { Tensor, Variable } from '../core/tensor.js';
import { randomUniform } from '../ops/creation.js';
import { add, div, mul, step, sub } from '../ops/elementwise.js';
import { matmulBiasActivation } from '../ops/matmul.js';
import { reshape } from '../ops/movement.js';
import { applyActivation, checkActivation, type ActivationName } from './activations.js';
import { getInitializer, initializerConfig, type Initializer, type InitializerConfig, type InitializerName } from './initializers.js';
import { BASE_OPTIONS, Layer, checkOptions, type LayerOptions, type SymbolicShape } from './layer.js';
import { checkRegularizer, penalty, type RegularizerConfig } from './regularizers.js';

export interface DenseOptions extends LayerOptions {
  readonly units: number;
  readonly activation?: ActivationName;
  readonly useBias?: boolean;
  /** Default 'glorotUniform' (unseeded); pass `{ name: 'glorotUniform', seed }` for reproducible weights. */
  readonly kernelInitializer?: InitializerName | InitializerConfig;
  readonly biasInitializer?: InitializerName | InitializerConfig;
  /** L1/L2 penalty on the kernel, added to the training loss (Keras `kernel_regularizer`). */
  readonly kernelRegularizer?: RegularizerConfig;
  /** L1/L2 penalty on the bias. */
  readonly biasRegularizer?: RegularizerConfig;
}

const DENSE_OPTIONS = [...BASE_OPTIONS, 'units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer'];

/**
 * Fully connected layer: y = activation(x @ kernel + bias), x: [..., in], kernel: [in, units],
 * bias: [units], y: [..., units]. Weights `<name>/kernel`, `<name>/bias` (Keras order).
 */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly #kernelInit: Initializer;
  readonly #biasInit: Initializer;
  readonly #kernelReg: Required<RegularizerConfig> | null;
  readonly #biasReg: Required<RegularizerConfig> | null;
  #kernel: Variable | null = null;
  #bias: Variable | null = null;

  get className(): string {
    return 'Dense';
  }

  constructor(options: DenseOptions) {
    super(options, 'dense');
    checkOptions(this.name, 'Dense', options, DENSE_OPTIONS);
    if (!Number.isInteger(options.units) || options.units <= 0) {
      throw this.valueError(`units must be a positive integer, got ${String(options.units)}`);
    }
    this.units = options.units;
    this.activation = checkActivation(options.activation, this.label);
    this.useBias = options.useBias ?? true;
    this.#kernelInit = getInitializer(options.kernelInitializer, 'glorotUniform', `${this.label} kernelInitializer`);
    this.#biasInit = getInitializer(options.biasInitializer, 'zeros', `${this.label} biasInitializer`);
    this.#kernelReg = checkRegularizer(options.kernelRegularizer, `${this.label} kernelRegularizer`);
    this.#biasReg = checkRegularizer(options.biasRegularizer, `${this.label} biasRegularizer`);
  }

  override regularizationLosses(): Tensor[] {
    const out: Tensor[] = [];
    for (const [r, w] of [[this.#kernelReg, this.#kernel], [this.#biasReg, this.#bias]] as const) {
      const p = r && w && w.trainable ? penalty(r, w) : null;
      if (p) out.push(p);
    }
    return out;
  }

  protected override checkInput(shape: SymbolicShape): void {
    if (shape.length < 2) throw this.shapeError(`input must have rank >= 2 ([batch, features]), got ${fmtShape(shape.map((d) => d ?? -1))}`);
    const built = this.builtShape;
    const last = shape[shape.length - 1];
    if (built && last !== built[built.length - 1]) {
      throw this.shapeError(
        `input has ${last} features on axis -1 but the layer was built for ${built[built.length - 1]} (input shape ${fmtShape(shape.map((d) => d ?? -1))})`,
      );
    }
  }

  protected build(inputShape: SymbolicShape): void {
    const inDim = inputShape[inputShape.length - 1] as number;
    this.#kernel = this.addWeight('kernel', () => this.#kernelInit.apply([inDim, this.units]), true);
    if (this.useBias) this.#bias = this.addWeight('bias', () => this.#biasInit.apply([this.units]), true);
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  protected call(x: Tensor, _training: boolean): Tensor {
    const kernel = this.#kernel as Variable;
    const flat = x.rank === 2 ? x : reshape(x, [-1, x.shape[x.rank - 1]]);
    // Product, bias and activation in one backend call (one dispatch on WebGPU); softmax, a
    // reduction over the row, runs after it.
    const softmax = this.activation === 'softmax';
    let y = matmulBiasActivation(flat, kernel, this.#bias, softmax ? 'linear' : this.activation);
    if (x.rank !== 2) y = reshape(y, [...x.shape.slice(0, -1), this.units]);
    return softmax ? applyActivation('softmax', y) : y;
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: this.trainable, units: this.units, activation: this.activation, useBias: this.useBias,
      kernelInitializer: initializerConfig(this.#kernelInit), biasInitializer: initializerConfig(this.#biasInit),
      ...(this.#kernelReg ? { kernelRegularizer: this.#kernelReg } : {}), ...(this.#biasReg ? { biasRegularizer: this.#biasReg } : {}),
      ...(this.inputShape ? { inputShape: this.inputShape } : {}),
    };
  }
}

export interface ActivationOptions extends LayerOptions {
  readonly activation: ActivationName;
}

/** Applies an activation function elementwise (softmax over the last axis). No weights. */
export class Activation extends Layer {
  readonly activation: ActivationName;

  get className(): string {
    return 'Activation';
  }

  constructor(options: ActivationOptions) {
    super(options, 'activation');
    checkOptions(this.name, 'Activation', options, [...BASE_OPTIONS, 'activation']);
    this.activation = checkActivation(options.activation, this.label);
  }

  protected build(): void {}

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  protected call(x: Tensor): Tensor {
    return applyActivation(this.activation, x);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, activation: this.activation, ...(this.inputShape ? { inputShape: this.inputShape } : {}) };
  }
}

export interface DropoutOptions extends LayerOptions {
  /** Fraction of inputs set to 0 in training mode, in [0, 1). */
  readonly rate: number;
  /** Seed of the first call's mask; later calls use seed + 1, seed + 2, ... */
  readonly seed?: number;
}

/**
 * Inverted dropout: in training mode y = x * mask / (1 - rate) with mask ~ Bernoulli(1 - rate);
 * in inference mode y = x.
 */
export class Dropout extends Layer {
  readonly rate: number;
  readonly seed: number | undefined;
  #calls = 0;

  get className(): string {
    return 'Dropout';
  }

  constructor(options: DropoutOptions) {
    super(options, 'dropout');
    checkOptions(this.name, 'Dropout', options, [...BASE_OPTIONS, 'rate', 'seed']);
    if (typeof options.rate !== 'number' || !(options.rate >= 0 && options.rate < 1)) {
      throw this.valueError(`rate must be a number in [0, 1), got ${String(options.rate)}`);
    }
    this.rate = options.rate;
    this.seed = options.seed;
  }

  protected build(): void {}

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  protected call(x: Tensor, training: boolean): Tensor {
    if (!training || this.rate === 0) return x;
    const seed = this.seed === undefined ? undefined : this.seed + this.#calls++;
    const keep = step(sub(randomUniform(x.shape, { seed }), this.rate));
    return div(mul(x, keep), 1 - this.rate);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, rate: this.rate, ...(this.seed === undefined ? {} : { seed: this.seed }), ...(this.inputShape ? { inputShape: this.inputShape } : {}) };
  }
}
