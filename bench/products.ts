/**
 * Section 5 of the bench page: matrix products against the compute roofline, and the MLP at the
 * two sizes issue 14 measures.
 *
 *  - FMA peak: bench/fma.wgsl, a register-only FMA loop; GFLOP/s of the adapter in hand.
 *  - Products: each shape through the backend's matmul (the chooser's pick, after its autotune
 *    has settled), GFLOP/s and fraction of the FMA peak, the pick, and every candidate kernel
 *    forced by the override in the same repetitions; transposed operands beside the plain product
 *    of the same FLOPs; the small-M curve [M, 784] x [784, 512] for M = 1, 8, 32.
 *  - MLP 784-512-BN-ReLU-512-BN-ReLU-10: predict at batch 1 (data() awaited) on wgnn-webgpu,
 *    wgnn-cpu, tfjs-webgpu, tfjs-cpu.
 */
import { engine } from '../src/core/engine.js';
import type { WebGpuBackend } from '../src/backend/webgpu/backend.js';
import type { GpuContext, GpuHandle } from '../src/backend/webgpu/context.js';
import { candidates, matmulChooser, type MatmulKernel } from '../src/backend/webgpu/matmul_chooser.js';
import source from './fma.wgsl?raw';
import { median, timeAll } from './timing.js';
import { tf, useTf } from './tfjs_peers.js';
import { wg } from './wgnn_steps.js';
import type { BenchRow } from './main.js';

const FMA_WG = 64;
const FMA_ITERS = 2048;
const FMA_THREADS = 16384;

/** GFLOP/s of the FMA loop (median of `reps`). */
export async function fmaPeak(ctx: GpuContext, reps: number): Promise<{ gflops: number; ms: number }> {
  const device = ctx.device;
  const module = device.createShaderModule({ label: 'bench_fma', code: source });
  const pipeline = device.createComputePipeline({
    label: 'bench_fma', layout: 'auto', compute: { module, entryPoint: 'main', constants: { WG: FMA_WG, ITERS: FMA_ITERS } },
  });
  const seed = ctx.alloc(8, 'bench_fma_seed');
  ctx.write(seed, Float32Array.of(1e-3, 1e-3, 1e-3, 1e-3, 0.999, 0.999, 0.999, 0.999));
  const out = ctx.alloc(4 * FMA_THREADS, 'bench_fma_out');
  const run = (): void => ctx.dispatch('bench_fma', pipeline, [seed, out], [FMA_THREADS / FMA_WG]);
  const [t] = await timeAll(ctx, [run], reps);
  ctx.release(seed);
  ctx.release(out);
  const flops = 2 * FMA_THREADS * FMA_ITERS * 8 * 4;
  return { gflops: flops / (t.ms * 1e6), ms: t.ms };
}

interface Product {
  readonly name: string;
  /** a, b shapes as stored, and the transposes. */
  readonly a: [number, number];
  readonly b: [number, number];
  readonly ta: boolean;
  readonly tb: boolean;
}

const mk = (name: string, a: [number, number], b: [number, number], ta = false, tb = false): Product => ({ name, a, b, ta, tb });

/** Forward, weight gradient and input gradient of a 784 -> 512 dense layer at batch 256, same FLOPs. */
const PRODUCTS: Product[] = [
  mk('x . W [256,784]x[784,512]', [256, 784], [784, 512]),
  mk('x^T . dy [784,256]x[256,512]', [256, 784], [256, 512], true, false),
  mk('dy . W^T [256,512]x[512,784]', [256, 512], [784, 512], false, true),
  mk('large [512,512]x[512,512]', [512, 512], [512, 512]),
  mk('small M=1 [1,784]x[784,512]', [1, 784], [784, 512]),
  mk('small M=8 [8,784]x[784,512]', [8, 784], [784, 512]),
  mk('small M=32 [32,784]x[784,512]', [32, 784], [784, 512]),
];

function random(ctx: GpuContext, n: number): GpuHandle {
  const h = ctx.alloc(n, 'bench_matmul_in');
  ctx.write(h, Float32Array.from({ length: n }, () => Math.random() - 0.5));
  return h;
}

