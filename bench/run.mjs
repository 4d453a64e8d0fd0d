#!/usr/bin/env node
/**
 * `npm run bench`: serves bench/index.html with Vite on 127.0.0.1, opens it in headless Chromium
 * (WebGPU on whatever adapter Chromium finds; SwiftShader here), waits for bench/main.ts to
 * publish its results, and writes bench/results/latest.json and latest.md (see bench/README.md).
 * Env: WGNN_CHROMIUM (browser path, default /usr/bin/chromium), WGNN_BENCH_REPS (default 7),
 * WGNN_BENCH_PEERS=0 (skip TF.js), WGNN_BENCH_OUT (output folder, default bench/results),
 * WGNN_BENCH_ONLY=bn|steps|conv|products|cnn (section 1, section 3, bench/conv.ts's convolution GFLOP/s, section 5, or
 * bench/cnn.ts's CNN steps and predict alone: latest.json only, no markdown; cnn also prints its table).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { createServer } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.env.WGNN_BENCH_OUT ?? join(root, 'bench', 'results');
const ARGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

const server = await createServer({
  root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn',
  // No HMR and no file watching: other people editing the tree must not reload the page mid-run.
  server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  // No dependency discovery (it would reload the page mid-run); the TF.js peer is pre-bundled
  // up front instead (its CommonJS dependencies need it).
  optimizeDeps: { noDiscovery: true, include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu'] },
});
await server.listen();
const { port } = server.httpServer.address();
const reps = Number(process.env.WGNN_BENCH_REPS ?? 7);
const peers = process.env.WGNN_BENCH_PEERS === '0' ? '0' : '1';
const onlyName = process.env.WGNN_BENCH_ONLY;
const only = ['bn', 'steps', 'conv', 'products', 'cnn'].includes(onlyName) ? `&only=${onlyName}` : '';
const url = `http://127.0.0.1:${port}/bench/index.html?reps=${reps}&peers=${peers}${only}`;
const loadBefore = loadavg();

const browser = await chromium.launch({ executablePath: process.env.WGNN_CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
let failed = false;
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(`[page] ${m.text()}`));
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  console.log(`bench: ${url}`);
  await page.goto(url);
  const handle = await page.waitForFunction(() => globalThis.__wgnnBench, null, { timeout: 0, polling: 500 });
  const outcome = await handle.jsonValue();
  if (outcome.error) throw new Error(`bench page failed: ${outcome.error}`);
  const meta = {
    date: outcome.date, browser: `Chromium ${browser.version()}`, userAgent: outcome.userAgent, tfjs: outcome.tfjs,
    tfWebgpu: outcome.tfWebgpu, reps: outcome.reps, seconds: outcome.seconds, copyVariants: outcome.copyVariants,
    cores: cpus().length, loadBefore, loadAfter: loadavg(),
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(outcome.results, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  if (only) {
    console.log(`${onlyName} only: latest.json and latest.meta.json written, no markdown`);
    if (onlyName === 'cnn') console.log(cnnTable(outcome.results).join('\n'));
  } else {
    const md = markdown(outcome.results, meta);
    writeFileSync(join(outDir, 'latest.md'), md);
    console.log(md);
  }
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await browser.close();
  await server.close();
}
process.exit(failed ? 1 : 0);

function fmt(v, digits = 2) {
  return v === null || v === undefined || Number.isNaN(v) ? '-' : Number(v).toFixed(digits);
}
function ms(v) {
  return v === null || v === undefined ? '-' : v >= 100 ? fmt(v, 0) : v >= 1 ? fmt(v, 1) : fmt(v, 3);
}
function shape(r) {
  return `[${r.shape.join(',')}]`;
}

function markdown(rows, meta) {
  const find = (name, s) => rows.find((r) => r.name === name && shape(r) === s);
  const la = (l) => l.map((v) => v.toFixed(2)).join(' / ');
  const lines = [
    `# wgnn benchmark (${meta.date})`,
    '',
    `* Adapter: ${rows[0]?.adapter ?? '?'}; TF.js ${meta.tfjs} webgpu: ${meta.tfWebgpu?.ok ? meta.tfWebgpu.adapter : `unavailable (${meta.tfWebgpu?.why})`}.`,
    `* Browser: ${meta.browser} (headless, --enable-unsafe-webgpu); ${meta.cores} cores.`,
    `* Machine load (1/5/15 min) before: ${la(meta.loadBefore)}, after: ${la(meta.loadAfter)}. The machine is shared;`,
    '  compare ratios within this run, not absolute times across runs.',
    `* One run, ${meta.reps} repetitions (median) for wgnn's GPU timings, GPU awaited inside the timed region;`,
    `  whole run ${fmt(meta.seconds, 0)} s. See bench/README.md for what each figure means.`,
    '',
    '## (i) BN kernels vs the copy roofline',
    '',
    '`copyMs`: the fastest of several plain WGSL copies of the same bytes (variant in `copy`), timed',
    'in the same repetitions as the kernel; bytes = least traffic (train 12, backward 20, inference 8 B/elem).',
    '`b2b`: copyBufferToBuffer of the same bytes (not a shader; a reference point only).',
    '',
    '| kernel | shape | axis | ms | copyMs | copy | kernel / copy | b2b ms | kernel / b2b | one-vec4 copy ms | dispatches |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const kernelRows = rows.filter((r) => r.copyVariant && !r.name.startsWith('bn-train-'));
  for (const r of kernelRows) {
    lines.push(`| ${r.name} | ${shape(r)} | ${r.axis ?? '-'} | ${ms(r.ms)} | ${ms(r.copyMs)} | ${r.copyVariant} | ` +
      `**${fmt(r.ratioToCopy)}** | ${ms(r.copyB2BMs)} | ${fmt(r.ratioToB2B)} | ${ms(r.copyVariantsMs?.['one-vec4 wg256'])} | ${r.dispatches ?? '-'} |`);
  }
  const variants = meta.copyVariants ?? [];
  lines.push('', 'All copy variants (ms) for the rows above:', '',
    `| row | ${variants.join(' | ')} |`, `|---|${variants.map(() => '---|').join('')}`);
  for (const r of kernelRows) lines.push(`| ${r.name} ${shape(r)} | ${variants.map((v) => ms(r.copyVariantsMs?.[v])).join(' | ')} |`);
  for (const name of ['per dispatch, 200 in one pass (ms each)', 'per dispatch + submit + await (ms each)']) {
    const r = rows.find((x) => x.name === name);
    if (r) lines.push('', `${name}: ${fmt(r.ms * 1000, 1)} us`);
  }

  lines.push('', '## (ii) Training-mode BN forward: wgnn vs TF.js 4.22', '',
    'wgnn: `wg.batchNormTrain` (public op: statistics, normalize, moving averages). TF.js: `tf.moments` +',
    '`tf.batchNorm` + the two moving-average `assign`s, as tfjs-layers does in training. ms per call;',
    '"x faster" = peer ms / wgnn-webgpu ms. copy = the roofline of (i) for 12 B/elem.', '',
    '| shape [N,C] | wgnn-webgpu | wgnn-webgpu / copy | dispatches | wgnn-cpu | tfjs-webgpu | tfjs-cpu | copy | tfjs-webgpu / copy | vs tfjs-webgpu | vs tfjs-cpu |',
    '|---|---|---|---|---|---|---|---|---|---|---|');
  const peerShapes = [...new Set(rows.filter((r) => r.name === 'bn-train-wgnn-webgpu').map(shape))];
  for (const s of peerShapes) {
    const w = find('bn-train-wgnn-webgpu', s);
    const c = find('bn-train-wgnn-cpu', s);
    const tg = find('bn-train-tfjs-webgpu', s);
    const tc = find('bn-train-tfjs-cpu', s);
    lines.push(`| ${s} | ${ms(w.ms)} | ${fmt(w.ratioToCopy)} | ${w.dispatches} | ${ms(c?.ms)} | ${ms(tg?.ms)} | ${ms(tc?.ms)} | ${ms(w.copyMs)} | ` +
      `${fmt(tg?.ratioToCopy, 0)} | **${fmt(tg?.speedupOfWgnnWebgpu, 1)}x** | **${fmt(tc?.speedupOfWgnnWebgpu, 1)}x** |`);
  }

  lines.push('', '## (iii) Training steps', '',
    'ms per training step = one `fit` epoch over K batches (shuffle off; forward, loss, backward, optimizer,',
    'moving averages) / K, GPU awaited at the end; median of the epochs. Seed: Input([5]) -> BatchNormalization',
    '(epsilon 1e-9), loss (a,b) => square(sub(a,b)), rmsprop, batch 3. MLP: 784 -> dense 256 -> BN -> ReLU ->',
    'dense 10 softmax, categorical crossentropy, rmsprop, batch 256. mlp512-b32: 784 -> 512 -> BN -> ReLU -> 512 -> BN ->',
    'ReLU -> 10 softmax, Adam, batch 32 (issue 14). Dispatches / submits per step: wgnn-webgpu',
    '(`wg.backendStats()` deltas over the epoch / K; includes the per-batch gather and the epoch sums).', '',
    '| model | wgnn-webgpu | dispatches/step | submits/step | wgnn-cpu | tfjs-webgpu | tfjs-cpu | vs tfjs-webgpu | vs tfjs-cpu | wgnn webgpu/cpu | K (wgnn-webgpu, tfjs-webgpu) |',
    '|---|---|---|---|---|---|---|---|---|---|---|');
  for (const m of ['seed', 'mlp', 'mlp512-b32']) {
    const g = rows.find((r) => r.name === `step-${m}-wgnn-webgpu`);
    if (!g) continue;
    const c = rows.find((r) => r.name === `step-${m}-wgnn-cpu`);
    const tg = rows.find((r) => r.name === `step-${m}-tfjs-webgpu`);
    const tc = rows.find((r) => r.name === `step-${m}-tfjs-cpu`);
    lines.push(`| ${m} ${shape(g)} | ${ms(g.stepMs)} | ${fmt(g.dispatches, 1)} | ${fmt(g.submits, 2)} | ${ms(c?.stepMs)} | ${ms(tg?.stepMs)} | ${ms(tc?.stepMs)} | ` +
      `**${fmt(tg?.speedupOfWgnnWebgpu, 1)}x** | **${fmt(tc?.speedupOfWgnnWebgpu, 1)}x** | ${fmt(g.stepMs / c?.stepMs)} | ${g.batchesPerEpoch}, ${tg?.batchesPerEpoch ?? '-'} |`);
  }

  const peak = rows.find((r) => r.name === 'fma peak (register-only)');
  if (peak) {
    lines.push('', '## (iv) Matrix products vs the FMA peak', '',
      `FMA peak (bench/fma.wgsl, register-only): **${fmt(peak.gflops)} GFLOP/s**. Each product through the backend's`,
      'matmul after the chooser\'s autotune settled (`kernel` = its pick); every candidate forced by the override in the',
      'same repetitions (ms). Transposed operands have the FLOPs of the plain product (the first row); `vs plain` =',
      'plain ms / this ms, the plain product timed again in the same repetitions as this one.', '',
      '| product | [M,K,N] | ms | kernel | GFLOP/s | of peak | vs plain | candidates (ms) |', '|---|---|---|---|---|---|---|---|');
    for (const r of rows.filter((x) => x.name.startsWith('matmul '))) {
      const each = Object.entries(r.kernelsMs ?? {}).map(([k, v]) => `${k} ${ms(v)}`).join(', ');
      const vs = r.vsPlain === null || r.vsPlain === undefined ? '-' : `**${fmt(r.vsPlain)}x**`;
      lines.push(`| ${r.name.slice(7)} | ${shape(r)} | ${ms(r.ms)} | ${r.kernel} | ${fmt(r.gflops)} | **${fmt(100 * r.fractionOfPeak, 0)}%** | ${vs} | ${each} |`);
    }
    const p = (who) => rows.find((r) => r.name === `predict-mlp512-b1-${who}`);
    lines.push('', 'MLP 784-512-BN-ReLU-512-BN-ReLU-10 `predict` at batch 1 (output read back), ms:', '',
      '| wgnn-webgpu | wgnn-cpu | tfjs-webgpu | tfjs-cpu |', '|---|---|---|---|',
      `| ${ms(p('wgnn-webgpu')?.ms)} | ${ms(p('wgnn-cpu')?.ms)} | ${ms(p('tfjs-webgpu')?.ms)} | ${ms(p('tfjs-cpu')?.ms)} |`);
  }

  lines.push('', ...cnnTable(rows), '', ...convTable(rows));
  lines.push('', '## All rows', '', '| name | shape | axis | backend | ms | copyMs | ratioToCopy | dispatches |', '|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    lines.push(`| ${r.name} | ${shape(r)} | ${r.axis ?? '-'} | ${r.backend} | ${fmt(r.ms, 3)} | ${fmt(r.copyMs, 3)} | ${fmt(r.ratioToCopy)} | ${r.dispatches === null || r.dispatches === undefined ? '-' : fmt(r.dispatches, Number.isInteger(r.dispatches) ? 0 : 1)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** (vi) Convolution kernels (bench/conv.ts): GFLOP/s, wgnn's against its own matmul and TF.js's. */
