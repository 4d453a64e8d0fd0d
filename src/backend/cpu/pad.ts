/** Constant padding on the CPU (twin of shaders/pad.wgsl). */
import { sizeOf, stridesOf, type Shape } from '../../core/shape.js';
import { alloc, forEachIndex, type Arr } from './arrays.js';

export function pad(x: Arr, shape: Shape, paddings: readonly (readonly [number, number])[], value: number): Arr {
  const outShape = shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const out = alloc(x, sizeOf(outShape)).fill(value);
  const outStrides = stridesOf(outShape);
  const base = paddings.reduce((s, [before], i) => s + before * outStrides[i], 0);
  forEachIndex(shape, [outStrides], (i, [o]) => {
    out[base + o] = x[i];
  });
  return out;
}
