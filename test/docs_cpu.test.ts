/**
 * Every ```ts snippet of docs/**\/*.md and of README.md (its API sketch) runs as written (node-cpu): each is written to a scratch
 * module with `from 'wgnn'` pointing at this repository's src/index.ts, imported, and must
 * finish without throwing. Its console output is captured and shown on failure. Then all of
 * them, unchanged, must pass `tsc --strict` with the repository's settings ('wgnn' mapped to src/).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const DOCS = join(ROOT, 'docs');
const INDEX = join(ROOT, 'src/index.ts');
const scratch = mkdtempSync(join(tmpdir(), 'wgnn-docs-'));

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'api' ? [] : markdownFiles(join(dir, e.name))) : e.name.endsWith('.md') ? [join(dir, e.name)] : []);
}

function snippets(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const files = [...markdownFiles(DOCS), join(ROOT, 'README.md')];

it('the guides the README links exist and each has a snippet', () => {
  for (const g of ['learning-rate', 'early-stopping', 'fine-tuning', 'saving-and-loading', 'memory']) {
    const f = join(DOCS, 'guides', `${g}.md`);
    expect(files).toContain(f);
    expect(snippets(f).length, g).toBeGreaterThan(0);
  }
});

describe.each(files.filter((f) => snippets(f).length > 0).map((f) => [relative(ROOT, f), f]))('%s', (_name, file) => {
  it.each(snippets(file).map((code, i) => [i + 1, code]))('snippet %i runs', async (i, code) => {
    expect(code).toContain("from 'wgnn'");
    const path = join(scratch, `${relative(ROOT, file).replace(/[/.]/g, '_')}_${i}.ts`);
    writeFileSync(path, (code as string).replaceAll("from 'wgnn'", `from '${INDEX}'`));
    const out: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.map(String).join(' ')));
    try {
      await import(/* @vite-ignore */ path);
    } catch (e) {
      throw new Error(`${relative(ROOT, file)} snippet ${i} failed: ${String(e)}\noutput:\n${out.join('\n')}`);
    } finally {
      spy.mockRestore();
    }
    expect(out.length, 'each snippet shows its result with console.log').toBeGreaterThan(0);
  });
});

it('every snippet type-checks as written (tsc, the repository tsconfig)', async () => {
  const dir = join(scratch, 'typed');
  mkdirSync(dir);
  let n = 0;
  for (const f of files) for (const code of snippets(f)) writeFileSync(join(dir, `s${n++}.ts`), code);
  // Outside the repository, type packages are found through absolute roots (vite/client by path).
  writeFileSync(join(dir, 'env.d.ts'), `/// <reference path="${join(ROOT, 'node_modules/vite/client.d.ts')}" />\n`);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    extends: join(ROOT, 'tsconfig.json'), include: [join(dir, '*.ts')],
    compilerOptions: { types: ['@webgpu/types', 'node'], typeRoots: [join(ROOT, 'node_modules/@types'), join(ROOT, 'node_modules')] },
  }));
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const { code, out } = await new Promise<{ code: number; out: string }>((done) => {
    execFile(process.execPath, [tsc, '--noEmit', '-p', join(dir, 'tsconfig.json')], { timeout: 120_000 }, (err, stdout, stderr) =>
      done({ code: err ? 1 : 0, out: `${stdout}${stderr}` }));
  });
  expect(n).toBeGreaterThan(5);
  expect(code, out).toBe(0);
});
