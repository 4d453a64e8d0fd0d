/**
 * Benchmark page (driven by bench/run.mjs). Four sections, one page, one adapter:
 *
 *  1. BN kernels (training forward, backward, inference) against the copy roofline: the fastest
 *     of several plain copies of the same bytes (bench/copy.ts), timed in the same repetitions.
 *  2. Training-mode BN forward, wgnn (public op, WebGPU and CPU) against TF.js 4.22 (tfjs-webgpu
 *     and tfjs-cpu, tf.moments + tf.batchNorm + moving averages) at PERF.md's shapes.
 *  3. Training steps (seed model, MLP 784-256-BN-ReLU-10) on wgnn-webgpu, wgnn-cpu, tfjs-webgpu,
 *     tfjs-cpu, via fit over K batches; dispatches and submits per step on wgnn-webgpu.
 *  4. Elementwise add vs copy and the per-dispatch cost.
 *
 * GPU timings: record, submit, await `onSubmittedWorkDone()` inside the timed region; median of
 * the repetitions; a kernel and its copies alternate within each repetition so that load from
 * other processes hits both. Publishes `globalThis.__wgnnBench`.
 */
import { engine } from '../src/core/engine.js';
import { batchNormTrainCpu } from '../src/backend/cpu/batchnorm.js';
import { WebGpuBackend } from '../src/backend/webgpu/backend.js';
import { batchNormGrad, batchNormInfer, batchNormTrain } from '../src/backend/webgpu/batchnorm.js';
import type { GpuContext, GpuHandle } from '../src/backend/webgpu/context.js';
import { B2B, VARIANTS, copySet } from './copy.js';
import { convRows, tfConvRows } from './conv.js';
import { median, timeAll as timeAllN } from './timing.js';
import { cnnRows } from './cnn.js';
import {
  tf, tfAdapter, tfBnTrain, tfDisposeCase, tfFitEpoch, tfMlp512Model, tfMlpModel, tfSeedModel, tfSync, useTf, type TfModelCase,
} from './tfjs_peers.js';
import { wg, wgDisposeCase, wgFitEpoch, wgMlp512Model, wgMlpModel, wgSeedModel, type WgModelCase } from './wgnn_steps.js';
import { fmaPeak, predictRows, productRows } from './products.js';

export interface BenchRow {
  readonly name: string;
  readonly shape: readonly number[];
  readonly axis: number | null;
  readonly backend: string;
  readonly adapter: string;
  readonly ms: number;
  readonly copyMs: number | null;
  readonly ratioToCopy: number | null;
  readonly dispatches: number | null;
  readonly [extra: string]: unknown;
}

const params = new URLSearchParams(location.search);
const reps = Number(params.get('reps') ?? 7);
const skipPeers = params.get('peers') === '0';
/** `only=steps`: section 3 alone (quick before/after checks of the training step). */
const stepsOnly = params.get('only') === 'steps';
/** `only=bn`: section 1 alone (BN kernels against the copy roofline). */
const bnOnly = params.get('only') === 'bn';
/** `only=products`: section 5 alone (FMA peak, products, predict at batch 1). */
const productsOnly = params.get('only') === 'products';
const out = document.getElementById('out') as HTMLPreElement;
const log = (s: string): void => {
  out.textContent += `\n${s}`;
  console.log(s);
};

const timeAll = (ctx: GpuContext, runs: readonly (() => void)[], n = reps) => timeAllN(ctx, runs, n);

/** Times `kernel` and every copy variant of `copyElements` f32 together; the roofline fields of a row. */
async function withRoofline(ctx: GpuContext, kernel: () => void, copyElements: number, n = reps) {
  const copies = copySet(ctx, copyElements);
  const [k, ...c] = await timeAll(ctx, [kernel, ...copies.runs], n);
  copies.done();
  const wgsl = c.slice(0, VARIANTS.length);
  let best = 0;
  wgsl.forEach((v, i) => { if (v.ms < wgsl[best].ms) best = i; });
  const copyMs = wgsl[best].ms;
  const b2b = c[VARIANTS.length].ms;
  const copyVariantsMs = Object.fromEntries(copies.names.map((name, i) => [name, c[i].ms]));
  return {
    ms: k.ms, dispatches: k.dispatches, copyMs, ratioToCopy: k.ms / copyMs, copyVariant: copies.names[best],
    copyB2BMs: b2b, ratioToB2B: k.ms / b2b, copyVariantsMs,
  };
}

