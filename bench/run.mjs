#!/usr/bin/env node
/**
 * `npm run bench`: serves bench/index.html with Vite on 127.0.0.1, opens it in headless Chromium
 * (WebGPU on whatever adapter Chromium finds; SwiftShader here), waits for bench/main.ts to
 * publish its results, and writes bench/results/latest.json and latest.md.
 * Env: WGNN_CHROMIUM (browser path, default /usr/bin/chromium), WGNN_BENCH_REPS (default 7).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { createServer } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'results');
const ARGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

const server = await createServer({
  root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn',
  server: { host: '127.0.0.1', port: 0, strictPort: false },
  // The page imports only project sources: no dependency discovery, so no mid-run page reload.
  optimizeDeps: { noDiscovery: true },
});
await server.listen();
const { port } = server.httpServer.address();
const reps = Number(process.env.WGNN_BENCH_REPS ?? 7);
const url = `http://127.0.0.1:${port}/bench/index.html?reps=${reps}`;

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
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(outcome.results, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.md'), markdown(outcome.results, outcome.date));
  console.log(markdown(outcome.results, outcome.date));
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await browser.close();
  await server.close();
}
process.exit(failed ? 1 : 0);

function fmt(v, digits = 2) {
  return v === null || v === undefined ? '-' : Number(v).toFixed(digits);
}

function markdown(rows, date) {
  const lines = [
    `# wgnn benchmark (${date})`,
    '',
    `Adapter: ${rows[0]?.adapter ?? '?'}. Median of the timed repetitions, GPU awaited inside the timed region.`,
    '`copyMs`: a plain vec4 copy kernel (shaders/copy.wgsl) reading + writing the same total bytes as',
    'the least traffic of the row (BN train forward 12 B/elem, backward 20 B/elem, inference 8 B/elem,',
    'add 12 B/elem), i.e. a copy of 1.5x / 2.5x / 1x / 1.5x the element count. `ratioToCopy` = ms / copyMs.',
    '',
    '| name | shape | axis | backend | ms | copyMs | ratioToCopy | dispatches |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.name} | [${r.shape.join(',')}] | ${r.axis ?? '-'} | ${r.backend} | ${fmt(r.ms, 3)} | ` +
      `${fmt(r.copyMs, 3)} | ${fmt(r.ratioToCopy)} | ${r.dispatches ?? '-'} |`);
  }
  return `${lines.join('\n')}\n`;
}
