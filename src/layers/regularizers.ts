/**
 * Weight regularizers (Keras `L1L2`): a penalty `l1 * sum(|w|) + l2 * sum(w^2)` that `fit` adds to
 * the loss of every training step, as Keras adds `model.losses`.
 */
import { ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { abs, add, mul, square } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';

/** `{ l1, l2 }` (each default 0), Keras's L1L2. */
export interface RegularizerConfig {
  readonly l1?: number;
  readonly l2?: number;
}

/** Validates a regularizer option; `what` names the layer option for errors. */
export function checkRegularizer(r: RegularizerConfig | undefined, what: string): Required<RegularizerConfig> | null {
  if (r === undefined || r === null) return null;
  if (typeof r !== 'object' || Object.keys(r).some((k) => k !== 'l1' && k !== 'l2')) {
    throw new ValueError(`${what}: a regularizer is { l1?, l2 }, got ${JSON.stringify(r)}`);
  }
  const { l1 = 0, l2 = 0 } = r;
  for (const [k, v] of [['l1', l1], ['l2', l2]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ValueError(`${what}: ${k} must be a finite number >= 0, got ${String(v)}`);
  }
  return { l1, l2 };
}

/** The penalty of `w` under `r` (a scalar tensor). */
export function penalty(r: Required<RegularizerConfig>, w: Tensor): Tensor | null {
  const terms: Tensor[] = [];
  if (r.l1 > 0) terms.push(mul(sum(abs(w)), r.l1));
  if (r.l2 > 0) terms.push(mul(sum(square(w)), r.l2));
  return terms.length === 0 ? null : terms.length === 1 ? terms[0] : add(terms[0], terms[1]);
}
