/**
 * The WebGPU batch-normalization kernels (src/backend/webgpu/batchnorm.ts, shaders/batchnorm_*.wgsl)
 * against their float64 CPU twin (src/backend/cpu/batchnorm.ts), through GpuContext directly.
 *
 * Tolerances: outputs and statistics of well-scaled data (N(0.5, 1.5^2)) within rtol 1e-5 and
 * atol 1e-5 (float32 sums of up to 2^16 terms); gradients rtol 1e-4, atol 1e-5 (they are sums of
 * products that cancel); the mean-1e4 numerics case: variance within 1e-4 relative of float64.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchNormParams } from '../../src/backend/backend.js';
import { batchNormGradCpu, batchNormInferCpu, batchNormTrainCpu } from '../../src/backend/cpu/batchnorm.js';
import { SMALL_TRAIN_BUFFERS, batchNormGrad, batchNormInfer, batchNormTrain } from '../../src/backend/webgpu/batchnorm.js';
import { GpuContext, type GpuHandle } from '../../src/backend/webgpu/context.js';
import { acquireGpu } from '../../src/backend/webgpu/device.js';
import { rng } from '../util.js';

let ctx: GpuContext;

beforeAll(async () => {
  const { device } = await acquireGpu();
  ctx = await GpuContext.create(device);
});

function upload(values: ArrayLike<number>): GpuHandle {
  const h = ctx.alloc(values.length, 'test_input');
  ctx.write(h, Float32Array.from(values));
  return h;
}

const f64 = (a: Float32Array): Float64Array => Float64Array.from(a);

interface Case {
  readonly shape: number[];
  readonly axis: number;
}

/** Layouts and odd sizes: C = 1, 3, 5, 33, 257, rows = 1, 2, 3, 1000, 65537; vec4 and scalar paths. */
const CASES: Case[] = [
  { shape: [1000, 64], axis: 1 }, // [N, C], rows4
  { shape: [3, 5], axis: 1 }, // rows, scalar
  { shape: [2, 3], axis: 1 },
  { shape: [1, 257], axis: 1 }, // one row: variance 0
  { shape: [65537, 1], axis: 1 }, // C = 1: one plane, not a multiple of 4
  { shape: [1000, 33], axis: 1 },
  { shape: [4, 7, 12], axis: 2 }, // [N, L, C]
  { shape: [3, 5, 5, 8], axis: 3 }, // NHWC
  { shape: [2, 3, 9, 9], axis: 1 }, // NCHW, inner 81 (scalar planes)
  { shape: [2, 5, 8, 8], axis: 1 }, // NCHW, inner 64 (vec4 planes)
  { shape: [3, 33, 4], axis: 1 }, // vec4 planes of one vec4
  { shape: [7, 4, 3], axis: 1 }, // planes of 3 (< the 4-item quad step)
  { shape: [65537, 3], axis: 1 },
  { shape: [2, 257], axis: 1 },
  { shape: [1000, 5], axis: 1 },
  { shape: [5, 6], axis: 0 }, // channel axis first: outer 1
  { shape: [4, 8, 30, 30], axis: 1 }, // NCHW, inner 900 (vec4 planes, several lanes per plane)
  // C % 4 != 0 in rows mode: super-rows of 4 rows read as vec4 ("super4"), with and without a
  // partial last super-row (rows % 4 = 1, 2, 3), [N, C] and NHWC.
  { shape: [1001, 13], axis: 1 },
  { shape: [1003, 17], axis: 1 },
  { shape: [7, 1000], axis: 1 },
  { shape: [8, 1000], axis: 1 },
  { shape: [2, 9, 9, 5], axis: 3 },
  { shape: [5, 3, 3, 17], axis: 3 },
  { shape: [4, 6, 6, 13], axis: 3 },
  { shape: [3, 7, 7, 1], axis: 3 }, // NHWC with one channel: one plane
  { shape: [2, 3, 1, 1000], axis: 3 }, // NHWC, C = 1000 (vec4 rows), 6 rows
  // Wide rows (C >= 256, C % 4 == 0: apply_rows16, four vec4 groups per thread): the last thread
  // of a row owning 4 (C = 256), 1 (260), 3 (268) and 2 (1000, above) groups.
  { shape: [300, 256], axis: 1 },
  { shape: [129, 260], axis: 1 },
  { shape: [70, 3, 268], axis: 2 },
];

