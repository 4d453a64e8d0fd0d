/**
 * The Backend interface: everything an op needs from a device. Small on purpose: elementwise
 * maps, broadcasting binaries, reductions, matmul, data movement, and the named fused kernels
 * of the hot path (batch normalization, optimizer updates). Layouts are always row-major and
 * contiguous; shapes are validated by the ops before they reach a backend.
 *
 * A backend owns opaque data handles. Handles are created by `upload` or by a kernel, read by
 * `read`, and released by `free`; the engine counts references, so a backend never sees a
 * handle freed twice.
 */
import type { Shape } from '../core/shape.js';

/** An opaque piece of device memory holding float32 values (or float64 on the CPU reference). */
export type DataHandle = { readonly __brand?: 'DataHandle' } & object;

/** A handle with the shape it is read as. */
export interface TensorInfo {
  readonly handle: DataHandle;
  readonly shape: Shape;
}

/**
 * An operand of `binary`: a tensor, or a number taken as a float32 scalar (passed by value, no
 * device buffer and no fill: `x * 2`, `dy / n` are one kernel each). At least one operand of a
 * call is a tensor.
 */
export type Operand = TensorInfo | number;

/** A handle with its element count. */
export interface Sized {
  readonly handle: DataHandle;
  readonly size: number;
}

/** `dst <- src` over `size` elements. */
export interface AssignPair {
  readonly dst: DataHandle;
  readonly src: DataHandle;
  readonly size: number;
}

export type UnaryOp =
  | 'neg' | 'abs' | 'square' | 'sqrt' | 'rsqrt' | 'exp' | 'log' | 'relu' | 'sigmoid' | 'tanh'
  | 'reciprocal' | 'sign' | 'step';
export const UNARY_OPS: readonly UnaryOp[] = [
  'neg', 'abs', 'square', 'sqrt', 'rsqrt', 'exp', 'log', 'relu', 'sigmoid', 'tanh', 'reciprocal', 'sign', 'step',
];

/** Comparisons return 1 or 0 as float32. */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' | 'pow'
  | 'greater' | 'greaterEqual' | 'less' | 'lessEqual' | 'equal';
export const BINARY_OPS: readonly BinaryOp[] = [
  'add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'greater', 'greaterEqual', 'less', 'lessEqual', 'equal',
];

export type ReduceOp = 'sum' | 'max' | 'min';

/** Options of the batch-normalization kernels; `axis` is already normalized (0 <= axis < rank). */
export interface BatchNormParams {
  readonly axis: number;
  readonly epsilon: number;
}

/** How the training forward updates the moving statistics (Keras momentum convention). */
export interface MovingUpdate {
  /** Updated in place: `m = momentum * m + (1 - momentum) * batchMean`. */
  readonly mean: DataHandle;
  /** Updated in place with the biased or unbiased (n / (n - 1)) batch variance. */
  readonly variance: DataHandle;
  readonly momentum: number;
  readonly correction: 'biased' | 'unbiased';
  /**
   * A 1-element flag handle. When the batch statistics are not finite, the moving statistics
   * are left as they were and flag[0] is set to 1 (it is never cleared by a kernel).
   */
  readonly flag: DataHandle;
}

/** What a training-mode forward leaves for the backward pass and the caller. */
export interface BatchNormTrainResult {
  /** Normalized output, same shape as x. */
  readonly y: DataHandle;
  /** Batch mean per channel, [C]. */
  readonly mean: DataHandle;
  /** Biased batch variance per channel, [C]. */
  readonly variance: DataHandle;
  /** 1 / sqrt(variance + epsilon) per channel, [C]. */
  readonly invStd: DataHandle;
}

export interface BatchNormGradResult {
  /** null when the caller passed `needDx = false` (no dx pass ran). */
  readonly dx: DataHandle | null;
  /** sum(dy * xhat) per channel, [C]. */
  readonly dgamma: DataHandle;
  /** sum(dy) per channel, [C]. */
  readonly dbeta: DataHandle;
}

/** One weight of `optimizerStepAll`: weight, gradient and slots (as `optimizerStep`), `size` elements. */
export interface OptimizerItem {
  readonly weight: DataHandle;
  readonly grad: DataHandle;
  readonly slots: readonly DataHandle[];
  readonly size: number;
}

