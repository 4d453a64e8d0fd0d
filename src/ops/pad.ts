/** Constant padding of any rank; its gradient is the slice of dy over the original extent. */
import { engine } from '../core/engine.js';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { slice } from './movement.js';
import { asTensor, record, wrap } from './op.js';

/** `[before, after]` per axis. */
export type Paddings = readonly (readonly [number, number])[];

function checkPaddings(t: Tensor, paddings: Paddings): void {
  const shown = JSON.stringify(paddings);
  if (!Array.isArray(paddings) || paddings.length !== t.rank) {
    throw new ShapeError(`pad: paddings ${shown} must have one [before, after] pair per axis of the input shape ${fmtShape(t.shape)} (${t.rank})`);
  }
  for (const pair of paddings) {
    if (!Array.isArray(pair) || pair.length !== 2 || pair.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new ValueError(`pad: each padding must be [before, after] with non-negative integers, got ${shown} for input shape ${fmtShape(t.shape)}`);
    }
  }
}

/**
 * Pads `x` with `value` (default 0): axis d grows to `paddings[d][0] + x.shape[d] + paddings[d][1]`
 * (TF.js `tf.pad`, constant mode). Gradient: dy sliced back to x's block.
 */
export function pad(x: Tensor, paddings: Paddings, value = 0): Tensor {
  const t = asTensor(x, 'pad');
  checkPaddings(t, paddings);
  if (typeof value !== 'number') throw new ValueError(`pad: value must be a number, got ${typeof value}`);
  const pads = paddings.map(([b, a]) => [b, a] as const);
  const outShape = t.shape.map((d, i) => pads[i][0] + d + pads[i][1]);
  const y = wrap(engine.backend.pad(t.info, pads, value), outShape);
  record('pad', [t], [y], ([dy]) => [dy && slice(dy, pads.map(([b]) => b), t.shape)]);
  return y;
}
