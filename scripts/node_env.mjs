/**
 * What the Node scripts that run wgnn's TypeScript need (npm run seed, npm run example:*):
 * the Vulkan/Dawn environment and Vite's SSR module loader (the sources import WGSL with `?raw`,
 * so plain Node/tsx cannot load them).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'vite';

const CHROMIUM_LIBS = '/usr/lib/chromium';

/**
 * Dawn needs SwiftShader's Vulkan manifest and a Vulkan loader; without Debian's libvulkan1 it
 * uses the one Chromium ships. LD_LIBRARY_PATH is read at process start, so this re-runs the
 * script with it and exits with the child's status; otherwise it returns and sets the manifest.
 */
export function ensureVulkanEnv() {
  const systemVulkan = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1']
    .some((p) => existsSync(p));
  const ld = process.env.LD_LIBRARY_PATH ?? '';
  if (!systemVulkan && existsSync(CHROMIUM_LIBS) && !ld.split(':').includes(CHROMIUM_LIBS)) {
    const env = { ...process.env, LD_LIBRARY_PATH: ld ? `${ld}:${CHROMIUM_LIBS}` : CHROMIUM_LIBS };
    const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env });
    process.exit(r.status ?? 1);
  }
  process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
}

/** A Vite server in middleware mode whose `ssrLoadModule('/src/index.ts')` loads the sources. */
export function createSsrLoader() {
  return createServer({
    configFile: 'vite.config.ts', server: { middlewareMode: true, hmr: false, watch: null }, appType: 'custom', logLevel: 'error',
    // Node runs the sources directly: no browser dependency scan (it would wander into demo/).
    optimizeDeps: { noDiscovery: true, include: [] },
  });
}

/**
 * Sets up the environment, runs `main(server)` with a loader, prints an error it throws, closes
 * the loader and exits (0, or 1 after an error).
 */
export async function runWithSsrLoader(main) {
  ensureVulkanEnv();
  const server = await createSsrLoader();
  let code = 0;
  try {
    await main(server);
  } catch (e) {
    console.error(e);
    code = 1;
  } finally {
    await server.close();
  }
  process.exit(code);
}
