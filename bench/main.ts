/**
 * Benchmark page (driven by bench/run.mjs): batch normalization's training forward, backward and
 * inference kernels against a plain vec4 copy of the same bytes, on the adapter in hand, plus an
 * elementwise add and the per-dispatch cost of the encoder/submit path. Every timing is the
 * median of `reps` runs; each run records its dispatches, submits them and awaits
 * `onSubmittedWorkDone()` inside the timed region. Publishes `globalThis.__wgnnBench`.
 */
import { batchNormTrainCpu } from '../src/backend/cpu/batchnorm.js';
import { WebGpuBackend } from '../src/backend/webgpu/backend.js';
import { batchNormGrad, batchNormInfer, batchNormTrain } from '../src/backend/webgpu/batchnorm.js';
import { grid, type GpuContext, type GpuHandle } from '../src/backend/webgpu/context.js';

export interface BenchRow {
  readonly name: string;
  readonly shape: readonly number[];
  readonly axis: number | null;
  readonly backend: 'webgpu' | 'cpu';
  readonly adapter: string;
  readonly ms: number;
  readonly copyMs: number | null;
  readonly ratioToCopy: number | null;
  readonly dispatches: number | null;
}

const reps = Number(new URLSearchParams(location.search).get('reps') ?? 7);
const out = document.getElementById('out') as HTMLPreElement;
const log = (s: string): void => {
  out.textContent += `\n${s}`;
  console.log(s);
};

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** One timed run: record, submit, await the GPU. */
async function once(ctx: GpuContext, run: () => void): Promise<{ ms: number; dispatches: number }> {
  const d0 = ctx.dispatchCount;
  const t0 = performance.now();
  run();
  ctx.flush();
  await ctx.device.queue.onSubmittedWorkDone();
  return { ms: performance.now() - t0, dispatches: ctx.dispatchCount - d0 };
}

/**
 * Median ms of each of `runs`, interleaved rep by rep (A B A B ...) so that load from other
 * processes on a shared machine hits a kernel and its copy roofline alike.
 */
async function timeAll(ctx: GpuContext, runs: readonly (() => void)[]): Promise<{ ms: number; dispatches: number }[]> {
  for (const run of runs) {
    run();
    await ctx.sync();
  }
  const times = runs.map((): number[] => []);
  const dispatches = runs.map(() => 0);
  for (let i = 0; i < reps; i++) {
    for (let k = 0; k < runs.length; k++) {
      const r = await once(ctx, runs[k]);
      times[k].push(r.ms);
      dispatches[k] = r.dispatches;
    }
  }
  return times.map((t, k) => ({ ms: median(t), dispatches: dispatches[k] }));
}

async function time(ctx: GpuContext, run: () => void): Promise<{ ms: number; dispatches: number }> {
  return (await timeAll(ctx, [run]))[0];
}

function random(ctx: GpuContext, n: number, label: string): GpuHandle {
  const h = ctx.alloc(n, label);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.random() * 4 - 1;
  ctx.write(h, v);
  return h;
}

/** A vec4 copy of `elements` f32 (rounded up to 4), 8 B per copied element; `done` frees it. */
function copyRun(ctx: GpuContext, elements: number): { run: () => void; done: () => void } {
  const n = Math.ceil(elements / 4) * 4;
  const src = random(ctx, n, 'bench_copy_src');
  const dst = ctx.alloc(n, 'bench_copy_dst');
  const u = ctx.uniform(Uint32Array.of(n), 'bench_copy_params');
  const p = ctx.pipeline('copy', 'main4');
  return {
    run: () => ctx.dispatch('bench_copy', p, [u, src, dst], grid(n / 4)),
    done: () => {
      ctx.release(src);
      ctx.release(dst);
    },
  };
}

async function batchNormRows(ctx: GpuContext, adapter: string, shape: number[], axis: number): Promise<BenchRow[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const C = shape[axis];
  const params = { axis, epsilon: 1e-3 };
  const x = random(ctx, n, 'bench_x');
  const dy = random(ctx, n, 'bench_dy');
  const gamma = random(ctx, C, 'bench_gamma');
  const beta = random(ctx, C, 'bench_beta');
  const moving = {
    mean: random(ctx, C, 'bench_mm'), variance: random(ctx, C, 'bench_mv'), momentum: 0.99,
    correction: 'biased' as const, flag: ctx.alloc(1, 'bench_flag'),
  };
  const stats = batchNormTrain(ctx, { handle: x, shape }, params, gamma, beta, moving);
  const runs = {
    train: () => {
      const r = batchNormTrain(ctx, { handle: x, shape }, params, gamma, beta, moving);
      for (const h of [r.y, r.mean, r.variance, r.invStd]) ctx.release(h);
    },
    backward: () => {
      const r = batchNormGrad(ctx, { handle: dy, shape }, x, params, stats.mean, stats.invStd, gamma);
      for (const h of [r.dx, r.dgamma, r.dbeta]) ctx.release(h);
    },
    inference: () => ctx.release(batchNormInfer(ctx, { handle: x, shape }, params, moving.mean, moving.variance, gamma, beta)),
  };
  const bytes = { train: 12, backward: 20, inference: 8 };
  const rows: BenchRow[] = [];
  for (const k of ['train', 'backward', 'inference'] as const) {
    const copy = copyRun(ctx, (n * bytes[k]) / 8);
    const [t, { ms: c }] = await timeAll(ctx, [runs[k], copy.run]);
    copy.done();
    rows.push({ name: `batchnorm ${k}`, shape, axis, backend: 'webgpu', adapter, ms: t.ms, copyMs: c,
      ratioToCopy: t.ms / c, dispatches: t.dispatches });
    log(`${k} [${shape}] axis ${axis}: ${t.ms.toFixed(2)} ms, copy ${c.toFixed(2)} ms, x${(t.ms / c).toFixed(2)}, ${t.dispatches} dispatches`);
  }
  for (const h of [x, dy, gamma, beta, moving.mean, moving.variance, moving.flag, stats.y, stats.mean,
    stats.variance, stats.invStd]) ctx.release(h);
  return rows;
}