/** Hyper-parameters of the fused optimizer kernels (Keras 3 formulas, SEMANTICS.md section 6). */
export type OptimizerUpdate =
  | { readonly kind: 'sgd'; readonly learningRate: number; readonly momentum: number }
  | { readonly kind: 'rmsprop'; readonly learningRate: number; readonly rho: number; readonly epsilon: number }
  | {
      readonly kind: 'adam'; readonly learningRate: number; readonly beta1: number; readonly beta2: number;
      readonly epsilon: number; /** 1-based step count. */ readonly step: number;
    };

/**
 * Geometry of a 2-D pooling (already validated by the op). x is [batch, inH, inW, channels]
 * (channelsFirst false, NHWC) or [batch, channels, inH, inW] (NCHW); the output has outH x outW.
 * Window (oy, ox) covers rows oy * strideH - padTop + [0, poolH) and the columns alike; cells
 * outside the input are skipped (max ignores them, avg divides by the valid count only).
 */
export interface PoolParams {
  readonly mode: 'max' | 'avg';
  readonly batch: number;
  readonly channels: number;
  readonly channelsFirst: boolean;
  readonly inH: number;
  readonly inW: number;
  readonly outH: number;
  readonly outW: number;
  readonly poolH: number;
  readonly poolW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/**
 * The geometry of a 2-D convolution, normalized by the op: every size, the padding before each
 * spatial axis (TensorFlow 'same' rule already applied) and the layout. For a depthwise
 * convolution outC = inC * multiplier and output channel c * multiplier + m reads input channel c.
 */
export interface Conv2dInfo {
  readonly batch: number;
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly outH: number;
  readonly outW: number;
  readonly outC: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padTop: number;
  readonly padLeft: number;
  /** NCHW when true, NHWC otherwise (input, output and their gradients alike). */
  readonly channelsFirst: boolean;
  /** Depthwise channel multiplier; 1 for a full convolution (unused there). */
  readonly multiplier: number;
}

/** The activations a convolution fuses into its output pass. */
export type ConvActivation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh';
export const CONV_ACTIVATIONS: readonly ConvActivation[] = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh'];

export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  /** Human-readable description of the device (adapter vendor/architecture on WebGPU). */
  readonly description: string;

  /** Copies values to a new handle of `values.length` elements. */
  upload(values: Float32Array | Float64Array): DataHandle;
  /** Reads a handle back (the only GPU -> CPU transfer). */
  read(handle: DataHandle, size: number): Promise<Float32Array>;
  /** Releases a handle; its memory may be reused. */
  free(handle: DataHandle): void;
  /** New handle with `size` copies of `value`. */
  fill(size: number, value: number): DataHandle;
  /** Copy of `size` elements of a handle. */
  copy(x: DataHandle, size: number): DataHandle;
  /**
   * Overwrites `dst` with `src` (same size), in place. With a `guard` (1-element flag handle),
   * the copy happens on the device only when guard[0] == 0, with no readback.
   */
  assign(dst: DataHandle, src: DataHandle, size: number, guard?: DataHandle): void;
  /** Sets flag[0] = 1 when any of the `size` values of x is NaN or +-Inf (never clears it). */
  checkFinite(x: DataHandle, size: number, flag: DataHandle): void;
  /** `checkFinite` over several handles (one dispatch per 6 on WebGPU); flag is none of them. */
  checkFiniteAll(xs: readonly Sized[], flag: DataHandle): void;
  /** `assign(dst, src, size, guard)` for every pair, under one guard (one dispatch per 3 on WebGPU). */
  assignAll(pairs: readonly AssignPair[], guard: DataHandle): void;
  /**
   * One step's share of a fit epoch's device sums (`sums` has 3 elements): sums[0] += loss[0] * rows,
   * sums[1] += correct[0] * rows (when `correct` is given), sums[2] += flag[0].
   */
  accumulateStep(sums: DataHandle, loss: DataHandle, correct: DataHandle | null, flag: DataHandle, rows: number): void;
  /** Number of device buffers alive (pooled ones excluded); 0 on the CPU. */
  bufferCount(): number;
  /** Submits pending work and resolves when the device has finished it. */
  sync(): Promise<void>;

