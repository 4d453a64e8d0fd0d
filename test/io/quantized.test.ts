/**
 * Stored weight kinds: affine-quantized uint8 / uint16 (`value = q * scale + min`) and float16,
 * in several groups and shards whose order is not the topology's. The reference is TF.js 4.22:
 * `tf.io.decodeWeights` on the same bytes and `tf.loadLayersModel` on the same artifacts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { fixedInput, tfLoad } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function net(tag: string): wg.Model {
  const inp = wg.input({ shape: [4], name: `${tag}_in` });
  let t = wg.layers.dense({ units: 6, activation: 'relu', name: `${tag}_d1`, kernelInitializer: { name: 'glorotUniform', seed: 7 } }).apply(inp);
  t = wg.layers.batchNormalization({ name: `${tag}_bn` }).apply(t);
  t = wg.layers.dense({ units: 3, activation: 'softmax', name: `${tag}_d2`, kernelInitializer: { name: 'glorotUniform', seed: 8 } }).apply(t);
  return wg.model({ inputs: inp, outputs: t, name: `${tag}_model` });
}

/** IEEE half bits of x (round to nearest even), written independently of wgnn's decoder. */
function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const e = ((u >>> 23) & 0xff) - 127 + 15;
  const m = u & 0x7fffff;
  if (e <= 0) return sign | Math.round((m | 0x800000) / 2 ** (14 - e));
  const r = Math.round(m / 8192);
  return sign | ((e << 10) + r);
}

type Kind = 'uint8' | 'uint16' | 'float16';

/** One weight stored as `kind`, plus its spec. */
function quantize(name: string, shape: number[], v: Float32Array, kind: Kind): { spec: Record<string, unknown>; bytes: Uint8Array } {
  if (kind === 'float16') {
    const h = Uint16Array.from(v, toHalf);
    return { spec: { name, shape, dtype: 'float32', quantization: { dtype: 'float16' } }, bytes: new Uint8Array(h.buffer) };
  }
  const levels = kind === 'uint8' ? 255 : 65535;
  let lo = Math.min(...v), hi = Math.max(...v);
  if (hi === lo) hi = lo + 1;
  const scale = (hi - lo) / levels;
  const levelsOf = Array.from(v, (x) => Math.round((x - lo) / scale));
  const q = kind === 'uint8' ? Uint8Array.from(levelsOf) : Uint16Array.from(levelsOf);
  return { spec: { name, shape, dtype: 'float32', quantization: { dtype: kind, scale, min: lo } }, bytes: new Uint8Array(q.buffer) };
}

async function quantizedArtifacts(m: wg.Model, kinds: Kind[]) {
  const a = await m.save();
  const parts = await Promise.all(m.weights.map(async (w, i) => quantize(w.name, [...w.shape], await w.data(), kinds[i % kinds.length])));
  // Reversed: the manifest's order is not the topology's.
  parts.reverse();
  const total = parts.reduce((s, p) => s + p.bytes.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { data.set(p.bytes, at); at += p.bytes.length; }
  return { modelTopology: a.modelTopology, weightSpecs: parts.map((p) => p.spec), weightData: data.buffer } as unknown as wg.ModelArtifacts;
}

describe('quantized and float16 weights', () => {
  for (const kinds of [['uint8'], ['uint16'], ['float16'], ['uint8', 'float16', 'uint16']] as Kind[][]) {
    it(`${kinds.join(' + ')}: the same values as tf.io.decodeWeights, the same predictions as TF.js`, async () => {
      const art = await quantizedArtifacts(net(`q_${kinds.join('_')}`), kinds);
      const theirs = tf.io.decodeWeights(art.weightData, art.weightSpecs as tf.io.WeightsManifestEntry[]);
      const m = await wg.loadLayersModel(art);
      for (const w of m.weights) expect(await w.data()).toEqual(await theirs[w.name].data());
      const x = fixedInput(5, 4);
      const ref = await tfLoad(art);
      const want = (await (ref.predict(tf.tensor(x)) as tf.Tensor).data()) as Float32Array;
      expect(await m.predict(wg.tensor(x)).data()).toBeAllClose(want, { rtol: 1e-5, atol: 1e-6 });
    });
  }

  it('a quantization without scale and min, or of an unknown dtype, is an error naming the weight', async () => {
    const art = await quantizedArtifacts(net('q_bad'), ['uint8']) as unknown as { weightSpecs: Record<string, any>[] };
    delete art.weightSpecs[0].quantization.scale;
    await expect(wg.loadLayersModel(art as never)).rejects.toThrow(/weight 'q_bad_d2\/bias': uint8 quantization needs finite numbers scale and min/);
    art.weightSpecs[0].quantization = { dtype: 'int8', scale: 1, min: 0 };
    await expect(wg.loadLayersModel(art as never)).rejects.toThrow(/weight 'q_bad_d2\/bias': quantization dtype "int8" is not supported/);
  });
});
