/**
 * Property-based parity (issue 13): random shapes (rank 2-4), axes, momenta, epsilons, offsets up
 * to 1e4 and tiny spreads; the active backend (WebGPU, or the float32 CPU) against the float64
 * CPU reference on the same float32 inputs. fast-check shrinks a failure to its smallest case.
 *
 * Tolerances come from float32 rounding, u = 2^-24 (half an ULP, relative). Inputs are float32 in
 * both runs, so only the op's own arithmetic differs. Per element:
 *   neg, abs, relu, maximum, minimum, max, min   exact
 *   add, sub, mul, square                         u |y|           (correctly rounded, WGSL)
 *   div, reciprocal                               5 u |y|         (2.5 ULP, WGSL)
 *   rsqrt                                         4 u |y|         (inverseSqrt: 2 ULP)
 *   sqrt                                          10 u |y|        (inherited from 1 / inverseSqrt: 4.5 ULP)
 *   exp                                           (6 + 4|x|) u |y| (3 + 2|x| ULP)
 *   log                                           6 u |y| + 2^-21 (3 ULP; absolute 2^-21 in [0.5, 2])
 *   sigmoid                                       (14 + 4|x|) u |y| (exp, one add, one division)
 *   tanh                                          (10 + 4|x|) u |y| + 2^-20 (inherited from sinh / cosh)
 *   sum of k terms                                gamma(k) sum|x| + u |y|, gamma(k) = k u / (1 - k u)
 *   mean                                          (sum bound) / k + 5 u |y|
 * Batch normalization per channel (n elements, mean mu, spread D = max |x - x_first|, the shift
 * the stats kernel subtracts first; scale s = gamma / sqrt(var + eps)):
 *   mean      d_mu  = u |mu| + gamma(n) D + 2^-126      (mu rounded once; shifted sum; a mean or an
 *             x - mu below the normal range may flush to 0, an error that y then carries times |s|)
 *   variance  d_var = 4 gamma(n + 2) D^2                (shifted sums of squares, then S2/n - (S1/n)^2)
 *   invStd    relative 0.5 d_var / (var + eps) + 4 u
 *   y         |s| (d_mu + 2 u |x - mu|) + |s (x - mu)| (invStd rel.) + 2 u |y| + u |beta|
 *             (subtract first, then scale: SEMANTICS.md section 2)
 *   moving    (1 - m) d_stat + 5 u (|new| + |old| + |batch|): the update's three roundings, and the
 *             momentum rounded to float32 (d(1 - m) <= u m, which matters as m -> 1); the
 *             unbiased variance is the batch variance times n / (n - 1)
 * Every tolerance also allows TINY = 2^-124 absolute: WGSL may flush results below the float32
 * normal range (2^-126) to zero. Inputs are normal floats or 0 (subnormal inputs are flushed too).
 * Cases per property: NUM_RUNS (bounded for CI); a failing run prints its seed and shrunk case.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { engine } from '../../src/core/engine.js';
import { cpu64 } from '../reference.js';

const NUM_RUNS = 20;
const U = 2 ** -24;
const TINY = 2 ** -124;
/** The smallest normal float32: a value under it may be flushed to 0 on the device. */
const MIN_NORMAL = 2 ** -126;
const gammaK = (k: number) => (k * U) / (1 - k * U);
const VALUES = 256; // enough for the largest shape (4 x 4 x 4 x 4)

/** Runs `fn` on the float64 CPU and returns every output tensor's exact values. */
function ref(fn: () => wg.Tensor[]): Float64Array[] {
  return engine.withBackend(cpu64, () => {
    const ts = wg.tidy(fn);
    const out = ts.map((t) => cpu64.readExact(t.handle));
    wg.dispose(ts);
    return out;
  });
}

/** Throws (so fast-check shrinks and reports) when an element is outside its tolerance. */
function within(what: string, got: Float32Array, want: Float64Array, tol: (i: number) => number): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const t = tol(i) + TINY;
    const ok = got[i] === want[i] || Math.abs(got[i] - want[i]) <= t || (Number.isNaN(got[i]) && Number.isNaN(want[i]));
    if (!ok) throw new Error(`${what}[${i}]: got ${got[i]}, float64 ${want[i]}, |diff| ${Math.abs(got[i] - want[i])} > tolerance ${t}`);
  }
}