function convTable(rows) {
  const ours = rows.filter((r) => r.backend === 'wgnn-webgpu' && r.gflops !== undefined);
  if (ours.length === 0) return [];
  const lines = ['## (vi) Convolution kernels', '',
    'GFLOP/s of one pass (2 x multiply-adds; the three passes of a case do the same count); "vs matmul" = wgnn\'s',
    'GFLOP/s / wgnn\'s matmul at the forward GEMM\'s size, timed in the same repetitions (targets: forward >= 0.6,',
    'gradients >= 0.4). TF.js: `tf.fused.conv2d` (bias + relu) and its backprop kernels, same shapes, same page.', '',
    '| case | pass | wgnn ms | wgnn GFLOP/s | vs matmul | dispatches | tfjs-webgpu GFLOP/s | tfjs-cpu GFLOP/s | vs tfjs-webgpu | vs tfjs-cpu |',
    '|---|---|---|---|---|---|---|---|---|---|'];
  for (const g of ours) {
    const peer = (b) => rows.find((r) => r.backend === b && r.name === g.name);
    const [tg, tc] = [peer('tfjs-webgpu'), peer('tfjs-cpu')];
    const pass = g.name.split(' ').at(-1);
    lines.push(`| ${g.name.slice(0, -pass.length - 1)} | ${pass} | ${ms(g.ms)} | ${fmt(g.gflops)} | **${fmt(g.ratioToMatmul)}** | ${g.dispatches} | ` +
      `${fmt(tg?.gflops)} | ${fmt(tc?.gflops)} | **${fmt(tg ? tg.ms / g.ms : null, 1)}x** | **${fmt(tc ? tc.ms / g.ms : null, 1)}x** |`);
  }
  return lines;
}

