/**
 * README's Node commands on a fresh machine: the built package is copied into a scratch project
 * (a real copy, so 'webgpu' resolves from the scratch project only) and the README's command line
 * runs through `sh -c` in a clean environment: PATH and HOME only, no LD_LIBRARY_PATH from the
 * test runner (vitest.config.ts sets one for its workers when the system has no Vulkan loader).
 * Then each missing piece (the webgpu package, the Vulkan loader, the driver manifest, a driver
 * that loads nothing) must be named by the BackendError.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SYSTEM_LOADER = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'].some((p) => existsSync(p));

interface Run { code: number; out: string }

/** `sh -c line` in `cwd` with exactly `env` (plus PATH and HOME). */
function sh(line: string, cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile('sh', ['-c', line], { cwd, timeout: 120_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', ...env } },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` }));
  });
}

let withDawn = '';
let withoutDawn = '';
let readmeCommand = '';

/** A scratch project with the built package copied in; `dawn` links the webgpu package. */
function project(dawn: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'wgnn-env-'));
  mkdirSync(join(dir, 'node_modules/wgnn'), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'node_modules/wgnn/package.json'));
  cpSync(join(ROOT, 'dist'), join(dir, 'node_modules/wgnn/dist'), { recursive: true });
  copyFileSync(join(ROOT, 'test/e2e/fixtures/package/main.mjs'), join(dir, 'main.mjs'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  if (dawn) symlinkSync(join(ROOT, 'node_modules/webgpu'), join(dir, 'node_modules/webgpu'), 'dir');
  return dir;
}

beforeAll(async () => {
  const build = await sh('npm run build', ROOT, { ...process.env } as Record<string, string>);
  if (build.code !== 0) throw new Error(`npm run build failed:\n${build.out}`);
  withDawn = project(true);
  withoutDawn = project(false);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  readmeCommand = readme.match(/`(VK_ICD_FILENAMES=\S+ node main\.mjs webgpu)`/)?.[1] ?? '';
}, 300_000);

afterAll(() => {
  for (const d of [withDawn, withoutDawn]) if (d) rmSync(d, { recursive: true, force: true });
});

describe("README's Node command in a clean environment", () => {
  it('runs as written and prints backend: webgpu', async () => {
    expect(readmeCommand).toBe(`VK_ICD_FILENAMES=${ICD} node main.mjs webgpu`);
    const r = await sh(readmeCommand, withDawn);
    expect(r.code, r.out).toBe(0);
    expect(r.out.split('\n')[0]).toBe('backend: webgpu');
    expect(r.out.split('\n').filter((l) => l.startsWith('[['))).toHaveLength(10);
  });

  it('node main.mjs cpu needs nothing else', async () => {
    const r = await sh('node main.mjs cpu', withoutDawn);
    expect(r.code, r.out).toBe(0);
    expect(r.out.split('\n')[0]).toBe('backend: cpu');
  });
});

describe('the BackendError names the missing piece', () => {
  it('the webgpu package', async () => {
    const r = await sh(`VK_ICD_FILENAMES=${ICD} node main.mjs webgpu`, withoutDawn);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/BackendError: webgpu: no WebGPU implementation found: the optional 'webgpu' package \(Dawn for Node\) is not installed/);
  });

  it('no VK_ICD_FILENAMES: the loader (this machine has none) or the driver', async () => {
    const r = await sh('node main.mjs webgpu', withDawn);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(SYSTEM_LOADER
      ? /BackendError: webgpu: no adapter found: the Vulkan loader found no driver: .* set VK_ICD_FILENAMES=/
      : /BackendError: webgpu: no adapter found: the Vulkan loader libvulkan.so.1 is missing: install it \(Debian\/Ubuntu: apt-get install libvulkan1\), or set VK_ICD_FILENAMES=/);
  });

  it('with a loader on the library path but no manifest: the driver', async () => {
    const r = await sh('node main.mjs webgpu', withDawn, { LD_LIBRARY_PATH: '/usr/lib/chromium' });
    expect(r.out).toMatch(/BackendError: webgpu: no adapter found: the Vulkan loader found no driver: install a GPU's Vulkan driver, or set VK_ICD_FILENAMES=/);
  });

  it('a VK_ICD_FILENAMES that names no file', async () => {
    const r = await sh('node main.mjs webgpu', withDawn, { VK_ICD_FILENAMES: '/nonexistent/icd.json', LD_LIBRARY_PATH: '/usr/lib/chromium' });
    expect(r.out).toMatch(/BackendError: webgpu: no adapter found: VK_ICD_FILENAMES names no existing file \(\/nonexistent\/icd.json\)/);
    const bare = await sh('node main.mjs webgpu', withDawn, { VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(bare.out).toMatch(SYSTEM_LOADER ? /names no existing file/ : /loader libvulkan.so.1 is missing.*tried \/nonexistent\/libvulkan.so.1\)\. Also: VK_ICD_FILENAMES names no existing file/);
  });

  it('a manifest whose driver does not load: that driver', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgnn-icd-'));
    try {
      const manifest = join(dir, 'broken_icd.json');
      writeFileSync(manifest, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: './no_such_driver.so', api_version: '1.0.5' } }));
      const r = await sh('node main.mjs webgpu', withDawn, { VK_ICD_FILENAMES: manifest, LD_LIBRARY_PATH: '/usr/lib/chromium' });
      expect(r.out).toMatch(new RegExp(`BackendError: webgpu: no adapter found: the Vulkan driver of VK_ICD_FILENAMES=${manifest} offered no adapter`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