const shapeArb = fc.integer({ min: 2, max: 4 }).chain((r) => fc.array(fc.integer({ min: 1, max: 4 }), { minLength: r, maxLength: r }));
const valuesArb = fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: VALUES, maxLength: VALUES });
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
/** n float32 inputs from the generated values, through `map`; subnormals become 0. */
const f32 = (vals: readonly number[], n: number, map: (v: number) => number = (v) => v) =>
  Float32Array.from({ length: n }, (_, i) => map(vals[i % vals.length])).map((v) => (Math.abs(v) < 2 ** -126 ? 0 : v));

type UnaryName = 'neg' | 'abs' | 'relu' | 'square' | 'sqrt' | 'rsqrt' | 'exp' | 'log' | 'sigmoid' | 'tanh' | 'reciprocal';
/** Each unary op: its input domain (from v in [-1, 1]) and its tolerance. */
const UNARY: Record<UnaryName, { domain: (v: number) => number; tol: (x: number, y: number) => number }> = {
  neg: { domain: (v) => v * 100, tol: () => 0 },
  abs: { domain: (v) => v * 100, tol: () => 0 },
  relu: { domain: (v) => v * 100, tol: () => 0 },
  square: { domain: (v) => v * 100, tol: (_x, y) => U * Math.abs(y) },
  sqrt: { domain: (v) => Math.abs(v) * 1e4, tol: (_x, y) => 10 * U * Math.abs(y) },
  rsqrt: { domain: (v) => 1e-3 + Math.abs(v) * 1e4, tol: (_x, y) => 4 * U * Math.abs(y) },
  exp: { domain: (v) => v * 20, tol: (x, y) => (6 + 4 * Math.abs(x)) * U * Math.abs(y) },
  log: { domain: (v) => 1e-3 + Math.abs(v) * 1e3, tol: (_x, y) => 6 * U * Math.abs(y) + 2 ** -21 },
  sigmoid: { domain: (v) => v * 30, tol: (x, y) => (14 + 4 * Math.abs(x)) * U * Math.abs(y) },
  tanh: { domain: (v) => v * 12, tol: (x, y) => (10 + 4 * Math.abs(x)) * U * Math.abs(y) + 2 ** -20 },
  reciprocal: { domain: (v) => (v >= 0 ? 1e-2 + v * 100 : -1e-2 + v * 100), tol: (_x, y) => 5 * U * Math.abs(y) },
};

type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
const BINARY_TOL: Record<BinaryName, number> = { add: 1, sub: 1, mul: 1, div: 5, maximum: 0, minimum: 0 };

describe('property parity: the active backend against the float64 CPU', () => {
  it('unary elementwise ops', async () => {
    await fc.assert(fc.asyncProperty(shapeArb, valuesArb, fc.constantFrom(...(Object.keys(UNARY) as UnaryName[])), async (shape, vals, op) => {
      const { domain, tol } = UNARY[op];
      const x = f32(vals, size(shape), domain);
      const t = wg.tensor(x, shape);
      const y = wg[op](t);
      const got = await y.data();
      wg.dispose([t, y]);
      const [want] = ref(() => [wg[op](wg.tensor(Float64Array.from(x), shape))]);
      within(`${op} ${JSON.stringify(shape)}`, got, want, (i) => tol(x[i], want[i]));
    }), { numRuns: NUM_RUNS * 2 });
  });

  it('broadcasting binary ops', async () => {
    const arb = fc.tuple(shapeArb, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), valuesArb, valuesArb,
      fc.constantFrom<BinaryName>('add', 'sub', 'mul', 'div', 'maximum', 'minimum'), fc.constantFrom(1, 1e4));
    await fc.assert(fc.asyncProperty(arb, async ([shape, ones, va, vb, op, scale]) => {
      const bShape = shape.map((d, i) => (ones[i] ? 1 : d));
      const a = f32(va, size(shape), (v) => v * scale);
      const b = f32(vb, size(bShape), (v) => (op === 'div' ? Math.sign(v || 1) * (0.01 + Math.abs(v)) : v) * scale);
      const [ta, tb] = [wg.tensor(a, shape), wg.tensor(b, bShape)];
      const y = wg[op](ta, tb);
      const got = await y.data();
      wg.dispose([ta, tb, y]);
      const [want] = ref(() => [wg[op](wg.tensor(Float64Array.from(a), shape), wg.tensor(Float64Array.from(b), bShape))]);
      within(`${op} ${JSON.stringify(shape)} ${JSON.stringify(bShape)}`, got, want, (i) => BINARY_TOL[op] * U * Math.abs(want[i]) + 1e-37);
    }), { numRuns: NUM_RUNS * 2 });
  });

  it('reductions over random axes (sum, mean, max, min)', async () => {
    const arb = fc.tuple(shapeArb, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.boolean(), valuesArb,
      fc.constantFrom('sum', 'mean', 'max', 'min'), fc.constantFrom(0, 1e4));
    await fc.assert(fc.asyncProperty(arb, async ([shape, pick, keepDims, vals, op, offset]) => {
      const axes = shape.map((_, i) => i).filter((i) => pick[i]);
      const x = f32(vals, size(shape), (v) => offset + v * 10);
      const k = axes.reduce((n, a) => n * shape[a], 1);
      const t = wg.tensor(x, shape);
      const y = wg[op](t, axes, keepDims);
      const got = await y.data();
      wg.dispose([t, y]);
      const [want, absSum] = ref(() => {
        const r = wg.tensor(Float64Array.from(x), shape);
        return [wg[op](r, axes, keepDims), wg.sum(wg.abs(r), axes, keepDims)];
      });
      const tol = (i: number): number => {
        if (op === 'max' || op === 'min') return 0;
        const sumBound = gammaK(k) * absSum[i];
        return op === 'sum' ? sumBound + U * Math.abs(want[i]) : sumBound / k + 5 * U * Math.abs(want[i]);
      };
      within(`${op} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)}`, got, want, tol);
    }), { numRuns: NUM_RUNS * 2 });
  });

  // Two properties over the same cases: the statistics and moving update, and the outputs. The
  // outputs' tolerance is the subtract-first one (SEMANTICS.md section 2); the folded form
  // fma(x, scale, beta - mean * scale) misses it by up to u |mean * scale| at large offsets.
  it('batch normalization: statistics and moving update', async () => {
    await fc.assert(fc.asyncProperty(bnCaseArb, async (c) => checkStats(await bnCase(c))), { numRuns: NUM_RUNS * 2 });
  });
  it('batch normalization: outputs (training y and inference y)', async () => {
    await fc.assert(fc.asyncProperty(bnCaseArb, async (c) => checkOutputs(await bnCase(c))), { numRuns: NUM_RUNS * 2 });
  });
});

