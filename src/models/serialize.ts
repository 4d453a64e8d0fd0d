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
import { input, type GraphNode, type Layer, type SymbolicTensor } from '../layers/layer.js';
import { Add, Average, Concatenate, Multiply, Subtract } from '../layers/merge.js';
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D } from '../layers/pooling.js';
import { Flatten, Reshape, ZeroPadding2D } from '../layers/reshaping.js';
import { ReLU, Softmax } from '../layers/activation_layers.js';
import { Conv2D, DepthwiseConv2D, SeparableConv2D } from '../layers/conv.js';
import type { Model } from './model.js';

export interface WeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: 'float32';
}

/** What `save` produces and `loadModel` takes. */
export interface ModelArtifacts {
  /** JSON-compatible; see GraphTopology (what `save` writes) and ModelTopologyV1 (still loaded). */
  readonly modelTopology: ModelTopology;
  readonly weightSpecs: WeightSpec[];
  readonly weightData: ArrayBuffer;
}

/** Version 1 (wgnn 0.1.0): one input, a chain of nodes, one output. Still loaded. */
export interface ModelTopologyV1 {
  readonly format: 'wgnn-layers-model';
  readonly version: 1;
  readonly className: 'Model' | 'Sequential';
  readonly name: string;
  readonly input: { readonly name: string; readonly shape: number[] };
  /** Each node: the layer that made it, its config, and the name of the node it consumed. */
  readonly nodes: { readonly className: string; readonly config: Record<string, unknown>; readonly input: string; readonly name: string }[];
  readonly output: string;
}

/** `[layer or input name, node index within this model, output index]`: one tensor of the graph. */
export type TensorRef = [string, number, number];

/** A layer of a saved model: class, config, and for a nested model its own topology. */
export interface LayerEntry {
  readonly className: string;
  readonly config: Record<string, unknown>;
  readonly model?: GraphTopology;
}

/** Version 2: inputs, layers (each once; nested models inline), nodes in execution order, outputs. */
export interface GraphTopology {
  readonly format: 'wgnn-layers-model';
  readonly version: 2;
  readonly className: 'Model' | 'Sequential';
  readonly name: string;
  readonly inputs: { readonly name: string; readonly shape: number[] }[];
  readonly layers: LayerEntry[];
  /** One per layer call, in execution order; node indices count a layer's calls within this model. */
  readonly nodes: { readonly layer: string; readonly inputs: TensorRef[]; /** An explicit `apply(x, { training })`. */ readonly training?: boolean }[];
  readonly outputs: TensorRef[];
}

export type ModelTopology = GraphTopology | ModelTopologyV1;

type LayerCtor = new (config: never) => Layer;
const REGISTRY: Record<string, LayerCtor> = {
  Dense, BatchNormalization, Activation, Dropout, Add, Subtract, Multiply, Average, Concatenate,
  MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, ZeroPadding2D, Flatten, Reshape, ReLU, Softmax,
  Conv2D, DepthwiseConv2D, SeparableConv2D,
};

/** The version-2 topology of `model` (nested models inline). */
function topologyOf(model: Model): GraphTopology {
  const local = new Map<GraphNode, number>();
  const calls = new Map<Layer, number>();
  const ref = (t: SymbolicTensor): TensorRef => (t.node ? [t.node.layer.name, local.get(t.node) as number, t.outputIndex] : [t.name, 0, 0]);
  const nodes = model.graphNodes.map((n) => {
    const entry = { layer: n.layer.name, inputs: n.inputs.map(ref), ...(n.training === null ? {} : { training: n.training }) };
    local.set(n, calls.get(n.layer) ?? 0);
    calls.set(n.layer, (calls.get(n.layer) ?? 0) + 1);
    return entry;
  });
  const layers = model.layers.map((l): LayerEntry => (isModel(l)
    ? { className: l.className, config: l.getConfig(), model: topologyOf(l) }
    : { className: l.className, config: l.getConfig() }));
  return {
    format: 'wgnn-layers-model', version: 2, className: model.className === 'Sequential' ? 'Sequential' : 'Model', name: model.name,
    inputs: model.inputs.map((i) => ({ name: i.name, shape: i.shape.slice(1) as number[] })), layers, nodes, outputs: model.outputs.map(ref),
  };
}

function isModel(l: Layer): l is Model {
  return 'graphNodes' in l;
}

