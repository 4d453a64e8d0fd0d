/**
 * Vite plugin serving `virtual:digits`: a small, fixed subset of the `mnist` package's digits,
 * downsampled from 28x28 to 14x14 (2x2 means) and quantised to bytes, as base64 strings. The
 * package keeps ~22 MB of JSON as CommonJS `require`s; the page needs a few thousand samples.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Plugin } from 'vite';

const ID = 'virtual:digits';
const RESOLVED = `\0${ID}`;
/** Samples per class in the subset (the page uses up to 10x this). */
const PER_CLASS = 400;
const SRC = 28;
const DST = 14;

function downsample(raw: readonly number[], sample: number, out: Uint8Array, at: number): void {
  const base = sample * SRC * SRC;
  for (let r = 0; r < DST; r++) {
    for (let c = 0; c < DST; c++) {
      let s = 0;
      for (const [dr, dc] of [[0, 0], [0, 1], [1, 0], [1, 1]]) s += raw[base + (2 * r + dr) * SRC + 2 * c + dc];
      out[at + r * DST + c] = Math.round((s / 4) * 255);
    }
  }
}

/** Interleaved classes (0, 1, ..., 9, 0, 1, ...) so any prefix is balanced. */
function buildSubset(): string {
  const require = createRequire(import.meta.url);
  const raws = Array.from({ length: 10 }, (_, d) => {
    const file = require.resolve(`mnist/src/digits/${d}.json`);
    return (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
  });
  const count = PER_CLASS * 10;
  const pixels = new Uint8Array(count * DST * DST);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const digit = i % 10;
    downsample(raws[digit], Math.floor(i / 10), pixels, i * DST * DST);
    labels[i] = digit;
  }
  const b64 = (a: Uint8Array) => Buffer.from(a).toString('base64');
  return `export const width = ${DST};\nexport const count = ${count};\n` +
    `export const pixels = ${JSON.stringify(b64(pixels))};\nexport const labels = ${JSON.stringify(b64(labels))};\n`;
}

export function digitsPlugin(): Plugin {
  let cached: string | null = null;
  return {
    name: 'wgnn-demo-digits',
    resolveId: (id) => (id === ID ? RESOLVED : null),
    load(id) {
      if (id !== RESOLVED) return null;
      cached ??= buildSubset();
      return cached;
    },
  };
}
