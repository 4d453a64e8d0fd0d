/**
 * Runs before every test file of the node-cpu, node-webgpu and chromium projects: registers the
 * matchers (via ./util.js), initialises the project's backend and, on WebGPU, prints the adapter
 * once per project and run. A WebGPU project without an adapter fails here; it never skips.
 */
import { inject } from 'vitest';
import * as wg from '../src/index.js';
import { initProjectBackend } from './util.js';

await initProjectBackend();

if (inject('backend') === 'webgpu') {
  const info = wg.backendInfo();
  if (info.name === 'webgpu' && !info.adapter) {
    throw new Error(`[wgnn test] ${inject('project')}: backend is webgpu but backendInfo() has no adapter`);
  }
  if (await firstInRun(`wgnn-adapter-${inject('runId')}-${inject('project')}`)) {
    // Fields picked one by one: a GPUAdapterInfo keeps them as getters, which JSON.stringify skips.
    const a = info.adapter;
    const adapter = a
      ? { vendor: a.vendor, architecture: a.architecture, device: a.device, description: a.description }
      : undefined;
    console.log(`[wgnn test] ${inject('project')}: backend ${info.name} (${info.description}), ` +
      `adapter ${JSON.stringify(adapter)}`);
  }
}

/**
 * True the first time `key` is claimed in this run. Test files run in separate workers (Node)
 * or iframes (browser), so a module-level flag would print once per file.
 */
async function firstInRun(key: string): Promise<boolean> {
  if (typeof window !== 'undefined' && typeof sessionStorage !== 'undefined') {
    // Iframes of the vitest browser page share the top page's origin and session storage.
    if (sessionStorage.getItem(key) !== null) return false;
    sessionStorage.setItem(key, '1');
    return true;
  }
  // A variable specifier keeps Vite from resolving Node built-ins for the browser bundle.
  const fsName = 'node:fs';
  const osName = 'node:os';
  const fs: typeof import('node:fs') = await import(/* @vite-ignore */ fsName);
  const os: typeof import('node:os') = await import(/* @vite-ignore */ osName);
  try {
    fs.writeFileSync(`${os.tmpdir()}/${key}`, '', { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}
