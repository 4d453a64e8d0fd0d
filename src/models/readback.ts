/**
 * The one readback of a model: scalars the caller needs (loss sums, flags) together with every
 * BatchNormalization layer's moving statistics, joined on the device and read in one transfer.
 * The statistics refresh the host snapshot that `summary()` shows.
 */
import { concat, reshape } from '../ops/movement.js';
import type { Tensor } from '../core/tensor.js';
import { tidy } from '../core/scope.js';
import type { Model } from './model.js';

/**
 * @internal More tensors a model's readbacks bring to the host in the same transfer, and where
 * their values go (`wg.callbacks.backupAndRestore` mirrors weights and optimizer slots this way).
 */
export interface ReadbackTap {
  tensors(): readonly Tensor[];
  receive(values: readonly Float32Array[]): void;
}

/**
 * Reads `scalars` (small tensors) and refreshes the BN snapshots (and, with `withTaps`, the
 * model's readback taps: fit passes it at each epoch's end only); returns the scalars' values,
 * flattened in order.
 */
export async function readback(model: Model, scalars: readonly Tensor[], withTaps = false): Promise<number[]> {
  const bns = model.bnLayers.filter((l) => l.movingMean && l.movingVariance);
  const taps = withTaps ? [...model.readbackTaps].map((tap) => ({ tap, tensors: tap.tensors() })) : [];
  const joined = tidy(() => concat([
    ...scalars.map((s) => reshape(s, [-1])),
    ...bns.flatMap((l) => [l.movingMean as Tensor, l.movingVariance as Tensor]),
    ...taps.flatMap((t) => t.tensors.map((s) => reshape(s, [-1]))),
  ], 0));
  const values = await joined.data();
  joined.dispose();
  const count = scalars.reduce((n, s) => n + s.size, 0);
  let at = count;
  const take = (n: number) => values.slice(at, (at += n));
  for (const l of bns) {
    const c = (l.movingMean as Tensor).size;
    l.setSnapshot(take(c), take(c));
  }
  for (const t of taps) t.tap.receive(t.tensors.map((s) => take(s.size)));
  return Array.from(values.subarray(0, count));
}
