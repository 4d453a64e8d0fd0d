/**
 * The training-step kernels that must not round-trip to the host: finiteness checks, guarded
 * assignment and fused optimizer updates (shaders/finite.wgsl, shaders/optimizer.wgsl).
 */
import type { OptimizerUpdate } from '../backend.js';
import { streamGrid, type GpuContext, type GpuHandle } from './context.js';
import { copyKernel } from './elementwise.js';
import { Params } from './params.js';

const KIND_CODES = { sgd: 0, rmsprop: 1, adam: 2 } as const satisfies Record<OptimizerUpdate['kind'], number>;

/** Constant device buffers the guarded kernels bind when the caller passes none. */
export interface Scratch {
  /** One 0, bound as the guard of unguarded steps. */
  readonly zeroGuard: GpuHandle;
  /** Writable stand-ins for slots an optimizer kind does not use (never read back). */
  readonly unusedSlots: readonly [GpuHandle, GpuHandle];
}

/** dst = src over `n` elements; with a guard, only when guard[0] == 0 (decided on the device). */
export function assign(ctx: GpuContext, dst: GpuHandle, src: GpuHandle, n: number, guard?: GpuHandle): void {
  if (n === 0) return;
  if (!guard) {
    copyKernel(ctx, src, dst, n);
    return;
  }
  const params = new Params().u32(n);
  ctx.dispatch('assign', ctx.pipeline('finite', 'assign'), [ctx.uniform(params.words(), 'n'), src, guard, dst], streamGrid(n));
}

/** flag[0] = 1 when any of the first `n` values of x is NaN or +-Inf. */
export function checkFinite(ctx: GpuContext, x: GpuHandle, n: number, flag: GpuHandle): void {
  if (n === 0) return;
  const params = new Params().u32(n);
  ctx.dispatch('checkFinite', ctx.pipeline('finite', 'check'), [ctx.uniform(params.words(), 'n'), x, flag], streamGrid(n));
}

/** Slots per dispatch of `check_many` (6 inputs + the flag: within 8 storage bindings). */
const CHECK_SLOTS = 6;
/** Pairs per dispatch of `assign_many` (6 buffers + the guard). */
const ASSIGN_SLOTS = 3;

/**
 * `checkFinite` over several handles, 6 per dispatch (unused slots bind the first, count 0).
 * Handles whose size is a multiple of 4 come first, largest first, and a dispatch whose six are
 * all such reads vec4s (`check_many4`); the rest share single-float dispatches.
 */
export function checkFiniteAll(ctx: GpuContext, xs: readonly { handle: GpuHandle; size: number }[], flag: GpuHandle): void {
  const vecable = (x: { size: number }): boolean => x.size % 4 === 0;
  const live = xs.filter((x) => x.size > 0)
    .sort((a, b) => Number(vecable(b)) - Number(vecable(a)) || b.size - a.size);
  for (let at = 0; at < live.length; at += CHECK_SLOTS) {
    const part = live.slice(at, at + CHECK_SLOTS);
    const counts = new Uint32Array(8);
    part.forEach((x, k) => (counts[k] = x.size));
    const buffers = Array.from({ length: CHECK_SLOTS }, (_, k) => (part[k] ?? part[0]).handle);
    const vec = part.every(vecable);
    const units = Math.max(...part.map((x) => x.size)) / (vec ? 4 : 1);
    ctx.dispatch('checkFiniteAll', ctx.pipeline('finite', vec ? 'check_many4' : 'check_many'),
      [ctx.uniform(counts, 'counts'), ...buffers, flag], streamGrid(units));
  }
}

/** Guarded `assign` of up to 3 pairs per dispatch (unused slots: count 0, scratch destinations). */
export function assignAll(
  ctx: GpuContext, scratch: Scratch, pairs: readonly { dst: GpuHandle; src: GpuHandle; size: number }[], guard: GpuHandle,
): void {
  const live = pairs.filter((p) => p.size > 0);
  for (let at = 0; at < live.length; at += ASSIGN_SLOTS) {
    const part = live.slice(at, at + ASSIGN_SLOTS);
    const counts = new Uint32Array(8);
    part.forEach((p, k) => (counts[k] = p.size));
    const srcs = Array.from({ length: ASSIGN_SLOTS }, (_, k) => (part[k] ?? part[0]).src);
    // One buffer bound twice as read_write is a validation error: unused slots get the two
    // distinct scratch stand-ins (count 0: never written).
    const dsts = Array.from({ length: ASSIGN_SLOTS }, (_, k) => part[k]?.dst ?? scratch.unusedSlots[k - 1]);
    ctx.dispatch('assignAll', ctx.pipeline('finite', 'assign_many'),
      [ctx.uniform(counts, 'counts'), ...srcs, ...dsts, guard], streamGrid(Math.max(...part.map((p) => p.size))));
  }
}

