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
import { VIEWPORTS, openDemo, runAndRead, startDemoServer, type DemoPage } from '../../demo/e2e/harness.js';
import { expectAnswerOutput, expectQuestionOutput } from '../../demo/e2e/seed_checks.js';

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

describe('demo page on WebGPU', () => {
  it('says in one line why the CPU is faster here (the adapter is SwiftShader)', async () => {
    const note = desktop.page.getByTestId('speed-note');
    expect(await note.isVisible()).toBe(true);
    expect(await note.textContent()).toMatch(/^Why the CPU is faster here: this WebGPU adapter is SwiftShader, a CPU emulation of a GPU, and small batches are dispatch-bound\.$/);
  });

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

  it('switches to the CPU backend (timing a CPU training step) and back to WebGPU', async () => {
    const { page } = desktop;
    const status = page.getByTestId('backend-status');
    await page.getByTestId('backend-select').selectOption('cpu');
    await page.waitForSelector('[data-testid="backend-status"][data-backend="cpu"]');
    expect(await status.textContent()).toMatch(/^Backend: CPU \(the reference backend; WebGPU is available/);
    // The seed results shown were computed on WebGPU: their line says so, and that the backend changed.
    expect(await page.locator('#seed-question-meta').textContent()).toBe('ran on webgpu; the backend is now cpu: press Run to run it there');
    await page.getByTestId('train-samples').fill('300');
    await page.getByTestId('train-epochs').fill('1');
    await page.getByTestId('train-run').click();
    await page.waitForSelector('[data-testid="train-progress-text"][data-state="done"]', { timeout: 120_000 });
    expect(Number(await page.getByTestId('step-time-cpu').getAttribute('data-ms'))).toBeGreaterThan(0);
    await page.getByTestId('backend-select').selectOption('webgpu');
    await page.waitForSelector('[data-testid="backend-status"][data-backend="webgpu"]');
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
    // Training over: the gap panel no longer says "Training…" and its button works.
    expect(await page.getByTestId('infer-output').textContent()).toMatch(/^Trained\. Press "Predict validation set"/);
    expect(await page.getByTestId('infer-run').isEnabled()).toBe(true);
    // Legends show the latest values without hovering (uPlot's default is "--").
    const values = await page.locator('#bn-mean-chart .u-legend .u-series:not(:first-child) .u-value, ' +
      '#loss-chart .u-legend .u-series:not(:first-child) .u-value').allTextContents();
    expect(values.length).toBe(6 + 3);
    for (const v of values) expect(v).not.toBe('--');
    expect(values.filter((v) => /^-?\d/.test(v)).length).toBeGreaterThan(5);
    expect(Number(await page.getByTestId('step-time-webgpu').getAttribute('data-ms'))).toBeGreaterThan(0);

    await page.getByTestId('infer-training-mode').check();
    const gap = await runAndRead(page, 'infer-run', 'infer-output');
    expect(gap).toMatch(/inference mode .*accuracy 0\.\d+/);
    expect(gap).toMatch(/training mode .*accuracy 0\.\d+/);
    expect(gap).toContain('the training-mode pass updated it');
  });

  it('freezing BN mid-training (trainable off) stops its moving statistics at once', async () => {
    const { page } = desktop;
    await page.getByTestId('bn-trainable').check();
    await page.getByTestId('train-run').click();
    await page.waitForFunction(() => (document.querySelector('progress') as HTMLProgressElement).value >= 8);
    await page.getByTestId('bn-trainable').uncheck();
    await page.waitForSelector('[data-testid="train-progress-text"][data-state="done"]', { timeout: 240_000 });
    const chart = page.getByTestId('bn-stats-chart');
    const frozenAt = Number(await chart.getAttribute('data-frozen-at'));
    const total = await page.getByTestId('train-progress').evaluate((p: HTMLProgressElement) => p.max);
    expect(frozenAt).toBeGreaterThan(8);
    expect(frozenAt).toBeLessThan(total);
    const before = JSON.parse((await chart.getAttribute('data-moving-before-freeze')) ?? 'null');
    const final = JSON.parse((await chart.getAttribute('data-moving-final')) ?? 'null');
    expect(final).toEqual(before);
    expect(await page.getByTestId('bn-stats-note').textContent()).toContain(`frozen from step ${frozenAt}`);
    // Trainable again: the gap panel's training-mode pass uses batch statistics once more.
    await page.getByTestId('bn-trainable').check();
    await page.getByTestId('infer-training-mode').check();
    expect(await runAndRead(page, 'infer-run', 'infer-output')).toContain('the training-mode pass updated it');
  });

  it('a run that starts frozen and is re-ticked: the note and the markers follow every toggle', async () => {
    const { page } = desktop;
    await page.getByTestId('train-samples').fill('600');
    await page.getByTestId('train-epochs').fill('1');
    await page.getByTestId('bn-trainable').uncheck();
    await page.getByTestId('train-run').click();
    await page.waitForFunction(() => (document.querySelector('progress') as HTMLProgressElement).value >= 5);
    await page.getByTestId('bn-trainable').check();
    await page.waitForSelector('[data-testid="train-progress-text"][data-state="done"]', { timeout: 240_000 });
    const chart = page.getByTestId('bn-stats-chart');
    const spans = JSON.parse((await chart.getAttribute('data-frozen-spans')) ?? '[]') as { from: number; to: number | null }[];
    expect(spans).toHaveLength(1);
    expect(spans[0].from).toBe(1);
    expect(spans[0].to).toBeGreaterThanOrEqual(5);
    const note = (await page.getByTestId('bn-stats-note').textContent()) ?? '';
    expect(note).toBe(`BN frozen from step 1 to ${spans[0].to}, then training again: the moving statistics move again from there.`);
    const markers = JSON.parse((await page.locator('#bn-mean-chart').getAttribute('data-markers')) ?? '[]');
    expect(markers).toEqual([{ step: (spans[0].to as number) + 1, kind: 'trainable' }]);
    // Training again: the moving statistics moved after the re-tick.
    const before = JSON.parse((await chart.getAttribute('data-moving-before-freeze')) ?? 'null');
    const final = JSON.parse((await chart.getAttribute('data-moving-final')) ?? 'null');
    expect(final).not.toEqual(before);
  });

  it('saves full-page screenshots at 1280x800 and 390x844 with no console errors', async () => {
    await desktop.page.screenshot({ path: `${OUT}/demo-1280x800.png`, fullPage: true });
    const phone = await openDemo(browser, url, VIEWPORTS.phone);
    expectQuestionOutput(await runAndRead(phone.page, 'seed-question-run', 'seed-question-output'));
    await phone.page.getByTestId('train-samples').fill('500');
    await phone.page.getByTestId('train-run').click();
    await phone.page.waitForSelector('[data-testid="train-progress-text"][data-state="done"]', { timeout: 240_000 });
    await phone.page.screenshot({ path: `${OUT}/demo-390x844.png`, fullPage: true });
    // At 390 px: each chart's legend is shorter than its plot, and no code or output box clips a line.
    for (const id of ['bn-mean-chart', 'loss-chart']) {
      const legend = await phone.page.locator(`#${id} .u-legend`).boundingBox();
      const plot = await phone.page.locator(`#${id} canvas`).boundingBox();
      expect(legend && plot && legend.height < plot.height / 2, `${id}: legend ${legend?.height} px vs plot ${plot?.height} px`).toBe(true);
    }
    const clipped = await phone.page.evaluate(() => Array.from(document.querySelectorAll('pre'))
      .filter((p) => p.scrollWidth > p.clientWidth + 1).map((p) => p.id));
    expect(clipped).toEqual([]);
    if (process.env.WGNN_UPDATE_SCREENSHOTS === '1') {
      for (const name of ['demo-1280x800.png', 'demo-390x844.png']) copyFileSync(`${OUT}/${name}`, `demo/screenshots/${name}`);
    }
    expect(desktop.errors).toEqual([]);
    expect(phone.errors).toEqual([]);
    await phone.page.close();
  });
});
