/**
 * Batch normalization ops over the fused kernels (SEMANTICS.md sections 2, 3 and 7), forward and
 * backward side by side. Layers call these; users normally use `layers.batchNormalization`.
 */
import type { DataHandle, MovingUpdate } from '../backend/backend.js';
import { engine } from '../core/engine.js';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { normAxis } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { add, mul, rsqrt, sub } from './elementwise.js';
import { asTensor, record, wrap } from './op.js';
import { reshape } from './movement.js';
import { sum } from './reduce.js';

export interface BatchNormOptions {
  /** Channel axis (default -1). */
  readonly axis?: number;
  readonly epsilon?: number;
  /** Scale per channel, [C]; omitted = 1. */
  readonly gamma?: Tensor | null;
  /** Offset per channel, [C]; omitted = 0. */
  readonly beta?: Tensor | null;
}

export interface MovingStats {
  readonly mean: Tensor;
  readonly variance: Tensor;
  readonly momentum: number;
  readonly correction: 'biased' | 'unbiased';
  /** 1-element flag set to 1 on the device when the batch statistics were not finite. */
  readonly flag: Tensor;
}

function check(op: string, x: Tensor, o: BatchNormOptions, extra: readonly (Tensor | null | undefined)[]): { axis: number; c: number } {
  if (x.rank < 1) throw new ShapeError(`${op}: input must have rank >= 1, got ${fmtShape(x.shape)}`);
  const axis = normAxis(op, o.axis ?? -1, x.rank);
  const c = x.shape[axis];
  for (const t of [o.gamma, o.beta, ...extra]) {
    if (t && (t.rank !== 1 || t.shape[0] !== c)) {
      throw new ShapeError(`${op}: per-channel tensor has shape ${fmtShape(t.shape)} but the input ${fmtShape(x.shape)} has ${c} channels on axis ${o.axis ?? -1}`);
    }
  }
  const eps = o.epsilon ?? 1e-3;
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new ValueError(`${op}: epsilon must be a finite number >= 0, got ${eps}`);
  if (x.size === 0) throw new ValueError(`${op}: empty batch (input shape ${fmtShape(x.shape)}); nothing to normalize`);
  return { axis, c };
}

const handleOf = (t: Tensor | null | undefined): DataHandle | null => (t ? t.handle : null);

/**
 * Training-mode batch normalization: batch statistics over every axis but `axis`;
 * y = gamma * (x - mean) / sqrt(var + eps) + beta with the biased variance. With `moving`, the
 * moving statistics are updated in place on the device (no readback).
 * @category Batch normalization
 */
export function batchNormTrain(x: Tensor, options: BatchNormOptions = {}, moving: MovingStats | null = null) {
  const t = asTensor(x, 'batchNormTrain');
  const { axis } = check('batchNormTrain', t, options, moving ? [moving.mean, moving.variance] : []);
  const params = { axis, epsilon: options.epsilon ?? 1e-3 };
  const m: MovingUpdate | null = moving && {
    mean: moving.mean.handle, variance: moving.variance.handle, momentum: moving.momentum,
    correction: moving.correction, flag: moving.flag.handle,
  };
  const r = engine.backend.batchNormTrain(t.info, params, handleOf(options.gamma), handleOf(options.beta), m);
  const c = [t.shape[axis]];
  const y = wrap(r.y, t.shape);
  const mean = wrap(r.mean, c);
  const variance = wrap(r.variance, c);
  const invStd = wrap(r.invStd, c);
  const gamma = options.gamma ?? null;
  const beta = options.beta ?? null;
  const inputs = [t, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  // mean/variance/invStd are outputs too, so that the tape keeps them alive for the backward.
  record('batchNormTrain', inputs, [y, mean, variance, invStd], ([dy], need = inputs.map(() => true)) => {
    if (dy === null) return inputs.map(() => null);
    const g = engine.backend.batchNormGrad(dy.info, t.handle, params, mean.handle, invStd.handle, handleOf(gamma), need[0]);
    const out: (Tensor | null)[] = [g.dx ? wrap(g.dx, t.shape) : null];
    const dgamma = wrap(g.dgamma, c);
    const dbeta = wrap(g.dbeta, c);
    if (gamma) out.push(dgamma);
    else dgamma.dispose();
    if (beta) out.push(dbeta);
    else dbeta.dispose();
    return out;
  });
  return { y, mean, variance, invStd };
}

/**
 * Inference-mode batch normalization with the given statistics: one elementwise pass.
 * Its gradient is the affine map dx = dy * gamma / sqrt(var + eps).
 * @category Batch normalization
 */
export function batchNormInfer(x: Tensor, mean: Tensor, variance: Tensor, options: BatchNormOptions = {}): Tensor {
  const t = asTensor(x, 'batchNormInfer');
  const { axis, c } = check('batchNormInfer', t, options, [mean, variance]);
  const params = { axis, epsilon: options.epsilon ?? 1e-3 };
  const gamma = options.gamma ?? null;
  const beta = options.beta ?? null;
  const y = wrap(
    engine.backend.batchNormInfer(t.info, params, mean.handle, variance.handle, handleOf(gamma), handleOf(beta)),
    t.shape,
  );
  const inputs = [t, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  record('batchNormInfer', inputs, [y], ([dy], need = inputs.map(() => true)) => {
    if (dy === null) return inputs.map(() => null);
    const bshape = t.shape.map((d, i) => (i === axis ? c : 1));
    const others = t.shape.map((_, i) => i).filter((i) => i !== axis);
    const invStd = reshape(rsqrt(add(variance, params.epsilon)), bshape);
    const out: (Tensor | null)[] = [need[0] ? mul(dy, gamma ? mul(invStd, reshape(gamma, bshape)) : invStd) : null];
    if (gamma) out.push(need[1] ? reshape(sum(mul(dy, mul(sub(t, reshape(mean, bshape)), invStd)), others), [c]) : null);
    if (beta) out.push(need[out.length] ? reshape(sum(dy, others), [c]) : null);
    return out;
  });
  return y;
}
