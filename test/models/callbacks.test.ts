/**
 * TF.js / Keras callback habits on every backend: hook order, arrays and objects, async hooks,
 * stopTraining, initialEpoch, earlyStopping (Keras 3's algorithm, re-derived by hand below),
 * reduceLROnPlateau, the verbose output, and the one-readback-per-batch rule.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as wg from '../../src/index.js';
import { Progress, type ProgressSink } from '../../src/models/callbacks/progress.js';

const bits = async (ts: readonly wg.Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.data())));

function setup(name: string, lr = 0.05) {
  const inp = wg.input({ shape: [3] });
  const d = wg.layers.dense({ units: 1, kernelInitializer: { name: 'glorotUniform', seed: 3 }, name: `${name}_d` });
  const model = wg.model({ inputs: inp, outputs: d.apply(inp) });
  model.compile({ optimizer: wg.optimizers.sgd({ learningRate: lr }), loss: 'meanSquaredError' });
  const x = wg.randomNormal([12, 3], { seed: 4 });
  const y = wg.tidy(() => wg.matmul(x, wg.tensor([[1], [-2], [0.5]])));
  return { model, x, y };
}

afterEach(() => vi.restoreAllMocks());

describe('callback hooks', () => {
  it('an array of a Callback subclass and a hooks object: all six hooks, in Keras order, async awaited', async () => {
    const { model, x, y } = setup('order');
    const events: string[] = [];
    class Recorder extends wg.callbacks.Callback {
      override async onTrainBegin() { await new Promise((r) => setTimeout(r, 1)); events.push(`A trainBegin ${this.params.epochs} ${this.params.steps}`); }
      override onEpochBegin(e: number) { events.push(`A epochBegin ${e}`); }
      override onBatchBegin(b: number, logs: wg.callbacks.BatchBeginLogs) { events.push(`A batchBegin ${b} ${logs.size}`); }
      override onEpochEnd(e: number, logs: wg.callbacks.EpochLogs) { events.push(`A epochEnd ${e} ${typeof logs.loss}`); }
      override onTrainEnd() { events.push(`A trainEnd ${this.model === model}`); }
    }
    const hooks = {
      onTrainBegin() { events.push('B trainBegin'); },
      async onBatchEnd(b: number, logs: wg.BatchLogs) { await Promise.resolve(); events.push(`B batchEnd ${b} ${logs.loss > 0}`); },
      onTrainEnd() { events.push('B trainEnd'); },
    };
    await model.fit(x, y, { batchSize: 8, epochs: 2, shuffle: false, callbacks: [new Recorder(), hooks] });
    const epoch = (e: number) => [`A epochBegin ${e}`, 'A batchBegin 0 8', 'B batchEnd 0 true', 'A batchBegin 1 4', 'B batchEnd 1 true', `A epochEnd ${e} number`];
    expect(events).toEqual(['A trainBegin 2 2', 'B trainBegin', ...epoch(0), ...epoch(1), 'A trainEnd true', 'B trainEnd']);
  });

  it('a single hooks object works; unknown hooks and non-functions are errors naming them, before any work', async () => {
    const { model, x, y } = setup('bad');
    const seen: number[] = [];
    await model.fit(x, y, { epochs: 3, callbacks: { onEpochEnd: (e) => void seen.push(e) } });
    expect(seen).toEqual([0, 1, 2]);
    const before = await bits(model.weights);
    await expect(model.fit(x, y, { callbacks: { onEpochEnds: () => {} } as never })).rejects.toThrow(/callbacks: unknown hook 'onEpochEnds'/);
    await expect(model.fit(x, y, { callbacks: [{}, { onBatchEnd: 3 }] as never })).rejects.toThrow(/callbacks\[1\]\.onBatchEnd must be a function/);
    await expect(model.fit(x, y, { callbacks: { onYield: () => {} } as never })).rejects.toThrow(/onYield is not supported/);
    await expect(model.fit(x, y, { callbacks: [null] as never })).rejects.toThrow(/callbacks\[0\] must be a wg.callbacks.Callback/);
    await expect(model.fit(x, y, { classWeight: {} } as never)).rejects.toThrow(/fit: unknown option 'classWeight'/);
    expect(await bits(model.weights)).toEqual(before);
  });

  it('model.stopTraining = true from onBatchEnd ends the fit after that batch; the epoch still reports and onTrainEnd runs', async () => {
    const { model, x, y } = setup('stop');
    const ends: string[] = [];
    const h = await model.fit(x, y, {
      batchSize: 4, epochs: 10, shuffle: false, callbacks: {
        onBatchEnd(b) { if (b === 1) model.stopTraining = true; },
        onEpochEnd(e) { ends.push(`epoch ${e}`); },
        onTrainEnd() { ends.push('train'); },
      },
    });
    expect(h.epoch).toEqual([0]);
    expect(ends).toEqual(['epoch 0', 'train']);
    expect(model.compiled!.optimizer.iterations).toBe(2);
    // The next fit resets the flag.
    expect((await model.fit(x, y, { epochs: 2 })).epoch).toEqual([0, 1]);
  });

  it('stopTraining from onEpochEnd stops after that epoch (2 of 10 epochs)', async () => {
    const { model, x, y } = setup('stop2');
    const h = await model.fit(x, y, { epochs: 10, callbacks: { onEpochEnd(e) { if (e === 1) model.stopTraining = true; } } });
    expect(h.epoch).toEqual([0, 1]);
  });

  it('initialEpoch (option and setInitialEpoch from onTrainBegin) skips the first epochs; outside onTrainBegin it is an error', async () => {
    const { model, x, y } = setup('init');
    const h = await model.fit(x, y, { epochs: 5, initialEpoch: 3 });
    expect(h.epoch).toEqual([3, 4]);
    expect(model.compiled!.optimizer.iterations).toBe(2);
    class Resume extends wg.callbacks.Callback {
      override onTrainBegin() { this.setInitialEpoch(4); }
    }
    expect((await model.fit(x, y, { epochs: 5, callbacks: new Resume() })).epoch).toEqual([4]);
    class Late extends wg.callbacks.Callback {
      override onEpochBegin() { this.setInitialEpoch(1); }
    }
    await expect(model.fit(x, y, { epochs: 2, callbacks: new Late() })).rejects.toThrow(/setInitialEpoch is only allowed in onTrainBegin/);
    await expect(model.fit(x, y, { epochs: 2, initialEpoch: 3 })).rejects.toThrow(/initialEpoch must be an integer in \[0, epochs = 2\], got 3/);
    expect(() => new Resume().model).toThrow(/not in a fit yet/);
  });

  it('only onBatchEnd costs a readback per batch; onBatchBegin, epoch hooks and verbose read nothing extra', async () => {
    const { model, x, y } = setup('rb');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const count = async (o: wg.FitOptions) => {
      const s0 = wg.backendStats();
      await model.fit(x, y, { batchSize: 4, epochs: 1, ...o });
      return wg.backendStats().readbacks - s0.readbacks;
    };
    const base = await count({});
    expect(await count({ verbose: 1, callbacks: { onBatchBegin() {}, onEpochBegin() {}, onEpochEnd() {} } })).toBe(base);
    expect(await count({ callbacks: [new wg.callbacks.Callback(), { onBatchEnd() {} }] })).toBe(wg.getBackend() === 'webgpu' ? base + 3 : 0);
    expect(log).toHaveBeenCalled();
  });
});

describe('verbose', () => {
  it('verbose 1 outside a terminal and verbose 2: one Keras-style line per epoch', async () => {
    const { model, x, y } = setup('verbose');
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    const h = await model.fit(x, y, { batchSize: 4, epochs: 2, verbose: 1 });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^Epoch 2\/2 - 3\/3 - \d+\.\ds \d+(ms|us)\/step - loss: \d+\.\d{4}$/);
    expect(lines[1]).toContain(`loss: ${h.history.loss[1].toFixed(4)}`);
    await model.fit(x, y, { epochs: 1, verbose: 2, validationSplit: 0.25 });
    expect(lines[2]).toMatch(/^Epoch 1\/1 - 1\/1 - .* - loss: \d+\.\d{4} - val_loss: \d+\.\d{4}$/);
    await expect(model.fit(x, y, { verbose: 3 as never })).rejects.toThrow(/verbose must be 0, 1 or 2, got 3/);
  });

  it('in a terminal: a progress bar redrawn in place, finished with the logs', async () => {
    const { model, x, y } = setup('bar');
    const out: string[] = [];
    const sink: ProgressSink = { mode: 'bar', write: (s) => void out.push(s) };
    await model.fit(x, y, { batchSize: 4, epochs: 1, callbacks: new Progress(sink) });
    const text = out.join('');
    expect(text.startsWith('Epoch 1/1\n\r0/3 [..............................] ')).toBe(true);
    expect(text).toMatch(/\r3\/3 \[={30}\] \d+\.\ds \d+(ms|us)\/step - loss: \d+\.\d{4}\n$/);
  });
});

/**
 * Keras 3 EarlyStopping, step by step on a scripted sequence of monitored values: the callback
 * is driven directly (onTrainBegin / onEpochEnd / onTrainEnd) with a bound model.
 */
