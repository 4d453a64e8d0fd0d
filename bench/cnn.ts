/**
 * CNN training steps and predictions (`WGNN_BENCH_ONLY=cnn`; table (iv) of the full run): wgnn
 * (webgpu, cpu) beside TF.js 4.22 (webgpu, cpu) in the same page, the same networks
 * (bench/cnn_nets.ts) with the same initial weights.
 * (b) one `fit` step, SGD, categorical crossentropy on random one-hot labels: the MNIST CNN of
 * examples/mnist_cnn.ts at batch 64; a 4-block ResNet-style network (8 channels) on
 * [32,32,32,3]; a MobileNetV2-style stack (stem 8, four inverted residuals to 24 channels,
 * expansion 6) on [8,96,96,3]; wgnn's dispatches and submits per step.
 * (c) `predict` of the same networks at batch 1 and 32, read back (`data()`), GPU awaited.
 * Steps: one fit epoch of K batches after two 1-batch warm-ups, divided by K (K chosen for about
 * 1.5 s, 1..10); median of 3 epochs, 1 when a step takes over 0.5 s. Predict: warm-up, median of
 * 5 (1 over 0.5 s; just the first timed call over 3 s). A first step over 15 s is the only
 * timing taken (`epochs: 0` in the row: it includes pipeline compilation, so it over-states that
 * peer's time).
 */
import type { BenchRow } from './main.js';
import { matmulChooser } from '../src/backend/webgpu/matmul_chooser.js';
import type { WebGpuBackend } from '../src/backend/webgpu/backend.js';
import { engine } from '../src/core/engine.js';
import { copyWeightsToTf, mnistCnnSpec, mobilenetSpec, resnetSpec, tfNet, wgNet, type NetSpec } from './cnn_nets.js';
import { tf, tfFitEpoch, tfSync, useTf, type TfModelCase } from './tfjs_peers.js';
import { wg, wgFitEpoch, type WgModelCase } from './wgnn_steps.js';

interface CnnCase { readonly id: string; readonly spec: NetSpec; readonly batch: number }

const CASES: CnnCase[] = [
  { id: 'mnist-cnn', spec: mnistCnnSpec(), batch: 64 },
  { id: 'resnet4', spec: resnetSpec([32, 32, 3], 8, 4, 10), batch: 32 },
  { id: 'mobilenetv2', spec: mobilenetSpec([96, 96, 3], 8, [[8, 1], [16, 2], [16, 1], [24, 2]], 10), batch: 8 },
];

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1];
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Inputs in [0, 1) and one-hot labels for `n` rows (seeded, host-side: the same for everyone). */
function data(c: CnnCase, n: number): { x: Float32Array; y: Float32Array; classes: number } {
  const classes = c.spec.nodes.at(-1)?.op === 'dense' ? (c.spec.nodes.at(-1) as { units: number }).units : 10;
  let s = 12345;
  const rand = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const x = Float32Array.from({ length: n * size(c.spec.input) }, rand);
  const y = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) y[i * classes + Math.floor(rand() * classes)] = 1;
  return { x, y, classes };
}

interface Timed { ms: number; batches: number; epochs: number; dispatches?: number; submits?: number }

/** A warm-up this long (ms) is the only timing taken: the slow peers would not finish otherwise. */
const SLOW_MS = 15_000;

/** ms per step over a K-batch epoch after a 1-batch warm-up (see the header). */
async function steps(epoch: (k: number) => Promise<{ ms: number; dispatches?: number; submits?: number }>): Promise<Timed> {
  const first = await epoch(1);
  if (first.ms > SLOW_MS) return { ...first, batches: 1, epochs: 0 };
  const warm = (await epoch(1)).ms;
  const k = Math.max(1, Math.min(10, Math.round(1500 / Math.max(warm, 1))));
  const runs = [];
  for (let i = 0; i < (warm > 500 ? 1 : 3); i++) runs.push(await epoch(k));
  const last = runs[runs.length - 1];
  const per = (v?: number): number | undefined => (v === undefined ? undefined : v / k);
  return { ms: median(runs.map((r) => r.ms / k)), batches: k, epochs: runs.length, dispatches: per(last.dispatches), submits: per(last.submits) };
}

/**
 * ms of one call: warm-up, then one timed call, or the median of 5 when it is quick. `settle`
 * (wgnn on WebGPU) runs three warm-up calls and waits for the matmul chooser's background tunes
 * they start (a shape class is tuned on its third use), so no tune competes with the timed calls.
 */
async function timeCalls(run: () => Promise<void>, settle?: () => Promise<void>): Promise<number> {
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    await run();
    return performance.now() - t0;
  };
  await run(); // compiles the pipelines
  if (settle) {
    await run();
    await run();
    await settle();
  }
  const first = await once();
  if (first > SLOW_MS / 5) return first;
  const times = [];
  for (let i = 0; i < (first > 500 ? 1 : 5); i++) times.push(await once());
  return median(times);
}

