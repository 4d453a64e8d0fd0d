/**
 * `model.save()` and `loadModel(artifacts)`: the topology as JSON (layer class, config and input
 * per node), the weight specs in `model.weights` order, and the weights' float32 bytes
 * concatenated. Loading rebuilds the layers with the same names and sets the same bits.
 */
import { ValueError } from '../core/errors.js';
import { tidy } from '../core/scope.js';
import { tensor } from '../ops/creation.js';
import { BatchNormalization } from '../layers/batchnorm.js';
import { Activation, Dense, Dropout } from '../layers/core.js';
import { Conv2D, DepthwiseConv2D, SeparableConv2D } from '../layers/conv.js';
import { input, type Layer, type SymbolicTensor } from '../layers/layer.js';
import type { Model } from './model.js';

export interface WeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: 'float32';
}

/** What `save` produces and `loadModel` takes. */
export interface ModelArtifacts {
  /** JSON-compatible: `{ format, className, name, input, nodes: [{ className, config, input }], output }`. */
  readonly modelTopology: ModelTopology;
  readonly weightSpecs: WeightSpec[];
  readonly weightData: ArrayBuffer;
}

export interface ModelTopology {
  readonly format: 'wgnn-layers-model';
  readonly version: 1;
  readonly className: 'Model' | 'Sequential';
  readonly name: string;
  readonly input: { readonly name: string; readonly shape: number[] };
  /** Each node: the layer that made it, its config, and the name of the node it consumed. */
  readonly nodes: { readonly className: string; readonly config: Record<string, unknown>; readonly input: string; readonly name: string }[];
  readonly output: string;
}

type LayerCtor = new (config: never) => Layer;
const REGISTRY: Record<string, LayerCtor> = {
  Dense, BatchNormalization, Activation, Dropout, Conv2D, DepthwiseConv2D, SeparableConv2D,
};

/** @internal */
export async function saveModel(model: Model): Promise<ModelArtifacts> {
  const names = new Map<number, string>([[model.input.id, model.input.name]]);
  const nodes = model.nodes.map((n, i) => {
    const layer = n.layer as Layer;
    const name = `${layer.name}#${i}`;
    names.set(n.id, name);
    return { className: layer.className, config: layer.getConfig(), input: names.get(n.inputs[0].id) as string, name };
  });
  const ws = model.weights;
  const values = await Promise.all(ws.map((w) => w.data()));
  const total = values.reduce((s, v) => s + v.length, 0);
  const data = new Float32Array(total);
  let at = 0;
  for (const v of values) {
    data.set(v, at);
    at += v.length;
  }
  const topology: ModelTopology = {
    format: 'wgnn-layers-model', version: 1, className: model.className === 'Sequential' ? 'Sequential' : 'Model',
    name: model.name, input: { name: model.input.name, shape: model.input.shape.slice(1) as number[] }, nodes,
    output: names.get(model.output.id) as string,
  };
  return { modelTopology: JSON.parse(JSON.stringify(topology)) as ModelTopology, weightSpecs: ws.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' })), weightData: data.buffer };
}

/** Rebuilds a model saved by `model.save()`: same topology, names and weight bits (not compiled). */
export async function loadModel(artifacts: ModelArtifacts): Promise<Model> {
  const topo = artifacts?.modelTopology;
  if (!topo || topo.format !== 'wgnn-layers-model') throw new ValueError('loadModel: modelTopology is not a wgnn model (format wgnn-layers-model)');
  // Imported lazily: model.ts imports this module.
  const { Model } = await import('./model.js');
  const { Sequential } = await import('./sequential.js');
  const syms = new Map<string, SymbolicTensor>();
  const first = input({ shape: topo.input.shape, name: topo.input.name });
  syms.set(topo.input.name, first);
  const layers: Layer[] = [];
  for (const n of topo.nodes) {
    const Ctor = REGISTRY[n.className];
    if (!Ctor) throw new ValueError(`loadModel: unknown layer class '${n.className}' (known: ${Object.keys(REGISTRY).join(', ')})`);
    const layer = new Ctor(n.config as never);
    layers.push(layer);
    const src = syms.get(n.input);
    if (!src) throw new ValueError(`loadModel: node '${n.name}' reads '${n.input}', which comes later or does not exist`);
    syms.set(n.name, layer.apply(src));
  }
  const out = syms.get(topo.output);
  if (!out) throw new ValueError(`loadModel: output '${topo.output}' is not a node`);
  const model = topo.className === 'Sequential' ? new Sequential({ layers, name: topo.name }) : new Model({ inputs: first, outputs: out, name: topo.name });
  if (model instanceof Sequential) model.build(topo.input.shape);
  setWeightBytes(model, artifacts);
  return model;
}

function setWeightBytes(model: Model, artifacts: ModelArtifacts): void {
  const ws = model.weights;
  const specs = artifacts.weightSpecs;
  if (specs.length !== ws.length) throw new ValueError(`loadModel: ${specs.length} weight specs for a model with ${ws.length} weights`);
  const data = new Float32Array(artifacts.weightData);
  let at = 0;
  const values = tidy(() => specs.map((s) => {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const t = tensor(data.slice(at, at + size), s.shape);
    at += size;
    return t;
  }));
  if (at !== data.length) throw new ValueError(`loadModel: weightData holds ${data.length} floats but the specs need ${at}`);
  model.setWeights(values);
  for (const v of values) v.dispose();
}
