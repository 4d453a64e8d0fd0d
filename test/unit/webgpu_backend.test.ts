/**
 * WebGpuBackend checked method by method against hand-written JS expectations
 * (upload -> op -> read), on whatever adapter the environment gives (SwiftShader here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BinaryOp, DataHandle, TensorInfo, UnaryOp } from '../../src/backend/backend.js';
import { BINARY_OPS, UNARY_OPS } from '../../src/backend/backend.js';
import { BackendError } from '../../src/core/errors.js';
import { broadcastShapes, sizeOf, stridesOf, type Shape } from '../../src/core/shape.js';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';
import { compileShader } from '../../src/backend/webgpu/context.js';
import { copyKernel } from '../../src/backend/webgpu/elementwise.js';

let be: WebGpuBackend;

beforeAll(async () => {
  be = await WebGpuBackend.create();
});

afterAll(() => be?.dispose());

function up(values: number[] | Float32Array, shape: Shape = [values.length]): TensorInfo {
  return { handle: be.upload(Float32Array.from(values)), shape };
}

async function rd(h: DataHandle, n: number): Promise<number[]> {
  const out = Array.from(await be.read(h, n));
  be.free(h);
  return out;
}

function seq(n: number, f: (i: number) => number = (i) => ((i * 37) % 11) - 5): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

function expectClose(actual: number[], expected: number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => {
    const e = expected[i];
    if (Number.isNaN(e)) expect(v, `index ${i}`).toBeNaN();
    else if (!Number.isFinite(e)) expect(v, `index ${i}`).toBe(e);
    else expect(Math.abs(v - e), `index ${i}: ${v} vs ${e}`).toBeLessThanOrEqual(tol * (1 + Math.abs(e)));
  });
}

/** Index of output element `i` of `out` in an input of `shape` broadcast to `out`. */
function bIndex(i: number, out: Shape, shape: Shape): number {
  const os = stridesOf(out);
  const is = stridesOf(shape);
  const off = out.length - shape.length;
  let idx = 0;
  for (let d = 0; d < out.length; d++) {
    const c = Math.floor(i / os[d]) % out[d];
    const k = d - off;
    if (k >= 0 && shape[k] !== 1) idx += c * is[k];
  }
  return idx;
}

const f32 = (v: number) => Math.fround(v);
const UNARY_JS: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x, abs: Math.abs, square: (x) => x * x, sqrt: Math.sqrt, rsqrt: (x) => 1 / Math.sqrt(x),
  exp: Math.exp, log: Math.log, relu: (x) => Math.max(x, 0), sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh, reciprocal: (x) => 1 / x, sign: Math.sign, step: (x) => (x > 0 ? 1 : 0),
};
const BINARY_JS: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b,
  maximum: Math.max, minimum: Math.min, pow: Math.pow,
  greater: (a, b) => +(a > b), greaterEqual: (a, b) => +(a >= b), less: (a, b) => +(a < b),
  lessEqual: (a, b) => +(a <= b), equal: (a, b) => +(a === b),
};

describe('WebGpuBackend basics', () => {
  it('describes its adapter', () => {
    expect(be.name).toBe('webgpu');
    expect(be.description).toMatch(/^webgpu/);
  });

  it('round-trips uploads of any length, including 0 and Float64Array', async () => {
    for (const n of [0, 1, 3, 4, 257]) expect(await rd(be.upload(new Float32Array(seq(n))), n)).toEqual(seq(n));
    expect(await rd(be.upload(new Float64Array([0.1, 2])), 2)).toEqual([f32(0.1), 2]);
  });

  it('fills and copies any length', async () => {
    for (const n of [0, 5, 8]) {
      expect(await rd(be.fill(n, 2.5), n)).toEqual(new Array(n).fill(2.5));
      const x = be.upload(new Float32Array(seq(n)));
      expect(await rd(be.copy(x, n), n)).toEqual(seq(n));
      be.free(x);
    }
  });

  it('copyKernel copies between existing handles', async () => {
    const src = up(seq(12));
    const dst = be.fill(12, 0);
    copyKernel(be.ctx, src.handle as never, dst as never, 12);
    expect(await rd(dst, 12)).toEqual(seq(12));
  });
});

