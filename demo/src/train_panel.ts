/** Panel 2's DOM: settings, the Train button, progress, charts, and the train/inference gap. */
import * as wg from 'wgnn';
import { MetricChart, StatsChart } from './charts.js';
import { byId, describeError, exclusive, lockWhileBusy, numberValue } from './dom.js';
import { onBackendChange, reportStepTime } from './backend.js';
import { PLOTTED_CHANNELS, train, validationAccuracy, type StepInfo, type Trained, type TrainHooks, type TrainSettings } from './train.js';

const num = (id: string, fallback: number) => numberValue(byId(id, HTMLInputElement), fallback);

function readSettings(): TrainSettings {
  return {
    samples: Math.round(num('train-samples', 1000)),
    epochs: Math.round(num('train-epochs', 2)),
    batchSize: Math.round(num('train-batch', 32)),
    momentum: num('train-momentum', 0.9),
    epsilon: num('train-epsilon', 1e-3),
    learningRate: num('train-lr', 0.005),
    trainable: byId('bn-trainable', HTMLInputElement).checked,
  };
}

/** A stretch of steps in which BN was frozen; `to` is null while it still is. */
interface FrozenSpan { from: number; to: number | null }

/**
 * Follows every toggle of BN's `trainable` during a run: the frozen stretches (shown in the note
 * and as markers on the statistics charts), and the moving statistics at the last freeze and at
 * the end, which the page (and the e2e test) compare: a frozen layer never updates them.
 */
class FreezeWatch {
  #last: StepInfo['moving'] | null = null;
  #wasTrainable: boolean | null = null;
  readonly #spans: FrozenSpan[] = [];

  constructor(readonly figure: HTMLElement, readonly note: HTMLElement, readonly charts: readonly StatsChart[]) {
    for (const k of ['frozenAt', 'movingBeforeFreeze', 'movingFinal', 'frozenSpans', 'toggles']) delete figure.dataset[k];
    note.textContent = '';
  }

