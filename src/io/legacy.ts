/**
 * wgnn 0.1's own artifacts (`modelTopology.format: 'wgnn-layers-model'`), still loaded with a
 * deprecation note, under the same validation as the TF.js format: version, node structure, weight
 * specs (dtype, shapes, byte lengths, NaN) and weight names, all before any allocation.
 */
import { ValueError } from '../core/errors.js';
import { input, type Layer, type SymbolicTensor } from '../layers/layer.js';
import { Model } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import { DEFAULT_MAX_BYTES, type LoadOptions } from './artifacts.js';
import { isObject, show, type Json } from './config.js';
import { buildAndBind } from './load.js';
import { layerFromOptions } from './registry.js';
import { checkByteLength, checkName, checkSpecs, checkTopologyIntegers } from './validate.js';
import { decodeWeights } from './weights.js';

let warned = false;

interface LegacyNode { className: string; config: Json; input: string; name: string }

function checkTopology(t: Json, where: string): { nodes: LegacyNode[]; shape: number[] } {
  if (t.version !== 1) throw new ValueError(`${where}: wgnn-layers-model version ${show(t.version)} is not supported (only 1)`);
  if (t.className !== 'Model' && t.className !== 'Sequential') throw new ValueError(`${where}: className must be Model or Sequential, got ${show(t.className)}`);
  const inp = t.input;
  if (!isObject(inp) || !Array.isArray(inp.shape) || inp.shape.some((d) => !Number.isInteger(d) || (d as number) <= 0)) {
    throw new ValueError(`${where}: input must be { name, shape: positive integers }, got ${show(inp)}`);
  }
  checkName(inp.name, 'input name', where);
  if (!Array.isArray(t.nodes)) throw new ValueError(`${where}: nodes must be an array, got ${show(t.nodes)}`);
  for (const n of t.nodes) {
    if (!isObject(n) || typeof n.className !== 'string' || !isObject(n.config) || typeof n.input !== 'string') {
      throw new ValueError(`${where}: each node must be { className, config, input, name }, got ${show(n)}`);
    }
    checkName(n.name, 'node name', where);
  }
  return { nodes: t.nodes as LegacyNode[], shape: inp.shape as number[] };
}

/** Rebuilds a 0.1 model (not compiled). */
export function legacyModel(a: Json, where: string, options: LoadOptions): Model {
  if (!warned) {
    warned = true;
    console.warn(`${where}: these are wgnn 0.1 artifacts (format 'wgnn-layers-model'), deprecated: model.save() now writes the TF.js layers format; save the model again to convert it`);
  }
  const topo = a.modelTopology as Json;
  const { nodes, shape } = checkTopology(topo, where);
  const specs = checkSpecs(a.weightSpecs, where);
  const data = checkByteLength(specs, a.weightData, options.maxBytes ?? DEFAULT_MAX_BYTES, where);
  const weights = decodeWeights(specs, data, where);
  checkTopologyIntegers(topo, weights.reduce((n, w) => n + w.values.length, 0), where);
  return buildAndBind((made) => {
    const first = input({ shape, name: (topo.input as Json).name as string });
    const syms = new Map<string, SymbolicTensor>([[first.name, first]]);
    const layers: Layer[] = [];
    for (const n of nodes) {
      const layer = layerFromOptions(n.className, n.config, where);
      made.push(layer);
      layers.push(layer);
      const src = syms.get(n.input);
      if (!src) throw new ValueError(`${where}: node '${n.name}' reads '${n.input}', which comes later or does not exist`);
      syms.set(n.name, layer.apply(src));
    }
    const out = syms.get(String(topo.output));
    if (!out) throw new ValueError(`${where}: output ${show(topo.output)} is not a node`);
    const name = checkName(topo.name, 'model name', where);
    if (topo.className === 'Model') return new Model({ inputs: first, outputs: out, name });
    const seq = new Sequential({ layers, name });
    seq.build(shape);
    return seq;
  }, weights, where);
}
