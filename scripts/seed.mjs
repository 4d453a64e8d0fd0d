#!/usr/bin/env node
/**
 * `npm run seed`: runs the seed question's two scripts (src/seed.ts) with wgnn and prints what
 * Keras prints, on WebGPU when an adapter is found (`wg.init()` auto: Dawn in Node), else on the
 * CPU, and says which. The TypeScript sources import WGSL with Vite's `?raw`, so they are loaded
 * through Vite's SSR module loader rather than plain Node/tsx.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'vite';

// Dawn needs SwiftShader's Vulkan manifest and a Vulkan loader; without Debian's libvulkan1 it
// uses the one Chromium ships. LD_LIBRARY_PATH is read at process start, so re-run with it.
const CHROMIUM_LIBS = '/usr/lib/chromium';
const systemVulkan = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1']
  .some((p) => existsSync(p));
const ld = process.env.LD_LIBRARY_PATH ?? '';
if (!systemVulkan && existsSync(CHROMIUM_LIBS) && !ld.split(':').includes(CHROMIUM_LIBS)) {
  const env = { ...process.env, LD_LIBRARY_PATH: ld ? `${ld}:${CHROMIUM_LIBS}` : CHROMIUM_LIBS };
  const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}
process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const server = await createServer({
  configFile: 'vite.config.ts', server: { middlewareMode: true, hmr: false, watch: null }, appType: 'custom', logLevel: 'error',
  // Node runs the sources directly: no browser dependency scan (it would wander into demo/).
  optimizeDeps: { noDiscovery: true, include: [] },
});
let code = 0;
try {
  const wg = await server.ssrLoadModule('/src/index.ts');
  const seed = await server.ssrLoadModule('/src/seed.ts');
  const backend = await wg.init();
  const info = wg.backendInfo();
  console.log(`wgnn backend: ${backend} (${info.description})\n`);
  console.log('=== The question: predict ten times with a frozen BatchNormalization (epsilon 1e-9) ===\n');
  const q = await seed.runSeedQuestion();
  console.log(q.text);
  console.log('=== The answer: fit(x, x, batchSize 3, epochs 10, shuffle false), then four calls ===\n');
  const a = await seed.runSeedAnswer();
  const labels = ['(1) model.apply(x)', '(2) model.apply(x)', '(3) model.apply(x, {training: true})', '(4) model.apply(x)'];
  const lines = a.text.split('\n');
  labels.forEach((l, i) => console.log(`${l}: column mean / variance\n${lines[2 * i]}\n${lines[2 * i + 1]}\n`));
  console.log(`loss per epoch: ${a.history.map((v) => v.toPrecision(6)).join(', ')}`);
} catch (e) {
  console.error(e);
  code = 1;
} finally {
  await server.close();
}
process.exit(code);
