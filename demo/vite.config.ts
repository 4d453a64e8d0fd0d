/**
 * The demo page: `npm start` (vite --config demo/vite.config.ts). The page imports the library
 * as `wgnn`, exactly like a user; the alias points at the sources so edits show up live.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { digitsPlugin } from './digits_plugin.js';
import { pretrainedPlugin } from './pretrained_plugin.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  resolve: { alias: { wgnn: here('../src/index.ts') } },
  plugins: [digitsPlugin(), pretrainedPlugin()],
  // WebGPU needs a secure context: 127.0.0.1 counts as one, file:// does not.
  server: { host: '127.0.0.1', strictPort: false, fs: { allow: [here('..')] } },
  preview: { host: '127.0.0.1' },
  // Dawn's native addon (the optional `webgpu` package) is Node-only: never pre-bundle it.
  optimizeDeps: { exclude: ['webgpu'] },
});
