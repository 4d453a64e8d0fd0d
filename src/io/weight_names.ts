/**
 * Names of a model's weights in a file. A weight is `<layer>/<weight>` (TF.js's and Keras's
 * name); inside nested models it may also be written with the models' names in front
 * (`base/conv/kernel`, or with the outer model's name too). `save` writes the shortest name that is
 * unique in the model; loading accepts every unique spelling.
 */
import type { Variable } from '../core/tensor.js';
import { Model } from '../models/model.js';

interface Scoped {
  readonly variable: Variable;
  /** Every spelling, shortest first: `n`, `inner/n`, ..., `outer/.../n`. */
  readonly keys: string[];
}

function walk(model: Model, scopes: string[], seen: Set<Variable>, out: Scoped[]): void {
  for (const l of model.layers) {
    if (l instanceof Model) {
      walk(l, [...scopes, l.name], seen, out);
      continue;
    }
    for (const v of l.weights) {
      if (seen.has(v)) continue;
      seen.add(v);
      const keys = [v.name];
      for (let k = scopes.length - 1; k >= 0; k--) keys.push(`${scopes.slice(k).join('/')}/${v.name}`);
      out.push({ variable: v, keys });
    }
  }
}

/** The model's weights (nested models included, each once) with their spellings. */
export function scopedWeights(model: Model): Scoped[] {
  const out: Scoped[] = [];
  walk(model, [model.name], new Set(), out);
  return out;
}

/** name -> variable for every spelling that names exactly one weight. */
export function bindingKeys(weights: readonly Scoped[]): Map<string, Variable> {
  const count = new Map<string, number>();
  for (const w of weights) for (const k of w.keys) count.set(k, (count.get(k) ?? 0) + 1);
  const out = new Map<string, Variable>();
  for (const w of weights) for (const k of w.keys) if (count.get(k) === 1) out.set(k, w.variable);
  return out;
}

/** The name `save` writes for each weight: its shortest unique spelling. */
export function savedNames(weights: readonly Scoped[]): string[] {
  const unique = bindingKeys(weights);
  return weights.map((w) => w.keys.find((k) => unique.has(k)) ?? w.keys[w.keys.length - 1]);
}
