#!/usr/bin/env node
/**
 * `npm run build`: the publishable package in dist/.
 *
 *   dist/wgnn.js, .map   one ES module (Vite library mode, vite.config.ts), WGSL inlined
 *   dist/types/**.d.ts   declarations (tsc -p tsconfig.build.json)
 *   dist/wgnn.d.ts       the `types` entry: pulls in @webgpu/types (the public API names GPU,
 *                        GPUAdapterInfo, ...) and re-exports dist/types/index.d.ts
 *
 * Then checks what a browser bundler would choke on (Node built-ins, `require`, a static import
 * of the Node-only `webgpu` package) and what a consumer's tsc would (Vite's `?raw` modules or
 * vite/client types in the declarations), and prints the bundle size: as built, minified, and
 * minified + gzipped. Exits non-zero when a check fails.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, minify } from 'vite';

await build({ configFile: 'vite.config.ts', logLevel: 'warn' });

const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

writeFileSync('dist/wgnn.d.ts', [
  '/** wgnn: WebGPU tensors and Keras-exact batch normalization (see README.md). */',
  '/// <reference types="@webgpu/types" />',
  "export * from './types/index.js';",
  '',
].join('\n'));

const problems = [];
const bundle = readFileSync('dist/wgnn.js', 'utf8');
const bundleChecks = [
  [/\bfrom\s*["']node:|import\s*\(\s*["']node:/, 'imports a Node built-in (node:...)'],
  [/\brequire\s*\(/, 'calls require()'],
  [/\bfrom\s*["']webgpu["']|import\s*\(\s*["']webgpu["']\s*\)/, "imports the Node-only 'webgpu' package statically"],
  [/["'][^"'\n]*\.wgsl(\?raw)?["']/, 'still refers to a WGSL file instead of inlining it'],
];
for (const [re, what] of bundleChecks) if (re.test(bundle)) problems.push(`dist/wgnn.js ${what}`);

function* declarationFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* declarationFiles(p);
    else if (p.endsWith('.d.ts')) yield p;
  }
}
for (const file of declarationFiles('dist/types')) {
  const text = readFileSync(file, 'utf8');
  if (/\?raw['"]|vite\/client/.test(text)) problems.push(`${file} refers to Vite-only modules ('?raw' or vite/client)`);
}

const min = await minify('wgnn.js', bundle, { compress: true, mangle: true });
if (min.errors?.length) problems.push(`minify: ${min.errors.map((e) => e.message).join('; ')}`);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const gz = gzipSync(min.code, { level: 9 }).length;
console.log(`dist/wgnn.js: ${kib(bundle.length)} as built, ${kib(min.code.length)} minified, ` +
  `${kib(gz)} minified + gzipped`);

if (problems.length) {
  console.error(`build check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
