/**
 * Test helpers shared by every project: the `toBeAllClose` matcher, the project's backend,
 * a seeded PRNG and float64 finite differences. Importing this module registers the matcher
 * (test/setup.ts does, so the matcher is available in every op project).
 */
import { expect, inject } from 'vitest';
import * as wg from '../src/index.js';
import { seededUniform } from '../src/ops/creation.js';

export type BackendName = 'cpu' | 'webgpu';

declare module 'vitest' {
  /** Values vitest.config.ts hands to each project (read with `inject`). */
  export interface ProvidedContext {
    backend: BackendName;
    project: 'node-cpu' | 'node-webgpu' | 'chromium' | 'e2e';
    /** WGNN_ALLOW_NO_GPU=1 on the host: a webgpu project may fall back to the CPU. */
    allowNoGpu: boolean;
    runId: string;
    /** e2e only: Playwright launch options for the system Chromium with WebGPU enabled. */
    chromiumLaunch: { executablePath: string; args: string[] };
  }
  // Same type parameters as vitest's own declaration (declaration merging needs them identical).
  interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown> {
    /**
     * Elementwise `|actual - expected| <= atol + rtol * |expected|` (numpy's allclose).
     * Accepts numbers, typed arrays and (nested) number arrays; nested arrays must have the same
     * shape, a typed array only the same size. NaN never matches unless `equalNan: true` (a NaN on both sides is usually the same bug twice).
     * Defaults: rtol 1e-5, atol 1e-6 (float32 arithmetic).
     */
    toBeAllClose(expected: Numeric, tol?: AllCloseOptions): R;
  }
}

/** What `toBeAllClose` compares. */
export type Numeric = number | ArrayLike<number> | NestedArray;
export interface NestedArray extends ReadonlyArray<number | NestedArray> {}

export interface AllCloseOptions {
  rtol?: number;
  atol?: number;
  equalNan?: boolean;
}

interface Flat {
  values: ArrayLike<number>;
  /** null for typed arrays: only the size is checked. */
  shape: number[] | null;
}

function flatten(v: unknown, what: string): Flat {
  if (typeof v === 'number') return { values: [v], shape: [] };
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return { values: v as unknown as ArrayLike<number>, shape: null };
  }
  if (!Array.isArray(v)) {
    throw new TypeError(`toBeAllClose: ${what} must be a number, typed array or nested array, got ${typeof v}`);
  }
  const out: number[] = [];
  const shape: number[] = [];
  const walk = (x: unknown, depth: number): void => {
    if (Array.isArray(x)) {
      if (shape.length === depth) shape.push(x.length);
      else if (shape[depth] !== x.length) throw new TypeError(`toBeAllClose: ${what} is a ragged array`);
      for (const e of x) walk(e, depth + 1);
    } else if (typeof x === 'number') {
      if (depth !== shape.length) throw new TypeError(`toBeAllClose: ${what} is a ragged array`);
      out.push(x);
    } else {
      throw new TypeError(`toBeAllClose: ${what} holds a ${typeof x}, expected numbers`);
    }
  };
  walk(v, 0);
  return { values: out, shape };
}

function unravel(flat: number, shape: number[] | null): string {
  if (shape === null || shape.length <= 1) return `[${flat}]`;
  const idx: number[] = [];
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]!);
    rest = Math.floor(rest / shape[d]!);
  }
  return `[${idx.join(',')}]`;
}

const fmtShape = (s: number[] | null, n: number) => (s === null ? `size ${n}` : `[${s.join(',')}]`);

