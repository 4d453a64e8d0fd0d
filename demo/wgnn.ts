/**
 * What `import 'wgnn'` means inside demo/ for the type checker: demo/package.json names this
 * folder `wgnn` and exports this file, so TypeScript's self-reference resolves the page's
 * imports to the library's sources even before `dist/` is built. Vite does the same at run time
 * with the `wgnn` alias in demo/vite.config.ts.
 */
export * from '../src/index.js';
