#!/usr/bin/env node
/**
 * `npm test`: type-check, then run every vitest project (node-cpu, node-webgpu, chromium, e2e)
 * and end with a per-project and a total `N passed, N failed` line. Extra arguments go to
 * vitest: `npm test -- --project node-cpu test/env.test.ts`. Exits non-zero on any failure.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCLI, startVitest } from 'vitest/node';

// Dawn finds no adapter without SwiftShader's Vulkan manifest. Workers inherit process.env.
process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
// Chromium prints `XDG_RUNTIME_DIR is invalid` without a private, writable one. The same folder
// is the run's TMPDIR (test/setup.ts leaves markers there) and is removed at the end.
const runtimeDir = mkdtempSync(join(tmpdir(), 'wgnn-test-'));
chmodSync(runtimeDir, 0o700);
process.env.XDG_RUNTIME_DIR = runtimeDir;
process.env.TMPDIR = runtimeDir;

const failures = [];

console.log('> tsc --noEmit -p tsconfig.json');
const tsc = spawnSync('npx', ['--no-install', 'tsc', '--noEmit', '-p', 'tsconfig.json'], { stdio: 'inherit' });
if (tsc.status !== 0) failures.push('typecheck');

/** Counts per project, printed after vitest's own summary. */
const counts = new Map();
const summaryReporter = {
  onTestRunEnd(testModules, unhandledErrors) {
    for (const mod of testModules) {
      const c = counts.get(mod.project.name) ?? { passed: 0, failed: 0, skipped: 0, files: 0 };
      counts.set(mod.project.name, c);
      c.files++;
      let failedHere = 0;
      for (const t of mod.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') c.passed++;
        else if (state === 'failed') failedHere++;
        else c.skipped++;
      }
      // A file that failed to load, or in a hook, counts as one failure.
      c.failed += mod.state() === 'failed' ? Math.max(failedHere, 1) : failedHere;
    }
    if (unhandledErrors.length > 0) failures.push(`${unhandledErrors.length} unhandled error(s)`);
  },
};

const { filter, options } = parseCLI(['vitest', 'run', ...process.argv.slice(2)]);
const reporters = options.reporter ?? options.reporters ?? ['default'];
delete options.reporter;
const vitest = await startVitest('test', filter, {
  ...options,
  run: true,
  watch: false,
  reporters: [...(Array.isArray(reporters) ? reporters : [reporters]), summaryReporter],
});
await vitest?.close();
if (process.exitCode && process.exitCode !== 0) failures.push('vitest');
rmSync(runtimeDir, { recursive: true, force: true });

let passed = 0;
let failed = 0;
console.log('');
const order = ['node-cpu', 'node-webgpu', 'chromium', 'e2e'];
const rank = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
for (const [name, c] of [...counts].sort((a, b) => rank(a[0]) - rank(b[0]))) {
  passed += c.passed;
  failed += c.failed;
  const skipped = c.skipped ? `, ${c.skipped} skipped` : '';
  console.log(`  ${name.padEnd(12)} ${c.files} files: ${c.passed} passed, ${c.failed} failed${skipped}`);
}
if (tsc.status !== 0) failed++;
console.log(`${passed} passed, ${failed} failed${failures.length ? ` (failed: ${failures.join(', ')})` : ''}`);
process.exit(failures.length > 0 || failed > 0 ? 1 : 0);
