/**
 * BatchNormalization, Keras 3 semantics (SEMANTICS.md): training mode only when the call is in
 * training mode AND the layer is trainable; moving statistics updated on the device by the fused
 * kernel; `trainable = false` means inference mode with frozen gamma/beta/statistics.
 */
import { NonFiniteError, fmtShape } from '../core/errors.js';
import type { Tensor, Variable } from '../core/tensor.js';
import { fill, variable } from '../ops/creation.js';
import { batchNormInfer, batchNormTrain, type MovingStats } from '../ops/batchnorm.js';
import { getInitializer, initializerConfig, type Initializer, type InitializerConfig, type InitializerName } from './initializers.js';
import { BASE_OPTIONS, Layer, checkOptions, type LayerOptions, type SymbolicShape } from './layer.js';
import { currentStep, type StepContext } from './step_context.js';

/** An initializer by name, or with its configuration. */
export type Init = InitializerName | InitializerConfig;

export interface BatchNormalizationOptions extends LayerOptions {
  /** Channel axis (default -1). */
  readonly axis?: number;
  /** Moving-average momentum in [0, 1] (default 0.99): m = momentum * m + (1 - momentum) * batch. */
  readonly momentum?: number;
  /** Added to the variance, finite and >= 0 (default 1e-3, no clamp). */
  readonly epsilon?: number;
  /** Learn beta (default true). */
  readonly center?: boolean;
  /** Learn gamma (default true). */
  readonly scale?: boolean;
  /** Variance stored in movingVariance: 'biased' (Keras 3, default) or 'unbiased' (n / (n - 1)). */
  readonly movingVarianceCorrection?: 'biased' | 'unbiased';
  readonly betaInitializer?: Init;
  readonly gammaInitializer?: Init;
  readonly movingMeanInitializer?: Init;
  readonly movingVarianceInitializer?: Init;
}

const BN_OPTIONS = [
  ...BASE_OPTIONS, 'axis', 'momentum', 'epsilon', 'center', 'scale', 'movingVarianceCorrection',
  'betaInitializer', 'gammaInitializer', 'movingMeanInitializer', 'movingVarianceInitializer',
];

/** Host-side view of the moving statistics, refreshed whenever a model reads back. */
export interface MovingSnapshot {
  readonly mean: Float32Array;
  readonly variance: Float32Array;
  /** Training-mode updates issued since these values were read (0 = current). */
  readonly staleUpdates: number;
}

/**
 * y = gamma * (x - mu) / sqrt(var + epsilon) + beta per channel of `axis`. Weights in Keras
 * order: gamma [C] (if scale), beta [C] (if center), moving_mean [C], moving_variance [C].
 */
export class BatchNormalization extends Layer {
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly movingVarianceCorrection: 'biased' | 'unbiased';
  readonly #inits: { beta: Initializer; gamma: Initializer; mean: Initializer; variance: Initializer };
  #gamma: Variable | null = null;
  #beta: Variable | null = null;
  #movingMean: Variable | null = null;
  #movingVariance: Variable | null = null;
  #eagerFlag: Variable | null = null;
  #eagerUpdates = 0;
  #warnedSingle = false;
  #snapshot: { mean: Float32Array; variance: Float32Array } | null = null;
  #staleUpdates = 0;

  get className(): string {
    return 'BatchNormalization';
  }

