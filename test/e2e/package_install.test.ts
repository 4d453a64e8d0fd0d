/**
 * The package as a user gets it: `npm run build`, `npm pack`, the tarball installed into a scratch
 * project in a temp folder, then
 *   1. Node: `import * as wg from 'wgnn'` runs the seed question on the CPU and on WebGPU (Dawn);
 *   2. a Vite app importing 'wgnn' builds with `vite build` and, served by `vite preview`, runs in
 *      headless Chromium on WebGPU;
 *   3. `tsc --noEmit --strict` (NodeNext and Bundler, skipLibCheck off) accepts strict code against the
 *      packed declarations, and rejects it once the `@ts-expect-error` directive is removed.
 * The scripts are test/e2e/fixtures/package/*, the same text README.md shows (checked below).
 * The install is offline and skips the optional 132 MB `webgpu` package: both it and
 * `@webgpu/types` are linked from this repository's node_modules instead.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SEED_QUESTION_X } from '../../src/seed.js';
import '../util.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/e2e/fixtures/package');
const VITE = join(ROOT, 'node_modules/vite/bin/vite.js');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
// The seed's question_x (shared/fixtures/seed_inputs.json), as src/seed.ts carries it: the repo must not need ../shared.
const QUESTION_X = SEED_QUESTION_X.map((row) => [...row]);

/**
 * Static imports of Node built-ins or of Dawn's `webgpu` package, and `require` calls. The run-time
 * `import(specifier)` of 'webgpu' in src/backend/webgpu/device.ts is invisible to bundlers.
 */
const NODE_ONLY = /\bfrom\s*["'](node:[\w/]+|webgpu)["']|\bimport\s*\(\s*["'](node:[\w/]+|webgpu)["']\s*\)|\brequire\s*\(/;

interface Run { code: number; out: string }

/** Runs a command to completion, stdout and stderr together; never throws on a non-zero exit. */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<Run> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 64 << 20, env: process.env }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** A run that must succeed: its output goes into the failure message. */
async function ok(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` exited ${r.code}:\n${r.out}`);
  return r.out;
}

/** What the seed question prints: `backend: <name>` then ten predictions as JSON. */
function parseSeedOutput(text: string): { backend: string; predictions: number[][] } {
  const lines = text.split('\n').map((l) => l.trim());
  const backend = lines.find((l) => l.startsWith('backend: '))?.slice('backend: '.length) ?? '(none)';
  const predictions = lines.filter((l) => l.startsWith('[[')).map((l) => (JSON.parse(l) as number[][]).flat());
  return { backend, predictions };
}

/** Ten identical predictions equal to x / sqrt(1 + 1e-9) within float32 rounding (as test/seed.test.ts). */
function expectSeedAnswer(predictions: number[][]): void {
  expect(predictions).toHaveLength(10);
  for (const p of predictions) expect(p).toEqual(predictions[0]);
  const expected = QUESTION_X.flat().map((v) => Math.fround(Math.fround(v) / Math.sqrt(1 + 1e-9)));
  expect(predictions[0]).toBeAllClose(expected, { rtol: 2.4e-7, atol: 0 });
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? done(addr.port) : fail(new Error('no port'))));
    });
  });
}

let scratch = '';
let packDir = '';
let tarballFiles: string[] = [];