/**
 * Dispatches an elementwise pass adds for the last rows % 4 rows of a super4 layout (rows mode,
 * C % 4 != 0, at least 4 rows): they are a second, scalar dispatch (the small path has none).
 */
function tailDispatch(c: Case): number {
  const C = c.shape[c.axis];
  const rows = c.shape.reduce((a, b) => a * b, 1) / C;
  const rowsMode = c.axis === c.shape.length - 1 && C > 1;
  return rowsMode && C % 4 !== 0 && rows >= 4 && rows % 4 !== 0 ? 1 : 0;
}

function data(c: Case, seed: number): Float32Array {
  const n = c.shape.reduce((a, b) => a * b, 1);
  return rng(seed).normalF32(n, 0.5, 1.5);
}

async function trainBoth(c: Case, correction: 'biased' | 'unbiased', x: Float32Array) {
  const C = c.shape[c.axis];
  const params: BatchNormParams = { axis: c.axis, epsilon: 1e-3 };
  const gamma = rng(7).uniformF32(C, 0.5, 2);
  const beta = rng(8).uniformF32(C, -1, 1);
  const mm = rng(9).uniformF32(C, -1, 1);
  const mv = rng(10).uniformF32(C, 0.5, 2);
  const cpuMoving = { mean: f64(mm), variance: f64(mv), momentum: 0.9, correction, flag: new Float64Array(1) };
  const want = batchNormTrainCpu(f64(x), c.shape, params, f64(gamma), f64(beta), cpuMoving);
  const moving = { mean: upload(mm), variance: upload(mv), momentum: 0.9, correction, flag: upload([0]) };
  const before = ctx.dispatchCount;
  const got = batchNormTrain(ctx, { handle: upload(x), shape: c.shape }, params, upload(gamma), upload(beta), moving);
  const dispatches = ctx.dispatchCount - before;
  return {
    want, cpuMoving, dispatches,
    y: await ctx.read(got.y), mean: await ctx.read(got.mean), variance: await ctx.read(got.variance),
    invStd: await ctx.read(got.invStd), mm: await ctx.read(moving.mean), mv: await ctx.read(moving.variance),
    flag: await ctx.read(moving.flag),
  };
}

describe('batchNormTrain (webgpu) matches the float64 CPU twin', () => {
  for (const c of CASES) {
    for (const correction of ['biased', 'unbiased'] as const) {
      it(`shape [${c.shape}] axis ${c.axis}, ${correction}`, async () => {
        const r = await trainBoth(c, correction, data(c, c.shape.length * 31 + c.shape[0]));
        const tol = { rtol: 1e-5, atol: 1e-5 };
        expect(r.mean).toBeAllClose(r.want.mean, tol);
        expect(r.variance).toBeAllClose(r.want.variance, tol);
        expect(r.invStd).toBeAllClose(r.want.invStd, { rtol: 1e-5, atol: 1e-4 });
        expect(r.y).toBeAllClose(r.want.y, { rtol: 1e-5, atol: 1e-4 });
        expect(r.mm).toBeAllClose(r.cpuMoving.mean, tol);
        expect(r.mv).toBeAllClose(r.cpuMoving.variance, tol);
        expect(r.flag[0]).toBe(0);
        expect(r.dispatches).toBeLessThanOrEqual(3 + tailDispatch(c));
      });
    }
  }
});