/** @internal */
export async function saveModel(model: Model): Promise<ModelArtifacts> {
  const topology = topologyOf(model);
  const ws = model.weights;
  const values = await Promise.all(ws.map((w) => w.data()));
  const total = values.reduce((s, v) => s + v.length, 0);
  const data = new Float32Array(total);
  let at = 0;
  for (const v of values) {
    data.set(v, at);
    at += v.length;
  }
  return { modelTopology: JSON.parse(JSON.stringify(topology)) as ModelTopology, weightSpecs: ws.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' })), weightData: data.buffer };
}

/** Rebuilds a model saved by `model.save()`: same topology, names and weight bits (not compiled). */
export async function loadModel(artifacts: ModelArtifacts): Promise<Model> {
  const topo = artifacts?.modelTopology;
  if (!topo || topo.format !== 'wgnn-layers-model') throw new ValueError('loadModel: modelTopology is not a wgnn model (format wgnn-layers-model)');
  // Imported lazily: model.ts imports this module.
  const { Model } = await import('./model.js');
  const { Sequential } = await import('./sequential.js');
  const model = topo.version === 1 ? loadV1(topo, Model, Sequential) : fromTopology(topo, Model, Sequential);
  setWeightBytes(model, artifacts);
  return model;
}

type ModelCtor = typeof import('./model.js').Model;
type SequentialCtor = typeof import('./sequential.js').Sequential;

/** A layer from its saved entry (nested models recursively). */
function layerOf(e: LayerEntry, M: ModelCtor, S: SequentialCtor): Layer {
  if (e.model) return fromTopology(e.model, M, S);
  const Ctor = REGISTRY[e.className];
  if (!Ctor) throw new ValueError(`loadModel: unknown layer class '${e.className}' (known: ${Object.keys(REGISTRY).join(', ')})`);
  return new Ctor(e.config as never);
}

/** The model of a version-2 topology, without weights. */
function fromTopology(topo: GraphTopology, M: ModelCtor, S: SequentialCtor): Model {
  const layers = new Map(topo.layers.map((e) => {
    const l = layerOf(e, M, S);
    return [l.name, l] as const;
  }));
  if (topo.className === 'Sequential') {
    const m = new S({ layers: [...layers.values()], name: topo.name });
    if (!m.built && topo.inputs.length === 1) m.build(topo.inputs[0].shape);
    return m;
  }
  const ins = topo.inputs.map((i) => input({ shape: i.shape, name: i.name }));
  const calls = new Map<string, SymbolicTensor[][]>(ins.map((t) => [t.name, [[t]]]));
  const get = ([name, node, k]: TensorRef): SymbolicTensor => {
    const t = calls.get(name)?.[node]?.[k];
    if (!t) throw new ValueError(`loadModel: '${topo.name}' reads ${JSON.stringify([name, node, k])}, which comes later or does not exist`);
    return t;
  };
  for (const n of topo.nodes) {
    const layer = layers.get(n.layer);
    if (!layer) throw new ValueError(`loadModel: '${topo.name}' has a node of layer '${n.layer}', which is not among its layers`);
    const xs = n.inputs.map(get);
    const opts = n.training === undefined ? {} : { training: n.training };
    const outs = isModel(layer) ? layer.applyOutputs(xs, opts) : [layer.apply(xs.length === 1 ? xs[0] : xs, opts)];
    calls.set(n.layer, [...(calls.get(n.layer) ?? []), outs]);
  }
  return new M({ inputs: ins, outputs: topo.outputs.map(get), name: topo.name });
}

function loadV1(topo: ModelTopologyV1, M: ModelCtor, S: SequentialCtor): Model {
  const syms = new Map<string, SymbolicTensor>();
  const first = input({ shape: topo.input.shape, name: topo.input.name });
  syms.set(topo.input.name, first);
  const layers: Layer[] = [];
  for (const n of topo.nodes) {
    const layer = layerOf(n, M, S);
    layers.push(layer);
    const src = syms.get(n.input);
    if (!src) throw new ValueError(`loadModel: node '${n.name}' reads '${n.input}', which comes later or does not exist`);
    syms.set(n.name, layer.apply(src));
  }
  const out = syms.get(topo.output);
  if (!out) throw new ValueError(`loadModel: output '${topo.output}' is not a node`);
  const model = topo.className === 'Sequential' ? new S({ layers, name: topo.name }) : new M({ inputs: first, outputs: out, name: topo.name });
  if (model instanceof S) model.build(topo.input.shape);
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
