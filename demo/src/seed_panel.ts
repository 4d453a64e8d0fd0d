/**
 * Panel 1: the seed question's two scripts, shown as their real source (src/seed.ts, imported
 * `?raw`) and run on the active backend with one click, printed as the seed prints them.
 */
import * as wg from 'wgnn';
import { onBackendChange } from './backend.js';
import { runSeedAnswer, runSeedQuestion } from '../../src/seed.js';
import seedSource from '../../src/seed.ts?raw';
import { byId, describeError, exclusive, lockWhileBusy } from './dom.js';

/** The JSDoc and body of `export async function <name>` in the seed module's source. */
export function functionSource(source: string, name: string): string {
  const start = source.indexOf(`export async function ${name}(`);
  if (start < 0) return `// ${name} not found in src/seed.ts`;
  const doc = source.lastIndexOf('/**', start);
  const from = doc >= 0 && !source.slice(doc, start).includes('\n}\n') ? doc : start;
  const end = source.indexOf('\n}\n', start);
  return source.slice(from, end < 0 ? undefined : end + 2);
}

const ANSWER_LABELS = [
  '(1) model.apply(x)',
  '(2) model.apply(x)',
  '(3) model.apply(x, {training: true})',
  '(4) model.apply(x)',
];

async function question(): Promise<string> {
  return (await runSeedQuestion()).text;
}

async function answer(): Promise<string> {
  const a = await runSeedAnswer();
  const lines = a.text.split('\n');
  const blocks = ANSWER_LABELS.map((l, i) => `${l}: column mean / variance\n${lines[2 * i]}\n${lines[2 * i + 1]}`);
  return `${blocks.join('\n\n')}\n\nloss per epoch: ${a.history.map((v) => v.toPrecision(6)).join(', ')}`;
}

function wire(kind: 'question' | 'answer', run: () => Promise<string>): void {
  const button = byId(`seed-${kind}-run`, HTMLButtonElement);
  const output = byId(`seed-${kind}-output`, HTMLElement);
  const meta = byId(`seed-${kind}-meta`, HTMLElement);
  lockWhileBusy(button);
  button.addEventListener('click', () => void exclusive(async () => {
    output.textContent = 'Running…';
    output.dataset.state = 'running';
    meta.textContent = '';
    const t0 = performance.now();
    try {
      output.textContent = await run();
      output.dataset.state = 'done';
      output.dataset.backend = wg.getBackend();
      meta.textContent = `ran on ${wg.getBackend()} in ${(performance.now() - t0).toFixed(0)} ms`;
      meta.dataset.backend = wg.getBackend();
    } catch (e) {
      output.textContent = describeError(e);
      output.dataset.state = 'error';
    }
  }));
}

/** After a backend switch an old result's "ran on" line says which backend it came from. */
function markStale(kind: 'question' | 'answer'): void {
  const meta = byId(`seed-${kind}-meta`, HTMLElement);
  const ran = meta.dataset.backend;
  if (ran === undefined) return;
  const now = wg.getBackend();
  meta.textContent = ran === now ? `ran on ${ran} (press Run to run it again)` : `ran on ${ran}; the backend is now ${now}: press Run to run it there`;
}

export function setupSeedPanel(): void {
  onBackendChange(() => { markStale('question'); markStale('answer'); });
  byId('seed-question-code', HTMLElement).textContent = functionSource(seedSource, 'runSeedQuestion');
  byId('seed-answer-code', HTMLElement).textContent = functionSource(seedSource, 'runSeedAnswer');
  wire('question', question);
  wire('answer', answer);
}
