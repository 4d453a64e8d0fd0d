/**
 * `fit({ verbose })` output, Keras style. verbose 1 in a terminal (Node, stdout a TTY): a
 * progress bar redrawn in place during the epoch, finished with the epoch's logs. verbose 1
 * elsewhere (a pipe, a browser console) and verbose 2: one line per epoch.
 *
 *   Epoch 3/10                                                          (terminal)
 *   8/8 [==============================] 0.1s 12ms/step - loss: 0.6931 - accuracy: 0.5000
 *   Epoch 3/10 - 8/8 - 0.1s 12ms/step - loss: 0.6931 - accuracy: 0.5000  (one line)
 *
 * The bar counts batches as they are submitted; it reads nothing back (the logs come from the
 * epoch's one readback).
 */
import { Callback, type EpochLogs, type TrainLogs } from './callback.js';

/** Where output goes: `bar` rewrites the current line (a terminal), `line` prints whole lines. */
export interface ProgressSink {
  readonly mode: 'bar' | 'line';
  write(text: string): void;
}

interface Stdout { isTTY?: boolean; write(s: string): boolean }

/** stdout when it is a terminal (Node), else console.log. */
export function defaultSink(verbose: 1 | 2): ProgressSink {
  const out = (globalThis as { process?: { stdout?: Stdout } }).process?.stdout;
  if (verbose === 1 && out?.isTTY) return { mode: 'bar', write: (s) => void out.write(s) };
  return { mode: 'line', write: (s) => console.log(s) };
}

const WIDTH = 30;
const REDRAW_MS = 50;

function bar(done: number, total: number): string {
  const filled = Math.floor((WIDTH * done) / total);
  return `[${'='.repeat(Math.max(0, filled - (done < total ? 1 : 0)))}${done < total && filled > 0 ? '>' : ''}${'.'.repeat(WIDTH - filled)}]`;
}

function fmtLogs(logs: EpochLogs): string {
  return Object.entries(logs).map(([k, v]) => ` - ${k}: ${Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(4) : v.toFixed(4)}`).join('');
}

function fmtTime(ms: number, steps: number): string {
  const per = ms / Math.max(1, steps);
  return `${(ms / 1000).toFixed(1)}s ${per >= 1 ? `${Math.round(per)}ms` : `${Math.round(per * 1000)}us`}/step`;
}

/** @internal The verbose output of a fit, as the last callback (so it shows what others added to the logs). */
export class Progress extends Callback {
  readonly #sink: ProgressSink;
  #start = 0;
  #drawn = 0;

  constructor(sink: ProgressSink) {
    super();
    this.#sink = sink;
  }

  override onEpochBegin(epoch: number, _logs: TrainLogs): void {
    this.#start = performance.now();
    this.#drawn = 0;
    if (this.#sink.mode === 'bar') this.#sink.write(`Epoch ${epoch + 1}/${this.params.epochs}\n`);
  }

  override onBatchBegin(batch: number): void {
    if (this.#sink.mode !== 'bar') return;
    const now = performance.now();
    if (batch > 0 && now - this.#drawn < REDRAW_MS) return;
    this.#drawn = now;
    const steps = this.params.steps;
    this.#sink.write(`\r${batch}/${steps} ${bar(batch, steps)} ${((now - this.#start) / 1000).toFixed(1)}s`);
  }

  override onEpochEnd(epoch: number, logs: EpochLogs): void {
    const steps = this.params.steps;
    const time = fmtTime(performance.now() - this.#start, steps);
    if (this.#sink.mode === 'bar') this.#sink.write(`\r${steps}/${steps} ${bar(steps, steps)} ${time}${fmtLogs(logs)}\n`);
    else this.#sink.write(`Epoch ${epoch + 1}/${this.params.epochs} - ${steps}/${steps} - ${time}${fmtLogs(logs)}`);
  }
}
