/**
 * One test suite, three environments (plus the e2e project):
 *
 *   node-cpu     Node, the CPU reference backend
 *   node-webgpu  Node, WebGPU through Dawn (the `webgpu` package) on SwiftShader's Vulkan driver
 *   chromium     headless Chromium (vitest browser mode), navigator.gpu on SwiftShader
 *   e2e          Node, Playwright driving pages; no backend initialised
 *
 * The backend reaches the tests through `provide` / `inject('backend')` (test/setup.ts), which
 * works in browser mode too. File names pick environments:
 *   test/**\/webgpu_*.test.ts, test/**\/*_webgpu.test.ts  -> node-webgpu, chromium only
 *   test/**\/*_cpu.test.ts                                -> node-cpu only
 *   test/e2e/**\/*.test.ts                                -> e2e only
 *
 * Projects run one after another (sequence.groupOrder): the machine has two cores and
 * SwiftShader uses both.
 */
import { existsSync } from 'node:fs';
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import viteConfig from './vite.config.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const CHROMIUM = process.env.WGNN_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--enable-unsafe-webgpu',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run',
];

/** Set only by a developer on a machine without any adapter; CI never sets it. */
const allowNoGpu = process.env.WGNN_ALLOW_NO_GPU === '1';
/** One id per `vitest run`, so test/setup.ts can print the adapter once per project. */
const runId = `${Date.now()}-${process.pid}`;

const E2E = 'test/e2e/**';
const WEBGPU_ONLY = ['test/**/webgpu_*.test.ts', 'test/**/*_webgpu.test.ts'];
const CPU_ONLY = ['test/**/*_cpu.test.ts'];
const ALL = ['test/**/*.test.ts'];

// vitest 5 wants Node >= 22.12; on Node 20 its reporter crashes printing a failure without this.
if (typeof (Map as { groupBy?: unknown }).groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    configurable: true,
    writable: true,
    value<K, V>(items: Iterable<V>, key: (v: V, i: number) => K): Map<K, V[]> {
      const out = new Map<K, V[]>();
      let i = 0;
      for (const v of items) {
        const k = key(v, i++);
        const group = out.get(k);
        if (group) group.push(v);
        else out.set(k, [v]);
      }
      return out;
    },
  });
}

/**
 * Environment of the Node workers (set when they are spawned). Dawn finds no adapter without
 * SwiftShader's Vulkan manifest, and needs a Vulkan loader: without Debian's libvulkan1 it
 * uses the one Chromium ships next to SwiftShader.
 */
const CHROMIUM_LIBS = '/usr/lib/chromium';
const systemVulkan = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'].some((p) => existsSync(p));
const ldPath = process.env.LD_LIBRARY_PATH ?? '';
const env: Record<string, string> = {
  VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? SWIFTSHADER_ICD,
  ...(systemVulkan || ldPath.split(':').includes(CHROMIUM_LIBS) ? {}
    : { LD_LIBRARY_PATH: ldPath ? `${ldPath}:${CHROMIUM_LIBS}` : CHROMIUM_LIBS }),
};

export default mergeConfig(viteConfig, defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'node-cpu',
          environment: 'node',
          include: ALL,
          exclude: [...configDefaults.exclude, E2E, ...WEBGPU_ONLY],
          setupFiles: ['test/setup.ts'],
          provide: { backend: 'cpu', project: 'node-cpu', allowNoGpu, runId },
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'node-webgpu',
          environment: 'node',
          include: ALL,
          exclude: [...configDefaults.exclude, E2E, ...CPU_ONLY],
          setupFiles: ['test/setup.ts'],
          env,
          provide: { backend: 'webgpu', project: 'node-webgpu', allowNoGpu, runId },
          // One file at a time: SwiftShader already spreads each dispatch over both cores.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'chromium',
          include: ALL,
          exclude: [...configDefaults.exclude, E2E, ...CPU_ONLY],
          setupFiles: ['test/setup.ts'],
          provide: { backend: 'webgpu', project: 'chromium', allowNoGpu, runId },
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            instances: [{ browser: 'chromium', name: 'chromium' }],
            provider: playwright({
              launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
            }),
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: [`${E2E}/*.test.ts`],
          env,
          // e2e tests launch Chromium themselves: `chromium.launch(inject('chromiumLaunch'))`.
          provide: { project: 'e2e', allowNoGpu, runId,
            chromiumLaunch: { executablePath: CHROMIUM, args: CHROMIUM_ARGS } },
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
}));
