/**
 * Vite configuration shared by the demo, the library build and (merged in by vitest.config.ts)
 * the test runner. WGSL is imported with `?raw`, which Vite handles without a plugin.
 * Keep this an object export: vitest.config.ts merges it with `mergeConfig`.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  // WebGPU needs a secure context: 127.0.0.1 counts as one, file:// does not.
  server: { host: '127.0.0.1', strictPort: false },
  preview: { host: '127.0.0.1' },
  // Dawn's native addon (the optional `webgpu` package) is Node-only: never pre-bundle it.
  optimizeDeps: { exclude: ['webgpu'] },
});