beforeAll(async () => {
  await ok('npm', ['run', 'build'], ROOT);
  packDir = mkdtempSync(join(tmpdir(), 'wgnn-pack-'));
  // The build just ran: skip prepack's second one.
  const packed = JSON.parse(await ok('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], ROOT)) as
    { filename: string; files: { path: string }[] }[];
  tarballFiles = packed[0].files.map((f) => f.path);
  const tarball = join(packDir, packed[0].filename);

  scratch = mkdtempSync(join(tmpdir(), 'wgnn-scratch-'));
  // wgnn's one dependency, @webgpu/types, comes from this repository as a `file:` link, so the
  // install needs neither the registry nor npm's cache (`npm ci` does not cache packuments).
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({
    name: 'wgnn-scratch', private: true, type: 'module',
    dependencies: { '@webgpu/types': `file:${join(ROOT, 'node_modules/@webgpu/types')}` },
  }));
  await ok('npm', ['install', '--offline', '--no-audit', '--no-fund', '--omit=optional', '--no-package-lock', tarball], scratch);
  symlinkSync(join(ROOT, 'node_modules/webgpu'), join(scratch, 'node_modules/webgpu'), 'dir');
  for (const f of ['main.mjs', 'index.html', 'main.js']) copyFileSync(join(FIXTURE, f), join(scratch, f));
}, 300_000);

afterAll(() => {
  for (const dir of [scratch, packDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds the ES module, its source map, the declarations, the README and docs/*.md; no sources or tests', () => {
    for (const f of ['package.json', 'README.md', 'dist/wgnn.js', 'dist/wgnn.js.map', 'dist/wgnn.d.ts', 'dist/types/index.d.ts']) {
      expect(tarballFiles).toContain(f);
    }
    // README's links into docs/ resolve in the package too (docs/api, generated, stays out).
    for (const f of ['docs/semantics.md', 'docs/environment.md', 'docs/guides/learning-rate.md']) expect(tarballFiles).toContain(f);
    expect(tarballFiles.filter((f) => !f.startsWith('dist/') && !/^docs\/(guides\/)?[\w-]+\.md$/.test(f) && !['package.json', 'README.md'].includes(f))).toEqual([]);
    const installed = JSON.parse(readFileSync(join(scratch, 'node_modules/wgnn/package.json'), 'utf8')) as
      { exports: Record<string, unknown>; sideEffects: boolean };
    expect(installed.exports['.']).toMatchObject({ types: './dist/wgnn.d.ts', import: './dist/wgnn.js' });
    expect(installed.sideEffects).toBe(false);
  });

  it('has a bundle free of Node-only imports, with the WGSL inlined', () => {
    const bundle = readFileSync(join(scratch, 'node_modules/wgnn/dist/wgnn.js'), 'utf8');
    expect(NODE_ONLY.test(bundle), 'dist/wgnn.js imports a Node-only module').toBe(false);
    expect(/@compute\s+@workgroup_size/.test(bundle), 'dist/wgnn.js has the WGSL inlined').toBe(true);
  });

  it('is what README.md shows: the Node and Vite snippets are the fixture files, verbatim', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const f of ['main.mjs', 'main.js']) expect(readme).toContain(readFileSync(join(FIXTURE, f), 'utf8'));
  });
});

describe("Node: import * as wg from 'wgnn'", () => {
  it.each(['cpu', 'webgpu'])('runs the seed question on %s', async (backend) => {
    const r = await ok(process.execPath, ['main.mjs', backend], scratch);
    console.log(`[package] node main.mjs ${backend}:\n${r.split('\n').slice(0, 2).join('\n')}`);
    const { backend: used, predictions } = parseSeedOutput(r);
    expect(used).toBe(backend);
    expectSeedAnswer(predictions);
  });
});

describe('Vite app importing wgnn', () => {
  let preview: ChildProcess | undefined;
  afterAll(() => {
    preview?.kill();
  });

  it('builds with vite build and runs the seed question in headless Chromium on WebGPU', async () => {
    await ok(process.execPath, [VITE, 'build', '--logLevel', 'warn'], scratch);
    const assets = readFileSync(join(scratch, 'dist/index.html'), 'utf8').match(/assets\/[\w.-]+\.js/g) ?? [];
    expect(assets.length).toBeGreaterThan(0);
    for (const a of assets) {
      const code = readFileSync(join(scratch, 'dist', a), 'utf8');
      expect(NODE_ONLY.test(code), `${a} imports a Node-only module`).toBe(false);
    }

    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    preview = spawn(process.execPath, [VITE, 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
      { cwd: scratch, stdio: 'ignore' });
    for (let i = 0; ; i++) {
      if (await fetch(url).then((r) => r.ok, () => false)) break;
      if (i > 100) throw new Error(`vite preview did not answer on ${url}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const browser = await chromium.launch(inject('chromiumLaunch'));
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForSelector('#out[data-state]', { timeout: 120_000 });
      const text = await page.locator('#out').innerText();
      expect(await page.locator('#out').getAttribute('data-state'), text).toBe('done');
      console.log(`[package] vite app in Chromium:\n${text.split('\n').slice(0, 2).join('\n')}`);
      const { backend, predictions } = parseSeedOutput(text);
      expect(backend).toBe('webgpu');
      expectSeedAnswer(predictions);
    } finally {
      await browser.close();
    }
  });
});

describe('TypeScript consumer (tsc --strict, skipLibCheck off)', () => {
  /** typed.ts imports the sources in this repository; the consumer's copy imports 'wgnn'. */
  function writeConsumer(name: string, keepDirective: boolean, resolution: 'NodeNext' | 'Bundler' = 'NodeNext'): void {
    let src = readFileSync(join(FIXTURE, 'typed.ts'), 'utf8').replace("from '../../../../src/index.js'", "from 'wgnn'");
    expect(src).toContain("from 'wgnn'");
    if (!keepDirective) {
      const lines = src.split('\n');
      expect(lines.filter((l) => l.includes('@ts-expect-error'))).toHaveLength(1);
      src = lines.filter((l) => !l.includes('@ts-expect-error')).join('\n');
    }
    writeFileSync(join(scratch, `${name}.ts`), src);
    writeFileSync(join(scratch, `tsconfig.${name}.json`), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', module: resolution === 'Bundler' ? 'ESNext' : 'NodeNext',
        moduleResolution: resolution, lib: ['ES2022', 'DOM'], types: [], exactOptionalPropertyTypes: true,
      },
      files: [`${name}.ts`],
    }));
  }

  it.each(['NodeNext', 'Bundler'] as const)('accepts strict code using the public API (moduleResolution %s)', async (resolution) => {
    const name = `typed_${resolution.toLowerCase()}`;
    writeConsumer(name, true, resolution);
    const r = await run(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], scratch);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('rejects the wrong call once its @ts-expect-error directive is removed', async () => {
    writeConsumer('untyped', false);
    const r = await run(process.execPath, [TSC, '-p', 'tsconfig.untyped.json'], scratch);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/untyped\.ts\(\d+,\d+\): error TS\d+: .*["']tpu["']/);
    expect(r.out.match(/error TS/g)).toHaveLength(1);
  });
});

it('the scratch project resolved wgnn from its own node_modules', () => {
  expect(existsSync(join(scratch, 'node_modules/wgnn/dist/wgnn.js'))).toBe(true);
  expect(existsSync(join(scratch, 'node_modules/@webgpu/types/package.json'))).toBe(true);
});
