/** Matrix product, 2-D and batched (leading batch dimensions broadcast). */
import { engine } from '../core/engine.js';
import { ShapeError, fmtShape } from '../core/errors.js';
import { broadcastShapes } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { unbroadcast } from './elementwise.js';
import { asTensor, record, wrap } from './op.js';

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
