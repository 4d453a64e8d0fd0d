/**
 * Vite plugin serving the pretrained network of the fine-tuning section from the installed
 * package's own files (nsfwjs 4.4.0's MobileNetV2, a TF.js layers model): `/pretrained/model.json`
 * (the topology and the weights manifest, pointing at the shard below) and
 * `/pretrained/group1-shard1of1.bin` (the weights as bytes). The package ships both as UMD modules
 * (a JSON object, and the shard as a base64 string); they are read with `require` at dev-server
 * start / build time, so the page needs no network beyond its own server. `vite build` emits
 * the same two files.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Plugin } from 'vite';

const PACKAGE = 'nsfwjs';
const DIR = 'dist/models/mobilenet_v2';
const SHARD = 'group1-shard1of1.bin';
/** Where the page fetches model.json (the shard is next to it). */
export const PRETRAINED_URL = '/pretrained/model.json';

interface PackagedModel {
  readonly modelTopology: unknown;
  readonly weightsManifest: readonly { readonly paths: readonly string[]; readonly weights: readonly unknown[] }[];
}

interface Files { readonly json: string; readonly shard: Buffer }

function readPackage(): Files {
  const require = createRequire(import.meta.url);
  // The package's "exports" map hides its model files: find its folder from its main entry.
  const main = require.resolve(PACKAGE);
  const root = main.slice(0, main.lastIndexOf(`${PACKAGE}/`) + PACKAGE.length);
  const model = require(join(root, DIR, 'model.min.js')) as PackagedModel;
  const shard = require(join(root, DIR, 'group1-shard1of1.min.js')) as string;
  if (typeof shard !== 'string' || model.weightsManifest.length !== 1) throw new Error(`pretrained plugin: unexpected files in ${DIR}`);
  const json = JSON.stringify({
    format: 'layers-model',
    generatedBy: 'demo/pretrained_plugin.ts, from the installed package files',
    modelTopology: model.modelTopology,
    weightsManifest: [{ paths: [SHARD], weights: model.weightsManifest[0].weights }],
  });
  return { json, shard: Buffer.from(shard, 'base64') };
}

export function pretrainedPlugin(): Plugin {
  let files: Files | null = null;
  const get = () => (files ??= readPackage());
  return {
    name: 'wgnn-demo-pretrained',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = req.url?.split('?')[0];
        if (path === PRETRAINED_URL) {
          res.setHeader('Content-Type', 'application/json');
          res.end(get().json);
        } else if (path === `/pretrained/${SHARD}`) {
          res.setHeader('Content-Type', 'application/octet-stream');
          res.end(get().shard);
        } else {
          next();
        }
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'pretrained/model.json', source: get().json });
      this.emitFile({ type: 'asset', fileName: `pretrained/${SHARD}`, source: new Uint8Array(get().shard) });
    },
  };
}
