/**
 * Helpers for the demo's Playwright tests (test/e2e/demo_*.test.ts): the demo's Vite dev server
 * on a random port, a page that records console errors, and parsers for the printed outputs.
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';
import type { Browser, Page } from 'playwright';

export const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

/** The demo's dev server (demo/vite.config.ts) on 127.0.0.1 and a free port. */
export async function startDemoServer(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
    server: { port: 0, host: '127.0.0.1', strictPort: false, hmr: false },
    logLevel: 'warn',
  });
  await server.listen();
  const { port } = server.httpServer!.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/` };
}

export interface DemoPage {
  readonly page: Page;
  /** console.error messages and uncaught page errors, in order. */
  readonly errors: string[];
}

/** Opens the demo and waits for the backend to start (body[data-ready="true"]). */
export async function openDemo(browser: Browser, url: string, viewport: { width: number; height: number }): Promise<DemoPage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
  return { page, errors };
}

/** Clicks a run button and returns the output's text once its state is 'done' (or throws). */
export async function runAndRead(page: Page, button: string, output: string, timeout = 120_000): Promise<string> {
  await page.getByTestId(button).click();
  const out = page.getByTestId(output);
  await page.waitForFunction((id) => {
    const s = document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-state');
    return s === 'done' || s === 'error';
  }, output, { timeout });
  const text = (await out.textContent()) ?? '';
  if ((await out.getAttribute('data-state')) === 'error') throw new Error(`${output}: ${text}`);
  return text;
}

/** Every number in a printed matrix block, in order. */
export function numbersIn(text: string): number[] {
  return (text.match(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi) ?? []).map(Number);
}

/** The answer's four prints: label -> [column means, column variances]. */
export function parseAnswer(text: string): { mean: number[]; variance: number[] }[] {
  const blocks = [...text.matchAll(/\(\d\)[^\n]*column mean \/ variance\n(\[\[[^\]]*\]\])\n(\[\[[^\]]*\]\])/g)];
  return blocks.map((m) => ({ mean: numbersIn(m[1]), variance: numbersIn(m[2]) }));
}

/** Full-page screenshot into `dir` (created by Playwright). */
export async function screenshot(page: Page, path: string): Promise<void> {
  await page.screenshot({ path, fullPage: true });
}