/** sums[0] += loss[0] * rows; sums[1] += correct[0] * rows (if given); sums[2] += flag[0]. */
export function accumulateStep(
  ctx: GpuContext, sums: GpuHandle, loss: GpuHandle, correct: GpuHandle | null, flag: GpuHandle, rows: number,
): void {
  const params = new Params().f32(rows).u32(correct ? 1 : 0);
  ctx.dispatch('accumulateStep', ctx.pipeline('step_sums', 'main'),
    [ctx.uniform(params.words(), 'step_sums'), loss, correct ?? loss, flag, sums], [1]);
}

/**
 * The uniform of one optimizer dispatch: a step uniform (reused buffers written per step), since
 * Adam's alpha and a scheduled learning rate change every step; a cached uniform per value grew
 * process memory by one buffer per step (issue 13 item 8).
 */
function optimizerUniform(ctx: GpuContext, params: Params, label: string): GPUBuffer {
  return ctx.stepUniform(params.words(), label);
}

/** Uniform words of the optimizer kernels after the element count(s): lr, a, b, eps, alpha. */
function hyper(params: Params, update: OptimizerUpdate): Params {
  switch (update.kind) {
    case 'sgd':
      params.f32(update.learningRate, update.momentum, 0, 0, 0);
      break;
    case 'rmsprop':
      params.f32(update.learningRate, update.rho, 0, update.epsilon, 0);
      break;
    case 'adam': {
      const { learningRate, beta1, beta2, step } = update;
      const alpha = (learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
      params.f32(learningRate, beta1, beta2, update.epsilon, alpha);
      break;
    }
    default:
      update satisfies never;
  }
  return params;
}

/** One in-place optimizer step over `n` elements (SEMANTICS.md section 6). */
export function optimizerStep(
  ctx: GpuContext, scratch: Scratch, update: OptimizerUpdate, weight: GpuHandle, grad: GpuHandle,
  slots: readonly GpuHandle[], n: number, guard?: GpuHandle,
): void {
  if (n === 0) return;
  const params = hyper(new Params().u32(n), update);
  const s0 = slots[0] ?? scratch.unusedSlots[0];
  const s1 = slots[1] ?? scratch.unusedSlots[1];
  const label = `optimizer.${update.kind}`;
  const vec = n % 4 === 0;
  ctx.dispatch(label, ctx.pipeline('optimizer', vec ? 'main4' : 'main', { KIND: KIND_CODES[update.kind] }),
    [optimizerUniform(ctx, params, label), weight, grad, s0, s1, guard ?? scratch.zeroGuard], streamGrid(vec ? n / 4 : n));
}

/** One weight of `optimizerStepAll`. */
export interface GpuOptimizerItem {
  readonly weight: GpuHandle;
  readonly grad: GpuHandle;
  readonly slots: readonly GpuHandle[];
  readonly size: number;
}

/**
 * `optimizerStep` for several weights, two per dispatch (`pair_one`: sgd and rmsprop, 7 storage
 * buffers; `pair_two`: adam, 9, only where maxStorageBuffersPerShaderStage allows it, otherwise
 * one dispatch per weight). An odd weight out gets the single-weight kernel.
 */
export function optimizerStepAll(
  ctx: GpuContext, scratch: Scratch, update: OptimizerUpdate, items: readonly GpuOptimizerItem[], guard?: GpuHandle,
): void {
  const live = items.filter((it) => it.size > 0);
  const two = update.kind === 'adam';
  const paired = !two || ctx.limits.maxStorageBuffersPerShaderStage >= 9;
  let at = 0;
  for (; paired && at + 1 < live.length; at += 2) {
    const [a, b] = [live[at], live[at + 1]];
    const params = hyper(new Params().u32(a.size, b.size), update);
    const label = `optimizerAll.${update.kind}`;
    const slotsA = [a.slots[0] ?? scratch.unusedSlots[0], a.slots[1] ?? scratch.unusedSlots[1]];
    const slotsB = [b.slots[0] ?? scratch.unusedSlots[1], b.slots[1] ?? scratch.unusedSlots[0]];
    const vec = a.size % 4 === 0 && b.size % 4 === 0;
    const entry = `${two ? 'pair_two' : 'pair_one'}${vec ? '4' : ''}`;
    const pipeline = ctx.pipeline('optimizer', entry, { KIND: KIND_CODES[update.kind] });
    const g = guard ?? scratch.zeroGuard;
    const bindings = two
      ? [a.weight, a.grad, slotsA[0], slotsA[1], g, b.weight, b.grad, slotsB[0], slotsB[1]]
      : [a.weight, a.grad, slotsA[0], g, b.weight, b.grad, slotsB[0]];
    const units = Math.max(a.size, b.size) / (vec ? 4 : 1);
    ctx.dispatch(label, pipeline, [optimizerUniform(ctx, params, label), ...bindings], streamGrid(units));
  }
  for (; at < live.length; at++) {
    const it = live[at];
    optimizerStep(ctx, scratch, update, it.weight, it.grad, it.slots, it.size, guard);
  }
}
