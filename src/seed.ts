/**
 * The two scripts of the seed question (fixtures/seed_scripts.md) written with the public API:
 * the question (a frozen BN layer predicts the same thing ten times) and the answer (moving
 * statistics move in `fit` and in training-mode calls, not in inference calls).
 */
import * as wg from './index.js';

/** numpy.random.seed(1); randn(3, 5) * 5 + 0.3 (float64; cast to float32 when used). */
export const SEED_QUESTION_X: readonly (readonly number[])[] = [
  [8.421726818316209, -2.758782068250377, -2.3408587613172784, -5.064843110780853, 4.627038146623392],
  [-11.207693484401412, 9.0240588210824, -3.5060345044755143, 1.895195480285493, -0.9468518773870505],
  [7.610539685224871, -10.00070354748827, -1.3120860200675375, -1.6202717733420782, 5.968847211677187],
];

/** numpy.random.seed(1); randn(10, 5) * 5 + 0.3. */
export const SEED_ANSWER_X: readonly (readonly number[])[] = [
  [8.421726818316209, -2.758782068250377, -2.3408587613172784, -5.064843110780853, 4.627038146623392],
  [-11.207693484401412, 9.0240588210824, -3.5060345044755143, 1.895195480285493, -0.9468518773870505],
  [7.610539685224871, -10.00070354748827, -1.3120860200675375, -1.6202717733420782, 5.968847211677187],
  [-5.1994563365701545, -0.5621410377521787, -4.089292089606859, 0.5110687335779641, 3.2140760685791108],
  [-5.203095886064607, 6.02361854919807, 4.807953602963978, 2.812471694509341, 4.804279746322059],
  [-3.1186392958716658, -0.31445112759324084, -4.378847171295344, -1.0394403981300795, 2.95177733369093],
  [-3.1583037586265457, -1.6837676342798868, -3.1358635005979973, -3.926028207493598, -3.0562306541840956],
  [0.2366770054054932, -5.286551743176389, 1.4720784890854608, 8.599010885549353, 4.0102208028866775],
  [-0.6591777618080745, -4.1381448204241815, -3.4357914687541884, 8.762273005138734, 0.5540387738801449],
  [-2.884978232846767, 1.2545774233373301, 10.801275682394213, 0.9007947624081458, 3.3860155485370957],
];

/** Formats a matrix like numpy's print (8 significant digits). */
export function formatMatrix(rows: readonly (readonly number[])[]): string {
  const cells = rows.map((r) => r.map((v) => v.toPrecision(8)));
  const w = Math.max(...cells.flat().map((c) => c.length));
  return `[${cells.map((r) => `[${r.map((c) => c.padStart(w)).join(' ')}]`).join('\n ')}]`;
}

function toRows(flat: Float32Array, cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += cols) out.push(Array.from(flat.subarray(i, i + cols)));
  return out;
}

export interface SeedQuestionResult {
  readonly text: string;
  /** The ten predictions, each [3, 5] flattened (float32 values). */
  readonly predictions: Float32Array[];
  /** The layer's moving statistics before the first predict and after each of the ten. */
  readonly moving: readonly ColumnStats[];
}

/**
 * Input([5]) -> BatchNormalization(trainable false, epsilon 1e-9); prints x and predict(x) ten
 * times. Every prediction is x / sqrt(1 + 1e-9): moving mean 0, variance 1, never updated.
 */
export async function runSeedQuestion(x: readonly (readonly number[])[] = SEED_QUESTION_X): Promise<SeedQuestionResult> {
  const xt = wg.tensor(x as number[][]);
  const inp = wg.input({ shape: [x[0].length] });
  const bn = wg.layers.batchNormalization({ trainable: false, epsilon: 1e-9 });
  const model = wg.model({ inputs: inp, outputs: bn.apply(inp) });
  const lines: string[] = [];
  const predictions: Float32Array[] = [];
  const moving = [await readMoving(bn)];
  const xRows = toRows(await xt.data(), x[0].length);
  for (let i = 0; i < 10; i++) {
    const y = model.predict(xt);
    const flat = await y.data();
    y.dispose();
    predictions.push(flat);
    moving.push(await readMoving(bn));
    lines.push(formatMatrix(xRows), formatMatrix(toRows(flat, x[0].length)), '');
  }
  xt.dispose();
  for (const w of model.weights) w.dispose();
  return { text: lines.join('\n'), predictions, moving };
}