function allClose(actual: unknown, expected: unknown, tol: AllCloseOptions = {}) {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-6;
  const equalNan = tol.equalNan ?? false;
  const tolText = `rtol=${rtol}, atol=${atol}`;
  const a = flatten(actual, 'actual');
  const e = flatten(expected, 'expected');
  const n = e.values.length;
  const shapesDiffer = a.shape !== null && e.shape !== null
    && (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape![i]));
  if (a.values.length !== n || shapesDiffer) {
    return { pass: false, message: () =>
      `expected ${fmtShape(a.shape, a.values.length)} to be all close to ${fmtShape(e.shape, n)}: shapes differ` };
  }
  let worst = -1;
  let worstExcess = -Infinity;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const x = a.values[i]!;
    const y = e.values[i]!;
    let excess: number;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      excess = equalNan && Number.isNaN(x) && Number.isNaN(y) ? -Infinity : Infinity;
    } else if (x === y) {
      excess = -Infinity; // also covers equal infinities
    } else {
      excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
      if (Number.isNaN(excess)) excess = Infinity; // inf - inf
    }
    if (excess > 0) bad++;
    if (excess > worstExcess || worst < 0) {
      worstExcess = excess;
      worst = i;
    }
  }
  const shape = e.shape ?? a.shape;
  const where = () => {
    if (worst < 0) return 'no elements';
    const x = a.values[worst]!;
    const y = e.values[worst]!;
    return `worst at index ${unravel(worst, shape)}: actual ${x}, expected ${y}, ` +
      `|diff| ${Math.abs(x - y)} vs allowed ${atol + rtol * Math.abs(y)} (${tolText})`;
  };
  return {
    pass: bad === 0,
    message: () => (bad === 0
      ? `expected values not to be all close (${tolText}), but all ${n} are; ${where()}`
      : `expected values to be all close: ${bad} of ${n} elements differ; ${where()}`),
  };
}

expect.extend({
  toBeAllClose(received: unknown, expected: unknown, tol?: AllCloseOptions) {
    return allClose(received, expected, tol);
  },
});

/** The backend the running project asked for ('cpu' in node-cpu, 'webgpu' in the others). */
export function projectBackend(): BackendName {
  return inject('backend');
}

/** The backend wgnn is using right now. */
export function backendName(): BackendName {
  return wg.getBackend();
}

/**
 * Initialises the project's backend. A webgpu project with no adapter fails, unless the host set
 * WGNN_ALLOW_NO_GPU=1, in which case it falls back to the CPU with a loud warning.
 */
export async function initProjectBackend(): Promise<void> {
  const backend = projectBackend();
  if (backend === 'cpu') {
    await wg.init({ backend: 'cpu' });
    return;
  }
  try {
    await wg.init({ backend });
  } catch (err) {
    if (!inject('allowNoGpu')) {
      throw new Error(`[wgnn test] project ${inject('project')} could not start the webgpu backend ` +
        '(a missing adapter is a failure; WGNN_ALLOW_NO_GPU=1 only on a machine without one): ' +
        String(err), { cause: err });
    }
    console.warn(`[wgnn test] WGNN_ALLOW_NO_GPU=1: ${inject('project')} runs on the CPU backend ` +
      `because webgpu failed: ${String(err)}`);
    await wg.init({ backend: 'cpu' });
  }
}

// ---------------------------------------------------------------------------------------------
// Seeded random numbers

/** Seeded test data: the library's own 32-bit generator (`seededUniform`), so runs repeat exactly. */
export class Rng {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = seededUniform(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.#next();
  }

  /** n values uniform in [low, high). */
  uniform(n: number, low = 0, high = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = low + (high - low) * this.next();
    return out;
  }

  /** n values from N(mean, stddev^2) (Box-Muller). */
  normal(n: number, mean = 0, stddev = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i += 2) {
      const u1 = 1 - this.next(); // (0, 1]: log stays finite
      const u2 = this.next();
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = mean + stddev * r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) out[i + 1] = mean + stddev * r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }

  uniformF32(n: number, low = 0, high = 1): Float32Array {
    return Float32Array.from(this.uniform(n, low, high));
  }

  normalF32(n: number, mean = 0, stddev = 1): Float32Array {
    return Float32Array.from(this.normal(n, mean, stddev));
  }
}

/** A fresh generator: `rng(42).normalF32(12)`. */
export function rng(seed: number): Rng {
  return new Rng(seed);
}

// ---------------------------------------------------------------------------------------------
// Gradients

/**
 * Central differences in float64: `g[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)`.
 * `x` is modified during the call and restored before it returns.
 */
export function finiteDifference(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    x[i] = xi + h;
    const fp = f(x);
    x[i] = xi - h;
    const fm = f(x);
    x[i] = xi;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}
