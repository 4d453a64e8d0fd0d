/**
 * `model.save(destination?, options?)`: the model in the TF.js layers format, returned as
 * artifacts and, with a destination, written there: `downloads://name`, `indexeddb://name`,
 * `localstorage://name`, `http(s)://...` (POST), or in Node a folder path / `file://` URL.
 * A destination that cannot be written is an error.
 */
import { ValueError } from '../core/errors.js';
import type { Model } from '../models/model.js';
import { FORMAT, type ModelArtifacts, type SaveOptions } from './artifacts.js';
import { saveToDownloads, saveToIndexedDb, saveToLocalStorage } from './browser_stores.js';
import { saveToUrl } from './http.js';
import { isNode, saveToFolder } from './node_files.js';
import { writeTopology } from './topology_write.js';
import { trainingConfigOf } from './training_config.js';
import { encodeWeights } from './weights.js';
import { savedNames, scopedWeights } from './weight_names.js';

export const GENERATED_BY = 'wgnn 0.2.0';

/** The artifacts of `model` (weights read back from the device). */
export async function modelArtifacts(model: Model, where: string): Promise<ModelArtifacts> {
  const topology = writeTopology(model, where);
  const scoped = scopedWeights(model);
  const names = savedNames(scoped);
  const values = await Promise.all(scoped.map((s) => s.variable.data()));
  const { specs, data } = encodeWeights(scoped.map((s, i) => ({ name: names[i], shape: s.variable.shape, values: values[i] })));
  const tc = trainingConfigOf(model);
  return {
    modelTopology: topology, weightSpecs: specs, weightData: data, format: FORMAT, generatedBy: GENERATED_BY, convertedBy: null,
    ...(tc ? { trainingConfig: tc } : {}),
  };
}

const SCHEMES = ['downloads://', 'indexeddb://', 'localstorage://', 'http://', 'https://', 'file://'];

/** Saves `model`; resolves to its artifacts once the destination (if any) holds them. */
export async function saveModel(model: Model, destination?: string, options: SaveOptions = {}): Promise<ModelArtifacts> {
  const where = `${model.className} '${model.name}': save`;
  if (destination !== undefined) checkDestination(destination, where);
  const a = await modelArtifacts(model, where);
  if (destination === undefined) return a;
  const after = (scheme: string): string => destination.slice(scheme.length);
  if (destination.startsWith('downloads://')) saveToDownloads(a, nonEmpty(after('downloads://'), destination, where), where);
  else if (destination.startsWith('indexeddb://')) await saveToIndexedDb(a, nonEmpty(after('indexeddb://'), destination, where), where);
  else if (destination.startsWith('localstorage://')) saveToLocalStorage(a, nonEmpty(after('localstorage://'), destination, where), where);
  else if (/^https?:\/\//i.test(destination)) await saveToUrl(a, destination, options, where);
  else await saveToFolder(a, destination, where);
  return a;
}

function nonEmpty(name: string, destination: string, where: string): string {
  if (name.length === 0) throw new ValueError(`${where}: destination '${destination}' has no model name`);
  return name;
}

/** Refuses unknown schemes and Node-only destinations outside Node, before any work. */
function checkDestination(d: unknown, where: string): void {
  if (typeof d !== 'string' || d.length === 0) throw new ValueError(`${where}: destination must be a non-empty string, got ${JSON.stringify(d)}`);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(d);
  if (scheme && !SCHEMES.some((s) => d.toLowerCase().startsWith(s))) {
    throw new ValueError(`${where}: unsupported destination '${d}' (use ${SCHEMES.map((s) => `${s}...`).join(', ')} or a folder path in Node)`);
  }
  if ((!scheme || d.startsWith('file://')) && !isNode()) {
    throw new ValueError(`${where}: destination '${d}' is a file path, which only Node can write (in a browser use downloads://, indexeddb:// or localstorage://)`);
  }
}
