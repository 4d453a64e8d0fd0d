/** Validation and ordering of a functional model's graph (before the model is usable). */
import { ValueError } from '../core/errors.js';
import type { GraphNode, Layer, SymbolicTensor } from '../layers/layer.js';

interface Labelled {
  readonly label: string;
}

/** Whether `outer` is `target` or contains it, at any depth (layers with their own `layers`). */
function contains(outer: Layer, target: Layer, seen = new Set<Layer>()): boolean {
  if (outer === target) return true;
  if (seen.has(outer)) return false;
  seen.add(outer);
  const inner = (outer as { readonly layers?: readonly Layer[] }).layers;
  return Array.isArray(inner) && inner.some((l: Layer) => contains(l, target, seen));
}

/**
 * The nodes between `inputs` and `outputs`, each after the nodes it reads. Throws a ValueError
 * naming the model when an output depends on a tensor that is not one of the inputs, when an
 * input is not used, on a cycle (a model inside itself), or when two layers share a name.
 */
export function graphOf(model: Layer & Labelled, inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[]): GraphNode[] {
  const label = model.label;
  for (const i of inputs) {
    if (i.node !== null) throw new ValueError(`${label}: input '${i.name}' is a layer output, not a tensor from wg.input()`);
  }
  if (new Set(inputs).size !== inputs.length) throw new ValueError(`${label}: the same input is listed twice`);
  const order: GraphNode[] = [];
  const state = new Map<GraphNode, 'open' | 'done'>();
  const used = new Set<SymbolicTensor>();
  const visit = (t: SymbolicTensor, out: SymbolicTensor): void => {
    const n = t.node;
    if (n === null) {
      if (!inputs.includes(t)) {
        throw new ValueError(`${label}: output '${out.name}' depends on input '${t.name}', which is not among the model's inputs (${inputs.map((x) => x.name).join(', ')})`);
      }
      used.add(t);
      return;
    }
    const s = state.get(n);
    if (s === 'done') return;
    if (s === 'open' || contains(n.layer, model)) throw new ValueError(`${label}: the graph has a cycle through layer '${n.layer.name}'`);
    state.set(n, 'open');
    for (const i of n.inputs) visit(i, out);
    state.set(n, 'done');
    order.push(n);
  };
  for (const o of outputs) visit(o, o);
  const unused = inputs.filter((i) => !used.has(i));
  if (unused.length > 0) {
    throw new ValueError(`${label}: input(s) ${unused.map((i) => `'${i.name}'`).join(', ')} not used by any output (${outputs.map((o) => o.name).join(', ')})`);
  }
  checkNames(label, order);
  return order;
}

function checkNames(label: string, order: readonly GraphNode[]): void {
  const byName = new Map<string, Layer>();
  for (const { layer } of order) {
    const prev = byName.get(layer.name);
    if (prev && prev !== layer) {
      throw new ValueError(`${label}: two layers are named '${layer.name}' (${prev.className} and ${layer.className}); layer names in a model must be unique`);
    }
    byName.set(layer.name, layer);
  }
}
