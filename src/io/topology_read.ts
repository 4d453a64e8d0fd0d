/**
 * Keras topologies to wgnn models. Reads both forms the TF.js converter and TF.js write:
 *   tf.keras 2 / TF.js: `inbound_nodes: [[[name, node, tensor, {}]]]`, `batch_input_shape`
 *   Keras 3:            `inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { keras_history } }], kwargs }]`,
 *                       `batch_shape`, dtype policy objects, `module` / `registered_name` / `build_config`
 * with class names Sequential, Model and Functional. Names are kept in Maps (never object keys).
 */
import { ValueError } from '../core/errors.js';
import { fixNodeTraining, input, type Layer, type SymbolicTensor } from '../layers/layer.js';
import { Model } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import { isObject, show, type Json } from './config.js';
import { layerFromConfig } from './registry.js';
import { checkName } from './validate.js';

/** A reference to an output: [layer name, node index, tensor index]. */
interface Ref { readonly layer: string; readonly node: number; readonly tensor: number }

interface LayerSpec {
  readonly name: string;
  readonly className: string;
  readonly config: Json;
  /** Each node's input references. */
  readonly inbound: NodeSpec[];
}

/** One call of a layer: its inputs and the `training` it was called with (Keras call kwargs). */
interface NodeSpec {
  readonly refs: Ref[];
  readonly training: boolean | undefined;
}

/** The part of a layer entry that is not its config. */
const ENTRY_KEYS = ['class_name', 'config', 'name', 'inbound_nodes', 'module', 'registered_name', 'build_config'];
const MODEL_CLASSES = ['Sequential', 'Model', 'Functional'];

/** `{ class_name, config }` of the model, from `modelTopology` (or Keras 2's `modelTopology.model_config`). */
export function modelConfigOf(topology: unknown, where: string): { className: string; config: Json } {
  if (!isObject(topology)) throw new ValueError(`${where}: modelTopology must be an object, got ${show(topology)}`);
  const t = isObject(topology.model_config) ? topology.model_config : topology;
  const className = t.class_name;
  if (typeof className !== 'string' || !MODEL_CLASSES.includes(className)) {
    throw new ValueError(`${where}: modelTopology class_name must be Sequential, Model or Functional, got ${show(className)}`);
  }
  const config = Array.isArray(t.config) ? { layers: t.config } : t.config;
  if (!isObject(config) || !Array.isArray(config.layers)) throw new ValueError(`${where}: ${className} config needs a layers array, got ${show(t.config)}`);
  return { className, config };
}

/** Call arguments of a node: only `training` (a boolean) is supported (Keras 3 may add `mask: null`). */
function parseKwargs(kw: unknown, where: string): boolean | undefined {
  if (kw === undefined || kw === null) return undefined;
  if (!isObject(kw)) throw new ValueError(`${where}: node call arguments must be an object, got ${show(kw)}`);
  for (const [k, v] of Object.entries(kw)) {
    const ok = (k === 'training' && typeof v === 'boolean') || (k === 'mask' && v === null);
    if (!ok) throw new ValueError(`${where}: node call argument ${show({ [k]: v })} is not supported (only training: true / false)`);
  }
  return kw.training as boolean | undefined;
}

function parseRef(v: unknown, where: string): Ref & { training?: boolean } {
  if (isObject(v) && v.class_name === '__keras_tensor__' && isObject(v.config)) return parseRef(v.config.keras_history, where);
  if (!Array.isArray(v) || typeof v[0] !== 'string' || !Number.isInteger(v[1]) || !Number.isInteger(v[2])) {
    throw new ValueError(`${where}: a node input must be [layer, node, tensor] or a __keras_tensor__, got ${show(v)}`);
  }
  return { layer: v[0], node: v[1] as number, tensor: v[2] as number, training: parseKwargs(v[3], where) };
}

/** One inbound node, Keras 2 (a list of refs, call arguments on each) or Keras 3 ({ args, kwargs }). */
function parseNode(node: unknown, where: string): NodeSpec {
  if (Array.isArray(node)) {
    const refs = node.map((r) => parseRef(r, where));
    return { refs, training: refs[0]?.training };
  }
  if (isObject(node) && Array.isArray(node.args)) {
    const args = node.args.length === 1 && Array.isArray(node.args[0]) ? node.args[0] : node.args;
    return { refs: args.map((r) => parseRef(r, where)), training: parseKwargs(node.kwargs, where) };
  }
  throw new ValueError(`${where}: an inbound node must be a list or { args, kwargs }, got ${show(node)}`);
}