describe('batchNormInfer (webgpu)', () => {
  for (const c of CASES.filter((_, i) => i % 2 === 0)) {
    it(`shape [${c.shape}] axis ${c.axis}: one dispatch, matches the CPU twin`, async () => {
      const C = c.shape[c.axis];
      const x = data(c, 3);
      const params: BatchNormParams = { axis: c.axis, epsilon: 1e-3 };
      const [mean, variance, gamma, beta] = [rng(1).normalF32(C), rng(2).uniformF32(C, 0.1, 3),
        rng(3).uniformF32(C, 0.5, 2), rng(4).normalF32(C)];
      const want = batchNormInferCpu(f64(x), c.shape, params, f64(mean), f64(variance), f64(gamma), f64(beta));
      const hx = upload(x);
      const args = [upload(mean), upload(variance), upload(gamma), upload(beta)] as const;
      const before = ctx.dispatchCount;
      const y = batchNormInfer(ctx, { handle: hx, shape: c.shape }, params, ...args);
      expect(ctx.dispatchCount - before).toBe(1 + tailDispatch(c));
      expect(await ctx.read(y)).toBeAllClose(want, { rtol: 1e-5, atol: 1e-5 });
      const noAffine = batchNormInferCpu(f64(x), c.shape, params, f64(mean), f64(variance), null, null);
      const y2 = batchNormInfer(ctx, { handle: hx, shape: c.shape }, params, args[0], args[1], null, null);
      expect(await ctx.read(y2)).toBeAllClose(noAffine, { rtol: 1e-5, atol: 1e-5 });
    });
  }
});

describe('batchNormGrad (webgpu) matches the float64 CPU twin', () => {
  for (const c of CASES) {
    it(`shape [${c.shape}] axis ${c.axis}`, async () => {
      const C = c.shape[c.axis];
      const params: BatchNormParams = { axis: c.axis, epsilon: 1e-3 };
      const x = data(c, 5);
      const dy = data(c, 6);
      const gamma = rng(11).uniformF32(C, 0.5, 2);
      // Statistics as the forward leaves them, rounded to f32 the way the GPU holds them.
      const st = batchNormTrainCpu(x, c.shape, params, null, null, null);
      const want = batchNormGradCpu(f64(dy), f64(x), c.shape, params, f64(st.mean), f64(st.invStd), f64(gamma));
      const hs = [upload(dy), upload(x), upload(st.mean), upload(st.invStd), upload(gamma)];
      const before = ctx.dispatchCount;
      const got = batchNormGrad(ctx, { handle: hs[0], shape: c.shape }, hs[1], params, hs[2], hs[3], hs[4]);
      expect(ctx.dispatchCount - before).toBeLessThanOrEqual(3 + tailDispatch(c));
      const n = x.length / C;
      expect(await ctx.read(got.dbeta)).toBeAllClose(want.dbeta, { rtol: 1e-4, atol: 1e-5 * Math.sqrt(n) });
      expect(await ctx.read(got.dgamma)).toBeAllClose(want.dgamma, { rtol: 1e-4, atol: 1e-5 * Math.sqrt(n) });
      expect(await ctx.read(got.dx!)).toBeAllClose(want.dx!, { rtol: 1e-4, atol: 1e-4 });
    });
  }

  it('gamma null means gamma = 1', async () => {
    const shape = [6, 4, 8];
    const params: BatchNormParams = { axis: 1, epsilon: 1e-3 };
    const x = rng(1).normalF32(192);
    const dy = rng(2).normalF32(192);
    const st = batchNormTrainCpu(x, shape, params, null, null, null);
    const want = batchNormGradCpu(f64(dy), f64(x), shape, params, f64(st.mean), f64(st.invStd), null);
    const got = batchNormGrad(ctx, { handle: upload(dy), shape }, upload(x), params, upload(st.mean),
      upload(st.invStd), null);
    expect(await ctx.read(got.dx!)).toBeAllClose(want.dx!, { rtol: 1e-4, atol: 1e-5 });
  });

  // [6, 4, 8] takes the one-workgroup path (1 dispatch); [64, 4, 32] (8192 elements) the big
  // path without its dx pass (2 dispatches).
  for (const [shape, dispatches] of [[[6, 4, 8], 1], [[64, 4, 32], 2]] as const) {
    it(`needDx = false: dgamma and dbeta only, no dx pass (shape [${shape}], ${dispatches} dispatches), as the CPU twin`, async () => {
      const params: BatchNormParams = { axis: 1, epsilon: 1e-3 };
      const size = shape[0] * shape[1] * shape[2];
      const x = rng(3).normalF32(size);
      const dy = rng(4).normalF32(size);
      const gamma = rng(5).normalF32(4);
      const st = batchNormTrainCpu(x, [...shape], params, null, null, null);
      const want = batchNormGradCpu(f64(dy), f64(x), [...shape], params, f64(st.mean), f64(st.invStd), f64(gamma), false);
      expect(want.dx).toBeNull();
      const before = ctx.dispatchCount;
      const got = batchNormGrad(ctx, { handle: upload(dy), shape: [...shape] }, upload(x), params, upload(st.mean),
        upload(st.invStd), upload(gamma), false);
      expect(ctx.dispatchCount - before).toBe(dispatches);
      expect(got.dx).toBeNull();
      const atol = 1e-5 * Math.sqrt(size / 4);
      expect(await ctx.read(got.dgamma)).toBeAllClose(want.dgamma, { rtol: 1e-4, atol });
      expect(await ctx.read(got.dbeta)).toBeAllClose(want.dbeta, { rtol: 1e-4, atol });
    });
  }
});