/** (iv) CNN training steps and predict (bench/cnn.ts): ms per call and wgnn-webgpu's speed-up. */
function cnnTable(rows) {
  const lines = ['## (v) CNN training steps and predict', '',
    'ms per `fit` step (SGD, categorical crossentropy) and per `predict` + readback; "vs" = peer ms / wgnn-webgpu ms;',
    '*: a single first call (slow peers), compilation included.', '',
    '| network | call | shape | wgnn-webgpu | dispatches/step | submits/step | wgnn-cpu | tfjs-webgpu | tfjs-cpu | vs tfjs-webgpu | vs tfjs-cpu |',
    '|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const g of rows.filter((r) => r.name.startsWith('cnn-') && r.name.endsWith('-wgnn-webgpu'))) {
    const other = (who) => rows.find((r) => r.name === g.name.replace('wgnn-webgpu', who) && shape(r) === shape(g));
    const [c, tg, tc] = ['wgnn-cpu', 'tfjs-webgpu', 'tfjs-cpu'].map(other);
    // *: the only timing was the first step (pipeline compilation included; bench/cnn.ts).
    const t = (r) => (r ? `${ms(r.ms)}${r.epochs === 0 ? '*' : ''}` : '-');
    lines.push(`| ${g.network} | ${g.name.startsWith('cnn-step') ? 'fit step' : 'predict'} | ${shape(g)} | ${ms(g.ms)} | ${fmt(g.dispatches, 1)} | ${fmt(g.submits, 2)} | ` +
      `${t(c)} | ${t(tg)} | ${t(tc)} | **${fmt(tg?.speedupOfWgnnWebgpu, 1)}x** | **${fmt(tc?.speedupOfWgnnWebgpu, 1)}x** |`);
  }
  return lines;
}
