/**
 * Batch normalization on WebGPU: the fused hot-path kernels of `shaders/batchnorm_stats.wgsl`,
 * `batchnorm_apply.wgsl` and `batchnorm_backward.wgsl`, with their CPU twin in
 * `../cpu/batchnorm.ts`. Every call only records dispatches (no readback):
 *
 *   batchNormTrain   3 dispatches: partial sums, finalize (+ moving update), apply
 *   batchNormInfer   1 dispatch:   apply with scale/shift from the given statistics
 *   batchNormGrad    3 dispatches: partial sums, finalize (dgamma, dbeta, dx coefficients), dx
 *
 * Small inputs (`isSmall`: at most SMALL_ELEMS elements and WG channels) take ONE dispatch of
 * one workgroup for training forward (`small_train`) and backward (`small_grad`): there the
 * dispatch overhead (60-100 us on SwiftShader) dwarfs the work.
 *
 * x is viewed as [outer, C, inner] around the channel axis (no transpose). `inner == 1`
 * (NHWC, [N, C]) uses the "rows" kernels, vec4 across channels when C % 4 == 0, and the "super4"
 * kernels otherwise (at least 4 rows): four rows are one super-row of 4C values read as C vec4s,
 * each thread with fixed channel slots, folded in the finalize (see batchnorm_stats.wgsl);
 * `inner > 1` (NCHW) uses the "planes" kernels, vec4 along the plane when inner % 4 == 0.
 */
import type { BatchNormParams } from '../backend.js';
import { channelView, varianceCorrection } from '../cpu/batchnorm.js';
import type { Shape } from '../../core/shape.js';
import { grid, type GpuContext, type GpuHandle } from './context.js';

/** A GPU tensor argument: handle plus the shape it is read as. */
export interface GpuTensor {
  readonly handle: GpuHandle;
  readonly shape: Shape;
}

/** `MovingUpdate` of backend.ts with GPU handles. */
export interface GpuMovingUpdate {
  readonly mean: GpuHandle;
  readonly variance: GpuHandle;
  readonly momentum: number;
  readonly correction: 'biased' | 'unbiased';
  readonly flag: GpuHandle;
}

export interface GpuBatchNormTrainResult {
  readonly y: GpuHandle;
  readonly mean: GpuHandle;
  readonly variance: GpuHandle;
  readonly invStd: GpuHandle;
}

export interface GpuBatchNormGradResult {
  readonly dx: GpuHandle | null;
  readonly dgamma: GpuHandle;
  readonly dbeta: GpuHandle;
}

const WG = 256;
/** Items (vec4 or f32 loads) per thread in the reduction passes: amortizes the partial write. */
const REDUCE_ITEMS = 64;
/** Items per thread in the elementwise passes: amortizes the per-channel coefficients. */
const APPLY_ITEMS = 16;
/**
 * Rows of at least this many vec4 channel groups (C >= 256) take apply_rows16: a thread's walk
 * down a row-major tensor then reads 64 contiguous bytes per row instead of 16 (SwiftShader,
 * WGNN_BENCH_ONLY=bn before and after: [4096, 1000] inference 47.4 -> 32.8 ms, training forward
 * 45.0 -> 42.1 ms; the narrower rows stay on apply_rows4, which they already run near the copy).
 */
const WIDE_GROUPS = 64;
/** Partials per channel at most: bounds the serial sum in the finalize passes. */
const MAX_LANES = 1024;
/**
 * Threads per dispatch at most: on SwiftShader (2 cores) fewer, longer threads measured faster
 * (NCHW [32,64,56,56] inference 58 ms at 16K threads vs 144 ms at 64K); 16K still fills a GPU's
 * memory pipeline with vec4 loads.
 */
const TARGET_THREADS = 16384;

const FLAG_MOVING = 1;
const FLAG_GAMMA = 2;
const FLAG_BETA = 4;
const FLAG_STAT_IS_VARIANCE = 8;
const FLAG_DX = 16;

