/** Matrix product, 2-D and batched (leading batch dimensions broadcast). */
import { engine } from '../core/engine.js';
import { ShapeError, fmtShape } from '../core/errors.js';
import { broadcastShapes } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import type { FusedActivation } from '../backend/backend.js';
import { mul, square, step, sub, unbroadcast } from './elementwise.js';
import { asTensor, record, wrap } from './op.js';
import { sum } from './reduce.js';

/**
 * a @ b for a: [..., M, K], b: [..., K, N] -> [..., M, N] (with `transposeA`/`transposeB`
 * swapping the last two axes of an input). Batch dimensions broadcast.
 * @category Linear algebra
 */
export function matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  const ta = asTensor(a, 'matmul', 'a');
  const tb = asTensor(b, 'matmul', 'b');
  if (ta.rank < 2 || tb.rank < 2) {
    throw new ShapeError(`matmul: both inputs need rank >= 2, got ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)}`);
  }
  const [m, ka] = transposeA ? [ta.shape[ta.rank - 1], ta.shape[ta.rank - 2]] : [ta.shape[ta.rank - 2], ta.shape[ta.rank - 1]];
  const [kb, n] = transposeB ? [tb.shape[tb.rank - 1], tb.shape[tb.rank - 2]] : [tb.shape[tb.rank - 2], tb.shape[tb.rank - 1]];
  if (ka !== kb) {
    throw new ShapeError(
      `matmul: inner dimensions differ: a ${fmtShape(ta.shape)}${transposeA ? ' (transposed)' : ''} has ${ka}, ` +
        `b ${fmtShape(tb.shape)}${transposeB ? ' (transposed)' : ''} has ${kb}`,
    );
  }
  const batch = broadcastShapes('matmul', ta.shape.slice(0, -2), tb.shape.slice(0, -2));
  const outShape = [...batch, m, n];
  const y = wrap(engine.backend.matmul(ta.info, tb.info, transposeA, transposeB, outShape), outShape);
  record('matmul', [ta, tb], [y], ([dy], need = [true, true]) => {
    if (dy === null) return [null, null];
    // d(a@b)/da = dy @ b^T, d/db = a^T @ dy, with the transposes folded into the kernel flags.
    // No product for an input nothing differentiates (the data x of a first Dense layer).
    const ga = need[0] ? (transposeA ? matmul(tb, dy, transposeB, true) : matmul(dy, tb, false, !transposeB)) : null;
    const gb = need[1] ? (transposeB ? matmul(dy, ta, true, transposeA) : matmul(ta, dy, !transposeA, false)) : null;
    return [ga && unbroadcast(ga, ta.shape), gb && unbroadcast(gb, tb.shape)];
  });
  return y;
}

/** d act / d z in terms of y = act(z), times dy (relu: z > 0 iff y > 0). */
function activationGrad(activation: FusedActivation, dy: Tensor, y: Tensor): Tensor {
  switch (activation) {
    case 'linear':
      return dy;
    case 'relu':
      return mul(dy, step(y));
    case 'relu6':
      return mul(dy, mul(step(y), step(sub(6, y))));
    case 'sigmoid':
      return mul(dy, mul(y, sub(1, y)));
    case 'tanh':
      return mul(dy, sub(1, square(y)));
    default:
      activation satisfies never;
      throw new ShapeError(`internal: matmulBiasActivation: unknown activation '${String(activation)}'`);
  }
}

/**
 * y = act(x @ w + bias) for x: [M, K], w: [K, N], bias: [N] or null, in one backend call (one
 * dispatch on WebGPU): a dense layer's forward. The gradient flows through the activation
 * (from y), then as matmul's: dx = dz @ w^T, dw = x^T @ dz, dbias = sum(dz, 0).
 */
export function matmulBiasActivation(x: Tensor, w: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor {
  const tx = asTensor(x, 'matmulBiasActivation', 'x');
  const tw = asTensor(w, 'matmulBiasActivation', 'w');
  const [M, K] = tx.shape;
  const N = tw.shape[1];
  if (tx.rank !== 2 || tw.rank !== 2 || tw.shape[0] !== K || (bias && (bias.rank !== 1 || bias.shape[0] !== N))) {
    throw new ShapeError(
      `matmulBiasActivation: expected x [M, K], w [K, N], bias [N], got x ${fmtShape(tx.shape)}, ` +
        `w ${fmtShape(tw.shape)}, bias ${bias ? fmtShape(bias.shape) : 'none'}`,
    );
  }
  const tb = bias && asTensor(bias, 'matmulBiasActivation', 'bias');
  const y = wrap(engine.backend.matmulFused(tx.info, tw.info, false, false, [M, N], tb && tb.info.handle, activation), [M, N]);
  const inputs = tb ? [tx, tw, tb] : [tx, tw];
  record('matmulBiasActivation', inputs, [y], ([dy], need = [true, true, true]) => {
    if (dy === null) return inputs.map(() => null);
    const dz = activationGrad(activation, dy, y);
    const gx = need[0] ? matmul(dz, tw, false, true) : null;
    const gw = need[1] ? matmul(tx, dz, true, false) : null;
    return tb ? [gx, gw, need[2] ? sum(dz, 0) : null] : [gx, gw];
  });
  return y;
}
