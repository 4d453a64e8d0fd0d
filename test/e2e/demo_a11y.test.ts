/**
 * Accessibility basics of the demo page: every input, select, button and progress bar has an
 * accessible name, and neither 1280x800 nor 390x844 overflows horizontally.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser } from 'playwright';
import type { ViteDevServer } from 'vite';
import { VIEWPORTS, openDemo, startDemoServer } from '../../demo/e2e/harness.js';

let server: ViteDevServer;
let url: string;
let browser: Browser;

beforeAll(async () => {
  ({ server, url } = await startDemoServer());
  browser = await chromium.launch(inject('chromiumLaunch'));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('demo page accessibility basics', () => {
  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    it(`labels every control and does not overflow at ${viewport.width}x${viewport.height} (${name})`, async () => {
      const { page } = await openDemo(browser, url, viewport);
      const controls = page.locator('input, select, button, progress, textarea');
      const count = await controls.count();
      expect(count).toBeGreaterThan(10);
      for (let i = 0; i < count; i++) {
        const c = controls.nth(i);
        // Playwright's accessible-name computation (labels, aria-label(ledby), button text).
        const label = await c.evaluate((el) => (el as HTMLElement).id || el.outerHTML.slice(0, 60));
        const snapshot = await c.ariaSnapshot();
        expect(snapshot, `${label} has no accessible name`).toMatch(/^- [\w-]+ "[^"]+"/);
      }
      // Every control carries a data-testid too.
      expect(await page.locator('input:not([data-testid]), select:not([data-testid]), button:not([data-testid])').count()).toBe(0);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.close();
    });
  }
});
