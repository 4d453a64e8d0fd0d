/**
 * The training-step context that `fit`/`trainOnBatch` open around a forward pass. Layers that
 * update state (BatchNormalization's moving statistics) write into pending copies registered
 * here instead of their variables; the model commits them after the backward pass with a guarded
 * device copy, so a step found non-finite on the device changes nothing (no readback needed).
 */
import type { Tensor, Variable } from '../core/tensor.js';

/** A state update prepared by a layer during the step: `target <- pending` if the step is finite. */
export interface PendingCommit {
  readonly target: Variable;
  readonly pending: Variable;
}

export interface StepContext {
  /** 1-element device flag: set to 1 by any non-finite check of this step (sticky). */
  readonly flag: Tensor;
  readonly commits: PendingCommit[];
  /**
   * Pending copies kept from one step to the next of a fit epoch (target -> pending): after a
   * committed step a pending copy equals its target, so the next step needs no new copy. Only
   * valid while no user code runs between steps (fit clears it around batch callbacks).
   * Without it, each step copies its targets and the caller disposes the copies.
   */
  readonly reuse?: Map<Variable, Variable>;
}

let current: StepContext | null = null;

/** Runs `fn` with `ctx` as the open training step. */
export function withStepContext<T>(ctx: StepContext, fn: () => T): T {
  const prev = current;
  current = ctx;
  try {
    return fn();
  } finally {
    current = prev;
  }
}

/** The open training step, or null for plain eager calls. */
export function currentStep(): StepContext | null {
  return current;
}
