/**
 * Losses with Keras 3 semantics. Each returns a per-element (or per-sample) tensor; `compile`
 * reduces it by the mean over all its elements ("sum over batch size"). Probabilities are clipped
 * to [eps, 1 - eps] with eps = 1e-7 (Keras `backend.epsilon()`).
 */
import { ValueError, ShapeError, fmtShape } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { abs, add, div, equal, greater, log, maximum, minimum, mul, neg, square, sub } from '../ops/elementwise.js';
import { argMax, mean, sum } from '../ops/reduce.js';
import { oneHot, reshape } from '../ops/movement.js';

/** A loss: `(yTrue, yPred) => tensor` of per-element (or per-sample) losses. */
export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;
export type LossName =
  | 'meanSquaredError' | 'meanAbsoluteError' | 'binaryCrossentropy' | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy';

export const EPSILON = 1e-7;

const clip = (p: Tensor) => minimum(maximum(p, EPSILON), 1 - EPSILON);

/** mean((yTrue - yPred)^2, axis -1), [batch, ...]. */
export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  return mean(square(sub(yTrue, yPred)), -1);
}

/** mean(|yTrue - yPred|, axis -1). */
export function meanAbsoluteError(yTrue: Tensor, yPred: Tensor): Tensor {
  return mean(abs(sub(yTrue, yPred)), -1);
}

/**
 * Keras 3: p = clip(yPred, eps, 1 - eps);
 * -mean(y * log(p + eps) + (1 - y) * log(1 - p + eps), axis -1).
 */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  const p = clip(yPred);
  const pos = mul(yTrue, log(add(p, EPSILON)));
  const negPart = mul(sub(1, yTrue), log(add(sub(1, p), EPSILON)));
  return neg(mean(add(pos, negPart), -1));
}

/** Keras 3: p = clip(yPred / sum(yPred, -1), eps, 1 - eps); -sum(yTrue * log(p), axis -1). */
export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  const p = clip(div(yPred, sum(yPred, -1, true)));
  return neg(sum(mul(yTrue, log(p)), -1));
}

/**
 * Integer labels [batch] or [batch, 1] against probabilities [batch, classes]. A label outside
 * [0, classes) gives NaN for its sample (Keras would gather out of bounds), so a training step
 * fails through its finite check and fit names the labels; see `checkSparseLabels`.
 */
export function sparseCategoricalCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  const classes = yPred.shape[yPred.rank - 1];
  const hot = oneHot(reshape(yTrue, [-1]), classes);
  // An out-of-range label has an all-zero one-hot row: its loss would be 0, silently. Dividing by
  // the row sum is exact for valid rows (x / 1) and 0 / 0 = NaN for the others: one small dispatch.
  return div(categoricalCrossentropy(hot, yPred), sum(hot, -1));
}

/**
 * Host-side diagnosis for an error path (one readback): throws a ValueError naming the first bad
 * sparse labels of `yTrue` (not whole numbers in [0, classes)), `where` the batch they came from.
 */
export async function checkSparseLabels(yTrue: Tensor, classes: number, where: string): Promise<void> {
  const v = await yTrue.data();
  const bad = [...new Set(Array.from(v).filter((l) => !(Number.isInteger(l) && l >= 0 && l < classes)))];
  if (bad.length === 0) return;
  throw new ValueError(`${where}: sparseCategoricalCrossentropy labels must be integers in [0, ${classes}) for ${classes} classes, ` +
    `got ${bad.slice(0, 8).join(', ')}${bad.length > 8 ? ', ...' : ''}`);
}

const BUILTIN: Record<LossName, LossFn> = {
  meanSquaredError, meanAbsoluteError, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy,
};

/** Resolves a loss name or function; `name` is what errors and `accuracy` selection use. */
export function getLoss(spec: LossName | LossFn | undefined): { name: string; fn: LossFn } {
  if (typeof spec === 'function') return { name: spec.name || 'custom', fn: spec };
  if (typeof spec === 'string' && spec in BUILTIN) return { name: spec, fn: BUILTIN[spec] };
  throw new ValueError(`compile: loss must be one of ${Object.keys(BUILTIN).join(', ')} or a function (yTrue, yPred) => Tensor, got ${JSON.stringify(spec)}`);
}

/** Scalar loss: mean over every element of `fn(yTrue, yPred)`. */
export function reducedLoss(fn: LossFn, yTrue: Tensor, yPred: Tensor): Tensor {
  const l = fn(yTrue, yPred);
  if (!l || typeof l !== 'object' || !l.isWgnnTensor) throw new ValueError('loss function must return a Tensor');
  return mean(l);
}

export type AccuracyKind = 'binary' | 'categorical' | 'sparse';

/** Keras's choice of accuracy for a loss and the output shape. */
export function accuracyKind(lossName: string, yPredShape: readonly (number | null)[]): AccuracyKind {
  if (lossName === 'binaryCrossentropy') return 'binary';
  if (lossName === 'sparseCategoricalCrossentropy') return 'sparse';
  if (lossName === 'categoricalCrossentropy') return 'categorical';
  return yPredShape[yPredShape.length - 1] === 1 ? 'binary' : 'categorical';
}

/** Per-sample 1/0 correctness: binary (p > 0.5), categorical (argmax match), sparse (label = argmax). */
export function accuracy(kind: AccuracyKind, yTrue: Tensor, yPred: Tensor): Tensor {
  switch (kind) {
    case 'binary':
      return mean(equal(yTrue, greater(yPred, 0.5)), -1);
    case 'categorical':
      return equal(argMax(yTrue, -1), argMax(yPred, -1));
    case 'sparse':
      if (yTrue.size !== yPred.size / yPred.shape[yPred.rank - 1]) {
        throw new ShapeError(`accuracy: sparse labels ${fmtShape(yTrue.shape)} do not match predictions ${fmtShape(yPred.shape)}`);
      }
      return equal(reshape(yTrue, [-1]), argMax(yPred, -1));
    default:
      kind satisfies never;
      throw new ValueError(`unknown accuracy kind ${String(kind)}`);
  }
}