/**
 * Elements at most for the one-workgroup path: a thread loops over its channel's elements three
 * times (sums, then y or dx), so with C = 1 that is 3 * 4096 serial loads, still far below the
 * cost of the two dispatches it saves.
 */
const SMALL_ELEMS = 4096;
/** Storage buffers `small_train` binds: x, y, mean, variance, invStd, moving x2, flag, gamma, beta. */
/** Storage buffers the one-dispatch training forward binds; devices allowing fewer take 3 dispatches. */
export const SMALL_TRAIN_BUFFERS = 10;

/** Whether the one-workgroup kernels take this tensor: small, and one channel per thread at most. */
function isSmall(layout: Layout): boolean {
  return layout.count > 0 && layout.count * layout.channels <= SMALL_ELEMS && layout.channels <= WG;
}

/**
 * Workgroup size of the one-workgroup kernels: one invocation per channel, rounded up to a power
 * of two (at least 4, at most WG). Idle invocations are not free: on a CPU-side implementation
 * each group of them still starts and meets small_train's barrier (a 5-channel seed step's
 * forward took 4x longer at 256 than at 8).
 */
function smallWorkgroup(channels: number): number {
  return Math.min(WG, Math.max(4, 2 ** Math.ceil(Math.log2(channels))));
}

/** The `Work` of the one-workgroup kernels (they loop over [outer, C, innerElems] themselves). */
const SMALL_WORK: Work = { lanes: 1, steps: 0 };

/** How a tensor maps onto the kernels' [outer, C, inner] view. */
interface Layout {
  readonly rows: boolean;
  readonly vec4: boolean;
  /** Rows mode with C % 4 != 0 read as super-rows of 4 rows (vec4 true). */
  readonly super4: boolean;
  /** Load units the kernels' main loop covers (super4: the full super-rows only). */
  readonly total: number;
  readonly outer: number;
  readonly channels: number;
  /** Segment length in load units (vec4 or f32); 1 in rows mode. */
  readonly inner: number;
  readonly innerElems: number;
  /** Threads side by side per lane: channel groups (rows) or channels (planes). */
  readonly width: number;
  /** Items per channel (group) in load units. */
  readonly items: number;
  /** Elements per channel. */
  readonly count: number;
}

function layoutOf(shape: Shape, axis: number): Layout {
  const v = channelView(shape, axis);
  const channels = v.channels;
  // One channel: every element belongs to it, so read the tensor as a single plane.
  const outer = channels === 1 ? 1 : v.outer;
  const innerElems = channels === 1 ? v.outer * v.inner : v.inner;
  const count = v.outer * v.inner;
  if (innerElems === 1) {
    const vec4 = channels % 4 === 0;
    if (!vec4 && outer >= 4) {
      const total = Math.floor(outer / 4) * channels;
      return { rows: true, vec4: true, super4: true, total, outer, channels, inner: 1, innerElems, width: channels, items: Math.ceil(outer / 4), count };
    }
    const width = vec4 ? channels / 4 : channels;
    return { rows: true, vec4, super4: false, total: outer * width, outer, channels, inner: 1, innerElems, width, items: outer, count };
  }
  const vec4 = innerElems % 4 === 0;
  const inner = vec4 ? innerElems / 4 : innerElems;
  return {
    rows: false, vec4, super4: false, total: outer * channels * inner, outer, channels, inner, innerElems, width: channels,
    items: outer * inner, count,
  };
}

/** Threads per channel (group) and items per thread of one pass. */
interface Work {
  readonly lanes: number;
  readonly steps: number;
}

/**
 * Splits each channel's items over `lanes` threads of `steps` items: rows mode gives each lane
 * a contiguous run of rows; planes mode gives each quad of lanes a contiguous chunk of 4 * steps
 * items (see Cursor in the shaders), so lanes is a multiple of 4 there.
 */
