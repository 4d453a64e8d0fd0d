/**
 * Where models come from and go to. Everywhere: artifacts, `{ load }`, URLs through
 * `options.fetch` with `onProgress`, several groups and shards, unsupported destinations. In Node:
 * folder paths and file:// URLs both ways (TF.js-written files read by wgnn, wgnn's files decoded by
 * TF.js), shard paths that leave the folder. In Chromium: IndexedDB and localStorage in TF.js's
 * layout (each library reads what the other wrote), downloads, `File`s of a file input.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { bitsByName, fixedInput, tfArtifacts, tfLoad } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const inBrowser = typeof window !== 'undefined';

function net(tag: string): wg.Model {
  return wg.sequential({ name: `${tag}_model`, layers: [
    wg.layers.dense({ units: 5, inputShape: [3], activation: 'relu', name: `${tag}_d1`, kernelInitializer: { name: 'glorotUniform', seed: 5 } }),
    wg.layers.batchNormalization({ name: `${tag}_bn` }),
    wg.layers.dense({ units: 2, name: `${tag}_d2`, kernelInitializer: { name: 'glorotUniform', seed: 6 } }),
  ] });
}

/** model.json + three shards in two groups, weights in reverse order, served from memory. */
async function shardedFiles(m: wg.Model): Promise<Map<string, ArrayBuffer | string>> {
  const a = await m.save();
  const bytes = new Uint8Array(a.weightData);
  let at = 0;
  const chunks = a.weightSpecs.map((s) => {
    const n = 4 * s.shape.reduce((x, y) => x * y, 1);
    const c = bytes.slice(at, at + n);
    at += n;
    return { spec: s, c };
  }).reverse();
  const half = Math.ceil(chunks.length / 2);
  const groups = [chunks.slice(0, half), chunks.slice(half)];
  const files = new Map<string, ArrayBuffer | string>();
  const manifest = groups.map((g, gi) => {
    const all = new Uint8Array(g.reduce((s, x) => s + x.c.length, 0));
    let o = 0;
    for (const x of g) { all.set(x.c, o); o += x.c.length; }
    // Group 0 split into two shards at an arbitrary byte (shards are a byte stream, not per weight).
    const cuts = gi === 0 ? [0, 10, all.length] : [0, all.length];
    const paths = cuts.slice(1).map((end, i) => {
      const p = `group${gi + 1}-shard${i + 1}of${cuts.length - 1}.bin`;
      files.set(p, all.slice(cuts[i], end).buffer);
      return p;
    });
    return { paths, weights: g.map((x) => x.spec) };
  });
  files.set('model.json', JSON.stringify({ modelTopology: a.modelTopology, format: 'layers-model', weightsManifest: manifest }));
  return files;
}

function fakeFetch(files: Map<string, ArrayBuffer | string>, base: string, seen: string[]) {
  return async (url: string): Promise<Response> => {
    seen.push(url);
    const body = files.get(url.slice(base.length));
    return body === undefined ? new Response('nope', { status: 404, statusText: 'Not Found' }) : new Response(body);
  };
}

