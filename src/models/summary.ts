/**
 * `model.summary()`: one row per layer (name, class, output shape, parameters) and, for each
 * BatchNormalization layer, its mode and the range of its moving statistics as last read back.
 */
import { BatchNormalization } from '../layers/batchnorm.js';
import type { GraphNode, SymbolicShape } from '../layers/layer.js';
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

/** `layer[node][tensor]` of each input of `node` (Keras's "Connected to"); model inputs are `name[0][0]`. */
function connections(node: GraphNode): string {
  return node.inputs.map((t) => `${t.node?.layer.name ?? t.name}[${t.node?.index ?? 0}][${t.outputIndex}]`).join(', ');
}

/**
 * The summary text of `model`: one row per input and per graph node (a nested model is one row,
 * class 'Functional' or 'Sequential'); functional models get a "Connected to" column, as Keras.
 */
export function summarize(model: Model): string {
  const functional = model.className !== 'Sequential';
  const rows: string[][] = model.inputs.map((i) => [`${i.name} (InputLayer)`, fmt(i.shape), '0', '', '']);
  for (const node of model.graphNodes) {
    const l = node.layer;
    const params = l.weights.reduce((s, w) => s + w.size, 0);
    const cls = l.className === 'Model' ? 'Functional' : l.className;
    const shape = node.outputs.map((o) => fmt(o.shape)).join(', ');
    rows.push([`${l.name} (${cls})`, shape, String(params), functional ? connections(node) : '', l instanceof BatchNormalization ? bnState(l) : '']);
  }
  const all = model.weights;
  const trainable = all.filter((w) => w.trainable).reduce((s, w) => s + w.size, 0);
  const frozen = all.reduce((s, w) => s + w.size, 0) - trainable;
  const head = ['Layer (type)', 'Output shape', 'Param #', ...(functional ? ['Connected to'] : []), 'Mode / state'];
  const cols = functional ? rows : rows.map((r) => [r[0], r[1], r[2], r[4]]);
  const n = head.length - 1;
  const widths = Array.from({ length: n }, (_, i) => Math.max(head[i].length, ...cols.map((r) => r[i].length)) + 2);
  const line = (r: string[]) => (r.slice(0, n).map((c, i) => pad(c, widths[i])).join('') + r[n]).trimEnd();
  const rule = '-'.repeat(Math.max(...[head, ...cols].map((r) => line(r).length)));
  return [
    `${model.className}: "${model.name}"`, rule, line(head), rule, ...cols.map(line), rule,
    `Total params: ${trainable + frozen}`, `Trainable params: ${trainable}`, `Non-trainable params: ${frozen}`, rule,
  ].join('\n');
}