function workFor(layout: Layout, itemsPerThread: number): Work {
  const cap = Math.max(1, Math.min(MAX_LANES, Math.floor(TARGET_THREADS / layout.width)));
  const items = layout.items;
  if (layout.rows) {
    const steps = Math.ceil(items / Math.max(1, Math.min(cap, Math.ceil(items / itemsPerThread))));
    return { lanes: Math.ceil(items / steps), steps };
  }
  const quads = Math.max(1, Math.min(Math.floor(cap / 4), Math.ceil(items / (4 * itemsPerThread))));
  const steps = Math.ceil(items / (4 * quads));
  return { lanes: 4 * Math.ceil(items / (4 * steps)), steps };
}

/** Kernel suffix of a layout: `rows4`, `rows`, `planes4`, `planes`; super4 reductions: `super4`. */
function variant(layout: Layout, reduction = false): string {
  if (layout.super4 && reduction) return 'super4';
  return `${layout.rows ? 'rows' : 'planes'}${layout.vec4 ? '4' : ''}`;
}

/** Partials per channel the finalize adds: a super4 lane writes one per row of its super-rows. */
function finalizeWork(layout: Layout, work: Work): Work {
  return layout.super4 ? { lanes: 4 * work.lanes, steps: work.steps } : work;
}

/** The f32 aliases the super4 partial kernels bind after their usual bindings (the partial super-row). */
function tails(layout: Layout, ...handles: GpuHandle[]): GpuHandle[] {
  return layout.super4 ? handles : [];
}

/**
 * The rows a super4 elementwise pass leaves (outer % 4 of them, a partial super-row), as a scalar
 * rows layout, one lane, and its first element; null when outer % 4 == 0 or not super4.
 */
function superTail(layout: Layout): { layout: Layout; work: Work; base: number } | null {
  const rows = layout.outer % 4;
  if (!layout.super4 || rows === 0) return null;
  const C = layout.channels;
  return {
    layout: { ...layout, vec4: false, super4: false, total: layout.outer * C, width: C, items: layout.outer },
    work: { lanes: 1, steps: rows },
    base: (layout.outer - rows) * C,
  };
}

interface Tail {
  /** Rows mode: the first element the scalar elementwise kernels start at (see superTail). */
  readonly base?: number;
  readonly epsilon?: number;
  readonly momentum?: number;
  readonly correction?: number;
  readonly flags?: number;
}

/**
 * The `Params` uniform shared by the three shaders (16 four-byte fields). In planes mode a thread
 * steps 4 items at a time: `stride` load units (4 / inner whole rows of C planes plus 4 % inner),
 * plus `jump` = (C - 1) * inner when its position wraps into the next row.
 */
function uniformParams(ctx: GpuContext, label: string, layout: Layout, work: Work, tail: Tail): GPUBuffer {
  const buf = new ArrayBuffer(16 * 4);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  const { outer, channels: C, inner, width } = layout;
  u[0] = outer;
  u[1] = C;
  u[2] = inner;
  u[3] = work.lanes;
  u[4] = width;
  // super4: stride = elements of the tensor (the end of the partial super-row).
  u[5] = layout.super4 ? outer * C : layout.rows ? 0 : Math.floor(4 / inner) * C * inner + (4 % inner);
  u[6] = layout.rows ? tail.base ?? 0 : 4 % inner;
  u[7] = layout.innerElems;
  f[8] = layout.count;
  f[9] = tail.epsilon ?? 0;
  f[10] = tail.momentum ?? 0;
  f[11] = tail.correction ?? 1;
  u[12] = tail.flags ?? 0;
  u[13] = (C - 1) * inner;
  u[14] = layout.total;
  u[15] = work.steps;
  return ctx.uniform(buf, label);
}

/**
 * Training-mode forward (3 dispatches, 1 for small inputs: see isSmall; no readback). Per channel
 * over its n elements:
 *
 *     mean = sum(x) / n,  variance = sum((x - mean)^2) / n   (shifted sums, shift = first value)
 *     invStd = inverseSqrt(variance + eps),  y = (x - mean) * (gamma * invStd) + beta
 *
 * With `moving`, on the device: movingMean = m * movingMean + (1 - m) * mean and
 * movingVariance = m * movingVariance + (1 - m) * variance * k (k = n / (n - 1) for 'unbiased',
 * n > 1), unless a batch statistic is not finite: then nothing moves and flag[0] = 1.
 * gamma/beta null mean 1/0. Empty batch: ValueError.
 */
