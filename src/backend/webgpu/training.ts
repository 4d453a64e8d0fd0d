/**
 * The training-step kernels that must not round-trip to the host: finiteness checks, guarded
 * assignment and fused optimizer updates (shaders/finite.wgsl, shaders/optimizer.wgsl).
 */
import type { OptimizerUpdate } from '../backend.js';
import { grid, type GpuContext, type GpuHandle } from './context.js';
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
  ctx.dispatch('assign', ctx.pipeline('finite', 'assign'), [ctx.uniform(params.words(), 'n'), src, guard, dst], grid(n));
}

/** flag[0] = 1 when any of the first `n` values of x is NaN or +-Inf. */
export function checkFinite(ctx: GpuContext, x: GpuHandle, n: number, flag: GpuHandle): void {
  if (n === 0) return;
  const params = new Params().u32(n);
  ctx.dispatch('checkFinite', ctx.pipeline('finite', 'check'), [ctx.uniform(params.words(), 'n'), x, flag], grid(n));
}

/** One in-place optimizer step over `n` elements (SEMANTICS.md section 6). */
export function optimizerStep(
  ctx: GpuContext, scratch: Scratch, update: OptimizerUpdate, weight: GpuHandle, grad: GpuHandle,
  slots: readonly GpuHandle[], n: number, guard?: GpuHandle,
): void {
  if (n === 0) return;
  const params = new Params().u32(n);
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
  const s0 = slots[0] ?? scratch.unusedSlots[0];
  const s1 = slots[1] ?? scratch.unusedSlots[1];
  const label = `optimizer.${update.kind}`;
  ctx.dispatch(label, ctx.pipeline('optimizer', 'main', { KIND: KIND_CODES[update.kind] }),
    [ctx.uniform(params.words(), label), weight, grad, s0, s1, guard ?? scratch.zeroGuard], grid(n));
}