function random(ctx: GpuContext, n: number, label: string): GpuHandle {
  const h = ctx.alloc(n, label);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.random() * 4 - 1;
  ctx.write(h, v);
  return h;
}

const BYTES = { train: 12, backward: 20, inference: 8 } as const;
const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------------------
// 1. BN kernels vs the copy roofline

async function batchNormRows(ctx: GpuContext, adapter: string, shape: number[], axis: number): Promise<BenchRow[]> {
  const n = numel(shape);
  const C = shape[axis];
  const p = { axis, epsilon: 1e-3 };
  const x = random(ctx, n, 'bench_x');
  const dy = random(ctx, n, 'bench_dy');
  const gamma = random(ctx, C, 'bench_gamma');
  const beta = random(ctx, C, 'bench_beta');
  const moving = {
    mean: random(ctx, C, 'bench_mm'), variance: random(ctx, C, 'bench_mv'), momentum: 0.99,
    correction: 'biased' as const, flag: ctx.alloc(1, 'bench_flag'),
  };
  const stats = batchNormTrain(ctx, { handle: x, shape }, p, gamma, beta, moving);
  const runs = {
    train: () => {
      const r = batchNormTrain(ctx, { handle: x, shape }, p, gamma, beta, moving);
      for (const h of [r.y, r.mean, r.variance, r.invStd]) ctx.release(h);
    },
    backward: () => {
      const r = batchNormGrad(ctx, { handle: dy, shape }, x, p, stats.mean, stats.invStd, gamma);
      for (const h of [r.dx!, r.dgamma, r.dbeta]) ctx.release(h);
    },
    inference: () => ctx.release(batchNormInfer(ctx, { handle: x, shape }, p, moving.mean, moving.variance, gamma, beta)),
  };
  const rows: BenchRow[] = [];
  for (const k of ['train', 'backward', 'inference'] as const) {
    const r = await withRoofline(ctx, runs[k], (n * BYTES[k]) / 8);
    rows.push({ name: `batchnorm ${k}`, shape, axis, backend: 'webgpu', adapter, bytesPerElement: BYTES[k], ...r });
    log(`${k} [${shape}] axis ${axis}: ${r.ms.toFixed(2)} ms, copy ${r.copyMs.toFixed(2)} ms (${r.copyVariant}; b2b ${r.copyB2BMs.toFixed(2)}), x${r.ratioToCopy.toFixed(2)}, ${r.dispatches} dispatches`);
  }
  for (const h of [x, dy, gamma, beta, moving.mean, moving.variance, moving.flag, stats.y, stats.mean,
    stats.variance, stats.invStd]) ctx.release(h);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 2. BN training forward: wgnn vs TF.js

const PEER_SHAPES: [number, number][] = [[3, 5], [1024, 256], [65536, 64], [200704, 64]];

/** wgnn's public op: wg.batchNormTrain with gamma, beta and the moving-statistics update. */
function wgBnTrain(shape: [number, number]): { run: () => void; done: () => void } {
  const [n, c] = shape;
  const x = wg.randomUniform([n, c], { minval: -1, maxval: 3, seed: 3 });
  const gamma = wg.ones([c]);
  const beta = wg.zeros([c]);
  const moving = { mean: wg.zeros([c]), variance: wg.ones([c]), momentum: 0.99, correction: 'biased' as const, flag: wg.zeros([1]) };
  return {
    run: () => {
      const r = wg.batchNormTrain(x, { axis: -1, epsilon: 1e-3, gamma, beta }, moving);
      for (const t of Object.values(r)) if (t instanceof wg.Tensor) t.dispose();
    },
    done: () => {
      for (const t of [x, gamma, beta, moving.mean, moving.variance, moving.flag]) t.dispose();
    },
  };
}

/**
 * Warm-up, then as many repetitions as the time allows (median); ms per call and the reps used.
 * Calls under ~2 ms are timed `inner` at a time (the page's clock is coarse), each awaited.
 */
async function timePeer(run: () => void, sync: () => Promise<void>): Promise<{ ms: number; reps: number; inner: number }> {
  let t0 = performance.now();
  run();
  await sync();
  let warm = performance.now() - t0;
  for (let i = 0; i < 3 && warm < 100; i++) {
    t0 = performance.now();
    run();
    await sync();
    warm = performance.now() - t0;
  }
  const inner = warm < 2 ? 20 : 1;
  const n = warm < 50 ? 15 : warm < 2000 ? 5 : warm < 10000 ? 3 : 1;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    t0 = performance.now();
    for (let j = 0; j < inner; j++) {
      run();
      await sync();
    }
    times.push((performance.now() - t0) / inner);
  }
  return { ms: median(times), reps: n, inner };
}

