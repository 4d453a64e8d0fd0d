/** Shared by the test/io files: TF.js artifacts in and out of memory, and bitwise weight views. */
import * as tf from '@tensorflow/tfjs';
import * as wg from '../../src/index.js';

/** What TF.js's `model.save` produces, captured in memory. */
export async function tfArtifacts(m: tf.LayersModel, includeOptimizer = false): Promise<tf.io.ModelArtifacts> {
  let out: tf.io.ModelArtifacts | undefined;
  await m.save(tf.io.withSaveHandler(async (a) => {
    out = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }), { includeOptimizer });
  return out as tf.io.ModelArtifacts;
}

/** TF.js reading wgnn's artifacts through its own handler. */
export function tfLoad(a: wg.ModelArtifacts): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(a as unknown as tf.io.ModelArtifacts));
}

/** As wgnn artifacts (TF.js's weightData type is wider: ArrayBuffer | ArrayBuffer[]). */
export const asWg = (a: tf.io.ModelArtifacts): wg.ModelArtifacts => a as unknown as wg.ModelArtifacts;

/** The bits of every weight, by name. */
export async function bitsByName(ws: readonly wg.Variable[]): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const w of ws) out[w.name] = Array.from(new Uint32Array((await w.data()).slice().buffer));
  return out;
}

/** A deterministic input batch: sin/cos of the index, no RNG. */
export function fixedInput(rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => Math.sin(1.3 * i + 0.7 * j) * 2 + Math.cos(j - i)));
}