export function batchNormTrain(
  ctx: GpuContext, x: GpuTensor, bnParams: BatchNormParams, gamma: GpuHandle | null, beta: GpuHandle | null,
  moving: GpuMovingUpdate | null,
): GpuBatchNormTrainResult {
  const layout = layoutOf(x.shape, bnParams.axis);
  if (isSmall(layout) && ctx.limits.maxStorageBuffersPerShaderStage >= SMALL_TRAIN_BUFFERS) {
    return smallTrain(ctx, x, layout, bnParams, gamma, beta, moving);
  }
  const C = layout.channels;
  const work = workFor(layout, REDUCE_ITEMS);
  const fin = finalizeWork(layout, work);
  const part = ctx.alloc(2 * fin.lanes * C, 'batchnorm_stats_partials');
  const mean = ctx.alloc(C, 'batchnorm_mean');
  const variance = ctx.alloc(C, 'batchnorm_variance');
  const invStd = ctx.alloc(C, 'batchnorm_inv_std');

  const kind = variant(layout, true);
  const up = uniformParams(ctx, 'batchnorm_stats_params', layout, work, {});
  ctx.dispatch(`batchnorm_stats_partial_${kind}`, ctx.pipeline('batchnorm_stats', `partial_${kind}`),
    [up, x.handle, part, ...tails(layout, x.handle)], grid(layout.width * work.lanes, WG));

  const placeholders = moving ? [] : [1, 2, 3].map(() => ctx.alloc(1, 'batchnorm_no_moving'));
  const targets = moving ? [moving.mean, moving.variance, moving.flag] : placeholders;
  const uf = uniformParams(ctx, 'batchnorm_finalize_params', layout, fin, {
    epsilon: bnParams.epsilon,
    momentum: moving?.momentum ?? 0,
    correction: moving ? varianceCorrection(moving.correction, layout.count) : 1,
    flags: moving ? FLAG_MOVING : 0,
  });
  ctx.dispatch('batchnorm_stats_finalize', ctx.pipeline('batchnorm_stats', 'finalize'),
    [uf, x.handle, part, mean, variance, invStd, ...targets], [1]);
  ctx.release(part);
  for (const h of placeholders) ctx.release(h);

  const y = apply(ctx, x, layout, mean, invStd, gamma, beta, bnParams.epsilon, false);
  return { y, mean, variance, invStd };
}

/** `batchNormTrain` of a small tensor in one dispatch of one workgroup (`small_train`). */
function smallTrain(
  ctx: GpuContext, x: GpuTensor, layout: Layout, bnParams: BatchNormParams, gamma: GpuHandle | null,
  beta: GpuHandle | null, moving: GpuMovingUpdate | null,
): GpuBatchNormTrainResult {
  const C = layout.channels;
  const y = ctx.alloc(x.handle.size, 'batchnorm_y');
  const mean = ctx.alloc(C, 'batchnorm_mean');
  const variance = ctx.alloc(C, 'batchnorm_variance');
  const invStd = ctx.alloc(C, 'batchnorm_inv_std');
  const placeholders = moving ? [] : [1, 2, 3].map(() => ctx.alloc(1, 'batchnorm_no_moving'));
  const targets = moving ? [moving.mean, moving.variance, moving.flag] : placeholders;
  const u = uniformParams(ctx, 'batchnorm_small_train_params', layout, SMALL_WORK, {
    epsilon: bnParams.epsilon,
    momentum: moving?.momentum ?? 0,
    correction: moving ? varianceCorrection(moving.correction, layout.count) : 1,
    flags: (moving ? FLAG_MOVING : 0) | (gamma ? FLAG_GAMMA : 0) | (beta ? FLAG_BETA : 0),
  });
  // A missing gamma/beta binds x as a placeholder (read-only, never read: see flags).
  ctx.dispatch('batchnorm_small_train', ctx.pipeline('batchnorm_stats', 'small_train', { WG: smallWorkgroup(C) }),
    [u, x.handle, y, mean, variance, invStd, ...targets, gamma ?? x.handle, beta ?? x.handle], [1]);
  for (const h of placeholders) ctx.release(h);
  return { y, mean, variance, invStd };
}

