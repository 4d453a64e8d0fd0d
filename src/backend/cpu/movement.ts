/** Data movement on the CPU: transpose, slice, gather, concat, oneHot. */
import { sizeOf, stridesOf, type Shape } from '../../core/shape.js';
import { alloc, forEachIndex, type Arr } from './arrays.js';

export function transpose(x: Arr, shape: Shape, perm: readonly number[]): Arr {
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]);
  const out = alloc(x, x.length, 'transpose');
  forEachIndex(outShape, [perm.map((p) => inStrides[p])], (i, [o]) => {
    out[i] = x[o];
  });
  return out;
}

export function slice(x: Arr, shape: Shape, begin: readonly number[], size: readonly number[]): Arr {
  const inStrides = stridesOf(shape);
  const base = begin.reduce((s, b, i) => s + b * inStrides[i], 0);
  const out = alloc(x, sizeOf(size), 'slice');
  forEachIndex(size, [inStrides], (i, [o]) => {
    out[i] = x[base + o];
  });
  return out;
}

export function gather(x: Arr, shape: Shape, indices: Int32Array): Arr {
  const row = sizeOf(shape.slice(1));
  const out = alloc(x, indices.length * row, 'gather');
  indices.forEach((r, i) => out.set(x.subarray(r * row, (r + 1) * row), i * row));
  return out;
}

export function concat(xs: readonly { data: Arr; shape: Shape }[], axis: number, outShape: Shape): Arr {
  const outer = sizeOf(outShape.slice(0, axis));
  const inner = sizeOf(outShape.slice(axis + 1));
  const out = alloc(xs[0].data, sizeOf(outShape), 'concat');
  const rowOut = outShape[axis] * inner;
  let at = 0;
  for (const { data, shape } of xs) {
    const row = shape[axis] * inner;
    for (let o = 0; o < outer; o++) out.set(data.subarray(o * row, (o + 1) * row), o * rowOut + at);
    at += row;
  }
  return out;
}

export function oneHot(indices: Arr, depth: number): Arr {
  const out = alloc(indices, indices.length * depth, 'oneHot');
  indices.forEach((v, i) => {
    if (Number.isInteger(v) && v >= 0 && v < depth) out[i * depth + v] = 1;
  });
  return out;
}
