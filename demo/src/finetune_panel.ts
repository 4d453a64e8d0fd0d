/**
 * Section 3's DOM: settings, the pretrained network's figures, the drawn image set (plus images
 * the user picks), two runs side by side with live plots, and the inference-mode comparison.
 */
import * as wg from 'wgnn';
import { MetricChart, StatsChart } from './charts.js';
import { byId, describeError, exclusive, lockWhileBusy, numberValue } from './dom.js';
import {
  WATCHED_BN, WATCHED_CHANNELS, buildRun, disposeRun, loadPretrained, trainRun,
  type Data, type FineTuneSettings, type PretrainedInfo, type RunKind, type RunResult, type StepReport,
} from './finetune.js';
import { SHAPE_CLASSES, drawShapes, toImageData, type ImageSet } from './shapes.js';
import { ownImages, type OwnImages } from './finetune_files.js';

/** Served by demo/pretrained_plugin.ts from the installed package's files. */
const MODEL_URL = '/pretrained/model.json';
const TRAIN_SEED = 1;
const TEST_SEED = 2;
const HEAD_SEED = 1;
const THUMBS = 9;

const num = (id: string, fallback: number) => numberValue(byId(id, HTMLInputElement), fallback);

function readSettings(): FineTuneSettings & { perClass: number; testPerClass: number } {
  return {
    size: Math.round(num('ft-size', 32)),
    cut: byId('ft-cut', HTMLSelectElement).value,
    classes: SHAPE_CLASSES.length,
    epochs: Math.round(num('ft-epochs', 3)),
    batchSize: Math.round(num('ft-batch', 4)),
    learningRate: num('ft-lr', 0.02),
    headSeed: HEAD_SEED,
    perClass: Math.round(num('ft-train', 8)),
    testPerClass: Math.round(num('ft-test', 8)),
  };
}

function showThumbs(set: ImageSet): void {
  const box = byId('ft-thumbs', HTMLElement);
  box.replaceChildren();
  for (let i = 0; i < Math.min(THUMBS, set.n); i++) {
    const fig = document.createElement('figure');
    const canvas = document.createElement('canvas');
    canvas.width = set.size;
    canvas.height = set.size;
    canvas.getContext('2d')?.putImageData(toImageData(set, i), 0, 0);
    const cap = document.createElement('figcaption');
    cap.textContent = SHAPE_CLASSES[set.y[i]];
    fig.append(canvas, cap);
    box.append(fig);
  }
}

/** One run's charts and the moving statistics it saw, kept on its card for the page and the tests. */
class RunView {
  readonly #loss: MetricChart;
  readonly #acc: MetricChart;
  readonly #mean: StatsChart;
  readonly #variance: StatsChart;
  readonly #steps: number[][] = [];

  constructor(readonly kind: RunKind) {
    this.#loss = new MetricChart(byId(`ft-${kind}-loss`, HTMLElement), 'loss');
    this.#acc = new MetricChart(byId(`ft-${kind}-acc`, HTMLElement), 'accuracy');
    this.#mean = new StatsChart(byId(`ft-${kind}-mean`, HTMLElement), 'mean', WATCHED_CHANNELS);
    this.#variance = new StatsChart(byId(`ft-${kind}-var`, HTMLElement), 'variance', WATCHED_CHANNELS);
    const card = this.#card();
    for (const k of ['movingBefore', 'movingSteps', 'movingAfter', 'accuracy']) delete card.dataset[k];
    byId(`ft-${kind}-note`, HTMLElement).textContent = '';
  }

  #card(): HTMLElement {
    return byId(`ft-run-${this.kind}`, HTMLElement);
  }

  step(r: StepReport): void {
    const x = r.epoch + ((r.step - 1) % r.stepsPerEpoch + 1) / r.stepsPerEpoch;
    this.#loss.addStep(x, r.loss);
    this.#acc.addStep(x, r.accuracy);
    this.#mean.add(r.step, r.moving.mean, r.batch.mean);
    this.#variance.add(r.step, r.moving.variance, r.batch.variance);
    this.#steps.push([...r.moving.mean, ...r.moving.variance]);
    this.#card().dataset.movingSteps = JSON.stringify(this.#steps);
  }

  epochEnd(loss: number | null, acc: number | null): void {
    this.#loss.setEpoch(loss, null);
    this.#acc.setEpoch(acc, null);
  }

  finish(r: RunResult): void {
    const card = this.#card();
    const before = [...r.movingBefore.mean, ...r.movingBefore.variance];
    const after = [...r.movingAfter.mean, ...r.movingAfter.variance];
    card.dataset.movingBefore = JSON.stringify(before);
    card.dataset.movingAfter = JSON.stringify(after);
    card.dataset.accuracy = String(r.testAccuracy);
    const same = before.every((v, i) => Object.is(v, after[i]));
    const moved = Math.max(...before.map((v, i) => Math.abs(after[i] - v)));
    byId(`ft-${this.kind}-note`, HTMLElement).textContent = same
      ? `${WATCHED_BN} moving statistics after fit: bit for bit the pretrained ones.`
      : `${WATCHED_BN} moving statistics after fit: moved (largest change ${moved.toPrecision(3)} on the plotted channels).`;
  }
}

function tensors(train: ImageSet, own: OwnImages | null, test: ImageSet): Data {
  const s = train.size;
  // The user's images first: fit drops the last partial batch, which must not be theirs.
  const x = own && own.n > 0 ? Float32Array.from([...own.x, ...train.x]) : train.x;
  const y = own && own.n > 0 ? Float32Array.from([...own.y, ...train.y]) : train.y;
  const n = y.length;
  return {
    xTrain: wg.tensor(x, [n, s, s, 3]), yTrain: wg.tensor(y, [n]),
    xTest: wg.tensor(test.x, [test.n, s, s, 3]), yTest: wg.tensor(test.y, [test.n]),
  };
}