export interface ColumnStats {
  readonly mean: number[];
  readonly variance: number[];
}

export interface SeedAnswerResult {
  readonly text: string;
  /** Per-column mean / biased variance of the four prints: apply, apply, apply(training), apply. */
  readonly stats: readonly [ColumnStats, ColumnStats, ColumnStats, ColumnStats];
  /** Moving statistics after fit, and after the training-mode call. */
  readonly movingAfterFit: ColumnStats;
  readonly movingAfterTrainingCall: ColumnStats;
  /** Moving statistics before fit, after each of its epochs, then after each of the four calls. */
  readonly movingBeforeFit: ColumnStats;
  readonly movingPerEpoch: readonly ColumnStats[];
  readonly movingAfterCall: readonly ColumnStats[];
  readonly history: number[];
}

async function columnStats(t: wg.Tensor): Promise<ColumnStats> {
  const m = wg.moments(t, 0);
  const [mean, variance] = [Array.from(await m.mean.data()), Array.from(await m.variance.data())];
  wg.dispose([m.mean, m.variance]);
  return { mean, variance };
}

async function readMoving(bn: wg.layers.BatchNormalization): Promise<ColumnStats> {
  return { mean: Array.from(await bn.movingMean!.data()), variance: Array.from(await bn.movingVariance!.data()) };
}

/**
 * Input([5]) -> BatchNormalization(eps 1e-9, momentum 0.99); compile with loss (a - b)^2 and the
 * default rmsprop; fit(x, x, batchSize 3, epochs 10, shuffle false) (batches 3, 3, 3, 1); then the
 * per-column mean/var of apply(x), apply(x), apply(x, {training: true}), apply(x).
 */
export async function runSeedAnswer(x: readonly (readonly number[])[] = SEED_ANSWER_X): Promise<SeedAnswerResult> {
  const xt = wg.tensor(x as number[][]);
  const inp = wg.input({ shape: [x[0].length] });
  const bn = wg.layers.batchNormalization({ trainable: true, epsilon: 1e-9, momentum: 0.99 });
  const model = wg.model({ inputs: inp, outputs: bn.apply(inp) });
  model.compile({ loss: (a, b) => wg.square(wg.sub(a, b)) });
  const movingBeforeFit = await readMoving(bn);
  const movingPerEpoch: ColumnStats[] = [];
  const history = await model.fit(xt, xt, {
    batchSize: 3, epochs: 10, shuffle: false,
    callbacks: { onEpochEnd: async () => { movingPerEpoch.push(await readMoving(bn)); } },
  });
  const movingAfterFit = await readMoving(bn);
  const stats: ColumnStats[] = [];
  const movingAfterCall: ColumnStats[] = [];
  const lines: string[] = [];
  for (const training of [false, false, true, false]) {
    const pred = model.apply(xt, { training });
    const s = await columnStats(pred);
    pred.dispose();
    stats.push(s);
    movingAfterCall.push(await readMoving(bn));
    lines.push(formatMatrix([s.mean]), formatMatrix([s.variance]));
  }
  const movingAfterTrainingCall = await readMoving(bn);
  xt.dispose();
  for (const w of model.weights) w.dispose();
  model.compiled?.optimizer.dispose();
  return {
    text: lines.join('\n'), stats: stats as unknown as SeedAnswerResult['stats'], movingAfterFit, movingAfterTrainingCall,
    movingBeforeFit, movingPerEpoch, movingAfterCall, history: history.history.loss,
  };
}
