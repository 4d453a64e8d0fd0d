/**
 * Batch normalization on the CPU: the reference twin of the WebGPU kernels
 * (`shaders/batchnorm_*.wgsl`). Plain loops, generic over Float32Array | Float64Array: every
 * output has the array type of `x`, so the same code run in float64 is the test reference.
 * Arithmetic happens in JS doubles; float32 outputs are rounded once, on store.
 *
 * Layout: x is row-major with shape `shape`; the channel axis `params.axis` (normalized,
 * 0 <= axis < rank) splits it into [outer, C, inner], outer = product of the dims before the
 * axis, inner = product of the dims after it. Each channel c owns n = outer * inner elements
 * x[(o * C + c) * inner + i]; no transpose is needed.
 */
import type { BatchNormParams } from '../backend.js';
import { ValueError, fmtShape } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';

export type FloatArray = Float32Array | Float64Array;

/** Moving statistics updated in place by `batchNormTrainCpu` (Keras momentum convention). */
export interface BatchNormCpuMoving {
  readonly mean: FloatArray;
  readonly variance: FloatArray;
  readonly momentum: number;
  readonly correction: 'biased' | 'unbiased';
  /** 1 element; set to 1 when the batch statistics are not finite, never cleared. */
  readonly flag: FloatArray;
}

export interface BatchNormCpuTrainResult<T extends FloatArray> {
  readonly y: T;
  readonly mean: T;
  readonly variance: T;
  readonly invStd: T;
}

export interface BatchNormCpuGradResult<T extends FloatArray> {
  readonly dx: T | null;
  readonly dgamma: T;
  readonly dbeta: T;
}

/** The [outer, C, inner] view of a shape around the channel axis. */
export interface ChannelView {
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
}

/**
 * Splits `shape` at `axis` into [outer, C, inner]. Throws a ValueError naming
 * batchNormalization and the shape when a channel would own no element (empty batch).
 */
export function channelView(shape: Shape, axis: number): ChannelView {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const channels = shape[axis];
  if (outer * inner === 0 || channels === 0) {
    throw new ValueError(
      `batchNormalization: empty batch, input shape ${fmtShape(shape)} has no element per channel on axis ${axis}`,
    );
  }
  return { outer, channels, inner };
}

function like<T extends FloatArray>(x: T, n: number): T {
  return (x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as T;
}

/**
 * Unbiased-variance factor n / (n - 1). With n = 1 it is undefined (tf.keras' fused path
 * gives inf * 0 = NaN and poisons the moving variance); wgnn uses 1 instead, so a
 * one-value batch pulls the moving variance toward 0 exactly as the default 'biased' mode does.
 */
export function varianceCorrection(correction: 'biased' | 'unbiased', n: number): number {
  return correction === 'unbiased' && n > 1 ? n / (n - 1) : 1;
}

/**
 * Training-mode forward. Per channel, over its n elements:
 *
 *     mean = sum(x) / n,  variance = sum((x - mean)^2) / n   (biased, two passes)
 *     invStd = 1 / sqrt(variance + eps)
 *     scale = gamma * invStd,  shift = beta - mean * scale,  y = x * scale + shift
 *
 * One value per channel gives variance 0 and y = beta (Keras). gamma/beta null mean 1/0.
 * With `moving`, when every batch mean and variance is finite:
 *
 *     moving.mean     = m * moving.mean     + (1 - m) * mean
 *     moving.variance = m * moving.variance + (1 - m) * variance * k,  k = varianceCorrection(...)
 *
 * otherwise the moving statistics are left unchanged and moving.flag[0] = 1.
 */
export function batchNormTrainCpu<T extends FloatArray>(
  x: T, shape: Shape, params: BatchNormParams, gamma: FloatArray | null, beta: FloatArray | null,
  moving: BatchNormCpuMoving | null,
): BatchNormCpuTrainResult<T> {
  const { outer, channels: C, inner } = channelView(shape, params.axis);
  const n = outer * inner;
  const mean = like(x, C);
  const variance = like(x, C);
  const invStd = like(x, C);
  const meanD = new Float64Array(C);
  const varD = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) s += x[base + i];
    }
    const mu = s / n;
    let m2 = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) m2 += (x[base + i] - mu) ** 2;
    }
    meanD[c] = mu;
    varD[c] = m2 / n;
    mean[c] = mu;
    variance[c] = m2 / n;
    invStd[c] = 1 / Math.sqrt(varD[c] + params.epsilon);
  }
  const y = applyAffine(x, { outer, channels: C, inner }, meanD, invStd, gamma, beta);
  if (moving) updateMoving(moving, meanD, varD, n);
  return { y, mean, variance, invStd };
}