/**
 * Inference-mode forward, ONE dispatch: per element
 * y = (x - mean) * scale + beta, scale = gamma * inverseSqrt(variance + eps), with the per-channel
 * coefficients computed once per thread. Not x * scale + (beta - mean * scale): that shift's
 * rounding wipes out y when |mean * scale| dwarfs |y| (see batchnorm_apply.wgsl).
 */
export function batchNormInfer(
  ctx: GpuContext, x: GpuTensor, bnParams: BatchNormParams, mean: GpuHandle, variance: GpuHandle,
  gamma: GpuHandle | null, beta: GpuHandle | null,
): GpuHandle {
  const layout = layoutOf(x.shape, bnParams.axis);
  return apply(ctx, x, layout, mean, variance, gamma, beta, bnParams.epsilon, true);
}

function apply(
  ctx: GpuContext, x: GpuTensor, layout: Layout, mean: GpuHandle, stat: GpuHandle,
  gamma: GpuHandle | null, beta: GpuHandle | null, epsilon: number, statIsVariance: boolean,
): GpuHandle {
  // Wide rows: four channel groups per thread (apply_rows16), threads counted in fours of groups.
  const wide = layout.rows && layout.vec4 && !layout.super4 && layout.width >= WIDE_GROUPS;
  const threadsPerLane = wide ? Math.ceil(layout.width / 4) : layout.width;
  const work = workFor({ ...layout, width: threadsPerLane }, APPLY_ITEMS);
  const y = ctx.alloc(x.handle.size, 'batchnorm_y');
  const flags = (gamma ? FLAG_GAMMA : 0) | (beta ? FLAG_BETA : 0) | (statIsVariance ? FLAG_STAT_IS_VARIANCE : 0);
  const u = uniformParams(ctx, 'batchnorm_apply_params', layout, work, { epsilon, flags });
  const kind = wide ? 'rows16' : variant(layout);
  // A missing gamma/beta binds x as a placeholder (read-only, never read: see flags).
  const bindings = [x.handle, y, mean, stat, gamma ?? x.handle, beta ?? x.handle];
  ctx.dispatch(`batchnorm_apply_${kind}`, ctx.pipeline('batchnorm_apply', `apply_${kind}`), [u, ...bindings],
    grid(threadsPerLane * work.lanes, WG));
  const tail = superTail(layout);
  if (tail) {
    const ut = uniformParams(ctx, 'batchnorm_apply_tail_params', tail.layout, tail.work, { epsilon, flags, base: tail.base });
    ctx.dispatch('batchnorm_apply_rows_tail', ctx.pipeline('batchnorm_apply', 'apply_rows'), [ut, ...bindings],
      grid(tail.layout.width, WG));
  }
  return y;
}

/**
 * Backward of `batchNormTrain` (3 dispatches, 2 without dx, 1 for small inputs), per channel with
 * n elements and
 * xhat = (x - mean) * invStd (SEMANTICS.md section 7):
 *
 *     dbeta = sum(dy),  dgamma = sum(dy * xhat)
 *     dx = gamma * invStd / n * (n * dy - dbeta - xhat * dgamma)
 *        = a * dy + b * (x - mean) + c,  a = gamma * invStd,  b = -a * invStd * dgamma / n,
 *                                        c = -a * dbeta / n
 */