/** One row per product: the chooser's pick timed together with every candidate forced. */
export async function productRows(backend: WebGpuBackend, adapter: string, peak: number, reps: number): Promise<BenchRow[]> {
  const ctx = backend.ctx;
  const chooser = matmulChooser(ctx);
  const rows: BenchRow[] = [];
  // The plain product (the first), kept while the transposed ones run: each transposed product is
  // timed in the same repetitions as it, so `vsPlain` compares the two under the same load.
  let plain: { once: () => void; dispose: () => void } | null = null;
  for (const p of PRODUCTS) {
    const M = p.ta ? p.a[1] : p.a[0];
    const K = p.ta ? p.a[0] : p.a[1];
    const N = p.tb ? p.b[0] : p.b[1];
    const a = { handle: random(ctx, p.a[0] * p.a[1]), shape: p.a };
    const b = { handle: random(ctx, p.b[0] * p.b[1]), shape: p.b };
    const once = (): void => backend.free(backend.matmul(a, b, p.ta, p.tb, [M, N]));
    for (let i = 0; i < 3; i++) once(); // the third use starts the autotune of this shape class
    await chooser.settled();
    const before = chooser.runs();
    once();
    const after = chooser.runs();
    const pick = Object.keys(after).find((k) => after[k] !== before[k]) ?? '?';
    const list = candidates({ M, N, K, batch: 1, transposeA: p.ta, transposeB: p.tb });
    const forced = list.map((k: MatmulKernel) => () => {
      chooser.override = k;
      once();
      chooser.override = null;
    });
    const transposed = p.ta || p.tb;
    const runs = transposed && plain ? [once, plain.once, ...forced] : [once, ...forced];
    const [chosen, ...rest] = await timeAll(ctx, runs, reps);
    const plainMs = transposed && plain ? rest.shift()?.ms ?? null : null;
    const each = rest;
    const gflops = (2 * M * N * K) / (chosen.ms * 1e6);
    const kernelsMs = Object.fromEntries(list.map((k, i) => [k, each[i].ms]));
    rows.push({
      name: `matmul ${p.name}`, shape: [M, K, N], axis: null, backend: 'webgpu', adapter, ms: chosen.ms, copyMs: null,
      ratioToCopy: null, dispatches: chosen.dispatches, kernel: pick, gflops, fmaPeakGflops: peak,
      fractionOfPeak: gflops / peak, kernelsMs, transposeA: p.ta, transposeB: p.tb,
      // Same FLOPs: plain ms / this ms, both timed in these repetitions (>= 0.9 is issue 14's target).
      plainMs, vsPlain: plainMs === null ? null : plainMs / chosen.ms,
    });
    const list2 = Object.entries(kernelsMs).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
    const vs = plainMs === null ? '' : `, plain ${plainMs.toFixed(2)} ms in the same reps (${(plainMs / chosen.ms).toFixed(2)}x)`;
    console.log(`matmul ${p.name}: ${chosen.ms.toFixed(2)} ms (${pick}), ${gflops.toFixed(2)} GFLOP/s = ${(100 * gflops / peak).toFixed(0)}% of peak${vs}; ${list2}`);
    if (plain === null && !transposed) {
      plain = { once, dispose: () => { ctx.release(a.handle); ctx.release(b.handle); } };
    } else {
      ctx.release(a.handle);
      ctx.release(b.handle);
    }
  }
  plain?.dispose();
  return rows;
}

/** The same MLP in both libraries (the issue-14 one), in inference mode. */
function wgMlp(): wg.Sequential {
  const block = (): wg.Layer[] => [wg.layers.batchNormalization({}), wg.layers.activation({ activation: 'relu' })];
  return wg.sequential({
    layers: [wg.layers.dense({ units: 512, inputShape: [784] }), ...block(), wg.layers.dense({ units: 512 }), ...block(),
      wg.layers.dense({ units: 10, activation: 'softmax' })],
  });
}

function tfMlp(): tf.Sequential {
  const block = (): tf.layers.Layer[] => [tf.layers.batchNormalization({}), tf.layers.activation({ activation: 'relu' })];
  return tf.sequential({
    layers: [tf.layers.dense({ units: 512, inputShape: [784] }), ...block(), tf.layers.dense({ units: 512 }), ...block(),
      tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
}

/** ms of `run` (awaited), warm-up then median of `n`. */
async function timeAsync(run: () => Promise<void>, n: number): Promise<number> {
  for (let i = 0; i < 3; i++) await run();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run();
    t.push(performance.now() - t0);
  }
  return median(t);
}

/** MLP predict at batch 1, output read back, on each backend of both libraries. */
export async function predictRows(adapter: string, tfWebgpuOk: boolean, skipPeers: boolean): Promise<BenchRow[]> {
  const results: Record<string, number> = {};
  for (const b of ['webgpu', 'cpu'] as const) {
    await wg.init({ backend: b });
    const model = wgMlp();
    const x = wg.randomUniform([1, 784], { seed: 5 });
    results[`wgnn-${b}`] = await timeAsync(async () => {
      const y = model.predict(x) as wg.Tensor;
      await y.data();
      y.dispose();
    }, 30);
    x.dispose();
  }
  await wg.init({ backend: 'webgpu' });
  if (!skipPeers) {
    for (const b of ['webgpu', 'cpu'] as const) {
      if (b === 'webgpu' && !tfWebgpuOk) continue;
      await useTf(b);
      const model = tfMlp();
      const x = tf.randomUniform([1, 784]);
      results[`tfjs-${b}`] = await timeAsync(async () => {
        const y = model.predict(x) as tf.Tensor;
        await y.data();
        y.dispose();
      }, 30);
      x.dispose();
      model.dispose();
    }
  }
  const ours = results['wgnn-webgpu'];
  const stats = engine.backend.name;
  console.log(`predict batch 1 (${stats}): ${Object.entries(results).map(([k, v]) => `${k} ${v.toFixed(2)} ms`).join(', ')}`);
  return Object.entries(results).map(([who, ms]) => ({
    name: `predict-mlp512-b1-${who}`, shape: [1, 784], axis: null, backend: who.endsWith('webgpu') ? 'webgpu' : 'cpu',
    adapter: who === 'wgnn-webgpu' ? adapter : who, ms, copyMs: null, ratioToCopy: null, dispatches: null,
    peer: who.split('-')[0], speedupOfWgnnWebgpu: ms / ours,
  }));
}