  unary(op: UnaryOp, x: TensorInfo): DataHandle;
  /**
   * Broadcasting binary op: a and b (tensors or scalars by value) are broadcast to `outShape`,
   * which may be larger than their broadcast shape (`binary('add', x, 0, shape)` is broadcastTo).
   */
  binary(op: BinaryOp, a: Operand, b: Operand, outShape: Shape): DataHandle;
  /** `cond != 0 ? a : b`, all three broadcast to `outShape`. */
  where(cond: TensorInfo, a: TensorInfo, b: TensorInfo, outShape: Shape): DataHandle;
  /**
   * Reduces over `axes` (sorted, unique, may be empty); output holds the kept axes in order. With
   * a `divisor` (sum only), every output is divided by it in the same pass: mean is one dispatch.
   */
  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[], divisor?: number): DataHandle;
  /** Index of the largest value along `axis` (first one on ties), as float32. */
  argMax(x: TensorInfo, axis: number): DataHandle;
  /**
   * Batched matrix product. a: [...batchA, M, K] (or [..., K, M] when transposeA),
   * b: [...batchB, K, N] (or [..., N, K]); batch dims broadcast to `outShape`'s leading dims.
   */
  matmul(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, outShape: Shape): DataHandle;
  /** Permutes axes: output axis i is input axis perm[i]. */
  transpose(x: TensorInfo, perm: readonly number[]): DataHandle;
  /** Contiguous sub-block starting at `begin` with extent `size`. */
  slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): DataHandle;
  /** Rows of x along axis 0 picked by `indices` (values in [0, x.shape[0])). */
  gather(x: TensorInfo, indices: Int32Array): DataHandle;
  /** `[gather(x, indices), gather(y, indices)]` (a batch's inputs and targets; one dispatch on WebGPU). */
  gatherPair(x: TensorInfo, y: TensorInfo, indices: Int32Array): [DataHandle, DataHandle];
  /** Concatenation along `axis` of tensors equal in every other dimension. */
  concat(xs: readonly TensorInfo[], axis: number, outShape: Shape): DataHandle;
  /** One-hot rows: indices [N] -> [N, depth]; out-of-range indices give a zero row. */
  oneHot(indices: TensorInfo, depth: number): DataHandle;

  /**
   * Training-mode batch normalization forward: batch statistics over every axis but
   * `params.axis`, y = (x - mean) * scale + beta with scale = gamma * invStd.
   * gamma/beta null mean 1/0. When `moving` is given, the moving statistics are updated in place
   * on the device, except when the batch statistics are not finite (then they are left alone).
   */
  batchNormTrain(
    x: TensorInfo, params: BatchNormParams, gamma: DataHandle | null, beta: DataHandle | null,
    moving: MovingUpdate | null,
  ): BatchNormTrainResult;
  /** Inference-mode batch normalization with given statistics: one elementwise pass. */
  batchNormInfer(
    x: TensorInfo, params: BatchNormParams, mean: DataHandle, variance: DataHandle,
    gamma: DataHandle | null, beta: DataHandle | null,
  ): DataHandle;
  /**
   * Backward of `batchNormTrain` (SEMANTICS.md section 7). With `needDx = false` (the input needs
   * no gradient) only dgamma and dbeta are computed and `dx` is null (one dispatch fewer on WebGPU).
   */
  batchNormGrad(
    dy: TensorInfo, x: DataHandle, params: BatchNormParams, mean: DataHandle, invStd: DataHandle,
    gamma: DataHandle | null, needDx?: boolean,
  ): BatchNormGradResult;

  /**
   * Applies one optimizer step in place: `weight` and the `slots` (sgd: [velocity],
   * rmsprop: [meanSquare], adam: [m, v]) are updated from `grad`, all of `size` elements.
   * With a `guard`, nothing is written when guard[0] != 0 (an earlier check found NaN/Inf).
   */
  optimizerStep(
    update: OptimizerUpdate, weight: DataHandle, grad: DataHandle, slots: readonly DataHandle[], size: number,
    guard?: DataHandle,
  ): void;
  /**
   * `optimizerStep` for every item under one optional guard (all or nothing), same update. WebGPU:
   * two weights per dispatch (adam only where the device allows 9 storage buffers per stage).
   */
  optimizerStepAll(update: OptimizerUpdate, items: readonly OptimizerItem[], guard?: DataHandle): void;

  /**
   * Constant padding: the output has extent before + x.shape[d] + after on each axis d
   * (`paddings[d] = [before, after]`, non-negative); cells outside x hold `value`.
   */
  pad(x: TensorInfo, paddings: readonly (readonly [number, number])[], value: number): DataHandle;
  /** 2-D max or average pooling forward (see PoolParams). */
  pool(x: TensorInfo, params: PoolParams): DataHandle;
  /**
   * Gradient of `pool` with respect to x, from the output gradient dy. max: each window's dy
   * goes to the first largest cell of the window in row-major window order (TF.js's
   * maxPoolPositions: strict `>`, so a later equal cell does not win); avg: dy / valid count
   * to every valid cell of the window.
   */
  poolGrad(dy: DataHandle, x: TensorInfo, params: PoolParams): DataHandle;
  /**
   * Softmax (or log-softmax when `log`) along `axis`, max-subtracted:
   * y = exp(x - m) / s, or x - m - log(s), with m = max(x), s = sum(exp(x - m)) along the axis.
   */
  softmax(x: TensorInfo, axis: number, log: boolean): DataHandle;
  /**
   * Gradient of `softmax` from its output y and dy (same shape): softmax dx = y * (dy - sum(dy * y)),
   * log-softmax dx = dy - exp(y) * sum(dy), sums along `axis`.
   */
  softmaxGrad(y: TensorInfo, dy: DataHandle, axis: number, log: boolean): DataHandle;
  /**
   * 2-D convolution, filter [kH, kW, inC, outC] (HWIO): y = act(conv(x, filter) + bias), the bias
   * ([outC], or null) and the activation fused into the output pass (one dispatch on WebGPU).
   */
  conv2d(x: DataHandle, filter: DataHandle, info: Conv2dInfo, bias: DataHandle | null, activation: ConvActivation): DataHandle;
  /** Gradient of `conv2d` (without bias/activation) with respect to x, from dy (output layout). */
  conv2dGradInput(dy: DataHandle, filter: DataHandle, info: Conv2dInfo): DataHandle;
  /** Gradient of `conv2d` (without bias/activation) with respect to the filter: [kH, kW, inC, outC]. */
  conv2dGradFilter(x: DataHandle, dy: DataHandle, info: Conv2dInfo): DataHandle;
  /** Depthwise convolution, filter [kH, kW, inC, multiplier]; bias [outC] and activation fused. */
  depthwiseConv2d(
    x: DataHandle, filter: DataHandle, info: Conv2dInfo, bias: DataHandle | null, activation: ConvActivation,
  ): DataHandle;
  /** Gradient of `depthwiseConv2d` with respect to x. */
  depthwiseGradInput(dy: DataHandle, filter: DataHandle, info: Conv2dInfo): DataHandle;
  /** Gradient of `depthwiseConv2d` with respect to the filter: [kH, kW, inC, multiplier]. */
  depthwiseGradFilter(x: DataHandle, dy: DataHandle, info: Conv2dInfo): DataHandle;
  /**
   * dz = dy * act'(z) of a fused convolution's output y = act(z), written with y (one pass over
   * the info's output elements; one dispatch on WebGPU).
   */
  convActivationGrad(dy: DataHandle, y: DataHandle, info: Conv2dInfo, activation: ConvActivation): DataHandle;

  /**
   * `matmul` with its output pass fused: act(op(a) x op(b) + bias), bias [N] added to every row
   * (null: none). One dispatch on WebGPU: a dense layer's forward.
   */
  matmulFused(
    a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, outShape: Shape,
    bias: DataHandle | null, activation: FusedActivation,
  ): DataHandle;

  /** Releases every device resource; the backend is unusable afterwards. */
  dispose(): void;

  /** A synchronous `read`, on backends that can (the CPU); absent on WebGPU, whose reads are async. */
  readSync?(handle: DataHandle, size: number): Float32Array;
}

/** Activations a product's output pass can fuse (`matmulFused`); relu6 = min(relu(x), 6). */
export type FusedActivation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh';
