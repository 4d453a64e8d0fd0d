/**
 * TF.js 4.22, the peer, in the same page: tfjs-webgpu (its own GPUDevice, a separate adapter
 * request) and tfjs-cpu. Training-mode BN forward as tfjs-layers' BatchNormalization does it
 * (tf.moments + tf.batchNorm + the two moving-average updates), and the training steps of the seed
 * model and the MLP through tf.LayersModel.fit. On tfjs-webgpu the GPU is awaited inside the timed
 * region as for wgnn: the backend's queued commands are submitted, then onSubmittedWorkDone.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';

export type TfBackend = 'webgpu' | 'cpu';

interface WebGpuLike {
  device: GPUDevice;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** Switches TF.js to `name`; false (and why) when that backend cannot start here. */
export async function useTf(name: TfBackend): Promise<{ ok: boolean; why?: string }> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok ? { ok } : { ok, why: `tf.setBackend('${name}') returned false` };
  } catch (e) {
    return { ok: false, why: String(e) };
  }
}

export function tfAdapter(): string {
  const b = tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } };
  return b.adapterInfo ? `tfjs-webgpu (${b.adapterInfo.vendor ?? '?'} ${b.adapterInfo.architecture ?? '?'})` : tf.getBackend();
}

/** Waits for everything TF.js has queued on its current backend (a no-op on the CPU). */
export async function tfSync(): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  const b = tf.backend() as unknown as WebGpuLike;
  // What tfjs-webgpu itself does before a readback (getBufferData), minus the copy.
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  b.submitQueue();
  await b.device.queue.onSubmittedWorkDone();
}

/** One BN training forward as tfjs-layers does it; returns a function that runs it once. */
export function tfBnTrain(shape: [number, number], momentum = 0.99, epsilon = 1e-3): { run: () => void; done: () => void } {
  const [n, c] = shape;
  const x = tf.randomUniform([n, c], -1, 3);
  const gamma = tf.variable(tf.ones([c]));
  const beta = tf.variable(tf.zeros([c]));
  const movingMean = tf.variable(tf.zeros([c]));
  const movingVar = tf.variable(tf.ones([c]));
  return {
    run: () => {
      tf.tidy(() => {
        const { mean, variance } = tf.moments(x, [0]);
        const y = tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
        // tfjs-layers' movingAverageUpdate: v.assign(v - (v - value) * (1 - momentum)).
        movingMean.assign(tf.sub(movingMean, tf.mul(tf.sub(movingMean, mean), 1 - momentum)));
        movingVar.assign(tf.sub(movingVar, tf.mul(tf.sub(movingVar, variance), 1 - momentum)));
        return y;
      }).dispose();
    },
    done: () => {
      for (const t of [x, gamma, beta, movingMean, movingVar]) t.dispose();
    },
  };
}

export interface TfModelCase {
  readonly model: tf.LayersModel;
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
  readonly batchSize: number;
}

/** The seed model: Input([5]) -> BatchNormalization (momentum 0.99, epsilon 1e-9), loss (a - b)^2, rmsprop. */
export function tfSeedModel(batches: number): TfModelCase {
  const input = tf.input({ shape: [5] });
  const out = tf.layers.batchNormalization({ epsilon: 1e-9, momentum: 0.99 }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  model.compile({ optimizer: 'rmsprop', loss: (a: tf.Tensor, b: tf.Tensor) => tf.square(tf.sub(a, b)) });
  const x = tf.randomNormal([3 * batches, 5], 0.3, 5);
  return { model, x, y: x.clone(), batchSize: 3 };
}

/** The MLP: 784 -> dense 256 -> BN -> ReLU -> dense 10 softmax, categorical crossentropy. */
export function tfMlpModel(batches: number, optimizer: 'rmsprop' | 'sgd'): TfModelCase {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 256, inputShape: [784] }),
      tf.layers.batchNormalization({ axis: -1, momentum: 0.99, epsilon: 1e-3 }),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const n = 256 * batches;
  const x = tf.randomUniform([n, 784], 0, 1);
  const labels = tf.randomUniform([n], 0, 10, 'int32');
  const y = tf.oneHot(labels, 10).toFloat();
  labels.dispose();
  return { model, x, y, batchSize: 256 };
}

/** The issue-14 MLP: 784 -> 512 -> BN -> ReLU -> 512 -> BN -> ReLU -> 10 softmax, Adam. */
export function tfMlp512Model(batches: number, batchSize: number): TfModelCase {
  const block = (): tf.layers.Layer[] => [
    tf.layers.batchNormalization({ axis: -1, momentum: 0.99, epsilon: 1e-3 }), tf.layers.activation({ activation: 'relu' }),
  ];
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 512, inputShape: [784] }), ...block(),
      tf.layers.dense({ units: 512 }), ...block(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  const n = batchSize * batches;
  const x = tf.randomUniform([n, 784], 0, 1);
  const labels = tf.randomUniform([n], 0, 10, 'int32');
  const y = tf.oneHot(labels, 10).toFloat();
  labels.dispose();
  return { model, x, y, batchSize };
}

/**
 * One fit epoch over the first `batches` batches (no shuffle), GPU awaited; ms for the whole
 * epoch. `yieldEvery: 'never'`: no requestAnimationFrame waits between batches (fairer to TF.js).
 */
export async function tfFitEpoch(c: TfModelCase, batches: number): Promise<number> {
  const rows = Math.min(c.x.shape[0], batches * c.batchSize);
  const xs = c.x.slice(0, rows);
  const ys = c.y.slice(0, rows);
  await tfSync();
  const t0 = performance.now();
  await c.model.fit(xs, ys, { batchSize: c.batchSize, epochs: 1, shuffle: false, verbose: 0, yieldEvery: 'never' });
  await tfSync();
  const ms = performance.now() - t0;
  xs.dispose();
  ys.dispose();
  return ms;
}

export function tfDisposeCase(c: TfModelCase): void {
  c.model.dispose();
  c.x.dispose();
  c.y.dispose();
}

export { tf };
