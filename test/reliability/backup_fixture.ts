/** Shared by the backupAndRestore tests: a small BN model, fixed host data, and its training state in bits. */
import * as wg from '../../src/index.js';

const X = Float32Array.from({ length: 24 * 3 }, (_, i) => Math.sin(i * 1.7) * 2 + 1);
const Y = Float32Array.from({ length: 24 * 2 }, (_, i) => Math.cos(i * 0.9));
/** Five epochs of four batches (18 training rows, 6 for validation), shuffled by seed. */
export const FIT = { batchSize: 5, epochs: 5, seed: 11, validationSplit: 0.25 } as const;

export function net(name: string): wg.Model {
  const inp = wg.input({ shape: [3] });
  const h = wg.layers.dense({ units: 4, activation: 'relu', kernelInitializer: { name: 'glorotUniform', seed: 1 }, name: `${name}_h` }).apply(inp);
  const n = wg.layers.batchNormalization({ name: `${name}_bn` }).apply(h);
  const out = wg.layers.dense({ units: 2, kernelInitializer: { name: 'glorotUniform', seed: 2 }, name: `${name}_o` }).apply(n);
  const model = wg.model({ inputs: inp, outputs: out, name });
  model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.02 }), loss: 'meanSquaredError' });
  return model;
}

/** The data, made on the active backend (again after a device loss). */
export const data = () => ({ x: wg.tensor(X, [24, 3]), y: wg.tensor(Y, [24, 2]) });

/** Bits of every weight (moving statistics included) and optimizer slot, and the step count. */
export async function bits(m: wg.Model): Promise<{ values: number[][]; iterations: number }> {
  const opt = m.compiled!.optimizer;
  const ts = [...m.weights, ...m.trainableWeights.flatMap((w) => opt.existingSlots(w))];
  const values = await Promise.all(ts.map(async (t) => Array.from(new Uint32Array((await t.data()).buffer))));
  return { values, iterations: opt.iterations };
}

/** The uninterrupted fit on the active backend: its final state and per-epoch losses. */
export async function reference(): Promise<{ state: Awaited<ReturnType<typeof bits>>; loss: number[] }> {
  const m = net('bk_ref');
  const d = data();
  const h = await m.fit(d.x, d.y, FIT);
  const out = { state: await bits(m), loss: h.history.loss };
  m.dispose();
  wg.dispose([d.x, d.y]);
  return out;
}
