/**
 * The fine-tuning section's labelled images, drawn by the page itself: horizontal stripes,
 * vertical stripes or checks, in two random pale colours, with a random period, phase and a small
 * rotation, and a little noise. Rasterized here (4 samples per pixel) rather than on a canvas, so the same seed gives
 * the same pixels in every browser, headless or not, and in Node; the page shows a few of them
 * on a canvas (`toImageData`). Pixels are RGB in [0, 1], NHWC.
 */

/** The classes, in label order. */
export const SHAPE_CLASSES = ['horizontal stripes', 'vertical stripes', 'checks'] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

export interface ImageSet {
  /** n * size * size * 3 values in [0, 1], NHWC. */
  readonly x: Float32Array;
  /** Labels (indices into SHAPE_CLASSES) as float32, for sparse categorical cross-entropy. */
  readonly y: Float32Array;
  readonly n: number;
  readonly size: number;
}

/** A small seeded generator (xorshift32 with a multiplicative output mix): floats in [0, 1). */
export function seeded(seed: number): () => number {
  let s = (seed ^ 0x9e3779b9) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (Math.imul(s, 0x2c1b3c6d) >>> 0) / 2 ** 32;
  };
}

type Rgb = readonly [number, number, number];

/** Pattern position: stripe period (pixels), phase, a small rotation. */
interface Pattern { readonly period: number; readonly phase: number; readonly angle: number }

/** Whether (px, py) lies on the pattern's foreground: a stripe or a dark check. */
function onPattern(kind: ShapeClass, p: Pattern, px: number, py: number): boolean {
  const u = Math.cos(p.angle) * px + Math.sin(p.angle) * py;
  const v = -Math.sin(p.angle) * px + Math.cos(p.angle) * py;
  const band = (t: number) => ((((t + p.phase) / p.period) % 1) + 1) % 1 < 0.5;
  switch (kind) {
    case 'horizontal stripes':
      return band(v);
    case 'vertical stripes':
      return band(u);
    case 'checks':
      return band(u) !== band(v);
    default:
      return kind satisfies never;
  }
}

function colour(rand: () => number): Rgb {
  return [rand(), rand(), rand()];
}

/** A colour at least `gap` away (sum of channel differences) from `other`. */
function contrasting(rand: () => number, other: Rgb, gap: number): Rgb {
  for (;;) {
    const c = colour(rand);
    if (Math.abs(c[0] - other[0]) + Math.abs(c[1] - other[1]) + Math.abs(c[2] - other[2]) >= gap) return c;
  }
}

/**
 * Pale colours: every value mapped into [0.7, 1]. The new images' statistics are then far from
 * those the network was trained on, which is what makes training-mode BN (the trap) visible.
 */
const pale = (v: number) => 0.7 + 0.3 * v;

const SUB = [0.25, 0.75];

/** Draws one image of `kind` into `out` at `offset` (size * size * 3 values). */
function draw(kind: ShapeClass, size: number, rand: () => number, out: Float32Array, offset: number): void {
  const bg = colour(rand);
  const fg = contrasting(rand, bg, 0.9);
  const period = size * (0.18 + 0.17 * rand());
  const p: Pattern = { period, phase: rand() * period, angle: (rand() - 0.5) * 0.5 };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let cover = 0;
      for (const sy of SUB) for (const sx of SUB) if (onPattern(kind, p, x + sx, y + sy)) cover += 0.25;
      const at = offset + (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = pale(cover * fg[c] + (1 - cover) * bg[c]) + (rand() - 0.5) * 0.04;
        out[at + c] = Math.min(1, Math.max(0, v));
      }
    }
  }
}

/** `perClass` images of each class, interleaved (class 0, 1, 2, 0, ...). */
export function drawShapes(perClass: number, size: number, seed: number): ImageSet {
  const rand = seeded(seed);
  const n = perClass * SHAPE_CLASSES.length;
  const x = new Float32Array(n * size * size * 3);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % SHAPE_CLASSES.length;
    draw(SHAPE_CLASSES[label], size, rand, x, i * size * size * 3);
    y[i] = label;
  }
  return { x, y, n, size };
}

/** Image `i` of `set` as canvas pixels (for a thumbnail). */
export function toImageData(set: ImageSet, i: number): ImageData {
  const { size } = set;
  const img = new ImageData(size, size);
  const from = i * size * size * 3;
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) img.data[p * 4 + c] = Math.round(set.x[from + p * 3 + c] * 255);
    img.data[p * 4 + 3] = 255;
  }
  return img;
}