  constructor(options: BatchNormalizationOptions = {}) {
    super(options, 'batch_normalization');
    checkOptions(this.name, 'BatchNormalization', options, BN_OPTIONS);
    const { axis = -1, momentum = 0.99, epsilon = 1e-3, center = true, scale = true } = options;
    if (!Number.isInteger(axis)) throw this.valueError(`axis must be an integer, got ${String(axis)}`);
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw this.valueError(`momentum must be in [0, 1], got ${String(momentum)}`);
    if (typeof epsilon !== 'number' || !(epsilon >= 0) || !Number.isFinite(epsilon)) {
      throw this.valueError(`epsilon must be a finite number >= 0, got ${String(epsilon)}`);
    }
    if (typeof center !== 'boolean' || typeof scale !== 'boolean') throw this.valueError('center and scale must be booleans');
    const corr = options.movingVarianceCorrection ?? 'biased';
    if (corr !== 'biased' && corr !== 'unbiased') {
      throw this.valueError(`movingVarianceCorrection must be 'biased' or 'unbiased', got ${JSON.stringify(corr)}`);
    }
    this.axis = axis;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.center = center;
    this.scale = scale;
    this.movingVarianceCorrection = corr;
    const get = (spec: Init | undefined, d: InitializerName, what: string) => getInitializer(spec, d, `${this.label} ${what}`);
    this.#inits = {
      beta: get(options.betaInitializer, 'zeros', 'betaInitializer'),
      gamma: get(options.gammaInitializer, 'ones', 'gammaInitializer'),
      mean: get(options.movingMeanInitializer, 'zeros', 'movingMeanInitializer'),
      variance: get(options.movingVarianceInitializer, 'ones', 'movingVarianceInitializer'),
    };
  }

  /** The scale variable (after build; null with `scale: false`). TF.js / Keras `gamma`. */
  get gamma(): Variable | null {
    return this.#gamma;
  }

  /** The offset variable (after build; null with `center: false`). TF.js / Keras `beta`. */
  get beta(): Variable | null {
    return this.#beta;
  }

  /** The moving statistics variables (after build). */
  get movingMean(): Variable | null {
    return this.#movingMean;
  }

  get movingVariance(): Variable | null {
    return this.#movingVariance;
  }

  /** 'training-capable' when trainable (fit / training calls use batch statistics), else 'frozen (inference)'. */
  get mode(): 'training-capable' | 'frozen (inference)' {
    return this.trainable ? 'training-capable' : 'frozen (inference)';
  }

  #channelAxis(rank: number): number {
    return this.axis < 0 ? this.axis + rank : this.axis;
  }

  protected override checkInput(shape: SymbolicShape): void {
    const shown = fmtShape(shape.map((d) => d ?? -1));
    const built = this.builtShape;
    const a = this.#channelAxis(shape.length);
    if (a < 0 || a >= shape.length) throw this.shapeError(`axis ${this.axis} is out of range for input shape ${shown} (rank ${shape.length})`);
    if (built && built.length !== shape.length) {
      throw this.shapeError(`input has rank ${shape.length} (input shape ${shown}) but the layer was built for rank ${built.length}`);
    }
    if (built && shape[a] !== built[this.#channelAxis(built.length)]) {
      throw this.shapeError(
        `input has ${shape[a]} channels on axis ${this.axis} but the layer was built for ${built[this.#channelAxis(built.length)]} (input shape ${shown})`,
      );
    }
    if (shape.some((d) => d === 0)) throw this.valueError(`empty batch (input shape ${shown}); nothing to normalize`);
    if (shape[a] === null) throw this.shapeError(`the channel axis ${this.axis} must have a known size (input shape ${shown})`);
  }

  protected build(inputShape: SymbolicShape): void {
    const c = inputShape[this.#channelAxis(inputShape.length)] as number;
    if (this.scale) this.#gamma = this.addWeight('gamma', () => this.#inits.gamma.apply([c]), true);
    if (this.center) this.#beta = this.addWeight('beta', () => this.#inits.beta.apply([c]), true);
    this.#movingMean = this.addWeight('moving_mean', () => this.#inits.mean.apply([c]), false);
    this.#movingVariance = this.addWeight('moving_variance', () => this.#inits.variance.apply([c]), false);
    const constant = (i: Initializer, v: number) => (i.name === 'zeros' ? 0 : i.name === 'ones' ? 1 : v);
    const m = constant(this.#inits.mean, NaN);
    const v = constant(this.#inits.variance, NaN);
    this.#snapshot = Number.isNaN(m + v) ? null : { mean: new Float32Array(c).fill(m), variance: new Float32Array(c).fill(v) };
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  protected call(x: Tensor, training: boolean): Tensor {
    const opts = { axis: this.axis, epsilon: this.epsilon, gamma: this.#gamma, beta: this.#beta };
    const mm = this.#movingMean as Variable;
    const mv = this.#movingVariance as Variable;
    // SEMANTICS.md section 5: a non-trainable BN layer always runs in inference mode.
    if (!(training && this.trainable)) return batchNormInfer(x, mm, mv, opts);
    const c = x.shape[this.#channelAxis(x.rank)];
    if (x.size / c === 1) this.#warnSingleValue(x.shape);
    const step = currentStep();
    const moving = step ? this.#pendingTargets(step) : this.#eagerTargets();
    const r = batchNormTrain(x, opts, moving);
    r.mean.dispose();
    r.variance.dispose();
    r.invStd.dispose();
    this.#staleUpdates++;
    return r.y;
  }

  /** Inside fit: the kernel updates copies, committed by the model only if the step is finite. */
  #pendingTargets(step: StepContext): MovingStats {
    const mm = this.#movingMean as Variable;
    const mv = this.#movingVariance as Variable;
    const find = (t: Variable) => step.commits.find((p) => p.target === t)?.pending;
    const pending = (t: Variable): Variable => {
      const existing = find(t);
      if (existing) return existing;
      let p = step.reuse?.get(t);
      if (!p) {
        p = variable(t, { name: `${t.name}/pending`, trainable: false });
        step.reuse?.set(t, p);
      }
      step.commits.push({ target: t, pending: p });
      return p;
    };
    return { mean: pending(mm), variance: pending(mv), momentum: this.momentum, correction: this.movingVarianceCorrection, flag: step.flag };
  }

  /** Eager training call: in-place update; non-finite statistics set this layer's flag instead. */
  #eagerTargets(): MovingStats {
    this.#eagerFlag ??= variable(fill([1], 0), { name: `${this.name}/nonfinite_flag`, trainable: false });
    this.#eagerUpdates++;
    return {
      mean: this.#movingMean as Variable, variance: this.#movingVariance as Variable, momentum: this.momentum,
      correction: this.movingVarianceCorrection, flag: this.#eagerFlag,
    };
  }

  #warnSingleValue(shape: readonly number[]): void {
    if (this.#warnedSingle) return;
    this.#warnedSingle = true;
    console.warn(
      `${this.label}: training-mode call with one value per channel (input shape ${fmtShape(shape)}): as in Keras, ` +
        'the batch variance is 0, the output equals beta and the moving variance is pulled toward 0. ' +
        'Use a batch size >= 2, or fit({ dropRemainder: true }) to drop a last batch of one row. (Shown once per layer.)',
    );
  }

  /**
   * Reports non-finite batch statistics seen by eager training calls (`layer.apply(x, {training:
   * true})`) since the last check: the moving statistics were left unchanged on the device, and
   * this throws a NonFiniteError (then clears the flag). Models call it at the start of
   * `fit`/`evaluate`; it reads back only when an eager training call happened.
   */
  async checkStatistics(): Promise<void> {
    if (this.#eagerUpdates === 0 || this.#eagerFlag === null) return;
    const calls = this.#eagerUpdates;
    this.#eagerUpdates = 0;
    const [flag] = await this.#eagerFlag.data();
    if (flag === 0) return;
    const zero = fill([1], 0);
    this.#eagerFlag.assign(zero);
    zero.dispose();
    throw new NonFiniteError(
      `${this.label}: one of the last ${calls} training-mode call(s) had NaN/Inf batch statistics; ` +
        'the moving statistics were not updated by that call',
    );
  }

  /** @internal Called by models after a readback of the moving statistics. */
  setSnapshot(mean: Float32Array, variance: Float32Array): void {
    this.#snapshot = { mean, variance };
    this.#staleUpdates = 0;
  }

  /** @internal Marks the host snapshot unknown (after setWeights). */
  override setWeights(values: readonly Tensor[]): void {
    super.setWeights(values);
    this.#snapshot = null;
  }

  /** The last known moving statistics on the host (null before any readback when unknown). */
  get snapshot(): MovingSnapshot | null {
    return this.#snapshot && { ...this.#snapshot, staleUpdates: this.#staleUpdates };
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: this.trainable, axis: this.axis, momentum: this.momentum, epsilon: this.epsilon,
      center: this.center, scale: this.scale, movingVarianceCorrection: this.movingVarianceCorrection,
      betaInitializer: initializerConfig(this.#inits.beta), gammaInitializer: initializerConfig(this.#inits.gamma),
      movingMeanInitializer: initializerConfig(this.#inits.mean), movingVarianceInitializer: initializerConfig(this.#inits.variance),
      ...(this.inputShape ? { inputShape: this.inputShape } : {}),
    };
  }
}
