/**
 * model.json + shards -> artifacts, for every source that has files (URLs, Node paths, browser
 * `File`s): the JSON is validated and the declared size checked against the limit before any shard
 * is read; shards are read group by group, path by path, and concatenated in that order.
 */
import { ValueError } from '../core/errors.js';
import { DEFAULT_MAX_BYTES, type LoadOptions, type ModelArtifacts, type ModelJson } from './artifacts.js';
import { isObject, show } from './config.js';
import { checkManifest, checkNoProtoKeys, declaredBytes } from './validate.js';

/** Parses model.json text (untrusted). */
export function parseModelJson(text: string, where: string): ModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ValueError(`${where}: model.json is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) throw new ValueError(`${where}: model.json must hold an object, got ${show(json)}`);
  checkNoProtoKeys(json, where);
  if (!isObject(json.modelTopology)) throw new ValueError(`${where}: model.json has no modelTopology object`);
  checkManifest(json.weightsManifest, where);
  return json as unknown as ModelJson;
}

/** Joins byte arrays in order. */
export function concatBytes(parts: readonly ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out.buffer;
}

/** Reads every shard with `read(path)` (progress after each) and returns the artifacts. */
export async function artifactsFromJson(
  json: ModelJson, read: (path: string) => Promise<ArrayBuffer>, options: LoadOptions, where: string,
): Promise<ModelArtifacts> {
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const want = declaredBytes(specs, options.maxBytes ?? DEFAULT_MAX_BYTES, where);
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  const parts: ArrayBuffer[] = [];
  let have = 0;
  options.onProgress?.(paths.length === 0 ? 1 : 1 / (paths.length + 1));
  for (const [i, p] of paths.entries()) {
    const bytes = await read(p);
    have += bytes.byteLength;
    if (have > want) throw new ValueError(`${where}: the shards hold more than the ${want} bytes the manifest declares (at '${p}')`);
    parts.push(bytes);
    options.onProgress?.((i + 2) / (paths.length + 1));
  }
  return {
    modelTopology: json.modelTopology, weightSpecs: specs, weightData: concatBytes(parts),
    ...(json.format === undefined ? {} : { format: json.format }),
    ...(json.generatedBy === undefined ? {} : { generatedBy: json.generatedBy }),
    ...(json.convertedBy === undefined ? {} : { convertedBy: json.convertedBy }),
    ...(json.trainingConfig === undefined ? {} : { trainingConfig: json.trainingConfig }),
  };
}

/** model.json for artifacts whose weights sit in one file `weightsPath`. */
export function modelJsonFor(a: ModelArtifacts, weightsPath: string): ModelJson {
  return {
    modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy ?? null,
    weightsManifest: [{ paths: [weightsPath], weights: a.weightSpecs }],
    ...(a.trainingConfig ? { trainingConfig: a.trainingConfig } : {}),
  };
}