async function driveEarlyStopping(o: wg.callbacks.EarlyStoppingOptions, values: readonly number[]): Promise<number> {
  const { model, x, y } = setup('es_drive');
  const es = wg.callbacks.earlyStopping({ monitor: 'loss', ...o });
  const script = {
    onEpochEnd(e: number, logs: wg.callbacks.EpochLogs) { logs.loss = values[e]; },
  };
  const h = await model.fit(x, y, { epochs: values.length, callbacks: [script, es] });
  return h.epoch.length;
}

describe('earlyStopping (Keras 3 semantics)', () => {
  it('patience: stops once `patience` epochs in a row did not improve', async () => {
    // losses 5 4 4.5 4.2 4.1 3: best 4 at epoch 1; waits 1, 2, 3 at epochs 2, 3, 4 -> stops at epoch 4 with patience 3.
    expect(await driveEarlyStopping({ patience: 3 }, [5, 4, 4.5, 4.2, 4.1, 3])).toBe(5);
    expect(await driveEarlyStopping({ patience: 0 }, [5, 4, 4.5, 3])).toBe(3);
    expect(await driveEarlyStopping({ patience: 4 }, [5, 4, 4.5, 4.2, 4.1, 3])).toBe(6);
  });

  it('minDelta: an improvement must exceed it (its sign ignored)', async () => {
    // 5 -> 4.95 is not an improvement by more than 0.1: wait 1, 2 -> stop at epoch 2.
    expect(await driveEarlyStopping({ patience: 2, minDelta: -0.1 }, [5, 4.95, 4.91, 1])).toBe(3);
    expect(await driveEarlyStopping({ patience: 2, minDelta: 0.01 }, [5, 4.95, 4.91, 1])).toBe(4);
  });

  it('mode max (and auto for accuracy) waits for increases', async () => {
    expect(await driveEarlyStopping({ patience: 1, mode: 'max' }, [1, 2, 3, 2.5, 2])).toBe(4);
    expect(await driveEarlyStopping({ patience: 1, mode: 'min' }, [1, 2, 3, 2.5, 2])).toBe(2);
    expect(wg.callbacks.earlyStopping({ monitor: 'val_accuracy' }).mode).toBe('max');
    expect(wg.callbacks.earlyStopping({ monitor: 'val_loss' }).mode).toBe('min');
    expect(() => wg.callbacks.earlyStopping({ monitor: 'auc_thing' })).toThrow(/cannot tell whether 'auc_thing' should go down or up/);
  });

  it('baseline: improvements that do not beat the baseline do not reset the wait', async () => {
    // Without a baseline: improvements at 0, 1; waits 1, 2 at epochs 2, 3 -> stop at epoch 3.
    expect(await driveEarlyStopping({ patience: 2 }, [5, 4, 4.5, 4.2, 1])).toBe(4);
    // Baseline 2: 5 and 4 improve but stay above it, so the wait grows 1, 2, 3 -> stop at epoch 2.
    expect(await driveEarlyStopping({ patience: 2, baseline: 2 }, [5, 4, 4.5, 4.2, 1])).toBe(3);
    // Baseline 4.5: epoch 0 (5) does not beat it (wait 1), epoch 1 (4) does (wait 0); waits 1, 2 -> stop at epoch 3.
    expect(await driveEarlyStopping({ patience: 2, baseline: 4.5 }, [5, 4, 4.5, 4.2, 1])).toBe(4);
  });

  it('restoreBestWeights restores the best epoch\'s weights bitwise', async () => {
    const { model, x, y } = setup('es_restore', 0.01);
    const snaps: number[][][] = [];
    const losses = [3, 1, 2, 2.5, 0.5];
    const script = {
      async onEpochEnd(e: number, logs: wg.callbacks.EpochLogs) {
        snaps.push(await bits(model.getWeights()));
        logs.loss = losses[e];
      },
    };
    const es = wg.callbacks.earlyStopping({ monitor: 'loss', patience: 2, restoreBestWeights: true });
    const h = await model.fit(x, y, { epochs: 5, callbacks: [script, es] });
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    expect(es.stoppedEpoch).toBe(3);
    expect(es.bestEpoch).toBe(1);
    expect(await bits(model.weights)).toEqual(snaps[1]);
    expect(snaps[3]).not.toEqual(snaps[1]);
  });

  it('a monitor missing from the logs is an error listing what is there; bad options are errors', async () => {
    const { model, x, y } = setup('es_missing');
    await expect(model.fit(x, y, { epochs: 2, callbacks: wg.callbacks.earlyStopping() }))
      .rejects.toThrow(/monitor 'val_loss' is not in the epoch logs \(available: loss\) \(val_\* needs validationData/);
    expect(() => wg.callbacks.earlyStopping({ patiences: 3 } as never)).toThrow(/earlyStopping: unknown option 'patiences'/);
    expect(() => wg.callbacks.earlyStopping({ mode: 'down' as never })).toThrow(/mode must be 'auto', 'min' or 'max'/);
    expect(() => wg.callbacks.earlyStopping({ patience: -1 })).toThrow(/patience must be an integer >= 0/);
  });

  it('on real training with validation: stops, and the history ends at the stopped epoch', async () => {
    const { model, x, y } = setup('es_real', 2);
    // lr 2 on this MSE problem diverges: val_loss rises from the start.
    const es = wg.callbacks.earlyStopping({ patience: 1 });
    const h = await model.fit(x, y, { epochs: 20, batchSize: 12, validationSplit: 0.25, shuffle: false, callbacks: [es] });
    expect(h.epoch.length).toBeLessThan(20);
    const v = h.history.val_loss;
    expect(v[v.length - 1]).toBeGreaterThanOrEqual(Math.min(...v.slice(0, -1)));
  });
});

describe('reduceLROnPlateau (Keras 3 semantics)', () => {
  it('multiplies the rate by factor after `patience` flat epochs, honours cooldown and minLr, logs learning_rate', async () => {
    const { model, x, y } = setup('rlr', 0.1);
    const losses = [1, 1, 1, 1, 1, 1, 1, 1];
    const script = { onEpochEnd(e: number, logs: wg.callbacks.EpochLogs) { logs.loss = losses[e]; } };
    const cb = wg.callbacks.reduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 2, cooldown: 2, minLr: 0.02 });
    const h = await model.fit(x, y, { epochs: 8, callbacks: [script, cb] });
    // epoch 0 improves (best inf); waits 1,2 at epochs 1,2 -> 0.05, cooldown 2; epoch 3 in cooldown;
    // epoch 4 leaves it (Keras: the counter reaches 0 and that epoch counts, wait 1); wait 2 at 5 -> 0.025;
    // epoch 6 in cooldown, wait 1 at 7. learning_rate is logged before that epoch's reduction.
    expect(h.history.learning_rate).toBeAllClose([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]);
    expect(model.compiled!.optimizer.learningRate).toBeCloseTo(0.025, 12);
    await model.fit(x, y, { epochs: 8, callbacks: [script, cb] });
    expect(model.compiled!.optimizer.learningRate).toBe(0.02);
  });

  it('rejects a scheduled optimizer and bad options', async () => {
    const { model, x, y } = setup('rlr_bad');
    model.compile({ optimizer: wg.optimizers.sgd({ learningRate: wg.optimizers.schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5 }) }), loss: 'meanSquaredError' });
    await expect(model.fit(x, y, { callbacks: wg.callbacks.reduceLROnPlateau({ monitor: 'loss' }) })).rejects.toThrow(/learning rate is a schedule/);
    expect(() => wg.callbacks.reduceLROnPlateau({ factor: 1 })).toThrow(/factor must be in \(0, 1\), got 1/);
  });
});
