/**
 * Uniform parameter packing and the stride arithmetic shared by the strided kernels. WGSL
 * structs here put scalars first and per-axis arrays as `array<vec4<u32>, 2>` (16-byte aligned),
 * so one rank-8 axis list is 8 words after a 4-word alignment.
 */
import { BackendError, fmtShape } from '../../core/errors.js';
import type { Shape } from '../../core/shape.js';

/** Highest rank the strided kernels accept after collapsing contiguous axes. */
export const MAX_RANK = 8;

/** Builds the bytes of a uniform params struct, word by word. */
export class Params {
  readonly #u32 = new Uint32Array(64);
  readonly #f32 = new Float32Array(this.#u32.buffer);
  #i = 0;

  /** Appends u32 words. */
  u32(...values: number[]): this {
    for (const v of values) this.#u32[this.#i++] = v;
    return this;
  }

  /** Appends f32 words. */
  f32(...values: number[]): this {
    for (const v of values) this.#f32[this.#i++] = v;
    return this;
  }

  /** Appends one `array<vec4<u32>, 2>` axis list (16-byte aligned, zero-padded to 8). */
  dims(values: readonly number[]): this {
    this.#i = Math.ceil(this.#i / 4) * 4;
    for (let d = 0; d < MAX_RANK; d++) this.#u32[this.#i++] = values[d] ?? 0;
    return this;
  }

  /** The words written so far, padded to a 16-byte multiple. */
  words(): Uint32Array {
    return this.#u32.subarray(0, Math.max(4, Math.ceil(this.#i / 4) * 4));
  }
}

/** A shape with one stride list per operand, after merging axes. */
export interface StridedView {
  readonly shape: number[];
  readonly strides: number[][];
}

/**
 * Drops size-1 axes and merges neighbouring axes that every operand walks contiguously, so a
 * same-layout [a, b, c] op becomes 1-D and most broadcasts need 2-3 axes.
 */
export function collapse(shape: Shape, strides: readonly (readonly number[])[]): StridedView {
  const outShape: number[] = [];
  const out: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, k) => out[k][last] === s[d] * shape[d]);
    if (mergeable) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => (out[k][last] = s[d]));
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => out[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: out };
}

/** Throws a BackendError when a collapsed view still has more axes than the kernels handle. */
export function checkRank(op: string, view: StridedView, original: Shape): void {
  if (view.shape.length > MAX_RANK) {
    throw new BackendError(
      `webgpu ${op}: shape ${fmtShape(original)} needs ${view.shape.length} strided axes after merging; ` +
        `the WebGPU kernels handle at most ${MAX_RANK}`,
    );
  }
}
