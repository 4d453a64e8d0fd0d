/**
 * Browser sources and destinations, in TF.js's layouts so either library reads what the other
 * wrote: IndexedDB (database 'tensorflowjs', store 'models_store' keyed by modelPath, plus
 * 'model_info_store'), localStorage ('tensorflowjs_models/<name>/...', weights in base64),
 * downloads (`<name>.json` + `<name>.weights.bin`) and `<input type="file" multiple>` files.
 */
import { ValueError } from '../core/errors.js';
import type { LoadOptions, ModelArtifacts } from './artifacts.js';
import { artifactsFromJson, modelJsonFor, parseModelJson } from './model_json.js';

const DB = 'tensorflowjs';
const MODELS = 'models_store';
const INFO = 'model_info_store';

function info(a: ModelArtifacts): Record<string, unknown> {
  return {
    dateSaved: new Date(), modelTopologyType: 'JSON', modelTopologyBytes: JSON.stringify(a.modelTopology).length,
    weightSpecsBytes: JSON.stringify(a.weightSpecs).length, weightDataBytes: a.weightData.byteLength,
  };
}

function need<T>(v: T | undefined, what: string, where: string): T {
  if (v === undefined) throw new ValueError(`${where}: ${what} is not available here (a browser destination)`);
  return v;
}

const request = <T>(r: IDBRequest<T>): Promise<T> => new Promise((res, rej) => {
  r.onsuccess = () => res(r.result);
  r.onerror = () => rej(r.error);
});

async function openDb(where: string): Promise<IDBDatabase> {
  const idb = need(globalThis.indexedDB, 'indexedDB', where);
  const open = idb.open(DB, 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore(MODELS, { keyPath: 'modelPath' });
    open.result.createObjectStore(INFO, { keyPath: 'modelPath' });
  };
  return request(open);
}

export async function saveToIndexedDb(a: ModelArtifacts, name: string, where: string): Promise<void> {
  const db = await openDb(where);
  try {
    const tx = db.transaction([INFO, MODELS], 'readwrite');
    const modelArtifactsInfo = info(a);
    tx.objectStore(INFO).put({ modelPath: name, modelArtifactsInfo });
    tx.objectStore(MODELS).put({ modelPath: name, modelArtifacts: a, modelArtifactsInfo });
    await new Promise<void>((res, rej) => {
      tx.oncomplete = () => res();
      tx.onerror = () => rej(new ValueError(`${where}: IndexedDB refused model '${name}' (${String(tx.error)})`));
      tx.onabort = () => rej(new ValueError(`${where}: IndexedDB aborted saving '${name}' (${String(tx.error)})`));
    });
  } finally {
    db.close();
  }
}

export async function loadFromIndexedDb(name: string, where: string): Promise<unknown> {
  const db = await openDb(where);
  try {
    const row = await request(db.transaction(MODELS, 'readonly').objectStore(MODELS).get(name)) as { modelArtifacts?: unknown } | undefined;
    if (!row) throw new ValueError(`${where}: IndexedDB has no model '${name}'`);
    return row.modelArtifacts;
  } finally {
    db.close();
  }
}

const lsKey = (name: string, part: string): string => `tensorflowjs_models/${name}/${part}`;

function toBase64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(s: string): ArrayBuffer {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

export function saveToLocalStorage(a: ModelArtifacts, name: string, where: string): void {
  const ls = need(globalThis.localStorage, 'localStorage', where);
  const parts: [string, string][] = [
    ['info', JSON.stringify(info(a))], ['model_topology', JSON.stringify(a.modelTopology)],
    ['weight_specs', JSON.stringify(a.weightSpecs)], ['weight_data', toBase64(a.weightData)],
    ['model_metadata', JSON.stringify({ format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy, trainingConfig: a.trainingConfig })],
  ];
  try {
    for (const [k, v] of parts) ls.setItem(lsKey(name, k), v);
  } catch (e) {
    for (const [k] of parts) ls.removeItem(lsKey(name, k));
    throw new ValueError(`${where}: localStorage refused model '${name}' (${(e as Error).message}; quota?)`);
  }
}

export function loadFromLocalStorage(name: string, where: string): unknown {
  const ls = need(globalThis.localStorage, 'localStorage', where);
  const get = (k: string): string => {
    const v = ls.getItem(lsKey(name, k));
    if (v === null) throw new ValueError(`${where}: localStorage has no '${lsKey(name, k)}' (model '${name}')`);
    return v;
  };
  const meta = JSON.parse(ls.getItem(lsKey(name, 'model_metadata')) ?? '{}') as Record<string, unknown>;
  return {
    modelTopology: JSON.parse(get('model_topology')), weightSpecs: JSON.parse(get('weight_specs')),
    weightData: fromBase64(get('weight_data')), ...(meta.trainingConfig ? { trainingConfig: meta.trainingConfig } : {}),
  };
}

/** Triggers downloads of `<name>.json` and `<name>.weights.bin`. */
export function saveToDownloads(a: ModelArtifacts, name: string, where: string): void {
  const doc = need(globalThis.document, 'document (downloads://)', where);
  const files: [string, Blob][] = [
    [`${name}.json`, new Blob([JSON.stringify(modelJsonFor(a, `./${name}.weights.bin`))], { type: 'application/json' })],
    [`${name}.weights.bin`, new Blob([a.weightData], { type: 'application/octet-stream' })],
  ];
  for (const [file, blob] of files) {
    const link = doc.createElement('a');
    link.download = file;
    link.href = URL.createObjectURL(blob);
    link.click();
  }
}

/** Loads from the `File`s of a file input: one `.json` and the shards it names (by file name). */
export async function loadFromFiles(files: readonly File[], options: LoadOptions, where: string): Promise<ModelArtifacts> {
  const jsons = files.filter((f) => f.name.endsWith('.json'));
  if (jsons.length !== 1) throw new ValueError(`${where}: expected exactly one .json among the files, got ${jsons.length} (${files.map((f) => f.name).join(', ')})`);
  const json = parseModelJson(await jsons[0].text(), where);
  const byName = new Map(files.map((f) => [f.name, f]));
  return artifactsFromJson(json, async (p) => {
    const f = byName.get(p.split('/').pop() as string);
    if (!f) throw new ValueError(`${where}: model.json needs shard '${p}', which is not among the files (${[...byName.keys()].join(', ')})`);
    return f.arrayBuffer();
  }, options, where);
}