async function bnPeerRows(adapter: string, tfWebgpu: { ok: boolean; why?: string; adapter: string }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const shape of PEER_SHAPES) {
    const n = numel(shape);
    // wgnn-webgpu, interleaved with the copy variants of 12 B/elem.
    await wg.init({ backend: 'webgpu' });
    const ctx = (engine.backend as WebGpuBackend).ctx;
    const w = wgBnTrain(shape);
    const r = await withRoofline(ctx, w.run, (n * 12) / 8, shape[0] <= 3 ? 3 * reps : reps);
    w.done();
    rows.push({ name: 'bn-train-wgnn-webgpu', shape, axis: 1, backend: 'webgpu', adapter, peer: 'wgnn', ...r });
    log(`bn-train wgnn-webgpu [${shape}]: ${r.ms.toFixed(3)} ms (copy ${r.copyMs.toFixed(3)}, x${r.ratioToCopy.toFixed(2)}), ${r.dispatches} dispatches`);
    const copyMs = r.copyMs;
    const peerRow = (name: string, backend: string, adapterName: string, peer: string, t: { ms: number; reps: number }, extra = {}): BenchRow => ({
      name, shape, axis: 1, backend, adapter: adapterName, ms: t.ms, copyMs, ratioToCopy: t.ms / copyMs, dispatches: null,
      peer, reps: t.reps, wgnnWebgpuMs: r.ms, speedupOfWgnnWebgpu: t.ms / r.ms, ...extra,
    });
    // wgnn-cpu (public op on the CPU backend).
    await wg.init({ backend: 'cpu' });
    const wc = wgBnTrain(shape);
    const tc = await timePeer(wc.run, async () => {});
    wc.done();
    rows.push(peerRow('bn-train-wgnn-cpu', 'cpu', 'cpu', 'wgnn', tc));
    log(`bn-train wgnn-cpu [${shape}]: ${tc.ms.toFixed(3)} ms`);
    await wg.init({ backend: 'webgpu' });
    if (skipPeers) continue;
    // TF.js: webgpu, then cpu.
    for (const b of ['webgpu', 'cpu'] as const) {
      if (b === 'webgpu' && !tfWebgpu.ok) continue;
      await useTf(b);
      const p = tfBnTrain(shape);
      const t = await timePeer(p.run, tfSync);
      p.done();
      rows.push(peerRow(`bn-train-tfjs-${b}`, b, b === 'webgpu' ? tfWebgpu.adapter : 'cpu', 'tfjs', t));
      log(`bn-train tfjs-${b} [${shape}]: ${t.ms.toFixed(3)} ms (${t.reps} reps), wgnn-webgpu x${(t.ms / r.ms).toFixed(1)} faster`);
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 3. Training steps

const MAX_BATCHES = 40;
/** Batches per timed epoch: about `targetMs` of work, 3..MAX_BATCHES. */
const batchesFor = (warmMsPerStep: number, targetMs = 2000): number => Math.max(3, Math.min(MAX_BATCHES, Math.round(targetMs / Math.max(warmMsPerStep, 1e-3))));

interface StepResult { stepMs: number; batches: number; epochs: number; dispatches?: number; submits?: number; readbacks?: number }

async function wgSteps(make: () => WgModelCase): Promise<StepResult> {
  const c = make();
  await wgFitEpoch(c, 2); // compiles the pipelines
  const warm = await wgFitEpoch(c, 2);
  const k = batchesFor(warm.ms / 2);
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await wgFitEpoch(c, k));
  wgDisposeCase(c);
  const per = runs.map((r) => r.ms / k);
  const last = runs[runs.length - 1];
  return { stepMs: median(per), batches: k, epochs: runs.length, dispatches: last.dispatches / k, submits: last.submits / k, readbacks: last.readbacks };
}

async function tfSteps(make: () => TfModelCase): Promise<StepResult> {
  const c = make();
  const first = await tfFitEpoch(c, 2); // compiles the pipelines
  const warm = first / 2 > 1500 ? first : await tfFitEpoch(c, 2);
  const k = batchesFor(warm / 2);
  const per: number[] = [];
  const epochs = warm / 2 > 1500 ? 1 : 3;
  for (let i = 0; i < epochs; i++) per.push((await tfFitEpoch(c, k)) / k);
  tfDisposeCase(c);
  return { stepMs: median(per), batches: k, epochs };
}

async function stepRows(adapter: string, tfWebgpu: { ok: boolean; adapter: string }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const models = [
    { id: 'seed', shape: [3, 5], optimizer: 'rmsprop', wgMake: () => wgSeedModel(MAX_BATCHES), tfMake: () => tfSeedModel(MAX_BATCHES) },
    { id: 'mlp', shape: [256, 784], optimizer: 'rmsprop', wgMake: () => wgMlpModel(MAX_BATCHES, 'rmsprop'), tfMake: () => tfMlpModel(MAX_BATCHES, 'rmsprop') },
    // Issue 14: 784-512-BN-ReLU-512-BN-ReLU-10, Adam, batch 32.
    { id: 'mlp512-b32', shape: [32, 784], optimizer: 'adam', wgMake: () => wgMlp512Model(MAX_BATCHES, 32), tfMake: () => tfMlp512Model(MAX_BATCHES, 32) },
  ];
  for (const m of models) {
    const results: Record<string, StepResult> = {};
    for (const b of ['webgpu', 'cpu'] as const) {
      await wg.init({ backend: b });
      results[`wgnn-${b}`] = await wgSteps(m.wgMake);
      log(`step ${m.id} wgnn-${b}: ${results[`wgnn-${b}`].stepMs.toFixed(3)} ms/step over ${results[`wgnn-${b}`].batches} batches` +
        (b === 'webgpu' ? `, ${results['wgnn-webgpu'].dispatches} dispatches, ${results['wgnn-webgpu'].submits} submits per step` : ''));
    }
    await wg.init({ backend: 'webgpu' });
    if (!skipPeers) {
      for (const b of ['webgpu', 'cpu'] as const) {
        if (b === 'webgpu' && !tfWebgpu.ok) continue;
        await useTf(b);
        results[`tfjs-${b}`] = await tfSteps(m.tfMake);
        log(`step ${m.id} tfjs-${b}: ${results[`tfjs-${b}`].stepMs.toFixed(3)} ms/step over ${results[`tfjs-${b}`].batches} batches`);
      }
    }
    const ours = results['wgnn-webgpu'].stepMs;
    for (const [who, r] of Object.entries(results)) {
      rows.push({
        name: `step-${m.id}-${who}`, shape: m.shape, axis: null, backend: who.endsWith('webgpu') ? 'webgpu' : 'cpu',
        adapter: who === 'tfjs-webgpu' ? tfWebgpu.adapter : who.endsWith('webgpu') ? adapter : 'cpu',
        ms: r.stepMs, copyMs: null, ratioToCopy: null, dispatches: who === 'wgnn-webgpu' ? r.dispatches ?? null : null,
        peer: who.split('-')[0], stepMs: r.stepMs, submits: who === 'wgnn-webgpu' ? r.submits ?? null : null,
        readbacksPerEpoch: who === 'wgnn-webgpu' ? r.readbacks ?? null : null,
        batchesPerEpoch: r.batches, epochs: r.epochs, speedupOfWgnnWebgpu: r.stepMs / ours,
        optimizer: m.optimizer, loss: m.id === 'seed' ? '(a,b)=>square(sub(a,b))' : 'categoricalCrossentropy',
      });
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 4. add vs copy, per-dispatch cost

async function foundationRows(backend: WebGpuBackend, adapter: string): Promise<BenchRow[]> {
  const ctx = backend.ctx;
  const n = 4 * 1024 * 1024;
  const a = random(ctx, n, 'bench_a');
  const b = random(ctx, n, 'bench_b');
  const addRun = (): void => backend.free(backend.binary('add', { handle: a, shape: [n] }, { handle: b, shape: [n] }, [n]));
  const add = await withRoofline(ctx, addRun, (n * 12) / 8);
  log(`add [${n}]: ${add.ms.toFixed(2)} ms, copy ${add.copyMs.toFixed(2)} ms (${add.copyVariant})`);
  ctx.release(a);
  ctx.release(b);
  const src = random(ctx, 4, 'bench_tiny_src');
  const dst = ctx.alloc(4, 'bench_tiny_dst');
  const u = ctx.uniform(Uint32Array.of(4), 'bench_copy_params');
  const p = ctx.pipeline('copy', 'main4');
  const k = 200;
  const [inPass] = await timeAll(ctx, [() => {
    for (let i = 0; i < k; i++) ctx.dispatch('bench_tiny', p, [u, src, dst], [1]);
  }]);
  const perSubmit: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    ctx.dispatch('bench_tiny', p, [u, src, dst], [1]);
    ctx.flush();
    await ctx.device.queue.onSubmittedWorkDone();
    perSubmit.push(performance.now() - t0);
  }
  ctx.release(src);
  ctx.release(dst);
  log(`dispatch in one pass: ${((inPass.ms / k) * 1000).toFixed(1)} us; dispatch + submit + await: ${(median(perSubmit) * 1000).toFixed(1)} us`);
  const base = { axis: null, backend: 'webgpu', adapter, copyMs: null, ratioToCopy: null };
  return [
    { name: 'add (binary, 12 B/elem)', shape: [n], axis: null, backend: 'webgpu', adapter, bytesPerElement: 12, ...add },
    { ...base, name: 'per dispatch, 200 in one pass (ms each)', shape: [4], ms: inPass.ms / k, dispatches: 1 },
    { ...base, name: 'per dispatch + submit + await (ms each)', shape: [4], ms: median(perSubmit), dispatches: 1 },
  ];
}

/** The CPU twin kernel on the same shape (float32), for scale. */
function cpuTrainRow(shape: number[], axis: number): BenchRow {
  const x = new Float32Array(numel(shape)).map(() => Math.random());
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    batchNormTrainCpu(x, shape, { axis, epsilon: 1e-3 }, null, null, null);
    times.push(performance.now() - t0);
  }
  return { name: 'batchnorm train (CPU twin)', shape, axis, backend: 'cpu', adapter: 'cpu', ms: median(times),
    copyMs: null, ratioToCopy: null, dispatches: null };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = performance.now();
  await wg.init({ backend: 'webgpu' });
  const backend = engine.backend as WebGpuBackend;
  const ctx = backend.ctx;
  const adapter = backend.description;
  log(`adapter: ${adapter}, reps ${reps}, ${navigator.userAgent}`);
  const cnnOnly = params.get('only') === 'cnn';
  // The copies must copy: check every variant once on an odd size.
  {
    const c = copySet(ctx, 1_000_003);
    await c.verify();
    c.done();
  }
  // TF.js's WebGPU backend: its own adapter request and device in this page.
  let tfWebgpu = { ok: false, why: 'skipped', adapter: '-' };
  if (!skipPeers) {
    const s = await useTf('webgpu');
    tfWebgpu = { ok: s.ok, why: s.why ?? '', adapter: s.ok ? tfAdapter() : '-' };
    log(`tfjs ${tf.version.tfjs}: webgpu ${s.ok ? `ok, ${tfWebgpu.adapter}` : `unavailable: ${s.why}`}`);
  }
  if (params.get('only') === 'conv') {
    // Convolution GFLOP/s alone (bench/conv.ts): JSON only, no markdown; TF.js's
    // kernels too unless WGNN_BENCH_PEERS=0.
    const results = await convRows(ctx, adapter, (c, runs) => timeAll(c, runs), random);
    for (const r of results) {
      const vs = r.ratioToMatmul === null ? '' : `, ${(r.ratioToMatmul as number).toFixed(2)}x matmul (${(r.matmulGflops as number).toFixed(2)} GFLOP/s)`;
      log(`${r.name}: ${r.ms.toFixed(2)} ms, ${(r.gflops as number).toFixed(2)} GFLOP/s${vs}, ${r.dispatches} dispatch(es)`);
    }
    if (!skipPeers) results.push(...(await tfConvRows(tfWebgpu, timePeer, log)));
    (globalThis as { __wgnnBench?: unknown }).__wgnnBench = { results, date: new Date().toISOString(), reps };
    return;
  }
  const rows: BenchRow[] = [];
  if (productsOnly) {
    rows.push(...(await productSection(backend, adapter, tfWebgpu.ok)));
    publish(rows, t0, tfWebgpu);
    return;
  }
  if (cnnOnly) {
    // CNN training steps and predict (bench/cnn.ts) alone: JSON only, no markdown.
    rows.push(...(await cnnRows(adapter, tfWebgpu, skipPeers, log)));
    (globalThis as { __wgnnBench?: unknown }).__wgnnBench = { results: rows, date: new Date().toISOString(), reps };
    return;
  }
  const cases: [number[], number][] = stepsOnly ? [] : [[[65536, 64], 1], [[32, 56, 56, 64], 3], [[32, 64, 56, 56], 1],
    [[50000, 13], 1], [[4096, 1000], 1]];
  for (const [shape, axis] of cases) rows.push(...(await batchNormRows(ctx, adapter, shape, axis)));
  log(`section 1: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (bnOnly) {
    for (const r of rows) log(`${r.name} ${JSON.stringify(r.shape)}: ${r.ms.toFixed(2)} ms, ${(r.ratioToCopy ?? 0).toFixed(2)}x copy`);
    publish(rows, t0, tfWebgpu);
    return;
  }
  if (!stepsOnly) rows.push(...(await bnPeerRows(adapter, tfWebgpu)));
  log(`section 2: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  rows.push(...(await stepRows(adapter, tfWebgpu)));
  log(`section 3: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (!stepsOnly) rows.push(...(await cnnRows(adapter, tfWebgpu, skipPeers, log)));
  log(`section 3b (cnn): ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  await wg.init({ backend: 'webgpu' });
  if (!stepsOnly) {
    const c = (engine.backend as WebGpuBackend).ctx;
    rows.push(...(await convRows(c, adapter, (g, runs) => timeAll(g, runs), random)));
    if (!skipPeers) rows.push(...(await tfConvRows(tfWebgpu, timePeer, log)));
    await wg.init({ backend: 'webgpu' });
  }
  log(`section 3c (conv kernels): ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (!stepsOnly) rows.push(...(await foundationRows(engine.backend as WebGpuBackend, adapter)));
  for (const [shape, axis] of cases) rows.push(cpuTrainRow(shape, axis));
  if (!stepsOnly) rows.push(...(await productSection(engine.backend as WebGpuBackend, adapter, tfWebgpu.ok)));
  log(`section 5: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  publish(rows, t0, tfWebgpu);
}

/** 5. FMA peak, products against it, MLP predict at batch 1. */
async function productSection(backend: WebGpuBackend, adapter: string, tfWebgpuOk: boolean): Promise<BenchRow[]> {
  const peak = await fmaPeak(backend.ctx, reps);
  log(`FMA peak: ${peak.gflops.toFixed(2)} GFLOP/s (${peak.ms.toFixed(2)} ms)`);
  const rows: BenchRow[] = [{
    name: 'fma peak (register-only)', shape: [], axis: null, backend: 'webgpu', adapter, ms: peak.ms, copyMs: null,
    ratioToCopy: null, dispatches: 1, gflops: peak.gflops,
  }];
  rows.push(...(await productRows(backend, adapter, peak.gflops, reps)));
  rows.push(...(await predictRows(adapter, tfWebgpuOk, skipPeers)));
  await wg.init({ backend: 'webgpu' });
  return rows;
}

function publish(rows: BenchRow[], t0: number, tfWebgpu: { ok: boolean; why: string; adapter: string }): void {
  const meta = {
    date: new Date().toISOString(), userAgent: navigator.userAgent, tfjs: tf.version.tfjs,
    tfWebgpu, reps, copyVariants: [...VARIANTS.map((v) => v.name), B2B], seconds: (performance.now() - t0) / 1000,
  };
  (globalThis as { __wgnnBench?: unknown }).__wgnnBench = { results: rows, ...meta };
}

main().catch((err: unknown) => {
  log(`error: ${String((err as Error)?.stack ?? err)}`);
  (globalThis as { __wgnnBench?: unknown }).__wgnnBench = { error: String((err as Error)?.stack ?? err) };
});
