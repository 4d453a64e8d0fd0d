/** Reductions and argMax on the CPU, over any axes, without transposing. */
import { reducedShape, sizeOf, stridesOf, type Shape } from '../../core/shape.js';
import type { ReduceOp } from '../backend.js';
import { alloc, forEachIndex, type Arr } from './arrays.js';

const init: Record<ReduceOp, number> = { sum: 0, max: -Infinity, min: Infinity };

function combine(op: ReduceOp, acc: number, v: number): number {
  switch (op) {
    case 'sum':
      return acc + v;
    case 'max':
      return Number.isNaN(v) || v > acc ? v : acc;
    case 'min':
      return Number.isNaN(v) || v < acc ? v : acc;
    default:
      return op satisfies never;
  }
}

/** Reduces `x` over `axes`; the output lists the kept axes in order. */
export function reduce(op: ReduceOp, x: Arr, shape: Shape, axes: readonly number[]): Arr {
  const outShape = reducedShape(shape, axes, false);
  const out = alloc(x, sizeOf(outShape), op).fill(init[op]);
  // Output offset for each input index: kept axes use the output strides, reduced axes stride 0.
  const outStridesKept = stridesOf(outShape);
  const strides: number[] = [];
  let k = 0;
  shape.forEach((_, i) => strides.push(axes.includes(i) ? 0 : outStridesKept[k++]));
  forEachIndex(shape, [strides], (i, [o]) => {
    if (!Number.isNaN(out[o])) out[o] = combine(op, out[o], x[i]);
  });
  return out;
}

/** Index of the largest value along `axis` (first on ties; NaN wins like the max). */
export function argMax(x: Arr, shape: Shape, axis: number): Arr {
  const outer = sizeOf(shape.slice(0, axis));
  const n = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const out = alloc(x, outer * inner, 'argMax');
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let best = 0;
      let bestV = x[o * n * inner + j];
      for (let i = 1; i < n && !Number.isNaN(bestV); i++) {
        const v = x[(o * n + i) * inner + j];
        if (v > bestV || Number.isNaN(v)) {
          best = i;
          bestV = v;
        }
      }
      out[o * inner + j] = best;
    }
  }
  return out;
}