const bnCaseArb = fc.record({
  shape: shapeArb, axisPick: fc.nat(), values: valuesArb,
  offset: fc.constantFrom(0, 1, -3, 1e4, -1e4, 2.5e3),
  spread: fc.constantFrom(1e-3, 1e-2, 1, 100),
  epsilon: fc.constantFrom(1e-5, 1e-3, 0.1),
  momentum: fc.double({ min: 0, max: 1, noNaN: true }),
  unbiased: fc.boolean(),
  gammaBeta: fc.boolean(),
});
type BnArgs = typeof bnCaseArb extends fc.Arbitrary<infer T> ? T : never;

/** One BN case run on the active backend (`got`) and in float64 (`want`), with its inputs. */
interface BnCase {
  readonly c: BnArgs;
  readonly axis: number;
  readonly x: Float32Array;
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly mm0: Float32Array;
  readonly mv0: Float32Array;
  /** y, mean, variance, invStd, moving mean, moving variance, inference y. */
  readonly got: Float32Array[];
  readonly want: Float64Array[];
  readonly label: string;
}

async function bnCase(c: BnArgs): Promise<BnCase> {
  const axis = c.axisPick % c.shape.length;
  const C = c.shape[axis];
  const k = { c, axis, x: f32(c.values, size(c.shape), (v) => c.offset + v * c.spread),
    gamma: Float32Array.from({ length: C }, (_, i) => 0.5 + i), beta: Float32Array.from({ length: C }, (_, i) => i - 1),
    mm0: Float32Array.from({ length: C }, (_, i) => c.offset + i), mv0: Float32Array.from({ length: C }, (_, i) => 1 + i) };
  const outs = wg.tidy(() => runBn(k, (v, s) => wg.tensor(v, s)));
  const got = await Promise.all(outs.map((t) => t.data()));
  wg.dispose(outs);
  const want = ref(() => runBn(k, (v, s) => wg.tensor(Float64Array.from(v), s)));
  const label = `bn ${JSON.stringify(c.shape)} axis ${axis} offset ${c.offset} spread ${c.spread} eps ${c.epsilon} momentum ${c.momentum}`;
  return { ...k, got, want, label };
}

type BnInputs = Pick<BnCase, 'c' | 'axis' | 'x' | 'gamma' | 'beta' | 'mm0' | 'mv0'>;

