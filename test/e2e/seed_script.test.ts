/**
 * `npm run seed` answers the seed question in the terminal: each print labelled (`x:` /
 * `predict(x):`), the moving statistics before and after every step with a verdict computed from
 * the numbers read back, the batch-of-one warning explained, and the answer in three sentences.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

it('npm run seed labels every print and ends with the answer', async () => {
  const { code, out } = await new Promise<{ code: number; out: string }>((done) => {
    execFile('node', ['scripts/seed.mjs'], { cwd: ROOT, maxBuffer: 16 << 20, timeout: 240_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
  expect(code, out).toBe(0);
  expect(out).toMatch(/^wgnn backend: (webgpu|cpu) /m);
  expect(out.match(/^x:$/gm)).toHaveLength(10);
  expect(out.match(/^predict\(x\):$/gm)).toHaveLength(10);
  for (let i = 1; i <= 10; i++) expect(out).toContain(`after predict #${i}: unchanged (predict runs in inference mode)`);
  for (let e = 1; e <= 10; e++) expect(out).toMatch(new RegExp(`after fit epoch ${e} \\(loss [0-9.]+\\): CHANGED`));
  expect(out).toContain('after (1) model.apply(x): unchanged');
  expect(out).toContain('after (2) model.apply(x): unchanged');
  expect(out).toContain('after (3) model.apply(x, {training: true}): CHANGED');
  expect(out).toContain('after (4) model.apply(x): unchanged');
  // The layer's warning, then the explanation of it.
  expect(out).toContain('training-mode call with one value per channel (input shape [1,5])');
  expect(out).toContain('a last batch of ONE row (the 10th)');
  expect(out).toContain('=== The answer in three sentences ===');
  for (const s of ['1. predict, evaluate and a plain model.apply(x) run in inference mode', '2. fit and model.apply(x, {training: true}) run in training mode',
    '3. trainable = false on a BatchNormalization layer means inference mode always']) expect(out).toContain(s);
});