describe('batch statistics numerics (mean 1e4, std 1, 2^16 rows)', () => {
  const rows = 1 << 16;
  const x = rng(123).normalF32(rows * 4, 1e4, 1);

  /** Float64 truth of the per-channel biased variance of the f32 data. */
  function truth(): Float64Array {
    return batchNormTrainCpu(f64(x), [rows, 4], { axis: 1, epsilon: 0 }, null, null, null).variance;
  }

  it('the kernels keep the variance within 1e-4 relative of float64 ([N, C], rows kernels)', async () => {
    const got = batchNormTrain(ctx, { handle: upload(x), shape: [rows, 4] }, { axis: 1, epsilon: 1e-3 }, null, null, null);
    const v = await ctx.read(got.variance);
    expect(v).toBeAllClose(truth(), { rtol: 1e-4, atol: 0 });
  });

  it('and in NCHW ([16, 4, 64, 64] axis 1, planes kernels)', async () => {
    const shape = [16, 4, 64, 64];
    const want = batchNormTrainCpu(f64(x), shape, { axis: 1, epsilon: 0 }, null, null, null).variance;
    const got = batchNormTrain(ctx, { handle: upload(x), shape }, { axis: 1, epsilon: 1e-3 }, null, null, null);
    expect(await ctx.read(got.variance)).toBeAllClose(want, { rtol: 1e-4, atol: 0 });
  });

  it('naive E[x^2] - E[x]^2 accumulated in float32 does not (why shifted sums are used)', () => {
    const want = truth();
    let worst = 0;
    for (let c = 0; c < 4; c++) {
      let s = 0;
      let s2 = 0;
      for (let r = 0; r < rows; r++) {
        const v = x[r * 4 + c];
        s = Math.fround(s + v);
        s2 = Math.fround(s2 + Math.fround(v * v));
      }
      const m = Math.fround(s / rows);
      const naive = Math.fround(Math.fround(s2 / rows) - Math.fround(m * m));
      worst = Math.max(worst, Math.abs(naive - want[c]) / want[c]);
    }
    expect(worst).toBeGreaterThan(1e-2);
  });
});

describe('non-finite batches', () => {
  it('leave the moving statistics unchanged and set the flag', async () => {
    const shape = [8, 3];
    const x = rng(4).normalF32(24);
    x[7] = NaN;
    const mm = Float32Array.of(0.1, 0.2, 0.3);
    const mv = Float32Array.of(1, 2, 3);
    const moving = { mean: upload(mm), variance: upload(mv), momentum: 0.5, correction: 'biased' as const, flag: upload([0]) };
    batchNormTrain(ctx, { handle: upload(x), shape }, { axis: 1, epsilon: 1e-3 }, null, null, moving);
    expect(await ctx.read(moving.mean)).toBeAllClose(mm, { rtol: 0, atol: 0 });
    expect(await ctx.read(moving.variance)).toBeAllClose(mv, { rtol: 0, atol: 0 });
    expect((await ctx.read(moving.flag))[0]).toBe(1);
    x[7] = Infinity;
    const moving2 = { ...moving, flag: upload([0]) };
    batchNormTrain(ctx, { handle: upload(x), shape }, { axis: 1, epsilon: 1e-3 }, null, null, moving2);
    expect(await ctx.read(moving2.mean)).toBeAllClose(mm, { rtol: 0, atol: 0 });
    expect((await ctx.read(moving2.flag))[0]).toBe(1);
  });
});