function parseEntry(e: unknown, where: string, functional: boolean): LayerSpec {
  if (!isObject(e) || typeof e.class_name !== 'string' || !isObject(e.config)) {
    throw new ValueError(`${where}: each layer must be { class_name, config }, got ${show(e)}`);
  }
  for (const k of Object.keys(e)) {
    if (!ENTRY_KEYS.includes(k)) throw new ValueError(`${where}: layer entry key '${k}' = ${show(e[k])} is not supported`);
  }
  const name = checkName(e.name ?? e.config.name, 'layer name', where);
  const nodes = functional ? e.inbound_nodes : [];
  if (!Array.isArray(nodes)) throw new ValueError(`${where}: layer '${name}' needs inbound_nodes, got ${show(nodes)}`);
  return { name, className: e.class_name, config: e.config, inbound: nodes.map((n) => parseNode(n, `${where}: layer '${name}'`)) };
}

/** Splits off the input-shape keys of a config: the sample shape (batch dimension must be null). */
function takeInputShape(cfg: Json, where: string): { rest: Json; shape: number[] | null } {
  const { batch_input_shape: bis, batch_shape: bs, input_shape: is, ...rest } = cfg;
  const batch = bis ?? bs;
  if (batch === undefined && is === undefined) return { rest, shape: null };
  const full = batch ?? [null, ...(is as unknown[])];
  if (!Array.isArray(full) || full.length < 2 || full[0] !== null || full.slice(1).some((d) => !Number.isInteger(d) || (d as number) <= 0)) {
    throw new ValueError(`${where}: input shape ${show(full)} is not supported (batch dimension null, then positive integers)`);
  }
  return { rest, shape: full.slice(1) as number[] };
}

/** An InputLayer's config: the sample shape; every other key must be its default. */
function inputLayerShape(spec: LayerSpec, where: string): number[] {
  const label = `${where}: InputLayer '${spec.name}'`;
  const { rest, shape } = takeInputShape(spec.config, label);
  if (!shape) throw new ValueError(`${label}: needs batch_input_shape or batch_shape`);
  for (const [k, v] of Object.entries(rest)) {
    const dtype = isObject(v) && isObject(v.config) ? v.config.name : v;
    const ok = k === 'name' || (k === 'dtype' && dtype === 'float32') || ((k === 'sparse' || k === 'ragged' || k === 'optional') && v === false);
    if (!ok) throw new ValueError(`${label}: config key '${k}' = ${show(v)} is not supported`);
  }
  return shape;
}

/** Builds a model from a validated-JSON topology. Layers are created here; weights by the first apply. */
export function buildModel(topology: unknown, where: string, made: Layer[]): Model {
  const { className, config } = modelConfigOf(topology, where);
  return buildEntry(className, config, where, made);
}

/** A model (top-level or nested) from its class name and config. */
function buildEntry(className: string, config: Json, where: string, made: Layer[]): Model {
  checkModelKeys(className, config, where);
  if (!Array.isArray(config.layers)) throw new ValueError(`${where}: ${className} config needs a layers array, got ${show(config.layers)}`);
  const name = config.name === undefined ? undefined : checkName(config.name, 'model name', where);
  const model = className === 'Sequential' ? buildSequential(config, name, where, made) : buildFunctional(config, name, where, made);
  // Keras 3 writes the model's own `trainable`; false freezes every layer.
  if (config.trainable === false) model.trainable = false;
  return model;
}

/** A layer of a model: a registered class, or a nested model. */
function makeLayer(spec: LayerSpec, config: Json, where: string, made: Layer[], extra: Json = {}): Layer {
  if (MODEL_CLASSES.includes(spec.className)) return buildEntry(spec.className, spec.config, where, made);
  const layer = layerFromConfig(spec.className, config, where, extra);
  made.push(layer);
  return layer;
}

const MODEL_KEYS: Record<string, string[]> = {
  Sequential: ['name', 'layers', 'trainable', 'dtype', 'build_input_shape'],
  Functional: ['name', 'layers', 'input_layers', 'output_layers', 'trainable', 'dtype'],
};

/** Model-level config keys: each known one is honoured, any other is an error. */
function checkModelKeys(className: string, config: Json, where: string): void {
  const allowed = MODEL_KEYS[className === 'Sequential' ? 'Sequential' : 'Functional'];
  for (const [k, v] of Object.entries(config)) {
    if (!allowed.includes(k)) throw new ValueError(`${where}: ${className} config key '${k}' = ${show(v)} is not supported`);
  }
  if (config.trainable !== undefined && typeof config.trainable !== 'boolean') throw new ValueError(`${where}: ${className} trainable must be a boolean, got ${show(config.trainable)}`);
  const dtype = isObject(config.dtype) && isObject(config.dtype.config) ? config.dtype.config.name : config.dtype;
  if (dtype !== undefined && dtype !== null && dtype !== 'float32') throw new ValueError(`${where}: ${className} dtype ${show(config.dtype)} is not supported (float32)`);
}

