#!/usr/bin/env node
/**
 * `node bench/adam_rss.mjs [steps] [optimizer]`: process memory over many training steps on
 * WebGPU (Dawn in Node), for issue 13 item 8. Trains a small Dense -> BN -> Dense model with
 * one-batch fit epochs (one step each), samples RSS every 250 steps after a warm-up of 500 steps
 * and prints the growth between the floors (minima) of the first and the last five samples and the
 * least-squares trend. Default: 5000 Adam steps (about a minute on SwiftShader). Run it as `node --expose-gc bench/adam_rss.mjs` (without a system libvulkan1, add
 * `LD_LIBRARY_PATH=/usr/lib/chromium`, as scripts/seed.mjs does).
 */
import { createServer } from 'vite';

process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
const steps = Number(process.argv[2] ?? 5000);
const optimizer = process.argv[3] ?? 'adam';
const WARMUP = 500;
const server = await createServer({
  configFile: 'vite.config.ts', server: { middlewareMode: true, hmr: false, watch: null }, appType: 'custom', logLevel: 'error',
  optimizeDeps: { noDiscovery: true, include: [] },
});
const mb = (b) => (b / 2 ** 20).toFixed(1);
const rss = () => {
  globalThis.gc?.();
  return process.memoryUsage().rss;
};
try {
  const wg = await server.ssrLoadModule('/src/index.ts');
  console.log(`backend: ${await wg.init({ backend: 'webgpu' })} (${wg.backendInfo().description}); ${steps} ${optimizer} steps`);
  const inp = wg.input({ shape: [8] });
  const h = wg.layers.dense({ units: 16, activation: 'relu' }).apply(inp);
  const out = wg.layers.dense({ units: 1 }).apply(wg.layers.batchNormalization().apply(h));
  const model = wg.model({ inputs: inp, outputs: out });
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const x = wg.randomNormal([16, 8], { seed: 1 });
  const y = wg.randomNormal([16, 1], { seed: 2 });
  // 100 steps per fit call (one readback per epoch), batch 16 = one step per epoch.
  const run = async (n) => { for (let done = 0; done < n; done += 100) await model.fit(x, y, { batchSize: 16, epochs: Math.min(100, n - done) }); };
  const t0 = Date.now();
  await run(WARMUP);
  // RSS is noisy (spikes of 10-30 MiB from SwiftShader and the JIT): sample every 250 steps and
  // compare the floor (minimum) of the first five samples after warm-up with that of the last five;
  // a leak raises the floor, spikes do not.
  const samples = [rss()];
  for (let done = WARMUP; done < steps; done += 250) {
    await run(Math.min(250, steps - done));
    samples.push(rss());
  }
  const growth = Math.min(...samples.slice(-5)) - Math.min(...samples.slice(0, 5));
  console.log(`rss every 250 steps after ${WARMUP} warm-up steps (MiB): ${samples.map(mb).join(' ')}`);
  const xs = samples.map((_, i) => i * 250);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = samples.reduce((a, b) => a + b, 0) / samples.length;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (samples[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  console.log(`growth over ${steps - WARMUP} steps: ${mb(growth)} MiB (floor of the last 5 samples - floor of the first 5), ` +
    `trend ${mb(slope * (steps - WARMUP))} MiB (least squares) ` +
    `(${((Date.now() - t0) / 1000).toFixed(1)} s); memory() ${JSON.stringify(wg.memory())}`);
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await server.close();
}