function runBn(k: BnInputs, make: (v: Float32Array, s: number[]) => wg.Tensor): wg.Tensor[] {
  const C = k.c.shape[k.axis];
  const opts = { axis: k.axis, epsilon: k.c.epsilon, ...(k.c.gammaBeta ? { gamma: make(k.gamma, [C]), beta: make(k.beta, [C]) } : {}) };
  const moving = {
    mean: wg.variable(make(k.mm0, [C])), variance: wg.variable(make(k.mv0, [C])),
    momentum: k.c.momentum, correction: k.c.unbiased ? 'unbiased' as const : 'biased' as const, flag: wg.variable(wg.zeros([1])),
  };
  const xt = make(k.x, k.c.shape);
  const r = wg.batchNormTrain(xt, opts, moving);
  const outs = [r.y, r.mean, r.variance, r.invStd, wg.add(moving.mean, 0), wg.add(moving.variance, 0),
    wg.batchNormInfer(xt, make(k.mm0, [C]), make(k.mv0, [C]), opts)];
  wg.dispose([moving.mean, moving.variance, moving.flag]);
  return outs;
}

/** The per-channel error bounds of the file comment, from the float64 statistics. */
function bnBounds(k: BnCase) {
  const { c, axis, x, want } = k;
  const [, mu, vr] = want;
  const C = c.shape[axis];
  const n = x.length / C;
  const inner = c.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const chan = (i: number) => Math.floor(i / inner) % C;
  // Spread D around the channel's first value (the shift the stats kernel subtracts).
  const first = new Float64Array(C).fill(Number.NaN);
  const spread = new Float64Array(C);
  x.forEach((v, i) => {
    const ch = chan(i);
    if (Number.isNaN(first[ch])) first[ch] = v;
    spread[ch] = Math.max(spread[ch], Math.abs(v - first[ch]));
  });
  const dMu = (ch: number) => U * Math.abs(mu[ch]) + gammaK(n) * spread[ch] + MIN_NORMAL;
  const dVar = (ch: number) => 4 * gammaK(n + 2) * spread[ch] ** 2;
  const invRel = (ch: number) => (0.5 * dVar(ch)) / (vr[ch] + c.epsilon) + 4 * U;
  return { n, chan, dMu, dVar, invRel, g: (ch: number) => (c.gammaBeta ? k.gamma[ch] : 1), b: (ch: number) => (c.gammaBeta ? k.beta[ch] : 0) };
}

function checkStats(k: BnCase): void {
  const { got, want, label, c, mm0, mv0 } = k;
  const [, mu, vr, inv, mm, mv] = want;
  const { n, dMu, dVar, invRel } = bnBounds(k);
  within(`${label} mean`, got[1], mu, (ch) => dMu(ch));
  within(`${label} variance`, got[2], vr, (ch) => dVar(ch) + 2 * U * vr[ch]);
  within(`${label} invStd`, got[3], inv, (ch) => invRel(ch) * inv[ch]);
  const corr = c.unbiased && n > 1 ? n / (n - 1) : 1;
  const roundings = (now: number, old: number, batch: number) => 5 * U * (Math.abs(now) + Math.abs(old) + Math.abs(batch));
  within(`${label} moving mean`, got[4], mm, (ch) => (1 - c.momentum) * dMu(ch) + roundings(mm[ch], mm0[ch], mu[ch]));
  within(`${label} moving variance`, got[5], mv, (ch) =>
    (1 - c.momentum) * corr * (dVar(ch) + 4 * U * vr[ch]) + roundings(mv[ch], mv0[ch], corr * vr[ch]));
}

function checkOutputs(k: BnCase): void {
  const { got, want, label, x, c, mm0, mv0 } = k;
  const [y, mu, , inv, , , yi] = want;
  const { chan, dMu, invRel, g, b } = bnBounds(k);
  within(`${label} y`, got[0], y, (i) => {
    const ch = chan(i);
    const s = Math.abs(g(ch) * inv[ch]);
    const d = Math.abs(x[i] - mu[ch]);
    return s * (dMu(ch) + 2 * U * d) + s * d * invRel(ch) + 2 * U * Math.abs(y[i]) + U * Math.abs(b(ch));
  });
  within(`${label} inference y`, got[6], yi, (i) => {
    const ch = chan(i);
    const s = Math.abs(g(ch)) / Math.sqrt(mv0[ch] + c.epsilon);
    const d = Math.abs(x[i] - mm0[ch]);
    return s * 2 * U * d + s * d * 4 * U + 2 * U * Math.abs(yi[i]) + U * Math.abs(b(ch));
  });
}