describe('elementwise', () => {
  const xs = [-100, -2.5, -1, -0.5, 0, 0.5, 1, 2, 100, 3.75];
  it.each(UNARY_OPS)('unary %s on vec4 and scalar paths', async (op) => {
    for (const values of [xs, xs.slice(0, 8)]) {
      const x = up(values);
      const expected = values.map((v) => f32(UNARY_JS[op](f32(v))));
      expectClose(await rd(be.unary(op, x), values.length), expected, 2e-6);
      be.free(x.handle);
    }
  });

  it('sigmoid and tanh are finite and saturate at +-100', async () => {
    const x = up([-100, 100, -1000, 1000]);
    expect(await rd(be.unary('sigmoid', x), 4)).toEqual([expect.closeTo(0, 30), 1, 0, 1]);
    expect(await rd(be.unary('tanh', x), 4)).toEqual([-1, 1, -1, 1]);
  });

  const cases: [Shape, Shape][] = [
    [[2, 4], [2, 4]], [[2, 3, 1], [4]], [[3, 1, 5], [1, 4, 1]], [[], [2, 3]], [[5], []], [[7], [7]],
    [[0, 3], [3]], [[2, 1, 3], [2, 1, 3]], [[1, 1, 6], [6, 1, 1]],
  ];
  it.each(cases)('binary ops broadcast %j with %j', async (sa, sb) => {
    const out = broadcastShapes('test', sa, sb);
    const av = seq(sizeOf(sa), (i) => (i % 7) - 3);
    const bv = seq(sizeOf(sb), (i) => (i % 5) - 1.5);
    const a = up(av, sa);
    const b = up(bv, sb);
    for (const op of BINARY_OPS) {
      const n = sizeOf(out);
      const expected = seq(n, (i) => f32(BINARY_JS[op](av[bIndex(i, out, sa)], bv[bIndex(i, out, sb)])));
      expectClose(await rd(be.binary(op, a, b, out), n), expected, 2e-6);
    }
  });

  it('pow handles negative bases and zero exponents; maximum/minimum propagate NaN', async () => {
    const a = up([-2, -2, -8, 0, 3, NaN]);
    const b = up([2, 3, 0.5, 0, -1, 1]);
    expectClose(await rd(be.binary('pow', a, b, [6]), 6), [4, -8, NaN, 1, 1 / 3, NaN]);
    const [mx, mn] = await Promise.all([rd(be.binary('maximum', a, b, [6]), 6), rd(be.binary('minimum', a, b, [6]), 6)]);
    expect(mx[5]).toBeNaN();
    expect(mn[5]).toBeNaN();
  });

  it('where broadcasts condition and branches', async () => {
    const cond = up([1, 0, 2], [3, 1]);
    const a = up([10, 20], [2]);
    const b = up([-1], []);
    expect(await rd(be.where(cond, a, b, [3, 2]), 6)).toEqual([10, 20, -1, -1, 10, 20]);
  });

  it('handles more than 65535 workgroups (2-D dispatch grid)', async () => {
    const n = 65535 * 256 + 1003;
    const av = new Float32Array(n);
    for (let i = 0; i < n; i++) av[i] = i % 1000;
    const a = { handle: be.upload(av), shape: [n] };
    const b = up([0.5], [1]);
    const out = await be.read(be.binary('add', a, b, [n]), n);
    for (const i of [0, 1, 65535 * 256 - 1, 65535 * 256, n - 2, n - 1]) expect(out[i]).toBe((i % 1000) + 0.5);
    let bad = 0;
    for (let i = 0; i < n; i += 97) if (out[i] !== (i % 1000) + 0.5) bad++;
    expect(bad).toBe(0);
    be.free(a.handle);
  });
});

function refReduce(op: 'sum' | 'max' | 'min', x: number[], shape: Shape, axes: number[]): number[] {
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const outShape = kept.map((d) => shape[d]);
  const out = new Array(sizeOf(outShape)).fill(op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity);
  const st = stridesOf(shape);
  const os = stridesOf(outShape);
  x.forEach((v, i) => {
    let o = 0;
    kept.forEach((d, k) => (o += (Math.floor(i / st[d]) % shape[d]) * os[k]));
    out[o] = op === 'sum' ? out[o] + v : Number.isNaN(v) || Number.isNaN(out[o]) ? NaN : op === 'max' ? Math.max(out[o], v) : Math.min(out[o], v);
  });
  return out;
}

