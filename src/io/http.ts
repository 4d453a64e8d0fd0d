/**
 * URL sources (fetch model.json, then its shards relative to it) and `http(s)://` destinations
 * (a multipart POST with `model.json` and `model.weights.bin`, as TF.js's browserHTTPRequest).
 */
import { ValueError } from '../core/errors.js';
import type { LoadOptions, ModelArtifacts, SaveOptions } from './artifacts.js';
import { artifactsFromJson, modelJsonFor, parseModelJson } from './model_json.js';

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

function fetchOf(f: Fetch | undefined, where: string): Fetch {
  const fn = f ?? (typeof globalThis.fetch === 'function' ? globalThis.fetch.bind(globalThis) : undefined);
  if (!fn) throw new ValueError(`${where}: no fetch here; pass options.fetch`);
  return fn;
}

async function get(fetch: Fetch, url: string, where: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new ValueError(`${where}: fetching '${url}' failed (${(e as Error).message})`);
  }
  if (!res.ok) throw new ValueError(`${where}: fetching '${url}' answered ${res.status} ${res.statusText}`);
  return res;
}

/** Loads model.json from `url` and its shards from the same folder. */
export async function loadFromUrl(url: string, options: LoadOptions, where: string): Promise<ModelArtifacts> {
  const fetch = fetchOf(options.fetch, where);
  const base = typeof location !== 'undefined' ? new URL(url, location.href) : new URL(url);
  const json = parseModelJson(await (await get(fetch, base.href, where)).text(), where);
  return artifactsFromJson(json, async (p) => (await get(fetch, new URL(p, base).href, where)).arrayBuffer(), options, where);
}

/** POSTs the model as multipart form data; a non-2xx answer is an error. */
export async function saveToUrl(a: ModelArtifacts, url: string, options: SaveOptions, where: string): Promise<void> {
  const fetch = fetchOf(options.fetch, where);
  const body = new FormData();
  body.append('model.json', new Blob([JSON.stringify(modelJsonFor(a, './model.weights.bin'))], { type: 'application/json' }), 'model.json');
  body.append('model.weights.bin', new Blob([a.weightData], { type: 'application/octet-stream' }), 'model.weights.bin');
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body });
  } catch (e) {
    throw new ValueError(`${where}: POST to '${url}' failed (${(e as Error).message})`);
  }
  if (!res.ok) throw new ValueError(`${where}: POST to '${url}' answered ${res.status} ${res.statusText}`);
}
