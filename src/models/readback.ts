/**
 * The one readback of a model: scalars the caller needs (loss sums, flags) together with every
 * BatchNormalization layer's moving statistics, joined on the device and read in one transfer.
 * The statistics refresh the host snapshot that `summary()` shows.
 */
import { concat, reshape } from '../ops/movement.js';
import type { Tensor } from '../core/tensor.js';
import { tidy } from '../core/scope.js';
import type { Model } from './model.js';

/** Reads `scalars` (small tensors) and refreshes the BN snapshots; returns their values, flattened in order. */
export async function readback(model: Model, scalars: readonly Tensor[]): Promise<number[]> {
  const bns = model.bnLayers.filter((l) => l.movingMean && l.movingVariance);
  const joined = tidy(() => concat([
    ...scalars.map((s) => reshape(s, [-1])),
    ...bns.flatMap((l) => [l.movingMean as Tensor, l.movingVariance as Tensor]),
  ], 0));
  const values = await joined.data();
  joined.dispose();
  const count = scalars.reduce((n, s) => n + s.size, 0);
  let at = count;
  for (const l of bns) {
    const c = (l.movingMean as Tensor).size;
    l.setSnapshot(values.slice(at, at + c), values.slice(at + c, at + 2 * c));
    at += 2 * c;
  }
  return Array.from(values.subarray(0, count));
}
