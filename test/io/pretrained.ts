/**
 * The pretrained fixture: nsfwjs 4.4.0's MobileNetV2 (a TF.js layers model, Keras 2 topology,
 * 52 BatchNormalization layers, uint8-quantized weights), read offline from the installed
 * package's own files. The package wraps model.json and the shard as UMD modules (its loader
 * imports them): in Node they are required (CommonJS exports), in the browser imported (they set
 * globals `model` and `group1_shard1of1`). The shard is base64.
 */
import type * as wg from '../../src/index.js';

const DIR = 'node_modules/nsfwjs/dist/models/mobilenet_v2';
const inBrowser = typeof window !== 'undefined';

interface ModelJson { modelTopology: unknown; weightsManifest: { paths: string[]; weights: unknown[] }[] }

function fromBase64(s: string): ArrayBuffer {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

async function modules(): Promise<{ json: ModelJson; shard: string }> {
  if (!inBrowser) {
    const moduleName = 'node:module';
    const pathName = 'node:path';
    const { createRequire } = (await import(/* @vite-ignore */ moduleName)) as typeof import('node:module');
    const path = (await import(/* @vite-ignore */ pathName)) as typeof import('node:path');
    const req = createRequire(import.meta.url);
    const root = path.resolve(process.cwd(), DIR);
    return { json: req(`${root}/model.min.js`) as ModelJson, shard: req(`${root}/group1-shard1of1.min.js`) as string };
  }
  const g = globalThis as unknown as { model?: ModelJson; group1_shard1of1?: string };
  await import(/* @vite-ignore */ `/${DIR}/model.min.js`);
  await import(/* @vite-ignore */ `/${DIR}/group1-shard1of1.min.js`);
  return { json: g.model as ModelJson, shard: g.group1_shard1of1 as string };
}

/** The model as TF.js artifacts (what the package's own loader builds). */
export async function loadNsfwArtifacts(): Promise<wg.ModelArtifacts> {
  const { json, shard } = await modules();
  return {
    modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: fromBase64(shard),
  } as unknown as wg.ModelArtifacts;
}
