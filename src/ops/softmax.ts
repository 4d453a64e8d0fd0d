/** Softmax and log-softmax along one axis, each one fused kernel forward and one backward. */
import { engine } from '../core/engine.js';
import { ShapeError } from '../core/errors.js';
import { normAxis } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { asTensor, record, wrap } from './op.js';

function softmaxOp(name: 'softmax' | 'logSoftmax', x: Tensor, axis: number): Tensor {
  const t = asTensor(x, name);
  if (t.rank === 0) throw new ShapeError(`${name}: input must have rank >= 1, got a scalar`);
  const a = normAxis(name, axis, t.rank);
  const log = name === 'logSoftmax';
  const b = engine.backend;
  const y = wrap(b.softmax(t.info, a, log), t.shape);
  record(name, [t], [y], ([dy]) => [dy && wrap(b.softmaxGrad(y.info, dy.handle, a, log), t.shape)]);
  return y;
}

/**
 * exp(x - m) / sum(exp(x - m)) along `axis` (default -1), m = max(x) along it: large logits
 * (1e4) stay finite. Gradient: dx = y * (dy - sum(dy * y)).
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp('softmax', x, axis);
}

/**
 * x - m - log(sum(exp(x - m))) along `axis` (default -1), m = max(x) along it.
 * Gradient: dx = dy - softmax(x) * sum(dy).
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp('logSoftmax', x, axis);
}