/** The CPU twin on the same shape (float32), for scale. */
function cpuTrainRow(adapter: string, shape: number[], axis: number): BenchRow {
  const n = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n).map(() => Math.random());
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    batchNormTrainCpu(x, shape, { axis, epsilon: 1e-3 }, null, null, null);
    times.push(performance.now() - t0);
  }
  return { name: 'batchnorm train (CPU twin)', shape, axis, backend: 'cpu', adapter, ms: median(times),
    copyMs: null, ratioToCopy: null, dispatches: null };
}

async function foundationRows(backend: WebGpuBackend, adapter: string): Promise<BenchRow[]> {
  const ctx = backend.ctx;
  const n = 4 * 1024 * 1024;
  const a = random(ctx, n, 'bench_a');
  const b = random(ctx, n, 'bench_b');
  const copy = copyRun(ctx, (n * 12) / 8);
  const addRun = (): void => backend.free(backend.binary('add', { handle: a, shape: [n] }, { handle: b, shape: [n] }, [n]));
  const [add, { ms: c }] = await timeAll(ctx, [addRun, copy.run]);
  copy.done();
  log(`add [${n}]: ${add.ms.toFixed(2)} ms, copy ${c.toFixed(2)} ms`);
  ctx.release(a);
  ctx.release(b);
  // Per-dispatch cost: many tiny copies in one compute pass, then one submit per dispatch.
  const src = random(ctx, 4, 'bench_tiny_src');
  const dst = ctx.alloc(4, 'bench_tiny_dst');
  const u = ctx.uniform(Uint32Array.of(4), 'bench_copy_params');
  const p = ctx.pipeline('copy', 'main4');
  const k = 200;
  const inPass = await time(ctx, () => {
    for (let i = 0; i < k; i++) ctx.dispatch('bench_tiny', p, [u, src, dst], [1]);
  });
  const perSubmit: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    ctx.dispatch('bench_tiny', p, [u, src, dst], [1]);
    ctx.flush();
    await ctx.device.queue.onSubmittedWorkDone();
    perSubmit.push(performance.now() - t0);
  }
  log(`dispatch in one pass: ${((inPass.ms / k) * 1000).toFixed(1)} us; dispatch + submit + await: ${(median(perSubmit) * 1000).toFixed(1)} us`);
  const base = { axis: null, backend: 'webgpu' as const, adapter, copyMs: null, ratioToCopy: null };
  return [
    { name: 'add (binary, 12 B/elem)', shape: [n], axis: null, backend: 'webgpu', adapter, ms: add.ms, copyMs: c,
      ratioToCopy: add.ms / c, dispatches: add.dispatches },
    { ...base, name: 'per dispatch, 200 in one pass (ms each)', shape: [4], ms: inPass.ms / k, dispatches: 1 },
    { ...base, name: 'per dispatch + submit + await (ms each)', shape: [4], ms: median(perSubmit), dispatches: 1 },
  ];
}

async function main(): Promise<void> {
  const backend = await WebGpuBackend.create();
  const adapter = backend.description;
  log(`adapter: ${adapter}, reps ${reps}`);
  const rows: BenchRow[] = [];
  const cases: [number[], number][] = [[[65536, 64], 1], [[32, 56, 56, 64], 3], [[32, 64, 56, 56], 1]];
  for (const [shape, axis] of cases) rows.push(...(await batchNormRows(backend.ctx, adapter, shape, axis)));
  rows.push(...(await foundationRows(backend, adapter)));
  for (const [shape, axis] of cases) rows.push(cpuTrainRow(adapter, shape, axis));
  backend.dispose();
  (globalThis as { __wgnnBench?: unknown }).__wgnnBench = { results: rows, date: new Date().toISOString() };
}

main().catch((err: unknown) => {
  log(`error: ${String(err)}`);
  (globalThis as { __wgnnBench?: unknown }).__wgnnBench = { error: String((err as Error)?.stack ?? err) };
});