/** Waits for the matmul chooser's background tunes on the current WebGPU backend. */
async function settleTunes(): Promise<void> {
  await matmulChooser((engine.backend as WebGpuBackend).ctx).settled();
}

type Who = 'wgnn-webgpu' | 'wgnn-cpu' | 'tfjs-webgpu' | 'tfjs-cpu';

async function wgCase(c: CnnCase, backend: 'webgpu' | 'cpu'): Promise<{ step: Timed; predict: number[]; model: wg.Model }> {
  await wg.init({ backend });
  const model = wgNet(c.spec, 7);
  model.compile({ optimizer: wg.optimizers.sgd({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
  const d = data(c, 10 * c.batch);
  const mc: WgModelCase = { model, x: wg.tensor(d.x, [10 * c.batch, ...c.spec.input]), y: wg.tensor(d.y, [10 * c.batch, d.classes]), batchSize: c.batch };
  const predict = [];
  for (const b of [1, 32]) {
    const x = wg.slice(mc.x, [0], [b]);
    predict.push(await timeCalls(async () => {
      const y = model.predict(x);
      await y.data();
      y.dispose();
    }, backend === 'webgpu' ? settleTunes : undefined));
    x.dispose();
  }
  const step = await steps((k) => wgFitEpoch(mc, k));
  wg.dispose([mc.x, mc.y]);
  return { step, predict, model };
}

async function tfCase(c: CnnCase, backend: 'webgpu' | 'cpu', from: wg.Model): Promise<{ step: Timed; predict: number[] }> {
  await useTf(backend);
  const model = tfNet(c.spec);
  await copyWeightsToTf(from, model);
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  const d = data(c, 10 * c.batch);
  const mc: TfModelCase = { model, x: tf.tensor(d.x, [10 * c.batch, ...c.spec.input]), y: tf.tensor(d.y, [10 * c.batch, d.classes]), batchSize: c.batch };
  const predict = [];
  for (const b of [1, 32]) {
    const x = mc.x.slice(0, b);
    predict.push(await timeCalls(async () => {
      const y = model.predict(x) as tf.Tensor;
      await y.data();
      await tfSync();
      y.dispose();
    }));
    x.dispose();
  }
  const step = await steps(async (k) => ({ ms: await tfFitEpoch(mc, k) }));
  model.dispose();
  tf.dispose([mc.x, mc.y]);
  return { step, predict };
}

/** Section (b) and (c): one step row and two predict rows per (network, library-backend). */
export async function cnnRows(adapter: string, tfWebgpu: { ok: boolean; adapter: string }, skipPeers: boolean, log: (s: string) => void): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of CASES) {
    const results: Partial<Record<Who, { step: Timed; predict: number[] }>> = {};
    results['wgnn-cpu'] = await wgCase(c, 'cpu');
    const ours = await wgCase(c, 'webgpu');
    results['wgnn-webgpu'] = ours;
    if (!skipPeers) {
      for (const b of ['webgpu', 'cpu'] as const) if (b === 'cpu' || tfWebgpu.ok) results[`tfjs-${b}`] = await tfCase(c, b, ours.model);
    }
    for (const [who, r] of Object.entries(results) as [Who, { step: Timed; predict: number[] }][]) {
      const gpu = who === 'wgnn-webgpu';
      const base = {
        axis: null, backend: who.endsWith('webgpu') ? 'webgpu' : 'cpu', peer: who.split('-')[0], copyMs: null, ratioToCopy: null,
        adapter: who === 'tfjs-webgpu' ? tfWebgpu.adapter : who.endsWith('webgpu') ? adapter : 'cpu', network: c.id,
      };
      rows.push({
        ...base, name: `cnn-step-${c.id}-${who}`, shape: [c.batch, ...c.spec.input], ms: r.step.ms, stepMs: r.step.ms,
        dispatches: gpu ? r.step.dispatches ?? null : null, submits: gpu ? r.step.submits ?? null : null,
        batchesPerEpoch: r.step.batches, epochs: r.step.epochs, speedupOfWgnnWebgpu: r.step.ms / ours.step.ms,
      });
      log(`cnn step ${c.id} ${who}: ${r.step.ms.toFixed(1)} ms/step (x${(r.step.ms / ours.step.ms).toFixed(2)} of wgnn-webgpu)` +
        (gpu ? `, ${r.step.dispatches} dispatches, ${r.step.submits} submits per step` : ''));
      for (const [i, b] of [1, 32].entries()) {
        rows.push({ ...base, name: `cnn-predict-${c.id}-${who}`, shape: [b, ...c.spec.input], ms: r.predict[i], dispatches: null,
          speedupOfWgnnWebgpu: r.predict[i] / ours.predict[i] });
        log(`cnn predict ${c.id} batch ${b} ${who}: ${r.predict[i].toFixed(1)} ms (x${(r.predict[i] / ours.predict[i]).toFixed(2)} of wgnn-webgpu)`);
      }
    }
  }
  await wg.init({ backend: 'webgpu' });
  return rows;
}

