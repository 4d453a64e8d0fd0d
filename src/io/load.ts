/**
 * `wg.loadLayersModel(source, options)`: any source to validated artifacts, then a model.
 * Order (so a bad file allocates nothing): JSON checks -> weight specs and byte lengths -> weights
 * decoded on the host (NaN check) -> layers built -> weights bound by name -> values assigned.
 * Any failure after the build disposes every weight created.
 */
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { tidy } from '../core/scope.js';
import type { Variable } from '../core/tensor.js';
import type { Layer } from '../layers/layer.js';
import type { Model } from '../models/model.js';
import { tensor } from '../ops/creation.js';
import { DEFAULT_MAX_BYTES, type LoadOptions, type ModelArtifacts } from './artifacts.js';
import { loadFromFiles, loadFromIndexedDb, loadFromLocalStorage } from './browser_stores.js';
import { isObject, show } from './config.js';
import { loadFromUrl } from './http.js';
import { legacyModel } from './legacy.js';
import { isNode, loadFromFile } from './node_files.js';
import { buildModel } from './topology_read.js';
import { applyTrainingConfig } from './training_config.js';
import { checkByteLength, checkNoProtoKeys, checkSpecs, checkTopologyIntegers } from './validate.js';
import { decodeWeights, type NamedWeight } from './weights.js';
import { bindingKeys, savedNames, scopedWeights } from './weight_names.js';

/** Where a model comes from: a URL / path / file:// URL / indexeddb:// / localstorage://, `File`s, artifacts, or `{ load }`. */
export type ModelSource =
  | string | URL | ModelArtifacts | { load(): Promise<ModelArtifacts> } | readonly File[] | FileList;

const WHERE = 'loadLayersModel';

/** Loads a TF.js layers model (see `ModelSource`); compiled when the file has a trainingConfig. */
export async function loadLayersModel(source: ModelSource, options: LoadOptions = {}): Promise<Model> {
  return modelFromArtifacts(await readSource(source, options, WHERE), WHERE, options);
}

async function readSource(source: ModelSource, options: LoadOptions, where: string): Promise<unknown> {
  if (typeof source === 'string' || source instanceof URL) return readLocation(String(source), options, where);
  const list = typeof FileList !== 'undefined' && source instanceof FileList ? Array.from({ length: source.length }, (_, i) => source.item(i) as File) : source;
  if (Array.isArray(list)) {
    if (typeof File === 'undefined' || !list.every((f) => f instanceof File)) throw new ValueError(`${where}: a list source must hold File objects`);
    return loadFromFiles(list, options, where);
  }
  if (isObject(source) && typeof source.load === 'function' && !('modelTopology' in source)) {
    return (source as { load(): Promise<unknown> }).load();
  }
  return source;
}

function readLocation(s: string, options: LoadOptions, where: string): Promise<unknown> {
  if (s.startsWith('indexeddb://')) return loadFromIndexedDb(s.slice('indexeddb://'.length), where);
  if (s.startsWith('localstorage://')) return Promise.resolve(loadFromLocalStorage(s.slice('localstorage://'.length), where));
  if (/^https?:\/\//i.test(s)) return loadFromUrl(s, options, where);
  if (isNode()) return loadFromFile(s, options, where);
  return loadFromUrl(s, options, where);
}

/** Validated artifacts of either format to a model; `where` names the entry point in errors. */
export async function modelFromArtifacts(a: unknown, where: string, options: LoadOptions = {}): Promise<Model> {
  if (!isObject(a)) throw new ValueError(`${where}: expected model artifacts { modelTopology, weightSpecs, weightData }, got ${show(a)}`);
  checkNoProtoKeys(a.modelTopology, where);
  checkNoProtoKeys(a.weightSpecs, where);
  if (isObject(a.modelTopology) && a.modelTopology.format === 'wgnn-layers-model') {
    return legacyModel(a, where, options);
  }
  const specs = checkSpecs(a.weightSpecs, where);
  const data = checkByteLength(specs, a.weightData, options.maxBytes ?? DEFAULT_MAX_BYTES, where);
  const weights = decodeWeights(specs, data, where);
  checkTopologyIntegers(a.modelTopology, weights.reduce((n, w) => n + w.values.length, 0), where);
  // TF.js reads artifacts.trainingConfig; files from the Keras 2 converter keep Keras's training_config in the topology.
  const tc = a.trainingConfig ?? (isObject(a.modelTopology) ? a.modelTopology.training_config : undefined);
  return buildAndBind((made) => buildModel(a.modelTopology, where, made), weights, where, (m) => applyTrainingConfig(m, tc, where));
}

/** Builds with `build`, binds `weights`, runs `then`; on any error disposes what was created. */
export function buildAndBind(build: (made: Layer[]) => Model, weights: readonly NamedWeight[], where: string, then?: (m: Model) => void): Model {
  const made: Layer[] = [];
  try {
    const model = build(made);
    bindWeights(model, weights, where);
    then?.(model);
    return model;
  } catch (e) {
    for (const l of made) for (const w of l.weights) w.dispose();
    // A typed array too long for this machine: the file's sizes, not a bug here.
    if (e instanceof RangeError) throw new ValueError(`${where}: building the model failed (${e.message})`);
    throw e;
  }
}

/** Matches file weights to the model's variables by name (see weight_names.ts for the spellings accepted). */
function bindWeights(model: Model, weights: readonly NamedWeight[], where: string): void {
  const scoped = scopedWeights(model);
  const byName = bindingKeys(scoped);
  const bound = new Map<Variable, NamedWeight>();
  const unexpected: string[] = [];
  for (const w of weights) {
    const v = byName.get(w.name);
    if (!v || bound.has(v)) unexpected.push(w.name);
    else bound.set(v, w);
  }
  const names = savedNames(scoped);
  const missing = scoped.flatMap((s, i) => (bound.has(s.variable) ? [] : [names[i]]));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new ValueError(`${where}: the weights do not match the model: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
  }
  for (const [v, w] of bound) {
    if (v.shape.length !== w.shape.length || v.shape.some((d, i) => d !== w.shape[i])) {
      throw new ShapeError(`${where}: weight '${w.name}' has shape ${fmtShape(w.shape)} in the file but the model's is ${fmtShape(v.shape)}`);
    }
  }
  tidy(() => {
    for (const [v, w] of bound) v.assign(tensor(w.values, [...w.shape]));
  });
}

/**
 * Rebuilds a model from artifacts: the TF.js layers format (what `model.save()` returns), or
 * wgnn 0.1's own format (deprecated, with a note). Validated as `loadLayersModel` validates files.
 */
export function loadModel(artifacts: ModelArtifacts, options: LoadOptions = {}): Promise<Model> {
  return modelFromArtifacts(artifacts, 'loadModel', options);
}
