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
  // `npm run build`: the library as one ES module, dist/wgnn.js, WGSL inlined as strings (the
  // `?raw` imports), with a source map. Left unminified: the user's bundler minifies, and a
  // readable bundle is easier to debug. Types come from tsc (tsconfig.build.json).
  build: {
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'wgnn' },
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    target: 'es2022',
    // `webgpu` (Dawn) is loaded at run time in Node only, through a specifier Vite cannot see.
    // One file: the dynamic imports inside src/ (a cycle breaker in models/) stay in it.
    rolldownOptions: { external: ['webgpu', /^node:/], output: { codeSplitting: false } },
  },
});
