/** The element arrays of the CPU backend: float32 by default, float64 for references. */
import { BackendError } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';

export type Arr = Float32Array | Float64Array;

/**
 * A new zeroed float32 (or float64) array for `op`. An engine refusal (past the typed-array
 * length limit, or out of memory) becomes a BackendError naming the op and the size, as WebGPU's
 * buffer limit does.
 */
export function newArray(float64: boolean, size: number, op: string): Arr {
  try {
    return float64 ? new Float64Array(size) : new Float32Array(size);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const bits = float64 ? 64 : 32;
    throw new BackendError(
      `cpu: '${op}' needs ${size} float${bits} elements (${size * (bits / 8)} bytes), more than this JavaScript ` +
        `engine can allocate in one typed array (${e.message})`,
    );
  }
}

/** A new zeroed array of the same element type as `like`, for `op`. */
export function alloc(like: Arr, size: number, op = 'alloc'): Arr {
  return newArray(like instanceof Float64Array, size, op);
}

/**
 * Throws unless `a` holds at least `size` elements: the CPU kernels that take a size check it at
 * the backend boundary (one comparison per call), so they can never read past an array (which a
 * typed array turns into NaN) or silently drop writes beyond it.
 */
export function checkSize(kernel: string, what: string, a: Arr, size: number): void {
  if (!Number.isInteger(size) || size < 0 || size > a.length) {
    throw new BackendError(`internal: cpu ${kernel}: ${what} holds ${a.length} elements but the call needs ${size}`);
  }
}

/** Calls `visit(outIndex, offsets...)` for every element of `outShape`, in row-major order. */
export function forEachIndex(outShape: Shape, strides: readonly (readonly number[])[], visit: (i: number, offs: number[]) => void): void {
  const rank = outShape.length;
  const idx = new Array<number>(rank).fill(0);
  const offs = strides.map(() => 0);
  let total = 1;
  for (const d of outShape) total *= d;
  for (let i = 0; i < total; i++) {
    visit(i, offs);
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]++;
      for (let k = 0; k < strides.length; k++) offs[k] += strides[k][ax];
      if (idx[ax] < outShape[ax]) break;
      for (let k = 0; k < strides.length; k++) offs[k] -= strides[k][ax] * outShape[ax];
      idx[ax] = 0;
    }
  }
}
