/**
 * `npm run docs`: TypeDoc builds the API reference from the JSDoc into docs/api/ and fails on any
 * warning (typedoc.json: a broken {@link}, or a type the public API uses but src/index.ts does
 * not export). This test keeps that true in CI.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

it('npm run docs generates the API reference without a warning', async () => {
  const { code, out } = await new Promise<{ code: number; out: string }>((done) => {
    execFile('npm', ['run', 'docs'], { cwd: ROOT, maxBuffer: 16 << 20, timeout: 240_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
  expect(code, out).toBe(0);
  expect(out).not.toMatch(/\[warning\]|\[error\]/);
  const index = readFileSync(join(ROOT, 'docs/api/index.html'), 'utf8');
  for (const name of ['init', 'tensor', 'layers', 'model', 'grad']) expect(index).toContain(name);
  for (const page of ['classes/Tensor.html', 'classes/layers.BatchNormalization.html']) {
    expect(existsSync(join(ROOT, 'docs/api', page)), page).toBe(true);
  }
  // The overview page (docs/overview.md), the guides and semantics as documents, and the ops
  // as functions grouped by category rather than a bare list of variables.
  expect(index).toContain('Where things are');
  for (const doc of ['learning-rate', 'early-stopping', 'fine-tuning', 'saving-and-loading', 'memory', 'semantics', 'environment']) {
    expect(existsSync(join(ROOT, 'docs/api/documents', `${doc}.html`)), doc).toBe(true);
  }
  for (const op of ['add', 'relu', 'tensor2d', 'sum', 'matmul']) expect(existsSync(join(ROOT, 'docs/api/functions', `${op}.html`)), op).toBe(true);
  const modules = readFileSync(join(ROOT, 'docs/api/modules.html'), 'utf8');
  for (const c of ['Creation', 'Elementwise', 'Reductions', 'Movement', 'Gradients', 'Memory', 'Backend']) expect(modules).toContain(`section-${c}`);
});
