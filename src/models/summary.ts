/**
 * `model.summary()`: one row per layer (name, class, output shape, parameters) and, for each
 * BatchNormalization layer, its mode and the range of its moving statistics as last read back.
 */
import { BatchNormalization } from '../layers/batchnorm.js';
import type { SymbolicShape } from '../layers/layer.js';
import type { Model } from './model.js';

const fmt = (s: SymbolicShape) => `[${s.map((d) => (d === null ? 'null' : d)).join(',')}]`;

function range(a: Float32Array): string {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return lo === hi ? lo.toPrecision(4) : `${lo.toPrecision(4)} .. ${hi.toPrecision(4)}`;
}

/** The BN state line: mode and moving-statistics ranges (with how current they are). */
function bnState(l: BatchNormalization): string {
  const s = l.snapshot;
  const stats = s === null
    ? 'moving stats not read yet (they are read with the next fit/evaluate)'
    : `moving_mean ${range(s.mean)}, moving_variance ${range(s.variance)}` +
      (s.staleUpdates > 0 ? ` (as of the last readback; ${s.staleUpdates} training-mode update(s) since)` : '');
  return `${l.mode}; momentum ${l.momentum}, epsilon ${l.epsilon}; ${stats}`;
}

const pad = (s: string, n: number) => (s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length));

/** The summary text of `model`. */
export function summarize(model: Model): string {
  const rows: string[][] = [[`${model.input.name} (InputLayer)`, fmt(model.input.shape), '0', '']];
  let trainable = 0;
  let frozen = 0;
  for (const node of model.nodes) {
    const l = node.layer;
    if (!l) continue;
    const params = l.weights.reduce((s, w) => s + w.size, 0);
    const t = l.trainableWeights.reduce((s, w) => s + w.size, 0);
    trainable += t;
    frozen += params - t;
    rows.push([`${l.name} (${l.className})`, fmt(node.shape), String(params), l instanceof BatchNormalization ? bnState(l) : '']);
  }
  const head = ['Layer (type)', 'Output shape', 'Param #', 'Mode / state'];
  const widths = [0, 1, 2].map((i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)) + 2);
  const line = (r: string[]) => (pad(r[0], widths[0]) + pad(r[1], widths[1]) + pad(r[2], widths[2]) + r[3]).trimEnd();
  const rule = '-'.repeat(Math.max(...[head, ...rows].map((r) => line(r).length)));
  return [
    `${model.className}: "${model.name}"`, rule, line(head), rule, ...rows.map(line), rule,
    `Total params: ${trainable + frozen}`, `Trainable params: ${trainable}`, `Non-trainable params: ${frozen}`, rule,
  ].join('\n');
}