describe('sources everywhere', () => {
  it('a URL through options.fetch: model.json, then two groups / three shards relative to it, with onProgress', async () => {
    const m = net('url');
    const files = await shardedFiles(m);
    const seen: string[] = [];
    const progress: number[] = [];
    const base = 'https://models.example/dir/';
    const same = await wg.loadLayersModel(`${base}model.json`, { fetch: fakeFetch(files, base, seen), onProgress: (f) => progress.push(f) });
    expect(seen).toEqual([`${base}model.json`, `${base}group1-shard1of2.bin`, `${base}group1-shard2of2.bin`, `${base}group2-shard1of1.bin`]);
    expect(progress).toEqual([0.25, 0.5, 0.75, 1]);
    expect(await bitsByName(same.weights)).toEqual(await bitsByName(m.weights));
  });

  it('a URL whose shard is missing (404) or truncated is an error naming it', async () => {
    const files = await shardedFiles(net('url404'));
    const base = 'https://models.example/x/';
    const cut = new Map(files);
    cut.delete('group2-shard1of1.bin');
    await expect(wg.loadLayersModel(`${base}model.json`, { fetch: fakeFetch(cut, base, []) })).rejects.toThrow(/group2-shard1of1\.bin' answered 404/);
    cut.set('group2-shard1of1.bin', new ArrayBuffer(3));
    await expect(wg.loadLayersModel(`${base}model.json`, { fetch: fakeFetch(cut, base, []) })).rejects.toThrow(/weightData holds \d+ bytes but the weight specs declare \d+ \(truncated\)/);
  });

  it('shard paths that leave the folder are refused before any fetch', async () => {
    const files = await shardedFiles(net('esc'));
    const json = JSON.parse(files.get('model.json') as string);
    json.weightsManifest[0].paths[0] = '../secret.bin';
    files.set('model.json', JSON.stringify(json));
    const seen: string[] = [];
    await expect(wg.loadLayersModel('https://m.example/a/model.json', { fetch: fakeFetch(files, 'https://m.example/a/', seen) })).rejects.toThrow(/shard path '..\/secret.bin' leaves the model's folder/);
    expect(seen).toEqual(['https://m.example/a/model.json']);
  });

  it('an object with load() and an artifacts object', async () => {
    const m = net('obj');
    const a = await m.save();
    const viaLoad = await wg.loadLayersModel({ load: async () => a });
    expect(await bitsByName(viaLoad.weights)).toEqual(await bitsByName(m.weights));
  });

  it('an unsupported destination is an error, never a silent no-op', async () => {
    const m = net('dest');
    await expect(m.save('ftp://host/x')).rejects.toThrow(/save: unsupported destination 'ftp:\/\/host\/x'/);
    await expect(m.save('indexeddb://')).rejects.toThrow(/destination 'indexeddb:\/\/' has no model name/);
  });

  it('http(s):// destinations POST model.json and model.weights.bin as TF.js does; a refusal is an error', async () => {
    const m = net('post');
    const got: { url: string; init?: RequestInit }[] = [];
    await m.save('https://up.example/models', { fetch: async (url, init) => { got.push({ url, init }); return new Response('ok'); } });
    const form = got[0].init?.body as FormData;
    expect(got[0].url).toBe('https://up.example/models');
    expect(got[0].init?.method).toBe('POST');
    const json = JSON.parse(await (form.get('model.json') as Blob).text());
    expect(json.weightsManifest[0].paths).toEqual(['./model.weights.bin']);
    const bin = await (form.get('model.weights.bin') as Blob).arrayBuffer();
    const back = await wg.loadLayersModel({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin });
    expect(await bitsByName(back.weights)).toEqual(await bitsByName(m.weights));
    await expect(m.save('https://up.example/models', { fetch: async () => new Response('no', { status: 500, statusText: 'Server Error' }) })).rejects.toThrow(/answered 500/);
  });
});

if (!inBrowser) {
  describe('Node: folders and file:// URLs', () => {
    const mods = async () => {
      const [fsName, osName, pathName, urlName] = ['node:fs/promises', 'node:os', 'node:path', 'node:url'];
      return {
        fs: (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises'),
        os: (await import(/* @vite-ignore */ osName)) as typeof import('node:os'),
        path: (await import(/* @vite-ignore */ pathName)) as typeof import('node:path'),
        url: (await import(/* @vite-ignore */ urlName)) as typeof import('node:url'),
      };
    };

    it("save('file://dir') and save(dir) write model.json + weights.bin that TF.js decodes and wgnn reloads bit-exactly", async () => {
      const { fs, os, path, url } = await mods();
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wgnn-io-'));
      const m = net('file');
      await m.save(url.pathToFileURL(path.join(dir, 'a')).href);
      await m.save(path.join(dir, 'b'));
      for (const sub of ['a', 'b']) {
        const json = JSON.parse(await fs.readFile(path.join(dir, sub, 'model.json'), 'utf8'));
        const bin = await fs.readFile(path.join(dir, sub, 'weights.bin'));
        const ref = await tfLoad({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(bin).buffer } as wg.ModelArtifacts);
        const x = fixedInput(4, 3);
        expect(await m.predict(wg.tensor(x)).data()).toBeAllClose((await (ref.predict(tf.tensor(x)) as tf.Tensor).data()) as Float32Array, { rtol: 1e-5, atol: 1e-6 });
      }
      for (const src of [path.join(dir, 'a', 'model.json'), url.pathToFileURL(path.join(dir, 'b', 'model.json')).href, path.join(dir, 'a')]) {
        const same = await wg.loadLayersModel(src);
        expect(await bitsByName(same.weights)).toEqual(await bitsByName(m.weights));
      }
      await fs.rm(dir, { recursive: true });
    });

    it('reads files TF.js wrote (model.json + shards) from a path, and refuses ../ shards and unwritable folders', async () => {
      const { fs, os, path } = await mods();
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wgnn-io-'));
      const ref = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2], name: 'tfw_d' }), tf.layers.batchNormalization({ name: 'tfw_bn' })] });
      const a = await tfArtifacts(ref);
      await fs.writeFile(path.join(dir, 'w.bin'), new Uint8Array(a.weightData as ArrayBuffer));
      await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: a.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: a.weightSpecs }] }));
      const m = await wg.loadLayersModel(path.join(dir, 'model.json'));
      const x = fixedInput(3, 2);
      expect(await m.predict(wg.tensor(x)).data()).toBeAllClose((await (ref.predict(tf.tensor(x)) as tf.Tensor).data()) as Float32Array, { rtol: 1e-5, atol: 1e-6 });
      await fs.writeFile(path.join(dir, 'evil.json'), JSON.stringify({ modelTopology: a.modelTopology, weightsManifest: [{ paths: ['sub/../../w.bin'], weights: a.weightSpecs }] }));
      const before = wg.memory();
      await expect(wg.loadLayersModel(path.join(dir, 'evil.json'))).rejects.toThrow(/shard path 'sub\/..\/..\/w.bin' leaves the model's folder/);
      expect(wg.memory()).toEqual(before);
      await fs.writeFile(path.join(dir, 'file'), 'x');
      await expect(net('unwritable').save(path.join(dir, 'file', 'sub'))).rejects.toThrow(/cannot write the model to/);
      await expect(wg.loadLayersModel(path.join(dir, 'none.json'))).rejects.toThrow(/cannot read/);
      await fs.rm(dir, { recursive: true });
    });

    it('browser destinations are clear errors in Node', async () => {
      const m = net('nodebrowser');
      await expect(m.save('downloads://x')).rejects.toThrow(/document \(downloads:\/\/\) is not available here/);
      await expect(m.save('localstorage://x')).rejects.toThrow(/localStorage is not available here/);
    });
  });
} else {
  describe('Chromium: IndexedDB, localStorage, downloads and File inputs', () => {
    it('indexeddb://: TF.js reads what wgnn wrote and wgnn reads what TF.js wrote', async () => {
      const m = net('idb');
      await m.save('indexeddb://wgnn-io-test');
      const ref = await tf.loadLayersModel('indexeddb://wgnn-io-test');
      const x = fixedInput(4, 3);
      expect(await m.predict(wg.tensor(x)).data()).toBeAllClose((await (ref.predict(tf.tensor(x)) as tf.Tensor).data()) as Float32Array, { rtol: 1e-5, atol: 1e-6 });
      await ref.save('indexeddb://wgnn-io-test-tf');
      const back = await wg.loadLayersModel('indexeddb://wgnn-io-test-tf');
      expect(await bitsByName(back.weights)).toEqual(await bitsByName(m.weights));
    });

    it('localstorage://: both directions', async () => {
      const m = net('ls');
      await m.save('localstorage://wgnn-io-test');
      const ref = await tf.loadLayersModel('localstorage://wgnn-io-test');
      await ref.save('localstorage://wgnn-io-test-tf');
      const back = await wg.loadLayersModel('localstorage://wgnn-io-test-tf');
      expect(await bitsByName(back.weights)).toEqual(await bitsByName(m.weights));
    });

    it('downloads:// saves name.json + name.weights.bin; those files load back from an <input type=file> File list', async () => {
      const m = net('dl');
      const clicked: { name: string; href: string }[] = [];
      const click = HTMLAnchorElement.prototype.click;
      HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) { clicked.push({ name: this.download, href: this.href }); };
      try {
        await m.save('downloads://mymodel');
      } finally {
        HTMLAnchorElement.prototype.click = click;
      }
      expect(clicked.map((c) => c.name)).toEqual(['mymodel.json', 'mymodel.weights.bin']);
      const files = await Promise.all(clicked.map(async (c) => new File([await (await fetch(c.href)).blob()], c.name)));
      const back = await wg.loadLayersModel(files);
      expect(await bitsByName(back.weights)).toEqual(await bitsByName(m.weights));
      const ref = await tf.loadLayersModel(tf.io.browserFiles([files[0], files[1]]));
      const x = fixedInput(2, 3);
      expect(await back.predict(wg.tensor(x)).data()).toBeAllClose((await (ref.predict(tf.tensor(x)) as tf.Tensor).data()) as Float32Array, { rtol: 1e-5, atol: 1e-6 });
    });

    it('a folder path is a clear error in the browser', async () => {
      await expect(net('brpath').save('/tmp/x')).rejects.toThrow(/only Node can write/);
    });
  });
}