describe('reductions', () => {
  const shape = [2, 3, 4, 5];
  const xv = seq(120, (i) => ((i * 13) % 17) - 8);
  it.each([[[]], [[1]], [[0, 2]], [[1, 2]], [[3]], [[0, 1, 2, 3]], [[0, 3]]])('sum/max/min over axes %j', async (axes) => {
    const x = up(xv, shape);
    for (const op of ['sum', 'max', 'min'] as const) {
      const expected = refReduce(op, xv, shape, axes);
      expectClose(await rd(be.reduce(op, x, axes), expected.length), expected);
    }
  });

  it('splits long reductions into chunks (full sum of 300k values, middle axis of [3, 50000, 2])', async () => {
    const n = 300000;
    const xv2 = seq(n, (i) => (i % 10) * 0.25);
    const x = up(xv2, [3, 50000, 2]);
    expectClose(await rd(be.reduce('sum', x, [0, 1, 2]), 1), refReduce('sum', xv2, [n], [0]), 1e-5);
    expectClose(await rd(be.reduce('max', x, [1]), 6), refReduce('max', xv2, [3, 50000, 2], [1]));
    expectClose(await rd(be.reduce('sum', x, [1]), 6), refReduce('sum', xv2, [3, 50000, 2], [1]), 1e-5);
  });

  it('max/min propagate NaN; empty reduced axes give the identity', async () => {
    const x = up([1, NaN, 3, 4, 5, 6], [2, 3]);
    expectClose(await rd(be.reduce('max', x, [1]), 2), [NaN, 6]);
    expectClose(await rd(be.reduce('min', x, [0]), 3), [1, NaN, 3]);
    const e = up([], [2, 0]);
    expect(await rd(be.reduce('sum', e, [1]), 2)).toEqual([0, 0]);
    expect(await rd(be.reduce('max', e, [1]), 2)).toEqual([-Infinity, -Infinity]);
    expect(await rd(be.reduce('sum', e, [0]), 0)).toEqual([]);
  });

  it('argMax picks the first index on ties, along any axis', async () => {
    const x = up([1, 3, 3, 0, 2, 2, 5, 5, 1, 9, 0, 9], [2, 3, 2]);
    expect(await rd(be.argMax(x, 1), 4)).toEqual([1, 0, 0, 1]);
    expect(await rd(be.argMax(x, 2), 6)).toEqual([1, 0, 0, 0, 1, 1]);
    expect(await rd(be.argMax(x, 0), 6)).toEqual([1, 1, 0, 1, 0, 1]);
  });
});

function refMatmul(a: number[], sa: Shape, b: number[], sb: Shape, ta: boolean, tb: boolean, out: Shape): number[] {
  const [M, N] = [out[out.length - 2], out[out.length - 1]];
  const K = ta ? sa[sa.length - 2] : sa[sa.length - 1];
  const batchOut = out.slice(0, -2);
  const res: number[] = [];
  for (let z = 0; z < sizeOf(batchOut); z++) {
    const za = bIndex(z, batchOut, sa.slice(0, -2)) * M * K;
    const zb = bIndex(z, batchOut, sb.slice(0, -2)) * K * N;
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[za + (ta ? k * M + m : m * K + k)] * b[zb + (tb ? n * K + k : k * N + n)];
      res.push(s);
    }
  }
  return res;
}

describe('matmul', () => {
  const cases: [Shape, Shape, boolean, boolean, Shape][] = [
    [[2, 3], [3, 4], false, false, [2, 4]],
    [[33, 40], [40, 17], false, false, [33, 17]],
    [[40, 33], [40, 17], true, false, [33, 17]],
    [[33, 40], [17, 40], false, true, [33, 17]],
    [[40, 33], [17, 40], true, true, [33, 17]],
    [[2, 1, 5, 7], [3, 7, 6], false, false, [2, 3, 5, 6]],
    [[4, 7, 5], [7, 6], true, false, [4, 5, 6]],
    [[3, 0], [0, 2], false, false, [3, 2]],
    [[0, 3], [3, 2], false, false, [0, 2]],
  ];
  it.each(cases)('%j x %j (transposeA %s, transposeB %s) -> %j', async (sa, sb, ta, tb, out) => {
    const av = seq(sizeOf(sa), (i) => ((i * 7) % 13) / 4 - 1.5);
    const bv = seq(sizeOf(sb), (i) => ((i * 5) % 11) / 3 - 1.7);
    const expected = refMatmul(av, sa, bv, sb, ta, tb, out);
    expectClose(await rd(be.matmul(up(av, sa), up(bv, sb), ta, tb, out), sizeOf(out)), expected, 1e-5);
  });
});

