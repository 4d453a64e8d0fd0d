/**
 * Weight bytes <-> named float32 arrays. Stored kinds: float32 (4 bytes), affine-quantized uint8 /
 * uint16 (`value = q * scale + min`, 1 or 2 bytes) and IEEE float16 (2 bytes); the specs' bytes
 * follow one another in spec order. Decoding happens on the host, before any device memory.
 */
import { ValueError } from '../core/errors.js';
import type { WeightSpec } from './artifacts.js';

/** A decoded weight. */
export interface NamedWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** Bytes one stored element of `spec` takes. */
export function bytesPerElement(spec: WeightSpec): number {
  const q = spec.quantization?.dtype;
  if (q === 'uint8') return 1;
  if (q === 'uint16' || q === 'float16') return 2;
  return 4;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** IEEE 754 half (as its 16 bits) to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decodeOne(spec: WeightSpec, bytes: Uint8Array): Float32Array {
  const n = sizeOf(spec.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  const q = spec.quantization;
  if (!q) {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  } else if (q.dtype === 'float16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  } else {
    const scale = q.scale as number;
    const min = q.min as number;
    const wide = q.dtype === 'uint16';
    for (let i = 0; i < n; i++) out[i] = (wide ? view.getUint16(2 * i, true) : bytes[i]) * scale + min;
  }
  return out;
}

/**
 * Splits `data` into the weights of `specs` (already validated: total bytes match). NaN and
 * infinite values are an error naming the weight (policy: a model file with them is corrupt).
 */
export function decodeWeights(specs: readonly WeightSpec[], data: ArrayBuffer, where: string): NamedWeight[] {
  const all = new Uint8Array(data);
  let at = 0;
  return specs.map((s) => {
    const len = sizeOf(s.shape) * bytesPerElement(s);
    const values = decodeOne(s, all.subarray(at, at + len));
    at += len;
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new ValueError(`${where}: weight '${s.name}' holds ${values[bad]} at flat index ${bad}: a model file with NaN or Inf weights is refused`);
    return { name: s.name, shape: s.shape, values };
  });
}

/** float32 specs and bytes for `weights`, in order (what `save` writes). */
export function encodeWeights(weights: readonly NamedWeight[]): { specs: WeightSpec[]; data: ArrayBuffer } {
  const total = weights.reduce((s, w) => s + w.values.length, 0);
  const data = new Float32Array(total);
  let at = 0;
  for (const w of weights) {
    data.set(w.values, at);
    at += w.values.length;
  }
  return { specs: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' })), data: data.buffer };
}