function buildSequential(config: Json, name: string | undefined, where: string, made: Layer[]): Model {
  const specs = (config.layers as unknown[]).map((e) => parseEntry(e, where, false));
  checkUnique(specs, where);
  let shape: number[] | null = null;
  const layers: Layer[] = [];
  specs.forEach((s, i) => {
    if (s.className === 'InputLayer') {
      if (i !== 0) throw new ValueError(`${where}: InputLayer '${s.name}' must be the first layer of a Sequential`);
      shape = inputLayerShape(s, where);
      return;
    }
    const nested = MODEL_CLASSES.includes(s.className);
    const { rest, shape: sh } = nested ? { rest: s.config, shape: null } : takeInputShape(s.config, `${where}: ${s.className} '${s.name}'`);
    const first = sh && layers.length === 0 && shape === null;
    if (first) shape = sh;
    // The first layer's batch_input_shape is its inputShape (Keras's Sequential convention).
    const layer = makeLayer(s, rest, where, made, first ? { inputShape: sh } : {});
    if (nested && layers.length === 0 && shape === null) shape = ((layer as Model).input.shape.slice(1) as number[]);
    layers.push(layer);
  });
  if (shape === null && config.build_input_shape !== undefined) shape = takeInputShape({ batch_input_shape: config.build_input_shape }, where).shape;
  if (shape === null) throw new ValueError(`${where}: the Sequential has no input shape (batch_input_shape on its first layer or an InputLayer)`);
  const seq = new Sequential({ layers, ...(name ? { name } : {}) });
  seq.build(shape);
  return seq;
}

function checkUnique(specs: readonly LayerSpec[], where: string): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new ValueError(`${where}: two layers are named '${s.name}'`);
    seen.add(s.name);
  }
}

function parseIo(v: unknown, what: string, where: string): Ref[] {
  if (!Array.isArray(v)) throw new ValueError(`${where}: ${what} must be a list, got ${show(v)}`);
  // Keras 3 writes a single input as [name, 0, 0] rather than [[name, 0, 0]].
  const list = typeof v[0] === 'string' ? [v] : v;
  return list.map((r) => parseRef(r, `${where}: ${what}`));
}

function buildFunctional(config: Json, name: string | undefined, where: string, made: Layer[]): Model {
  const specs = (config.layers as unknown[]).map((e) => parseEntry(e, where, true));
  checkUnique(specs, where);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const layerOf = new Map<string, Layer>();
  const outputs = new Map<string, SymbolicTensor[]>();
  const visiting = new Set<string>();
  const nodeOutputs = (layerName: string, node: number): SymbolicTensor[] => {
    const key = `${layerName}\u0000${node}`;
    const done = outputs.get(key);
    if (done) return done;
    const spec = byName.get(layerName);
    if (!spec) throw new ValueError(`${where}: a node reads layer '${layerName}', which the model does not have`);
    if (visiting.has(key)) throw new ValueError(`${where}: the graph has a cycle through layer '${layerName}'`);
    visiting.add(key);
    let outs: SymbolicTensor[];
    if (spec.className === 'InputLayer') {
      outs = [input({ shape: inputLayerShape(spec, where), name: spec.name })];
    } else {
      const inbound = spec.inbound[node];
      if (!inbound) throw new ValueError(`${where}: layer '${layerName}' has no node ${node}`);
      const args = inbound.refs.map(resolve);
      let layer = layerOf.get(spec.name);
      if (!layer) {
        layer = makeLayer(spec, takeInputShape(spec.config, `${where}: ${spec.className} '${spec.name}'`).rest, where, made);
        layerOf.set(spec.name, layer);
      }
      outs = layer.applySymbolic(args);
      fixNodeTraining(outs, inbound.training);
    }
    visiting.delete(key);
    outputs.set(key, outs);
    return outs;
  };
  const resolve = (r: Ref): SymbolicTensor => {
    const t = nodeOutputs(r.layer, r.node)[r.tensor];
    if (!t) throw new ValueError(`${where}: layer '${r.layer}' has no output ${r.tensor} (node ${r.node})`);
    return t;
  };
  const ins = parseIo(config.input_layers, 'input_layers', where).map(resolve);
  const outs = parseIo(config.output_layers, 'output_layers', where).map(resolve);
  return new Model({ inputs: ins, outputs: outs, ...(name ? { name } : {}) });
}