function updateMoving(moving: BatchNormCpuMoving, mean: Float64Array, variance: Float64Array, n: number): void {
  const finite = mean.every(Number.isFinite) && variance.every(Number.isFinite);
  if (!finite) {
    moving.flag[0] = 1;
    return;
  }
  const m = moving.momentum;
  const k = varianceCorrection(moving.correction, n);
  for (let c = 0; c < mean.length; c++) {
    moving.mean[c] = m * moving.mean[c] + (1 - m) * mean[c];
    moving.variance[c] = m * moving.variance[c] + (1 - m) * variance[c] * k;
  }
}

/**
 * y = (x - mean) * scale + beta per channel, scale = gamma * invStd: the form the WebGPU kernels
 * use (x - mean first, so a large mean does not cancel y; see shaders/batchnorm_apply.wgsl).
 */
function applyAffine<T extends FloatArray>(
  x: T, view: ChannelView, mean: ArrayLike<number>, invStd: ArrayLike<number>,
  gamma: FloatArray | null, beta: FloatArray | null,
): T {
  const { outer, channels: C, inner } = view;
  const y = like(x, x.length);
  for (let c = 0; c < C; c++) {
    const scale = (gamma ? gamma[c] : 1) * invStd[c];
    const b = beta ? beta[c] : 0;
    const mu = mean[c];
    for (let o = 0; o < outer; o++) {
      const base = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) y[base + i] = (x[base + i] - mu) * scale + b;
    }
  }
  return y;
}

/**
 * Inference-mode forward with given statistics (an affine map per channel):
 *
 *     y = (x - mean) * scale + beta,  scale = gamma / sqrt(variance + eps)
 */
export function batchNormInferCpu<T extends FloatArray>(
  x: T, shape: Shape, params: BatchNormParams, mean: FloatArray, variance: FloatArray,
  gamma: FloatArray | null, beta: FloatArray | null,
): T {
  const view = channelView(shape, params.axis);
  const invStd = new Float64Array(view.channels);
  for (let c = 0; c < view.channels; c++) invStd[c] = 1 / Math.sqrt(variance[c] + params.epsilon);
  return applyAffine(x, view, mean, invStd, gamma, beta);
}

/**
 * Backward of the training-mode forward (SEMANTICS.md section 7), per channel with n elements
 * and xhat = (x - mean) * invStd:
 *
 *     dbeta  = sum(dy)
 *     dgamma = sum(dy * xhat)
 *     dx     = gamma * invStd / n * (n * dy - dbeta - xhat * dgamma)
 */
export function batchNormGradCpu<T extends FloatArray>(
  dy: T, x: FloatArray, shape: Shape, params: BatchNormParams, mean: FloatArray, invStd: FloatArray,
  gamma: FloatArray | null, needDx = true,
): BatchNormCpuGradResult<T> {
  const { outer, channels: C, inner } = channelView(shape, params.axis);
  const n = outer * inner;
  const dx = needDx ? like(dy, dy.length) : null;
  const dgamma = like(dy, C);
  const dbeta = like(dy, C);
  for (let c = 0; c < C; c++) {
    const mu = mean[c];
    const is = invStd[c];
    let sdy = 0;
    let sdyx = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) {
        sdy += dy[base + i];
        sdyx += dy[base + i] * (x[base + i] - mu) * is;
      }
    }
    dbeta[c] = sdy;
    dgamma[c] = sdyx;
    if (!dx) continue;
    const k = ((gamma ? gamma[c] : 1) * is) / n;
    for (let o = 0; o < outer; o++) {
      const base = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) {
        const xhat = (x[base + i] - mu) * is;
        dx[base + i] = k * (n * dy[base + i] - sdy - xhat * sdyx);
      }
    }
  }
  return { dx, dgamma, dbeta };
}
