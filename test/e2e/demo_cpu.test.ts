/**
 * The demo page in Chromium without --enable-unsafe-webgpu (requestAdapter() returns null): the
 * page says it fell back to the CPU backend, offers no WebGPU, and the seed scripts print the
 * same numbers as on WebGPU (checked against the same fixture values).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser } from 'playwright';
import type { ViteDevServer } from 'vite';
import { VIEWPORTS, openDemo, runAndRead, startDemoServer, type DemoPage } from '../../demo/e2e/harness.js';
import { expectAnswerOutput, expectQuestionOutput } from '../../demo/e2e/seed_checks.js';

let server: ViteDevServer;
let browser: Browser;
let demo: DemoPage;

beforeAll(async () => {
  const started = await startDemoServer();
  server = started.server;
  const launch = inject('chromiumLaunch');
  browser = await chromium.launch({ ...launch, args: launch.args.filter((a) => a !== '--enable-unsafe-webgpu') });
  demo = await openDemo(browser, started.url, VIEWPORTS.desktop);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('demo page without WebGPU', () => {
  it('reports the CPU fallback and disables the WebGPU switch', async () => {
    const status = demo.page.getByTestId('backend-status');
    expect(await status.getAttribute('data-backend')).toBe('cpu');
    expect(await status.textContent()).toMatch(/CPU fallback\. WebGPU is not available/);
    expect(await demo.page.getByTestId('backend-select').inputValue()).toBe('cpu');
    expect(await demo.page.locator('[data-testid="backend-select"] option[value="webgpu"]').isDisabled()).toBe(true);
  });

  it('prints the same seed numbers on the CPU backend', async () => {
    expectQuestionOutput(await runAndRead(demo.page, 'seed-question-run', 'seed-question-output'));
    expect(await demo.page.getByTestId('seed-question-output').getAttribute('data-backend')).toBe('cpu');
    expectAnswerOutput(await runAndRead(demo.page, 'seed-answer-run', 'seed-answer-output'));
  });

  it('trains one short epoch on the CPU and reports its step time', async () => {
    const { page } = demo;
    await page.getByTestId('train-samples').fill('300');
    await page.getByTestId('train-epochs').fill('1');
    await page.getByTestId('train-run').click();
    await page.waitForSelector('[data-testid="train-progress-text"][data-state="done"]', { timeout: 120_000 });
    expect(Number(await page.getByTestId('step-time-cpu').getAttribute('data-ms'))).toBeGreaterThan(0);
    // The fallback itself is a console warning from wgnn, not an error.
    expect(demo.errors).toEqual([]);
  });
});