function modelLine(p: PretrainedInfo): string {
  return `${p.layers} layers · ${p.params.toLocaleString('en-US')} parameters · ${p.bnLayers} BatchNormalization layers · ` +
    `loaded in ${p.loadMs.toFixed(0)} ms`;
}

const pct = (a: number) => `${(100 * a).toFixed(1)}%`;
const points = (d: number) => `${(100 * d).toFixed(1)} percentage points`;

function verdict(frozen: number, trap: number): string {
  if (frozen > trap) return `The trap run scores ${points(frozen - trap)} lower than the frozen run.`;
  if (frozen === trap) return 'This time both runs score the same.';
  return `This time the trap run scores ${points(trap - frozen)} higher: see below why it is still the wrong way to freeze.`;
}

let ownSet: OwnImages | null = null;

async function oneRun(kind: RunKind, s: FineTuneSettings, data: Data, progress: (r: StepReport) => void): Promise<{ info: PretrainedInfo; result: RunResult }> {
  const view = new RunView(kind);
  // Each run gets its own copy of the network: the trap moves the statistics of the one it trains.
  const info = await loadPretrained(MODEL_URL);
  const run = buildRun(info.model, kind, s);
  try {
    const result = await trainRun(run, data, s, {
      onStep: (r) => {
        view.step(r);
        progress(r);
      },
      onEpoch: (_e, logs) => view.epochEnd(logs.loss ?? null, logs.accuracy ?? null),
    });
    view.finish(result);
    return { info, result };
  } finally {
    disposeRun(run);
    wg.dispose(info.model.weights);
  }
}

async function runBoth(): Promise<void> {
  const s = readSettings();
  const out = byId('ft-output', HTMLElement);
  const progress = byId('ft-progress', HTMLProgressElement);
  const text = byId('ft-progress-text', HTMLElement);
  const backend = wg.getBackend();
  out.dataset.state = 'running';
  out.textContent = 'Running…';
  text.textContent = `Loading the pretrained network on ${backend}…`;
  const t0 = performance.now();
  const train = drawShapes(s.perClass, s.size, TRAIN_SEED);
  const test = drawShapes(s.testPerClass, s.size, TEST_SEED);
  showThumbs(train);
  const data = tensors(train, ownSet && ownSet.size === s.size ? ownSet : null, test);
  try {
    const results: Partial<Record<RunKind, RunResult>> = {};
    for (const [i, kind] of (['frozen', 'trap'] as const).entries()) {
      const { info, result } = await oneRun(kind, s, data, (r) => {
        progress.max = 2 * r.totalSteps;
        progress.value = i * r.totalSteps + r.step;
        text.textContent = `${kind === 'frozen' ? '(a) frozen' : '(b) trap'}: step ${r.step}/${r.totalSteps} on ${backend}`;
      });
      if (i === 0) byId('ft-model-info', HTMLElement).textContent = modelLine(info);
      results[kind] = result;
    }
    const images = data.yTrain.shape[0] - (data.yTrain.shape[0] % Math.min(s.batchSize, data.yTrain.shape[0]));
    report(out, results.frozen!, results.trap!, { backend, ms: performance.now() - t0, images, held: test.n });
    text.textContent = `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${backend}`;
  } catch (e) {
    out.textContent = `Fine-tuning failed: ${describeError(e)}`;
    out.dataset.state = 'error';
    text.textContent = 'Failed';
  } finally {
    wg.dispose([data.xTrain, data.yTrain, data.xTest, data.yTest]);
  }
}

function report(out: HTMLElement, frozen: RunResult, trap: RunResult, run: { backend: string; ms: number; images: number; held: number }): void {
  const backendName = run.backend === 'webgpu' ? 'WebGPU' : 'CPU';
  out.textContent = [
    `held-out accuracy, inference mode (${run.held} images, trained on ${run.images}):`,
    `  (a) frozen base, Keras semantics:        ${pct(frozen.testAccuracy)}`,
    `  (b) the trap, BN in training mode in fit: ${pct(trap.testAccuracy)}`,
    verdict(frozen.testAccuracy, trap.testAccuracy),
    `The whole section took ${(run.ms / 1000).toFixed(1)} s on the ${backendName} backend ` +
      `((a) ${(frozen.ms / 1000).toFixed(1)} s, (b) ${(trap.ms / 1000).toFixed(1)} s, each with its own load).`,
  ].join('\n');
  out.dataset.frozenAccuracy = String(frozen.testAccuracy);
  out.dataset.trapAccuracy = String(trap.testAccuracy);
  out.dataset.ms = run.ms.toFixed(0);
  out.dataset.backend = run.backend;
  out.dataset.state = 'done';
}

export function setupFinetunePanel(): void {
  const run = byId('ft-run', HTMLButtonElement);
  lockWhileBusy(run);
  run.addEventListener('click', () => void exclusive(runBoth));
  showThumbs(drawShapes(3, 32, TRAIN_SEED));
  const files = byId('ft-files', HTMLInputElement);
  files.addEventListener('change', () => void (async () => {
    const info = byId('ft-files-info', HTMLElement);
    try {
      const s = readSettings();
      ownSet = await ownImages(files.files, Number(byId('ft-files-class', HTMLSelectElement).value), s.size, ownSet);
      info.textContent = `${ownSet.n} of your images (resized to ${s.size}×${s.size}) join the training set of the next run.`;
    } catch (e) {
      info.textContent = describeError(e);
    }
  })());
}
