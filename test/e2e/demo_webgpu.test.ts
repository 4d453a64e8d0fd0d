/**
 * The demo page on WebGPU (headless Chromium, SwiftShader): the adapter is reported, the seed
 * scripts print what the seed prints, two epochs of training learn the digits, no console errors,
 * and full-page screenshots at 1280x800 and 390x844 (test-results/demo/; with
 * WGNN_UPDATE_SCREENSHOTS=1 also demo/screenshots/, the committed copies).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser } from 'playwright';
import type { ViteDevServer } from 'vite';
import { VIEWPORTS, numbersIn, openDemo, parseAnswer, runAndRead, startDemoServer, type DemoPage } from '../../demo/e2e/harness.js';
import { SEED_QUESTION_X } from '../../src/seed.js';

const OUT = 'test-results/demo';
/** Chance is 0.1 (10 balanced classes); two epochs must clear it by this much. */
const ACCURACY_MARGIN = 0.4;

let server: ViteDevServer;
let url: string;
let browser: Browser;
let desktop: DemoPage;

beforeAll(async () => {
  ({ server, url } = await startDemoServer());
  browser = await chromium.launch(inject('chromiumLaunch'));
  desktop = await openDemo(browser, url, VIEWPORTS.desktop);
  mkdirSync(OUT, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** x / sqrt(1 + 1e-9) in float32, as the seed question's fixture says. */
export function expectQuestionOutput(text: string): void {
  const xs = SEED_QUESTION_X.flat().map((v) => Math.fround(v));
  const want = xs.map((v) => Math.fround(v / Math.sqrt(1 + 1e-9)));
  const nums = numbersIn(text);
  expect(nums).toHaveLength(10 * 2 * 15);
  for (let i = 0; i < 10; i++) {
    const x = nums.slice(30 * i, 30 * i + 15);
    const y = nums.slice(30 * i + 15, 30 * i + 30);
    x.forEach((v, j) => expect(Math.abs(v - xs[j])).toBeLessThanOrEqual(1e-7 * Math.abs(xs[j]) + 1e-9));
    // Printed with 8 significant digits: within 1e-7 relative of the float32 value.
    y.forEach((v, j) => expect(Math.abs(v - want[j])).toBeLessThanOrEqual(1e-7 * Math.abs(want[j]) + 1e-9));
    expect(y).toEqual(nums.slice(15, 30));
  }
}

/** (1) == (2); (3) mean ~0, variance ~1; (4) close to (1) but not equal (seed_scripts.md). */
export function expectAnswerOutput(text: string): void {
  const s = parseAnswer(text);
  expect(s).toHaveLength(4);
  const [s1, s2, s3, s4] = s;
  expect(s2).toEqual(s1);
  s3.mean.forEach((m) => expect(Math.abs(m)).toBeLessThan(0.05));
  s3.variance.forEach((v) => expect(Math.abs(v - 1)).toBeLessThan(0.1));
  expect(s4.mean).not.toEqual(s1.mean);
  s4.mean.forEach((m, c) => expect(Math.abs(m - s1.mean[c])).toBeLessThan(0.05));
  // The column means after fit from fixtures/seed_scripts.md (Keras / TF.js, shuffle off).
  const keras1 = [-0.3714, -0.2823, -0.6142, 0.411, 1.2126];
  const keras4 = [-0.3627, -0.2756, -0.5873, 0.4008, 1.1875];
  s1.mean.forEach((m, c) => expect(Math.abs(m - keras1[c])).toBeLessThan(1e-4));
  s4.mean.forEach((m, c) => expect(Math.abs(m - keras4[c])).toBeLessThan(1e-4));
}

describe('demo page on WebGPU', () => {
  it('reports the WebGPU backend and its adapter', async () => {
    const status = desktop.page.getByTestId('backend-status');
    expect(await status.getAttribute('data-backend')).toBe('webgpu');
    const text = (await status.textContent()) ?? '';
    expect(text).toMatch(/^Backend: WebGPU on adapter \S+/);
    console.log(`[demo e2e] ${text}`);
  });

  it("prints the question's x / sqrt(1 + 1e-9) ten times", async () => {
    expectQuestionOutput(await runAndRead(desktop.page, 'seed-question-run', 'seed-question-output'));
    expect(await desktop.page.getByTestId('seed-question-output').getAttribute('data-backend')).toBe('webgpu');
  });

  it("prints the answer's sequence: (1) == (2), (3) batch statistics, (4) moved slightly", async () => {
    expectAnswerOutput(await runAndRead(desktop.page, 'seed-answer-run', 'seed-answer-output'));
  });

  it(`trains two epochs to validation accuracy above chance + ${ACCURACY_MARGIN}, plotting the BN statistics`, async () => {
    const { page } = desktop;
    await page.getByTestId('train-samples').fill('1000');
    await page.getByTestId('train-epochs').fill('2');
    await page.getByTestId('train-run').click();
    await page.waitForSelector('[data-testid="train-progress-text"][data-state="done"], [data-testid="train-progress-text"][data-state="error"]',
      { timeout: 240_000 });
    expect(await page.getByTestId('train-progress-text').getAttribute('data-state')).toBe('done');
    const progress = page.getByTestId('train-progress');
    expect(await progress.evaluate((p: HTMLProgressElement) => p.value === p.max && p.max > 0)).toBe(true);
    const acc = page.locator('#acc-readout');
    const train = Number(await acc.getAttribute('data-train'));
    const validation = Number(await acc.getAttribute('data-validation'));
    console.log(`[demo e2e] webgpu, 2 epochs: train accuracy ${train}, validation accuracy ${validation}`);
    expect(train).toBeGreaterThan(0.1 + ACCURACY_MARGIN);
    expect(validation).toBeGreaterThan(0.1 + ACCURACY_MARGIN);
    expect(Number(await page.locator('#loss-readout').getAttribute('data-train'))).toBeGreaterThan(0);
    expect(await page.getByTestId('bn-stats-chart').locator('canvas').count()).toBe(2);
    expect(Number(await page.getByTestId('step-time-webgpu').getAttribute('data-ms'))).toBeGreaterThan(0);

    await page.getByTestId('infer-training-mode').check();
    const gap = await runAndRead(page, 'infer-run', 'infer-output');
    expect(gap).toMatch(/inference mode .*accuracy 0\.\d+/);
    expect(gap).toMatch(/training mode .*accuracy 0\.\d+/);
    expect(gap).toContain('the training-mode pass updated it');
  });

  it('saves full-page screenshots at 1280x800 and 390x844 with no console errors', async () => {
    await desktop.page.screenshot({ path: `${OUT}/demo-1280x800.png`, fullPage: true });
    const phone = await openDemo(browser, url, VIEWPORTS.phone);
    expectQuestionOutput(await runAndRead(phone.page, 'seed-question-run', 'seed-question-output'));
    await phone.page.screenshot({ path: `${OUT}/demo-390x844.png`, fullPage: true });
    if (process.env.WGNN_UPDATE_SCREENSHOTS === '1') {
      for (const name of ['demo-1280x800.png', 'demo-390x844.png']) copyFileSync(`${OUT}/${name}`, `demo/screenshots/${name}`);
    }
    expect(desktop.errors).toEqual([]);
    expect(phone.errors).toEqual([]);
    await phone.page.close();
  });
});
