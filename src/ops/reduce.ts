/** Reductions over any axes (sum, mean, max, min), moments and argMax. */
import { engine } from '../core/engine.js';
import { normAxes, normAxis, reducedShape, sizeOf } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { equal, mul, square, sub } from './elementwise.js';
import { asTensor, record, wrap } from './op.js';
import { broadcastTo, reshape } from './movement.js';

/** One axis or several; negative values count from the end. */
export type Axes = number | readonly number[];

/** sum, max, min, and mean = sum / n (the division fused into the backward's one broadcast). */
function reduceOp(op: 'sum' | 'max' | 'min' | 'mean', x: Tensor, axis: Axes | undefined, keepDims: boolean): Tensor {
  const t = asTensor(x, op);
  const axes = normAxes(op, axis, t.rank);
  const b = engine.backend;
  const kept = reducedShape(t.shape, axes, true);
  const shape = keepDims ? kept : reducedShape(t.shape, axes, false);
  const n = sizeOf(axes.map((a) => t.shape[a]));
  // mean: the division happens in the reduction's own pass.
  const h = op === 'mean' ? b.reduce('sum', t.info, axes, n) : b.reduce(op, t.info, axes);
  const y = wrap(h, shape);
  record(op, [t], [y], ([dy]) => {
    if (dy === null) return [null];
    const g = reshape(dy, kept);
    if (op === 'sum') return [broadcastTo(g, t.shape)];
    if (op === 'mean') return [wrap(b.binary('div', g.info, n, t.shape), t.shape)];
    // max/min: the gradient goes to every position equal to the extreme value.
    return [mul(g, equal(t, reshape(y, kept)))];
  });
  return y;
}

/** Sum over `axis` (all axes when omitted). @category Reductions */
export function sum(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  return reduceOp('sum', x, axis, keepDims);
}

/** Largest value over `axis` (all axes when omitted); NaN propagates. @category Reductions */
export function max(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  return reduceOp('max', x, axis, keepDims);
}

/** Smallest value over `axis` (all axes when omitted); NaN propagates. @category Reductions */
export function min(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  return reduceOp('min', x, axis, keepDims);
}

/** Mean over `axis` (all axes when omitted). @category Reductions */
export function mean(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  return reduceOp('mean', x, axis, keepDims);
}

/**
 * Mean and biased variance over `axes`, computed in two passes (mean, then the mean of squared
 * deviations), which stays accurate when the mean is large compared with the spread.
 * @category Reductions
 */
export function moments(x: Tensor, axes?: Axes, keepDims = false): { mean: Tensor; variance: Tensor } {
  return engine.tidy(() => {
    const t = asTensor(x, 'moments');
    const m = mean(t, axes, true);
    const variance = mean(square(sub(t, m)), axes, keepDims);
    const mOut = keepDims ? m : reshape(m, reducedShape(t.shape, normAxes('moments', axes, t.rank), false));
    return { mean: mOut, variance };
  });
}

/** Index of the largest value along `axis` (default -1), as float32; first index on ties. @category Reductions */
export function argMax(x: Tensor, axis = -1): Tensor {
  const t = asTensor(x, 'argMax');
  const a = normAxis('argMax', axis, t.rank);
  return wrap(engine.backend.argMax(t.info, a), reducedShape(t.shape, [a], false));
}
