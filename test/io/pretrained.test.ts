/**
 * A real, published, pretrained TF.js layers model with BatchNormalization, from an npm package:
 * nsfwjs 4.4.0's MobileNetV2 (Keras 2.2.4 topology via the TF.js converter, 52 BN, uint8 weights),
 * read offline from the installed package (see pretrained.ts). wgnn's predictions on fixed,
 * generated images equal TF.js 4.22's (`tf.loadLayersModel` on the same artifacts, CPU backend)
 * within 1e-4. Then fine-tuning its convolutional base at 32x32 (the same weights, Keras's
 * `include_top=False` cut): frozen base, new head; then only the top block unfrozen.
 * Load and predict times are printed per backend (they are figures, not assertions).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import * as wg from '../../src/index.js';
import { bitsByName } from './helpers.js';
import { loadNsfwArtifacts } from './pretrained.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** n deterministic RGB images in [0, 1], NHWC: smooth stripes and blobs, different per image. */
function images(n: number, size: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < 3; c++) {
          const u = x / size;
          const v = y / size;
          out.push(0.5 + 0.5 * Math.sin(6.283 * ((k + 1) * u + (c + 1) * v) + k + c) * Math.cos(3 * (u - v) * (k % 2 === 0 ? 1 : -1)));
        }
      }
    }
  }
  return out;
}

const ms = (t0: number) => Math.round(performance.now() - t0);

describe('pretrained MobileNetV2 from nsfwjs 4.4.0', () => {
  it('predictions on a fixed 224x224 image equal TF.js 4.22 within 1e-4', async () => {
    const art = await loadNsfwArtifacts();
    let t0 = performance.now();
    const m = await wg.loadLayersModel(art);
    const loadMs = ms(t0);
    expect(m.bnLayers.length).toBe(52);
    const ref = await tf.loadLayersModel(tf.io.fromMemory(art as unknown as tf.io.ModelArtifacts));
    const px = images(1, 224);
    const x = wg.tensor(px, [1, 224, 224, 3]);
    t0 = performance.now();
    const y = await m.predict(x).data();
    const predictMs = ms(t0);
    const want = (await (ref.predict(tf.tensor(px, [1, 224, 224, 3])) as tf.Tensor).data()) as Float32Array;
    expect(y).toBeAllClose(want, { rtol: 0, atol: 1e-4 });
    console.log(`[wgnn pretrained] ${inject('project')}: MobileNetV2 (nsfwjs 4.4.0) load ${loadMs} ms, predict 1x224x224 ${predictMs} ms (first call)`);
  });
});

/**
 * The convolutional base at `size` x `size`: the file's topology with the input shape changed and
 * everything after `out_relu` removed (with its weights), as Keras's include_top=False.
 */
async function baseArtifacts(size: number): Promise<wg.ModelArtifacts> {
  const art = await loadNsfwArtifacts();
  const topo = structuredClone(art.modelTopology) as { model_config: { config: { layers: { name: string; config: Record<string, unknown> }[]; output_layers: unknown } } };
  const cfg = topo.model_config.config;
  const cut = cfg.layers.findIndex((l) => l.name === 'out_relu') + 1;
  const dropped = new Set(cfg.layers.slice(cut).map((l) => l.name));
  cfg.layers = cfg.layers.slice(0, cut);
  cfg.layers[0].config.batch_input_shape = [null, size, size, 3];
  cfg.output_layers = [['out_relu', 0, 0]];
  const bytes = new Uint8Array(art.weightData);
  const keep: typeof art.weightSpecs = [];
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const s of art.weightSpecs) {
    const n = s.shape.reduce((a, b) => a * b, 1) * (s.quantization?.dtype === 'uint8' ? 1 : s.quantization ? 2 : 4);
    if (!dropped.has(s.name.split('/')[0])) {
      keep.push(s);
      parts.push(bytes.subarray(at, at + n));
    }
    at += n;
  }
  const data = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { data.set(p, o); o += p.length; }
  return { modelTopology: topo as unknown as wg.ModelTopology, weightSpecs: keep, weightData: data.buffer };
}

describe('fine-tuning the pretrained base', () => {
  it('frozen base: base weights and every BN statistic bitwise unchanged, the head learns; then only the top block and the head change', async () => {
    // 32x32, the smallest input MobileNetV2 takes (total stride 32), keeps the test to seconds.
    const base = await wg.loadLayersModel(await baseArtifacts(32));
    base.trainable = false;
    const head = wg.layers.dense({ units: 2, activation: 'softmax', name: 'ft_head', kernelInitializer: { name: 'glorotUniform', seed: 31 } });
    const model = wg.sequential({ name: 'ft', layers: [base, wg.layers.globalAveragePooling2d({ name: 'ft_gap' }), head] });
    const n = 4;
    const x = wg.tensor(images(n, 32), [n, 32, 32, 3]);
    const y = wg.oneHot(wg.tensor(Array.from({ length: n }, (_, i) => i % 2), [n]), 2);
    model.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
    const baseBefore = await bitsByName(base.weights);
    const headBefore = await bitsByName(head.weights);
    const loss0 = (await model.evaluate(x, y)).loss;
    await model.fit(x, y, { batchSize: 2, epochs: 1, shuffle: false });
    expect(await bitsByName(base.weights)).toEqual(baseBefore);
    expect(await bitsByName(head.weights)).not.toEqual(headBefore);
    const loss1 = (await model.evaluate(x, y)).loss;
    expect(loss1).toBeLessThan(loss0);

    // Unfreeze the top block (block_16 and the last 1x1 conv + BN) by name, per layer.
    const top = base.layers.filter((l) => l.name.startsWith('block_16_') || l.name.startsWith('Conv_1'));
    expect(top.map((l) => l.name)).toContain('block_16_project_BN');
    for (const l of top) base.getLayer(l.name).trainable = true;
    const topNames = new Set(top.flatMap((l) => l.weights.map((w) => w.name)));
    const before = await bitsByName(base.weights);
    const headMid = await bitsByName(head.weights);
    await model.fit(x, y, { batchSize: 2, epochs: 1, shuffle: false });
    expect(await bitsByName(head.weights)).not.toEqual(headMid);
    const after = await bitsByName(base.weights);
    for (const [name, bits] of Object.entries(after)) {
      if (topNames.has(name)) continue;
      expect(bits, name).toEqual(before[name]);
    }
    const changed = [...topNames].filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]));
    expect(changed).toContain('block_16_project/kernel');
    expect(changed).toContain('Conv_1_bn/moving_mean');
  });
});
