/**
 * Section 3 of the demo ("Fine-tune a pretrained network") end to end in headless Chromium, on
 * WebGPU (SwiftShader) and on the CPU fallback (no --enable-unsafe-webgpu), at 1280x800 and
 * 390x844: the pretrained network loads from the page's own server (its figures are shown), both
 * runs train with live plots, the frozen run's BN statistics stay bit for bit what they were, the
 * trap run's move, both inference-mode accuracies are printed with the time and backend, and the
 * explanation is there; images the user picks join the training set. Accuracies and times are printed (figures, not assertions). Full-page
 * screenshots go to test-results/demo/ (with WGNN_UPDATE_SCREENSHOTS=1 also demo/screenshots/).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser } from 'playwright';
import type { ViteDevServer } from 'vite';
import { VIEWPORTS, openDemo, runAndRead, startDemoServer, type DemoPage } from '../../demo/e2e/harness.js';

const OUT = 'test-results/demo';

let server: ViteDevServer;
let url: string;
let gpu: Browser;
let cpu: Browser;

beforeAll(async () => {
  ({ server, url } = await startDemoServer());
  const launch = inject('chromiumLaunch');
  gpu = await chromium.launch(launch);
  cpu = await chromium.launch({ ...launch, args: launch.args.filter((a) => a !== '--enable-unsafe-webgpu') });
  mkdirSync(OUT, { recursive: true });
});

afterAll(async () => {
  await gpu?.close();
  await cpu?.close();
  await server?.close();
});

const parse = (s: string | null): number[] => JSON.parse(s ?? 'null') as number[];

/** Runs the section with its defaults and checks everything the page must show. */
async function runSection(demo: DemoPage, backend: 'webgpu' | 'cpu', label: string): Promise<void> {
  const { page } = demo;
  expect(await page.getByTestId('backend-status').getAttribute('data-backend')).toBe(backend);
  const text = await runAndRead(page, 'ft-run', 'ft-output', 280_000);
  const out = page.getByTestId('ft-output');
  expect(await out.getAttribute('data-backend')).toBe(backend);

  // The pretrained network's figures: layers, parameters, BN layers, load time.
  expect(await page.getByTestId('ft-model-info').textContent())
    .toMatch(/^161 layers · 2,619,461 parameters · 52 BatchNormalization layers · loaded in \d+ ms$/);

  // (a) frozen: the watched BN layer's moving statistics are bit for bit the same after every step.
  const frozen = page.getByTestId('ft-run-frozen');
  const before = parse(await frozen.getAttribute('data-moving-before'));
  const steps = JSON.parse((await frozen.getAttribute('data-moving-steps')) ?? '[]') as number[][];
  expect(before).toHaveLength(6);
  expect(steps.length).toBeGreaterThan(2);
  for (const s of steps) expect(s).toEqual(before);
  expect(parse(await frozen.getAttribute('data-moving-after'))).toEqual(before);
  expect(await page.getByTestId('ft-frozen-note').textContent()).toContain('bit for bit the pretrained ones');

  // (b) the trap: they move, starting from the same pretrained values.
  const trap = page.getByTestId('ft-run-trap');
  expect(parse(await trap.getAttribute('data-moving-before'))).toEqual(before);
  const trapAfter = parse(await trap.getAttribute('data-moving-after'));
  expect(trapAfter).not.toEqual(before);
  expect(await page.getByTestId('ft-trap-note').textContent()).toContain('moved');

  // Both inference-mode accuracies, the time and the backend are printed.
  expect(text).toMatch(/\(a\) frozen base, Keras semantics: +\d+\.\d%/);
  expect(text).toMatch(/\(b\) the trap, BN in training mode in fit: \d+\.\d%/);
  expect(text).toMatch(new RegExp(`The whole section took \\d+\\.\\d s on the ${backend === 'webgpu' ? 'WebGPU' : 'CPU'} backend`));
  const explanation = (await page.getByTestId('ft-explanation').textContent()) ?? '';
  expect(explanation).toContain('Why they differ');
  expect(explanation).toContain('normalized with each small batch');
  for (const id of ['ft-frozen-loss', 'ft-frozen-mean', 'ft-trap-acc', 'ft-trap-var']) {
    expect(await page.locator(`#${id} canvas`).count()).toBe(1);
  }
  const ms = Number(await out.getAttribute('data-ms'));
  console.log(`[demo finetune] ${label}: frozen ${await out.getAttribute('data-frozen-accuracy')}, ` +
    `trap ${await out.getAttribute('data-trap-accuracy')}, ${(ms / 1000).toFixed(1)} s on ${backend}`);
  expect(demo.errors).toEqual([]);
}

/** Full-page screenshot; at 390 px also: no horizontal overflow and no clipped output box. */
async function shoot(demo: DemoPage, name: string, phone: boolean): Promise<void> {
  await demo.page.screenshot({ path: `${OUT}/${name}`, fullPage: true });
  if (phone) {
    const overflow = await demo.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const clipped = await demo.page.evaluate(() => Array.from(document.querySelectorAll('pre'))
      .filter((p) => p.scrollWidth > p.clientWidth + 1).map((p) => p.id));
    expect(clipped).toEqual([]);
  }
  if (process.env.WGNN_UPDATE_SCREENSHOTS === '1') copyFileSync(`${OUT}/${name}`, `demo/screenshots/${name}`);
}

describe('demo section 3: fine-tune a pretrained network', () => {
  it('on WebGPU at 1280x800: frozen statistics constant, trap statistics move, both accuracies printed', async () => {
    const demo = await openDemo(gpu, url, VIEWPORTS.desktop);
    await runSection(demo, 'webgpu', 'webgpu 1280x800');
    await shoot(demo, 'finetune-1280x800.png', false);
    await demo.page.close();
  });

  it('on WebGPU at 390x844', async () => {
    const demo = await openDemo(gpu, url, VIEWPORTS.phone);
    await runSection(demo, 'webgpu', 'webgpu 390x844');
    await shoot(demo, 'finetune-390x844.png', true);
    await demo.page.close();
  });

  it('on the CPU fallback at 1280x800 and 390x844', async () => {
    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      const demo = await openDemo(cpu, url, viewport);
      await runSection(demo, 'cpu', `cpu ${name}`);
      await shoot(demo, `finetune-cpu-${viewport.width}x${viewport.height}.png`, name === 'phone');
      await demo.page.close();
    }
  });

  it('takes images the user picks into the next run\'s training set, resized to the input size', async () => {
    const demo = await openDemo(cpu, url, VIEWPORTS.desktop);
    const png = await demo.page.locator('#ft-thumbs canvas').first().screenshot();
    await demo.page.getByTestId('ft-files-class').selectOption('2');
    await demo.page.getByTestId('ft-files').setInputFiles(['a', 'b', 'c', 'd'].map((n) => ({ name: `${n}.png`, mimeType: 'image/png', buffer: png })));
    await demo.page.waitForFunction(() => document.querySelector('[data-testid="ft-files-info"]')?.textContent !== '');
    expect(await demo.page.getByTestId('ft-files-info').textContent())
      .toBe('4 of your images (resized to 32×32) join the training set of the next run.');
    const text = await runAndRead(demo.page, 'ft-run', 'ft-output', 280_000);
    expect(text).toContain('(24 images, trained on 28)');
    expect(demo.errors).toEqual([]);
    await demo.page.close();
  });
});
