/**
 * Node file sources and destinations: `dir/model.json` (or a `file://` URL) with its shards read
 * from the same folder (never outside it), and save to a folder as `model.json` + `weights.bin`
 * (what tfjs-node's `file://` handler writes). Node modules are imported by a variable specifier so
 * browser bundles do not pull them in.
 */
import { ValueError } from '../core/errors.js';
import type { LoadOptions, ModelArtifacts } from './artifacts.js';
import { artifactsFromJson, modelJsonFor, parseModelJson } from './model_json.js';

interface NodeFs {
  readFile(p: string): Promise<Uint8Array>;
  readFile(p: string, enc: 'utf8'): Promise<string>;
  writeFile(p: string, data: string | Uint8Array): Promise<void>;
  mkdir(p: string, o: { recursive: boolean }): Promise<unknown>;
  stat(p: string): Promise<{ isDirectory(): boolean }>;
}
interface NodePath { resolve(...p: string[]): string; dirname(p: string): string; join(...p: string[]): string; sep: string }
interface NodeUrl { fileURLToPath(u: string): string }

/** True in Node (read through globalThis: the package's declarations do not assume Node's types). */
export const isNode = (): boolean => typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node === 'string';

async function nodeModules(): Promise<{ fs: NodeFs; path: NodePath; url: NodeUrl }> {
  const [fs, path, url] = ['node:fs/promises', 'node:path', 'node:url'];
  return {
    fs: (await import(/* @vite-ignore */ fs)) as NodeFs,
    path: (await import(/* @vite-ignore */ path)) as NodePath,
    url: (await import(/* @vite-ignore */ url)) as NodeUrl,
  };
}

async function localPath(source: string): Promise<string> {
  const { url } = await nodeModules();
  return source.startsWith('file://') ? url.fileURLToPath(source) : source;
}

const bufferOf = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** Loads `model.json` at a path or file:// URL (a folder means its model.json). */
export async function loadFromFile(source: string, options: LoadOptions, where: string): Promise<ModelArtifacts> {
  const { fs, path } = await nodeModules();
  let file = path.resolve(await localPath(source));
  const isDir = await fs.stat(file).then((s) => s.isDirectory(), () => false);
  if (isDir) file = path.join(file, 'model.json');
  const text = await fs.readFile(file, 'utf8').catch((e: Error) => {
    throw new ValueError(`${where}: cannot read '${file}' (${e.message})`);
  });
  const json = parseModelJson(text, where);
  const dir = path.dirname(file);
  return artifactsFromJson(json, async (p) => {
    const full = path.resolve(dir, p);
    if (!full.startsWith(dir + path.sep)) throw new ValueError(`${where}: shard path '${p}' leaves the model's folder: refused`);
    const bytes = await fs.readFile(full).catch((e: Error) => {
      throw new ValueError(`${where}: cannot read shard '${p}' (${e.message})`);
    });
    return bufferOf(bytes);
  }, options, where);
}

/** Writes `model.json` and `weights.bin` into the folder `dest` (path or file:// URL), creating it. */
export async function saveToFolder(a: ModelArtifacts, dest: string, where: string): Promise<void> {
  const { fs, path } = await nodeModules();
  const dir = path.resolve(await localPath(dest));
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'weights.bin'), new Uint8Array(a.weightData));
    await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(modelJsonFor(a, 'weights.bin')));
  } catch (e) {
    throw new ValueError(`${where}: cannot write the model to '${dir}' (${(e as Error).message})`);
  }
}