  step(i: StepInfo): void {
    if (this.#wasTrainable !== null && i.trainable !== this.#wasTrainable) this.#toggle(i);
    else if (this.#wasTrainable === null && !i.trainable) this.#freeze(i);
    this.#wasTrainable = i.trainable;
    this.#last = i.moving;
    this.figure.dataset.movingFinal = JSON.stringify(i.moving);
    if (this.#spans.length > 0) this.note.textContent = this.#describe();
  }

  #toggle(i: StepInfo): void {
    for (const c of this.charts) c.mark(i.step, i.trainable ? 'trainable' : 'frozen');
    this.figure.dataset.toggles = String(Number(this.figure.dataset.toggles ?? '0') + 1);
    if (i.trainable) {
      const open = this.#spans[this.#spans.length - 1];
      if (open) open.to = i.step - 1;
      this.figure.dataset.frozenSpans = JSON.stringify(this.#spans);
    } else {
      this.#freeze(i);
    }
  }

  #freeze(i: StepInfo): void {
    this.#spans.push({ from: i.step, to: null });
    this.figure.dataset.frozenAt = String(i.step);
    this.figure.dataset.frozenSpans = JSON.stringify(this.#spans);
    // Frozen from the first step: the statistics before it are the initial ones (this step's).
    this.figure.dataset.movingBeforeFreeze = JSON.stringify(this.#last ?? i.moving);
  }

  #describe(): string {
    const parts = this.#spans.map((s) => (s.to === null ? `frozen from step ${s.from}` : `frozen from step ${s.from} to ${s.to}`));
    const open = this.#spans[this.#spans.length - 1].to === null;
    return `BN ${parts.join(', then ')}${open
      ? ': the moving statistics stopped there, the batch statistics keep changing.'
      : ', then training again: the moving statistics move again from there.'}`;
  }
}

let trained: Trained | null = null;
let live: wg.layers.BatchNormalization | null = null;

function fmt(v: number | undefined | null): string {
  return v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(3);
}

function setReadout(el: HTMLElement, kind: string, train: number | undefined, val: number | undefined): void {
  el.textContent = `${kind}: train ${fmt(train)} · validation ${fmt(val)}`;
  if (train !== undefined) el.dataset.train = String(train);
  if (val !== undefined) el.dataset.validation = String(val);
}

/** The charts, readouts and progress bar of one training run, as train()'s hooks. */
function liveView(s: TrainSettings, backend: string): Omit<TrainHooks, 'onBuilt'> {
  const progress = byId('train-progress', HTMLProgressElement);
  const text = byId('train-progress-text', HTMLElement);
  const lossChart = new MetricChart(byId('loss-chart', HTMLElement), 'loss');
  const accChart = new MetricChart(byId('acc-chart', HTMLElement), 'accuracy');
  const meanChart = new StatsChart(byId('bn-mean-chart', HTMLElement), 'mean', PLOTTED_CHANNELS);
  const varChart = new StatsChart(byId('bn-var-chart', HTMLElement), 'variance', PLOTTED_CHANNELS);
  const freeze = new FreezeWatch(byId('bn-stats-chart', HTMLElement), byId('bn-stats-note', HTMLElement), [meanChart, varChart]);
  return {
    onStep(i: StepInfo) {
      const x = i.epoch + ((i.step - 1) % i.batchesPerEpoch + 1) / i.batchesPerEpoch;
      lossChart.addStep(x, i.loss);
      accChart.addStep(x, i.accuracy);
      meanChart.add(i.step, i.moving.mean, i.batch.mean);
      varChart.add(i.step, i.moving.variance, i.batch.variance);
      freeze.step(i);
      progress.max = i.totalSteps;
      progress.value = i.step;
      text.textContent = `step ${i.step}/${i.totalSteps} (epoch ${i.epoch + 1}/${s.epochs}) · ` +
        `${i.stepMs.toFixed(1)} ms/step on ${backend} · BN ${i.trainable ? 'trainable' : 'frozen'}`;
    },
    onEpoch(e: number, logs: Readonly<Record<string, number>>) {
      lossChart.setEpoch(logs.loss, logs.val_loss ?? null);
      accChart.setEpoch(logs.accuracy ?? null, logs.val_accuracy ?? null);
      setReadout(byId('loss-readout', HTMLElement), `epoch ${e + 1} loss`, logs.loss, logs.val_loss);
      setReadout(byId('acc-readout', HTMLElement), `epoch ${e + 1} accuracy`, logs.accuracy, logs.val_accuracy);
    },
  };
}

async function runTraining(): Promise<void> {
  trained?.dispose();
  trained = null;
  byId('infer-run', HTMLButtonElement).disabled = true;
  byId('infer-output', HTMLElement).textContent = 'Training…';
  const s = readSettings();
  const progress = byId('train-progress', HTMLProgressElement);
  const text = byId('train-progress-text', HTMLElement);
  const backend = wg.getBackend();
  progress.value = 0;
  text.textContent = `Preparing ${s.samples} samples on ${backend}…`;
  text.dataset.state = 'running';
  try {
    trained = await train(s, { onBuilt: (bn) => { live = bn; }, ...liveView(s, backend) });
    reportStepTime(backend, trained.medianStepMs, trained.batchSize);
    text.textContent = `Done: ${progress.value} steps on ${backend}, median ${trained.medianStepMs.toFixed(1)} ms/step`;
    text.dataset.state = 'done';
    byId('infer-run', HTMLButtonElement).disabled = false;
    byId('infer-output', HTMLElement).textContent = 'Trained. Press "Predict validation set" to compare inference and training mode.';
  } catch (e) {
    text.textContent = `Training failed: ${describeError(e)}`;
    text.dataset.state = 'error';
    byId('infer-output', HTMLElement).textContent = 'Training failed: nothing to predict with. Train a model first.';
  }
}

async function runGap(): Promise<void> {
  const out = byId('infer-output', HTMLElement);
  const t = trained;
  if (!t) return;
  const both = byId('infer-training', HTMLInputElement).checked;
  out.dataset.state = 'running';
  const lines = [`inference mode (moving statistics):  accuracy ${fmt(await validationAccuracy(t, false))}`];
  if (both) {
    const before = (await t.bn.movingMean!.data())[0];
    const acc = await validationAccuracy(t, true);
    const after = (await t.bn.movingMean!.data())[0];
    const how = t.bn.trainable ? `batch statistics, batches of ${t.batchSize}` : 'BN frozen: still the moving statistics';
    lines.push(`training mode (${how}):  accuracy ${fmt(acc)}`);
    lines.push(`moving mean of channel 0: ${before.toFixed(5)} -> ${after.toFixed(5)}` +
      (before === after ? ' (unchanged: the layer is frozen)' : ' (the training-mode pass updated it)'));
  }
  out.textContent = lines.join('\n');
  out.dataset.state = 'done';
}

export function setupTrainPanel(): void {
  const run = byId('train-run', HTMLButtonElement);
  const gap = byId('infer-run', HTMLButtonElement);
  lockWhileBusy(run);
  run.addEventListener('click', () => void exclusive(runTraining));
  gap.addEventListener('click', () => void exclusive(async () => {
    try {
      await runGap();
    } catch (e) {
      byId('infer-output', HTMLElement).textContent = describeError(e);
    }
  }));
  // Takes effect at the BN layer's next call, mid-fit included (no recompile).
  byId('bn-trainable', HTMLInputElement).addEventListener('change', (ev) => {
    if (live && ev.target instanceof HTMLInputElement) live.trainable = ev.target.checked;
  });
  onBackendChange(() => {
    trained?.dispose();
    trained = null;
    live = null;
    gap.disabled = true;
    byId('infer-output', HTMLElement).textContent = 'Backend switched: train a model first.';
  });
}