export function batchNormGrad(
  ctx: GpuContext, dy: GpuTensor, x: GpuHandle, bnParams: BatchNormParams, mean: GpuHandle, invStd: GpuHandle,
  gamma: GpuHandle | null, needDx = true,
): GpuBatchNormGradResult {
  const layout = layoutOf(dy.shape, bnParams.axis);
  if (isSmall(layout)) return smallGrad(ctx, dy, x, layout, mean, invStd, gamma, needDx);
  const C = layout.channels;
  const kind = variant(layout);
  const work = workFor(layout, REDUCE_ITEMS);
  const fin = finalizeWork(layout, work);
  const part = ctx.alloc(3 * C + 2 * fin.lanes * C, 'batchnorm_backward_partials');
  const dgamma = ctx.alloc(C, 'batchnorm_dgamma');
  const dbeta = ctx.alloc(C, 'batchnorm_dbeta');

  const up = uniformParams(ctx, 'batchnorm_backward_params', layout, work, {});
  ctx.dispatch(`batchnorm_backward_partial_${variant(layout, true)}`,
    ctx.pipeline('batchnorm_backward', `partial_${variant(layout, true)}`),
    [up, dy.handle, x, mean, part, ...tails(layout, dy.handle, x)], grid(layout.width * work.lanes, WG));

  const uf = uniformParams(ctx, 'batchnorm_backward_finalize_params', layout, fin, { flags: gamma ? FLAG_GAMMA : 0 });
  // A missing gamma binds invStd as a placeholder (read-only, never read: see flags).
  ctx.dispatch('batchnorm_backward_finalize', ctx.pipeline('batchnorm_backward', 'finalize'),
    [uf, gamma ?? invStd, invStd, dgamma, part, dbeta], grid(C, WG));

  if (!needDx) {
    ctx.release(part);
    return { dx: null, dgamma, dbeta };
  }
  const dx = ctx.alloc(dy.handle.size, 'batchnorm_dx');
  const applyWork = workFor(layout, APPLY_ITEMS);
  const ud = uniformParams(ctx, 'batchnorm_backward_dx_params', layout, applyWork, {});
  ctx.dispatch(`batchnorm_backward_dx_${kind}`, ctx.pipeline('batchnorm_backward', `dx_${kind}`),
    [ud, dy.handle, x, mean, part, dx], grid(layout.width * applyWork.lanes, WG));
  const tail = superTail(layout);
  if (tail) {
    const ut = uniformParams(ctx, 'batchnorm_backward_dx_tail_params', tail.layout, tail.work, { base: tail.base });
    ctx.dispatch('batchnorm_backward_dx_rows_tail', ctx.pipeline('batchnorm_backward', 'dx_rows'),
      [ut, dy.handle, x, mean, part, dx], grid(tail.layout.width, WG));
  }
  ctx.release(part);
  return { dx, dgamma, dbeta };
}

/** `batchNormGrad` of a small tensor in one dispatch of one workgroup (`small_grad`). */
function smallGrad(
  ctx: GpuContext, dy: GpuTensor, x: GpuHandle, layout: Layout, mean: GpuHandle, invStd: GpuHandle,
  gamma: GpuHandle | null, needDx: boolean,
): GpuBatchNormGradResult {
  const C = layout.channels;
  const dgamma = ctx.alloc(C, 'batchnorm_dgamma');
  const dbeta = ctx.alloc(C, 'batchnorm_dbeta');
  const dx = needDx ? ctx.alloc(dy.handle.size, 'batchnorm_dx') : ctx.alloc(1, 'batchnorm_no_dx');
  const u = uniformParams(ctx, 'batchnorm_small_grad_params', layout, SMALL_WORK, {
    flags: (gamma ? FLAG_GAMMA : 0) | (needDx ? FLAG_DX : 0),
  });
  // A missing gamma binds invStd as a placeholder (read-only, never read: see flags).
  ctx.dispatch('batchnorm_small_grad', ctx.pipeline('batchnorm_backward', 'small_grad', { WG: smallWorkgroup(layout.channels) }),
    [u, dy.handle, x, mean, invStd, dx, gamma ?? invStd, dgamma, dbeta], [1]);
  if (needDx) return { dx, dgamma, dbeta };
  ctx.release(dx);
  return { dx: null, dgamma, dbeta };
}
