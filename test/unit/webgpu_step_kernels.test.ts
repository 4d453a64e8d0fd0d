/**
 * The fused training-step kernels (checkFiniteAll, assignAll, accumulateStep), binary ops with a
 * number operand and the streaming elementwise kernels, on WebGPU against the CPU twin on the same inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, BinaryOp, DataHandle, Operand, OptimizerUpdate } from '../../src/backend/backend.js';
import { BINARY_OPS } from '../../src/backend/backend.js';
import { CpuBackend } from '../../src/backend/cpu/backend.js';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';
import type { Shape } from '../../src/core/shape.js';

let gpu: WebGpuBackend;
const cpu = new CpuBackend();

beforeAll(async () => {
  gpu = await WebGpuBackend.create();
});

afterAll(() => gpu?.dispose());

const up = (be: Backend, v: readonly number[]): DataHandle => be.upload(Float32Array.from(v));
const rd = async (be: Backend, h: DataHandle, n: number): Promise<number[]> => Array.from(await be.read(h, n));

/** Runs `f` on both backends and returns both results. */
async function both(f: (be: Backend) => Promise<number[]>): Promise<[number[], number[]]> {
  return [await f(gpu), await f(cpu)];
}

describe('binary with a number operand (scalar by value)', () => {
  const xs = [-3, -0.5, 0, 0.25, 2, 7, 1e-3];
  for (const op of BINARY_OPS) {
    it(`${op}: tensor op number and number op tensor match the CPU twin`, async () => {
      const [g, c] = await both(async (be) => {
        const x = { handle: up(be, xs), shape: [7] as Shape };
        const l = be.binary(op as BinaryOp, x, 2, [7]);
        const r = be.binary(op as BinaryOp, -1.5 as Operand, x, [7]);
        return [...(await rd(be, l, 7)), ...(await rd(be, r, 7))];
      });
      g.forEach((v, i) => (Number.isNaN(c[i]) ? expect(v).toBeNaN() : expect(v).toBeCloseTo(c[i], 5)));
    });
  }

  it('broadcasts to an outShape larger than the operand (broadcastTo, vec4 path too)', async () => {
    const [g, c] = await both(async (be) => {
      const x = { handle: up(be, [1, 2, 3]), shape: [3, 1] as Shape };
      const a = be.binary('add', x, 0, [3, 4]);
      const y = { handle: up(be, [1, 2, 3, 4, 5, 6, 7, 8]), shape: [8] as Shape };
      const b = be.binary('div', y, 4, [8]);
      return [...(await rd(be, a, 12)), ...(await rd(be, b, 8))];
    });
    expect(g).toEqual(c);
    expect(g.slice(0, 12)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });
});

describe('streaming elementwise kernels: small (workgroups of 64) and long inputs (several units per invocation)', () => {
  // Sizes: under the 1,024-unit small floor, single floats; vec4s past the 4,096-invocation floor
  // (each invocation walks several); single floats past it; a broadcast of 70,000 outputs.
  it.each([13, 4000, 80000, 70001])('unary abs/tanh and binary mul/sub over %i values match the CPU twin', async (n) => {
    const [g, c] = await both(async (be) => {
      const a = { handle: up(be, Array.from({ length: n }, (_, i) => Math.sin(i) * 3)), shape: [n] as Shape };
      const b = { handle: up(be, Array.from({ length: n }, (_, i) => Math.cos(i))), shape: [n] as Shape };
      const outs = [be.unary('abs', a), be.unary('tanh', a), be.binary('mul', a, b, [n]), be.binary('sub', 0.5, b, [n])];
      return (await Promise.all(outs.map((h) => rd(be, h, n)))).flat();
    });
    expect(g).toBeAllClose(c, { rtol: 1e-6, atol: 1e-6 });
  });

  it('a broadcasting binary of 70,000 outputs (index decoding in the walk) matches the CPU twin', async () => {
    const [g, c] = await both(async (be) => {
      const a = { handle: up(be, Array.from({ length: 7000 }, (_, i) => i * 0.25)), shape: [7000, 1] as Shape };
      const b = { handle: up(be, Array.from({ length: 10 }, (_, i) => i + 1)), shape: [10] as Shape };
      return rd(be, be.binary('div', a, b, [7000, 10]), 70000);
    });
    expect(g).toBeAllClose(c, { rtol: 1e-6, atol: 0 });
  });
});

describe('training-step kernels', () => {
  // Sizes: all odd (single-float dispatches); all multiples of 4, 20,000 to 48,000 (vec4 dispatches
  // whose invocations walk several vec4s: more units than the 4,096-invocation floor); mixed.
  const checkSets: Record<string, (k: number) => number> = {
    odd: (k) => 3 + k * 100,
    vec4: (k) => (k + 1) * 4000 + 16000,
    mixed: (k) => (k % 3 === 0 ? 5 + 7001 * k : 4 * (1 + 2500 * k)),
  };
  for (const [name, sizeOf] of Object.entries(checkSets)) {
    it(`checkFiniteAll (${name} sizes) sets the flag when any of 8 handles (two dispatches) has NaN/Inf, first or last`, async () => {
      for (const bad of [-1, 0, 3, 6, 7]) {
        for (const at of ['first', 'last'] as const) {
          const [g, c] = await both(async (be) => {
            const xs = Array.from({ length: 8 }, (_, k) => {
              const v = Array.from({ length: sizeOf(k) }, (_, i) => i * 0.5);
              if (k === bad) v[at === 'first' ? 0 : v.length - 1] = k % 2 ? Infinity : NaN;
              return { handle: up(be, v), size: v.length };
            });
            const flag = up(be, [0]);
            const before = be === gpu ? gpu.ctx.dispatchCount : 0;
            be.checkFiniteAll(xs, flag);
            if (be === gpu) expect(gpu.ctx.dispatchCount - before).toBe(2);
            return rd(be, flag, 1);
          });
          expect(g).toEqual(c);
          expect(g[0]).toBe(bad >= 0 ? 1 : 0);
        }
      }
    });
  }

  it('assignAll copies every pair (four pairs: two dispatches, one walking 20,003 values) only while the guard is 0', async () => {
    const sizes = [5, 6, 20003, 8];
    for (const guard of [0, 1]) {
      const [g, c] = await both(async (be) => {
        const pairs = sizes.map((n, k) => ({
          dst: up(be, Array.from({ length: n }, () => -1)),
          src: up(be, Array.from({ length: n }, (_, i) => i + 10 * k)),
          size: n,
        }));
        be.assignAll(pairs, up(be, [guard]));
        return (await Promise.all(pairs.map((p) => rd(be, p.dst, p.size)))).flat();
      });
      expect(g).toEqual(c);
      expect(g.every((v) => v === -1)).toBe(guard === 1);
    }
  });

  const updates: OptimizerUpdate[] = [
    { kind: 'sgd', learningRate: 0.1, momentum: 0 },
    { kind: 'sgd', learningRate: 0.1, momentum: 0.9 },
    { kind: 'rmsprop', learningRate: 0.01, rho: 0.9, epsilon: 1e-7 },
    { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 3 },
  ];
  const slotCount = (u: OptimizerUpdate) => (u.kind === 'adam' ? 2 : u.kind === 'sgd' && u.momentum === 0 ? 0 : 1);
  // Sizes: single floats (a pair with odd sizes, one odd); vec4s (a pair and one, multiples of 4,
  // more units than the 4,096-invocation floor, so each invocation walks several); a long odd pair.
  const sizeSets = [[7, 300, 2], [20000, 8, 24000], [20001, 3, 5]];
  for (const u of updates) for (const sizes of sizeSets) {
    const label = `${u.kind}${u.kind === 'sgd' ? ` (momentum ${u.momentum})` : ''}`;
    it(`optimizerStepAll ${label}, sizes ${sizes.join('/')}: three weights (a pair + one) match per-weight optimizerStep and the CPU twin; a set guard writes nothing`, async () => {
      for (const guard of [0, 1]) {
        const run = async (be: Backend, all: boolean) => {
          const items = sizes.map((n, k) => ({
            weight: up(be, Array.from({ length: n }, (_, i) => Math.sin(i + k))),
            grad: up(be, Array.from({ length: n }, (_, i) => Math.cos(3 * i + k))),
            slots: Array.from({ length: slotCount(u) }, (_, j) => up(be, Array.from({ length: n }, (_, i) => 0.1 * j + 0.01 * (i % 5)))),
            size: n,
          }));
          const g = up(be, [guard]);
          const before = be === gpu ? gpu.ctx.dispatchCount : 0;
          if (all) be.optimizerStepAll(u, items, g);
          else for (const it of items) be.optimizerStep(u, it.weight, it.grad, it.slots, it.size, g);
          const dispatches = be === gpu ? gpu.ctx.dispatchCount - before : 0;
          const out = (await Promise.all(items.map(async (it) => [
            ...(await rd(be, it.weight, it.size)), ...(await Promise.all(it.slots.map((sl) => rd(be, sl, it.size)))).flat(),
          ]))).flat();
          return { out, dispatches };
        };
        const gAll = await run(gpu, true);
        const gOne = await run(gpu, false);
        const cAll = await run(cpu, true);
        const cOne = await run(cpu, false);
        expect(cAll.out).toEqual(cOne.out);
        expect(gAll.out).toBeAllClose(gOne.out, { rtol: 1e-6, atol: 1e-7 });
        expect(gAll.out).toBeAllClose(cAll.out, { rtol: 1e-5, atol: 1e-6 });
        const pairs = u.kind !== 'adam' || gpu.ctx.limits.maxStorageBuffersPerShaderStage >= 9;
        expect(gAll.dispatches).toBe(pairs ? 2 : 3);
        // A set guard leaves every weight and slot as uploaded; a clear one changes the weights.
        const initial = sizes.flatMap((n, k) => [
          ...Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i + k))),
          ...Array.from({ length: slotCount(u) * n }, (_, t) => Math.fround(0.1 * Math.floor(t / n) + 0.01 * ((t % n) % 5))),
        ]);
        if (guard === 1) {
          expect(gAll.out).toEqual(initial);
          expect(cAll.out).toEqual(initial);
        } else {
          expect(gAll.out).not.toEqual(initial);
        }
      }
    });
  }

  it('gatherPair gathers two tensors of different row widths with the same indices in one dispatch', async () => {
    const idx = Int32Array.from([4, 0, 4, 2, 1]);
    const xs = Array.from({ length: 5 * 3 }, (_, i) => i + 0.5);
    const ys = Array.from({ length: 5 * 700 }, (_, i) => -i);
    const [g, c] = await both(async (be) => {
      const before = be === gpu ? gpu.ctx.dispatchCount : 0;
      const [a, b] = be.gatherPair({ handle: up(be, xs), shape: [5, 3] }, { handle: up(be, ys), shape: [5, 7, 100] }, idx);
      if (be === gpu) expect(gpu.ctx.dispatchCount - before).toBe(1);
      return [...(await rd(be, a, 15)), ...(await rd(be, b, 3500))];
    });
    expect(g).toEqual(c);
    const want = [...idx].flatMap((r) => xs.slice(3 * r, 3 * r + 3));
    expect(g.slice(0, 15)).toEqual(want);
    expect(g.slice(15, 15 + 700)).toEqual(ys.slice(2800, 3500));
  });

  const meanCases: { shape: number[]; axes: number[]; dispatches: number }[] = [
    { shape: [3, 5], axes: [0, 1], dispatches: 1 },
    { shape: [4, 6, 3], axes: [0, 2], dispatches: 1 },
    { shape: [2, 5000], axes: [1], dispatches: 2 }, // chunked: partial sums, then the dividing pass
    { shape: [7], axes: [], dispatches: 1 },
    { shape: [0, 3], axes: [0], dispatches: 1 }, // empty: 0 / 0 = NaN, as sum then div
  ];
  for (const { shape, axes, dispatches } of meanCases) {
    it(`reduce sum with a divisor (mean) over ${JSON.stringify(axes)} of [${shape}]: ${dispatches} dispatch(es), as sum then div and the CPU twin`, async () => {
      const size = shape.reduce((a, b) => a * b, 1);
      const vs = Array.from({ length: size }, (_, i) => Math.sin(i) * 3 + 1);
      const n = axes.reduce((a, d) => a * shape[d], 1);
      const outN = size === 0 ? shape.filter((_, d) => !axes.includes(d)).reduce((a, b) => a * b, 1) : size / n;
      const [g, c] = await both(async (be) => {
        const x = { handle: up(be, vs), shape: shape as Shape };
        const before = be === gpu ? gpu.ctx.dispatchCount : 0;
        const m = be.reduce('sum', x, axes, n);
        if (be === gpu) expect(gpu.ctx.dispatchCount - before).toBe(dispatches);
        const s = be.reduce('sum', x, axes);
        const d = be.binary('div', { handle: s, shape: [outN] }, n, [outN]);
        const [mv, dv] = [await rd(be, m, outN), await rd(be, d, outN)];
        expect(mv).toEqual(dv);
        return mv;
      });
      expect(g).toBeAllClose(c, { rtol: 1e-5, atol: 1e-6, equalNan: size === 0 });
      if (size === 0) expect(g.every(Number.isNaN)).toBe(true);
    });
  }

  it('accumulateStep adds loss * rows, correct * rows and the flag', async () => {
    const [g, c] = await both(async (be) => {
      const sums = up(be, [1, 2, 3]);
      be.accumulateStep(sums, up(be, [0.5]), up(be, [0.25]), up(be, [1]), 3);
      be.accumulateStep(sums, up(be, [2]), null, up(be, [0]), 1);
      return rd(be, sums, 3);
    });
    expect(g).toEqual(c);
    expect(g).toEqual([1 + 1.5 + 2, 2 + 0.75, 4]);
  });
});