describe('data movement', () => {
  const xv = seq(24, (i) => i);
  it('transposes with any permutation', async () => {
    const x = up(xv, [2, 3, 4]);
    const out = await rd(be.transpose(x, [2, 0, 1]), 24);
    // out[k, i, j] = x[i, j, k]
    expect(out.slice(0, 6)).toEqual([0, 4, 8, 12, 16, 20]);
    expect(out[23]).toBe(23);
    expect(await rd(be.transpose(x, [0, 1, 2]), 24)).toEqual(xv);
  });

  it('slices a sub-block', async () => {
    const x = up(xv, [2, 3, 4]);
    expect(await rd(be.slice(x, [1, 1, 1], [1, 2, 2]), 4)).toEqual([17, 18, 21, 22]);
    expect(await rd(be.slice(x, [0, 0, 0], [2, 0, 4]), 0)).toEqual([]);
  });

  it('concatenates along a middle axis, skipping empty inputs', async () => {
    const a = up([1, 2, 3, 4], [2, 1, 2]);
    const b = up([5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 2]);
    const e = up([], [2, 0, 2]);
    expect(await rd(be.concat([a, e, b], 1, [2, 3, 2]), 12)).toEqual([1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12]);
  });

  it('gathers rows and builds one-hot rows (out of range -> zero row)', async () => {
    const x = up(xv.slice(0, 6), [3, 2]);
    expect(await rd(be.gather(x, new Int32Array([2, 0, 2])), 6)).toEqual([4, 5, 0, 1, 4, 5]);
    const idx = up([1, 3, -1, 0], [4]);
    expect(await rd(be.oneHot(idx, 3), 12)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
  });
});

describe('training kernels', () => {
  it('assign copies, or not, depending on the guard; checkFinite sets the flag', async () => {
    const dst = be.upload(new Float32Array([1, 2, 3]));
    const src = be.upload(new Float32Array([7, 8, 9]));
    const guard = be.fill(1, 0);
    be.assign(dst, src, 3, guard);
    expect(await be.read(dst, 3)).toEqual(new Float32Array([7, 8, 9]));
    be.checkFinite(src, 3, guard);
    expect(await be.read(guard, 1)).toEqual(new Float32Array([0]));
    const bad = be.upload(new Float32Array([0, Infinity, 1]));
    be.checkFinite(bad, 3, guard);
    expect(await be.read(guard, 1)).toEqual(new Float32Array([1]));
    be.assign(dst, bad, 3, guard);
    be.checkFinite(src, 3, guard);
    expect(await be.read(dst, 3)).toEqual(new Float32Array([7, 8, 9]));
    expect(await be.read(guard, 1)).toEqual(new Float32Array([1]));
    be.assign(dst, bad, 3);
    expect(await be.read(dst, 3)).toEqual(new Float32Array([0, Infinity, 1]));
    const nan = be.upload(new Float32Array([NaN]));
    const flag = be.fill(1, 0);
    be.checkFinite(nan, 1, flag);
    expect(await be.read(flag, 1)).toEqual(new Float32Array([1]));
  });

  const w0 = [0.5, -1, 2, 0.25, 3];
  const g = [0.1, -0.2, 0.3, 0, -1.5];
  it('sgd (plain and momentum), rmsprop and adam match the Keras 3 formulas', async () => {
    const steps = 3;
    const cases = [
      { update: { kind: 'sgd', learningRate: 0.1, momentum: 0 } as const, slots: 0 },
      { update: { kind: 'sgd', learningRate: 0.1, momentum: 0.9 } as const, slots: 1 },
      { update: { kind: 'rmsprop', learningRate: 0.01, rho: 0.9, epsilon: 1e-7 } as const, slots: 1 },
      { update: { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1 } as const, slots: 2 },
    ];
    for (const { update, slots } of cases) {
      const w = be.upload(new Float32Array(w0));
      const gr = be.upload(new Float32Array(g));
      const s = Array.from({ length: slots }, () => be.fill(5, 0));
      const jw = [...w0];
      const js = [new Array(5).fill(0), new Array(5).fill(0)];
      for (let t = 1; t <= steps; t++) {
        const u = update.kind === 'adam' ? { ...update, step: t } : update;
        be.optimizerStep(u, w, gr, s, 5);
        for (let i = 0; i < 5; i++) {
          if (u.kind === 'sgd') {
            if (u.momentum === 0) jw[i] -= u.learningRate * g[i];
            else { js[0][i] = u.momentum * js[0][i] - u.learningRate * g[i]; jw[i] += js[0][i]; }
          } else if (u.kind === 'rmsprop') {
            js[0][i] = u.rho * js[0][i] + (1 - u.rho) * g[i] ** 2;
            jw[i] -= (u.learningRate * g[i]) / Math.sqrt(js[0][i] + u.epsilon);
          } else {
            js[0][i] += (g[i] - js[0][i]) * (1 - u.beta1);
            js[1][i] += (g[i] ** 2 - js[1][i]) * (1 - u.beta2);
            const alpha = (u.learningRate * Math.sqrt(1 - u.beta2 ** t)) / (1 - u.beta1 ** t);
            jw[i] -= (alpha * js[0][i]) / (Math.sqrt(js[1][i]) + u.epsilon);
          }
        }
      }
      expectClose(Array.from(await be.read(w, 5)), jw, 1e-5);
      for (let k = 0; k < slots; k++) expectClose(Array.from(await be.read(s[k], 5)), js[k], 1e-5);
      for (const h of [w, gr, ...s]) be.free(h);
    }
  });

  it('a set guard leaves weight and slots untouched', async () => {
    const w = be.upload(new Float32Array(w0));
    const gr = be.upload(new Float32Array(g));
    const m = be.fill(5, 0);
    const v = be.fill(5, 0);
    const guard = be.fill(1, 1);
    be.optimizerStep({ kind: 'adam', learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1 }, w, gr, [m, v], 5, guard);
    expect(Array.from(await be.read(w, 5))).toEqual(w0.map(f32));
    expect(Array.from(await be.read(m, 5))).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('resources and errors', () => {
  it('1,000 op calls leave the buffer count flat and batch submits', async () => {
    await be.sync();
    const before = be.bufferCount();
    const submits = be.ctx.submitCount;
    const dispatches = be.ctx.dispatchCount;
    const x = up(seq(1000), [10, 100]);
    const bias = up(seq(100), [100]);
    for (let i = 0; i < 1000; i++) {
      const y = be.binary('add', x, bias, [10, 100]);
      const z = be.unary('relu', { handle: y, shape: [10, 100] });
      be.free(y);
      be.free(z);
    }
    await be.sync();
    expect(be.ctx.dispatchCount - dispatches).toBe(2000);
    expect(be.ctx.submitCount - submits).toBeLessThanOrEqual(Math.ceil(2000 / 64) + 1);
    be.free(x.handle);
    be.free(bias.handle);
    expect(be.bufferCount()).toBe(before);
  });

  it('a WGSL compile error names file:line:col', async () => {
    const code = '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefinedThing;\n}\n';
    await expect(compileShader(be.ctx.device, 'broken', code)).rejects.toThrow(/shaders\/broken\.wgsl:3:\d+/);
    // The failure is reported there only: the next operation still works.
    expect(await rd(be.fill(3, 1), 3)).toEqual([1, 1, 1]);
  });

  it('a tensor larger than maxStorageBufferBindingSize throws BackendError naming size and limit', () => {
    const limit = be.ctx.limits.maxStorageBufferBindingSize;
    const elements = Math.floor(limit / 4) + 1;
    expect(() => be.fill(elements, 0)).toThrow(BackendError);
    expect(() => be.fill(elements, 0)).toThrow(new RegExp(`${elements}.*${limit}`));
  });
});
