/**
 * wgnn models to the Keras topology TF.js writes (`model.toJSON()`): Sequential as
 * `{ name, layers: [{ class_name, config }] }` with `batch_input_shape` on the first layer, functional
 * models as `{ name, layers: [{ name, class_name, config, inbound_nodes }], input_layers, output_layers }`.
 */
import type { Layer, SymbolicTensor } from '../layers/layer.js';
import type { Model } from '../models/model.js';
import type { ModelTopology } from './artifacts.js';
import type { Json } from './config.js';
import { layerToConfig } from './registry.js';

export const KERAS_VERSION = 'tfjs-layers 4.22.0';

function wrap(className: string, config: Json): ModelTopology {
  return { class_name: className, config, keras_version: KERAS_VERSION, backend: 'tensor_flow.js' };
}

/** The topology of `model` as JSON-compatible data. */
export function writeTopology(model: Model, where: string): ModelTopology {
  return model.className === 'Sequential' ? writeSequential(model, where) : writeFunctional(model, where);
}

function writeSequential(model: Model, where: string): ModelTopology {
  const layers = model.layers.map((l, i) => {
    const config = layerToConfig(l, where);
    return { class_name: l.className, config: i === 0 ? { ...config, batch_input_shape: [...model.input.shape] } : config };
  });
  return wrap('Sequential', { name: model.name, layers });
}

function writeFunctional(model: Model, where: string): ModelTopology {
  const input = model.input;
  // Node index of each symbolic tensor within its layer (a shared layer has several).
  const nodeIndex = new Map<number, number>();
  const counts = new Map<Layer, number>();
  const inbound = new Map<Layer, unknown[]>();
  const ref = (t: SymbolicTensor): unknown[] => [t.layer === null ? t.name : (t.layer as Layer).name, nodeIndex.get(t.id) ?? 0, 0];
  for (const n of model.nodes) {
    const layer = n.layer as Layer;
    const k = counts.get(layer) ?? 0;
    counts.set(layer, k + 1);
    nodeIndex.set(n.id, k);
    const list = inbound.get(layer) ?? [];
    list.push(n.inputs.map((i) => [...ref(i), {}]));
    inbound.set(layer, list);
  }
  const inputLayer = {
    name: input.name, class_name: 'InputLayer',
    config: { batch_input_shape: [...input.shape], dtype: 'float32', sparse: false, name: input.name }, inbound_nodes: [],
  };
  const layers = [inputLayer, ...model.layers.map((l) => ({
    name: l.name, class_name: l.className, config: layerToConfig(l, where), inbound_nodes: inbound.get(l) ?? [],
  }))];
  return wrap('Model', { name: model.name, layers, input_layers: [ref(input)], output_layers: [ref(model.output)] });
}
