/** The digits subset (see demo/digits_plugin.ts) as float32 rows, shuffled once and split. */
import * as digits from 'virtual:digits';

export interface Split {
  /** Rows of `features` pixels in [0, 1]. */
  readonly x: Float32Array;
  /** Class labels 0..9 as float32 (sparse labels). */
  readonly y: Float32Array;
  readonly n: number;
}

export interface Digits {
  readonly features: number;
  readonly train: Split;
  readonly validation: Split;
}

function decode(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

let cache: { pixels: Uint8Array; labels: Uint8Array } | null = null;

function take(order: readonly number[], features: number): Split {
  const { pixels, labels } = cache!;
  const x = new Float32Array(order.length * features);
  const y = new Float32Array(order.length);
  order.forEach((src, i) => {
    for (let f = 0; f < features; f++) x[i * features + f] = pixels[src * features + f] / 255;
    y[i] = labels[src];
  });
  return { x, y, n: order.length };
}

/** The first `samples` digits (classes balanced), shuffled with `seed`; 20% for validation. */
export function loadDigits(samples: number, seed = 1): Digits {
  cache ??= { pixels: decode(digits.pixels), labels: decode(digits.labels) };
  const features = digits.width * digits.width;
  const n = Math.max(20, Math.min(samples, digits.count));
  // A fixed pseudo-random order (sort by a multiplicative hash of index and seed): the same
  // split, and so the same plots, every run.
  const key = (i: number) => Math.imul((i + 1) ^ Math.imul(seed, 0x85ebca6b), 0x9e3779b1) >>> 0;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => key(a) - key(b));
  const nVal = Math.round(n * 0.2);
  return { features, train: take(order.slice(nVal), features), validation: take(order.slice(0, nVal), features) };
}

/** How many samples the subset holds. */
export const maxSamples = digits.count;