describe('small inputs: one dispatch of one workgroup (at most 4096 elements and 256 channels)', () => {
  const SMALL: Case[] = [
    { shape: [3, 5], axis: 1 }, // the seed model's batch
    { shape: [1, 5], axis: 1 }, // one row: variance 0
    { shape: [2, 3, 4, 4], axis: 1 }, // NCHW
    { shape: [4, 7], axis: 1 }, // C not a multiple of 4
    { shape: [16, 256], axis: 1 }, // exactly at the element limit, one channel per thread
    { shape: [4096, 1], axis: 1 }, // C = 1: one thread loops over everything
  ];

  /** The small forward binds 10 storage buffers: a device allowing fewer keeps the 3-dispatch path. */
  const smallTrain = () => (ctx.limits.maxStorageBuffersPerShaderStage >= SMALL_TRAIN_BUFFERS ? 1 : 3);

  for (const c of SMALL) {
    for (const correction of ['biased', 'unbiased'] as const) {
      it(`train [${c.shape}] axis ${c.axis}, ${correction}: 1 dispatch, moving statistics updated in place`, async () => {
        const r = await trainBoth(c, correction, data(c, c.shape.length * 17 + c.shape[0]));
        expect(r.dispatches).toBe(smallTrain());
        const tol = { rtol: 1e-5, atol: 1e-5 };
        expect(r.mean).toBeAllClose(r.want.mean, tol);
        expect(r.variance).toBeAllClose(r.want.variance, tol);
        expect(r.invStd).toBeAllClose(r.want.invStd, { rtol: 1e-5, atol: 1e-4 });
        expect(r.y).toBeAllClose(r.want.y, { rtol: 1e-5, atol: 1e-4 });
        expect(r.mm).toBeAllClose(r.cpuMoving.mean, tol);
        expect(r.mv).toBeAllClose(r.cpuMoving.variance, tol);
        expect(r.flag[0]).toBe(0);
      });
    }

    it(`grad [${c.shape}] axis ${c.axis}: 1 dispatch, with and without gamma`, async () => {
      const C = c.shape[c.axis];
      const params: BatchNormParams = { axis: c.axis, epsilon: 1e-3 };
      const x = data(c, 21);
      const dy = data(c, 22);
      const gamma = rng(23).uniformF32(C, 0.5, 2);
      const st = batchNormTrainCpu(x, c.shape, params, null, null, null);
      const n = x.length / C;
      const sums = { rtol: 1e-4, atol: 1e-5 * Math.sqrt(n) };
      for (const g of [gamma, null]) {
        const want = batchNormGradCpu(f64(dy), f64(x), c.shape, params, f64(st.mean), f64(st.invStd), g && f64(g));
        const before = ctx.dispatchCount;
        const got = batchNormGrad(ctx, { handle: upload(dy), shape: c.shape }, upload(x), params, upload(st.mean),
          upload(st.invStd), g && upload(g));
        expect(ctx.dispatchCount - before).toBe(1);
        expect(await ctx.read(got.dbeta)).toBeAllClose(want.dbeta, sums);
        expect(await ctx.read(got.dgamma)).toBeAllClose(want.dgamma, sums);
        expect(await ctx.read(got.dx!)).toBeAllClose(want.dx!, { rtol: 1e-4, atol: 1e-4 });
      }
    });
  }

  it('train without gamma, beta or moving statistics: 1 dispatch, as the CPU twin', async () => {
    const shape = [2, 3, 4, 4];
    const params: BatchNormParams = { axis: 1, epsilon: 1e-3 };
    const x = rng(31).normalF32(96, 0.5, 1.5);
    const want = batchNormTrainCpu(f64(x), shape, params, null, null, null);
    const before = ctx.dispatchCount;
    const got = batchNormTrain(ctx, { handle: upload(x), shape }, params, null, null, null);
    expect(ctx.dispatchCount - before).toBe(smallTrain());
    expect(await ctx.read(got.y)).toBeAllClose(want.y, { rtol: 1e-5, atol: 1e-4 });
    expect(await ctx.read(got.mean)).toBeAllClose(want.mean, { rtol: 1e-5, atol: 1e-5 });
  });

  it('a non-finite value in ONE channel leaves every moving statistic unchanged and sets the flag', async () => {
    const shape = [3, 5];
    const x = rng(32).normalF32(15);
    const mm = Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5);
    const mv = Float32Array.of(1, 2, 3, 4, 5);
    for (const bad of [NaN, Infinity, -Infinity]) {
      x[7] = bad; // channel 2 only
      const moving = { mean: upload(mm), variance: upload(mv), momentum: 0.5, correction: 'unbiased' as const, flag: upload([0]) };
      const before = ctx.dispatchCount;
      batchNormTrain(ctx, { handle: upload(x), shape }, { axis: 1, epsilon: 1e-3 }, null, null, moving);
      expect(ctx.dispatchCount - before).toBe(smallTrain());
      expect(await ctx.read(moving.mean)).toBeAllClose(mm, { rtol: 0, atol: 0 });
      expect(await ctx.read(moving.variance)).toBeAllClose(mv, { rtol: 0, atol: 0 });
      expect((await ctx.read(moving.flag))[0]).toBe(1);
    }
  });

  for (const c of [{ shape: [4097, 1], axis: 1 }, { shape: [2, 257], axis: 1 }, { shape: [4, 8, 30, 30], axis: 1 }]) {
    it(`over the threshold ([${c.shape}]): the big path, 3 dispatches forward and backward`, async () => {
      const r = await trainBoth(c, 'biased', data(c, 41));
      expect(r.dispatches).toBe(3);
      expect(r.y).toBeAllClose(r.want.y, { rtol: 1e-5, atol: 1e-4 });
      const C = c.shape[c.axis];
      const params: BatchNormParams = { axis: c.axis, epsilon: 1e-3 };
      const hx = upload(data(c, 42));
      const before = ctx.dispatchCount;
      batchNormGrad(ctx, { handle: upload(data(c, 43)), shape: c.shape }, hx, params, upload(new Float32Array(C)),
        upload(new Float32Array(C).fill(1)), null);
      expect(ctx.dispatchCount - before).toBe(3);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Precision of the apply pass (issue 13 item 4): every path computes y = (x - mean) * scale + beta,
// not x * scale + (beta - mean * scale). The second form (TF/Keras, and wgnn before) rounds a
// shift of size |mean * scale|, which wipes out y when the data sit far from zero: a one-row batch
// at offset 1e4 (variance 0, scale = gamma / sqrt(eps)) must give beta exactly, and random offsets
// up to 1e4 must stay within 1e-4 of the float64 CPU twin. Each channel is one random case, so one
// dispatch covers 200 of them; the layouts reach every apply kernel and the one-dispatch path.

const EPS = 1e-3;
const RANDOM_CASES = 200;

/** Per channel: offset +-10^U(0, 4), std 10^U(-2, 0), gamma U(0.5, 2), beta U(-1, 1). */
function randomCases(seed: number, C: number) {
  const r = rng(seed);
  const offset = Float32Array.from({ length: C }, () => (r.next() < 0.5 ? -1 : 1) * 10 ** (4 * r.next()));
  const std = Float64Array.from({ length: C }, () => 10 ** (-2 * r.next()));
  const variance = Float32Array.from(std, (s) => s * s);
  return { offset, std, variance, gamma: r.uniformF32(C, 0.5, 2), beta: r.uniformF32(C, -1, 1) };
}

/** x of shape [outer, C, inner] with channel c drawn from N(offset[c], std[c]^2). */
function sample(seed: number, outer: number, C: number, inner: number, k: ReturnType<typeof randomCases>): Float32Array {
  const z = rng(seed).normal(outer * C * inner);
  return Float32Array.from(z, (v, e) => {
    const c = Math.floor(e / inner) % C;
    return k.offset[c] + k.std[c] * v;
  });
}

/** [outer, C, inner] shapes reaching each apply kernel (C = RANDOM_CASES or RANDOM_CASES + 3). */
const LAYOUTS: { name: string; outer: number; C: number; inner: number }[] = [
  { name: 'rows4', outer: 8, C: RANDOM_CASES, inner: 1 },
  { name: 'super4 (C % 4 != 0)', outer: 8, C: RANDOM_CASES + 3, inner: 1 },
  { name: 'rows (fewer than 4 rows)', outer: 3, C: RANDOM_CASES + 3, inner: 1 },
  { name: 'planes4', outer: 2, C: RANDOM_CASES, inner: 4 },
  { name: 'planes', outer: 2, C: RANDOM_CASES, inner: 3 },
];

describe('batchNormInfer (webgpu) at offsets up to 1e4 matches float64 within 1e-4', () => {
  for (const l of LAYOUTS) {
    it(`${l.name}: [${l.outer}, ${l.C}, ${l.inner}] axis 1`, async () => {
      const k = randomCases(11, l.C);
      const x = sample(12, l.outer, l.C, l.inner, k);
      const shape = [l.outer, l.C, l.inner];
      const want = batchNormInferCpu(Float64Array.from(x), shape, { axis: 1, epsilon: EPS },
        Float64Array.from(k.offset), Float64Array.from(k.variance), Float64Array.from(k.gamma), Float64Array.from(k.beta));
      const y = batchNormInfer(ctx, { handle: upload(x), shape }, { axis: 1, epsilon: EPS },
        upload(k.offset), upload(k.variance), upload(k.gamma), upload(k.beta));
      expect(await ctx.read(y)).toBeAllClose(want, { rtol: 1e-4, atol: 1e-4 });
    });
  }
});

describe('batchNormTrain (webgpu) of a one-row batch at offset 1e4 outputs beta exactly', () => {
  // One row: mean = x, variance = 0, scale = gamma / sqrt(eps), so y = (x - x) * scale + beta.
  const shapes: { name: string; shape: number[] }[] = [
    { name: 'small path (1 dispatch)', shape: [1, 7] },
    { name: 'rows4', shape: [1, 260] },
    { name: 'rows', shape: [1, 261] },
    { name: 'small path, planes', shape: [1, 6, 5] },
    { name: 'planes4', shape: [1, 300, 16] },
    { name: 'planes', shape: [1, 300, 15] },
  ];
  for (const { name, shape } of shapes) {
    it(`${name}: [${shape.join(', ')}] axis 1`, async () => {
      const C = shape[1];
      const inner = shape[2] ?? 1;
      const k = randomCases(21, C);
      const x = Float32Array.from({ length: C * inner }, (_, e) => 1e4 + k.offset[Math.floor(e / inner)] * 1e-4);
      const got = batchNormTrain(ctx, { handle: upload(x), shape }, { axis: 1, epsilon: EPS },
        upload(k.gamma), upload(k.beta), null);
      const want = Float32Array.from({ length: C * inner }, (_, e) => k.beta[Math.floor(e / inner)]);
      expect(await ctx.read(got.y)).toEqual(want);
    });
  }
});

/** Float32 emulation of both forms over the 200 random cases (the README figure). */
function worstErrors(): { fmaShift: number; subtractFirst: number } {
  const C = RANDOM_CASES;
  const k = randomCases(11, C);
  const x = sample(12, 8, C, 1, k);
  let fmaShift = 0;
  let subtractFirst = 0;
  for (let e = 0; e < x.length; e++) {
    const c = e % C;
    const scale64 = k.gamma[c] / Math.sqrt(k.variance[c] + EPS);
    const want = (x[e] - k.offset[c]) * scale64 + k.beta[c];
    const scale = Math.fround(scale64);
    const shift = Math.fround(k.beta[c] - Math.fround(k.offset[c] * scale));
    // An f32 product is exact in float64, so one fround after the add is an fma.
    const a = Math.fround(x[e] * scale + shift);
    const b = Math.fround(Math.fround(x[e] - k.offset[c]) * scale + k.beta[c]);
    const tol = Math.max(1, Math.abs(want));
    fmaShift = Math.max(fmaShift, Math.abs(a - want) / tol);
    subtractFirst = Math.max(subtractFirst, Math.abs(b - want) / tol);
  }
  return { fmaShift, subtractFirst };
}

describe('why (x - mean) first', () => {
  it('fma(x, scale, beta - mean * scale) in float32 is off by more than 1e-3 on the same cases', () => {
    const { fmaShift, subtractFirst } = worstErrors();
    expect(fmaShift).toBeGreaterThan(1e-3);
    expect(subtractFirst).toBeLessThan(1e-5);
  });
});
