/**
 * wgnn models to the Keras topology TF.js writes (`model.toJSON()`): Sequential as
 * `{ name, layers: [{ class_name, config }] }` with `batch_input_shape` on the first layer; functional
 * models as `{ name, layers: [{ name, class_name, config, inbound_nodes }], input_layers, output_layers }`
 * (one InputLayer per input, node indices counted within the model); a nested model is a layer whose
 * config is its own model config.
 */
import type { GraphNode, Layer, SymbolicTensor } from '../layers/layer.js';
import { Model } from '../models/model.js';
import type { ModelTopology } from './artifacts.js';
import type { Json } from './config.js';
import { layerToConfig } from './registry.js';

export const KERAS_VERSION = 'tfjs-layers 4.22.0';

/** The topology of `model` as JSON-compatible data. */
export function writeTopology(model: Model, where: string): ModelTopology {
  return { ...entryOf(model, where), keras_version: KERAS_VERSION, backend: 'tensor_flow.js' };
}

/** `{ class_name, config }` of a layer or a (nested) model. */
function entryOf(layer: Layer, where: string): { class_name: string; config: Json } {
  if (!(layer instanceof Model)) return { class_name: layer.className, config: layerToConfig(layer, where) };
  const config = layer.className === 'Sequential' ? sequentialConfig(layer, where) : functionalConfig(layer, where);
  return { class_name: layer.className === 'Sequential' ? 'Sequential' : 'Model', config };
}

function sequentialConfig(model: Model, where: string): Json {
  const layers = model.layers.map((l, i) => {
    const e = entryOf(l, where);
    // A nested model first carries its own input layers.
    return i === 0 && !(l instanceof Model) ? { ...e, config: { ...e.config, batch_input_shape: [...model.input.shape] } } : e;
  });
  return { name: model.name, layers };
}

function functionalConfig(model: Model, where: string): Json {
  // Node index of each call within this model (a shared layer has several).
  const local = new Map<GraphNode, number>();
  const calls = new Map<Layer, number>();
  const inbound = new Map<Layer, unknown[]>();
  const ref = (t: SymbolicTensor): unknown[] => (t.node ? [t.node.layer.name, local.get(t.node) ?? 0, t.outputIndex] : [t.name, 0, 0]);
  for (const n of model.graphNodes) {
    local.set(n, calls.get(n.layer) ?? 0);
    calls.set(n.layer, (calls.get(n.layer) ?? 0) + 1);
    const list = inbound.get(n.layer) ?? [];
    // Keras 2 / TF.js keep the call's kwargs on each input reference.
    const kwargs = n.training === null ? {} : { training: n.training };
    list.push(n.inputs.map((i) => [...ref(i), kwargs]));
    inbound.set(n.layer, list);
  }
  const inputs = model.inputs.map((t) => ({
    name: t.name, class_name: 'InputLayer', config: { batch_input_shape: [...t.shape], dtype: 'float32', sparse: false, name: t.name }, inbound_nodes: [],
  }));
  const layers = model.layers.map((l) => ({ name: l.name, ...entryOf(l, where), inbound_nodes: inbound.get(l) ?? [] }));
  return { name: model.name, layers: [...inputs, ...layers], input_layers: model.inputs.map(ref), output_layers: model.outputs.map(ref) };
}
