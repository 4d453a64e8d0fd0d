/**
 * Untrusted model files (issue 10) and the 0.1 artifacts' validation (issue 13 item 5): every
 * malformed input is a clear error naming the entry point, the weight or layer and the mismatch,
 * raised before anything is allocated; a load that fails after building leaves memory() at its
 * baseline.
 */
import { describe, expect, it, vi } from 'vitest';
import * as wg from '../../src/index.js';

function mlp(tag: string): wg.Model {
  const inp = wg.input({ shape: [3], name: `${tag}_in` });
  const d1 = wg.layers.dense({ units: 4, name: `${tag}_d1`, kernelInitializer: { name: 'glorotUniform', seed: 1 } });
  const bn = wg.layers.batchNormalization({ name: `${tag}_bn` });
  const d2 = wg.layers.dense({ units: 2, name: `${tag}_d2`, kernelInitializer: { name: 'glorotUniform', seed: 2 } });
  return wg.model({ inputs: inp, outputs: d2.apply(bn.apply(d1.apply(inp))), name: `${tag}_model` });
}

type Json = Record<string, any>;

/** TF.js-format artifacts as plain JSON (so tests can corrupt them) plus the bytes. */
async function tfjsArtifacts(tag: string): Promise<{ topo: Json; specs: Json[]; data: ArrayBuffer }> {
  const m = mlp(tag);
  const a = await m.save();
  for (const w of m.weights) w.dispose();
  return { topo: JSON.parse(JSON.stringify(a.modelTopology)), specs: JSON.parse(JSON.stringify(a.weightSpecs)), data: a.weightData };
}

/** wgnn 0.1's own format, written as 0.1.0's model.save() wrote it. */
async function v01Artifacts(tag: string): Promise<{ topo: Json; specs: Json[]; data: ArrayBuffer }> {
  const m = mlp(tag);
  const nodes = m.layers.map((l, i) => ({ className: l.className, config: l.getConfig(), input: i === 0 ? `${tag}_in` : `${m.layers[i - 1].name}#${i - 1}`, name: `${l.name}#${i}` }));
  const topo = { format: 'wgnn-layers-model', version: 1, className: 'Model', name: m.name, input: { name: `${tag}_in`, shape: [3] }, nodes, output: nodes[nodes.length - 1].name };
  const values = await Promise.all(m.weights.map((w) => w.data()));
  const data = new Float32Array(values.reduce((s, v) => s + v.length, 0));
  let at = 0;
  for (const v of values) { data.set(v, at); at += v.length; }
  const specs = m.weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' }));
  for (const w of m.weights) w.dispose();
  return { topo: JSON.parse(JSON.stringify(topo)), specs, data: data.buffer };
}

/** Expects `loadModel` / `loadLayersModel` to reject with `re` and memory() to be unchanged. */
async function refuses(load: () => Promise<unknown>, re: RegExp): Promise<void> {
  const before = wg.memory();
  await expect(load()).rejects.toThrow(re);
  expect(wg.memory()).toEqual(before);
}

const withNaN = (data: ArrayBuffer, at: number): ArrayBuffer => {
  const f = new Float32Array(data.slice(0));
  f[at] = NaN;
  return f.buffer;
};

describe('loadModel validates 0.1 artifacts before allocating (issue 13 item 5)', () => {
  it('still loads valid 0.1 artifacts, bit-exact, with a deprecation note', async () => {
    const { topo, specs, data } = await v01Artifacts('v01ok');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const m = await wg.loadModel({ modelTopology: topo, weightSpecs: specs, weightData: data } as never);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/wgnn 0\.1 artifacts .* deprecated: model\.save\(\) now writes the TF\.js layers format/));
    warn.mockRestore();
    const bytes = new Float32Array(data);
    expect(await m.weights[0].data()).toEqual(bytes.subarray(0, 12));
  });

  const cases: [string, (a: { topo: Json; specs: Json[]; data: ArrayBuffer }) => unknown, RegExp][] = [
    ['a wrong version', (a) => { a.topo.version = 2; }, /loadModel: wgnn-layers-model version 2 is not supported/],
    ['dtype int32', (a) => { a.specs[0].dtype = 'int32'; }, /loadModel: weight 'v01_d1\/kernel' has dtype "int32"/],
    ['an unknown weight name', (a) => { a.specs[1].name = 'v01_d1/other'; }, /loadModel: .*missing \[v01_d1\/bias\], unexpected \[v01_d1\/other\]/],
    ['NaN weights', (a) => { a.data = withNaN(a.data, 5); }, /loadModel: weight 'v01_d1\/kernel' holds NaN at flat index 5/],
    ['truncated data', (a) => { a.data = a.data.slice(0, a.data.byteLength - 8); }, /loadModel: weightData holds \d+ bytes but the weight specs declare \d+ \(truncated\)/],
    ['a resized kernel', (a) => { a.specs[0].shape = [3, 5]; a.specs[1].shape = [1]; }, /loadModel: weight 'v01_d1\/kernel' has shape \[3,5\] in the file but the model's is \[3,4\]/],
    ['missing weightSpecs', (a) => { a.specs = undefined as never; }, /loadModel: weightSpecs must be an array, got undefined/],
  ];
  for (const [what, corrupt, re] of cases) {
    it(`${what} is a clear error and allocates nothing`, async () => {
      const a = await v01Artifacts('v01');
      corrupt(a);
      await refuses(() => wg.loadModel({ modelTopology: a.topo, weightSpecs: a.specs, weightData: a.data } as never), re);
    });
  }
});

describe('loadLayersModel refuses untrusted files clearly, leaving memory at its baseline', () => {
  const cases: [string, (a: { topo: Json; specs: Json[]; data: ArrayBuffer }) => unknown, RegExp][] = [
    ['a __proto__ key anywhere in the JSON', (a) => { a.topo = JSON.parse(JSON.stringify(a.topo).replace('"units":4', '"units":4,"__proto__":{"polluted":1}')); }, /key '__proto__' at \$\.config\.layers\[1\]\.config/],
    ['a layer named constructor', (a) => { a.topo.config.layers[1].name = 'constructor'; a.topo.config.layers[1].config.name = 'constructor'; }, /layer name 'constructor' is not allowed/],
    ['a weight named __proto__', (a) => { a.specs[0].name = '__proto__'; }, /weight name '__proto__' is not allowed/],
    ['a declared size over the limit', () => undefined, /declare 168 bytes of float32 values, over the limit of 100 \(option maxBytes\)/],
    ['truncated weight data', (a) => { a.data = a.data.slice(0, 40); }, /weightData holds 40 bytes but the weight specs declare 168 \(truncated\)/],
    ['NaN weights', (a) => { a.data = withNaN(a.data, 13); }, /weight 'val_d1\/bias' holds NaN at flat index 1/],
    ['a wrong dtype', (a) => { a.specs[2].dtype = 'string'; }, /weight 'val_bn\/gamma' has dtype "string"/],
    ['duplicate layer names', (a) => { a.topo.config.layers[3].name = 'val_d1'; a.topo.config.layers[3].config.name = 'val_d1'; }, /two layers are named 'val_d1'/],
    ['a cycle in the graph', (a) => { a.topo.config.layers[1].inbound_nodes = [[['val_bn', 0, 0, {}]]]; }, /the graph has a cycle through layer 'val_(d1|bn)'/],
    ['an unknown layer class', (a) => { a.topo.config.layers[2].class_name = 'LayerNormalization'; }, /unknown layer class 'LayerNormalization' \(supported: Dense, BatchNormalization, Activation, Dropout/],
    ['an unknown config key', (a) => { a.topo.config.layers[1].config.kernel_size = 3; }, /Dense 'val_d1': config key 'kernel_size' = 3: not a key wgnn knows/],
    ['a kernel constraint', (a) => { a.topo.config.layers[1].config.kernel_constraint = { class_name: 'MaxNorm', config: { max_value: 2 } }; }, /Dense 'val_d1': config key 'kernel_constraint' = \{"class_name":"MaxNorm".*not supported by wgnn \(only null\)/],
    ['a missing weight (fails after the build)', (a) => { a.specs.splice(1, 1); a.data = new Float32Array(new Float32Array(a.data).filter((_, i) => i < 12 || i >= 16)).buffer; }, /missing \[val_d1\/bias\], unexpected \[\]/],
    ['an unexpected weight (fails after the build)', (a) => { a.specs.push({ name: 'val_d3/kernel', shape: [1], dtype: 'float32' }); a.data = new Float32Array([...new Float32Array(a.data), 1]).buffer; }, /missing \[\], unexpected \[val_d3\/kernel\]/],
  ];
  for (const [what, corrupt, re] of cases) {
    it(`${what}`, async () => {
      const a = await tfjsArtifacts('val');
      corrupt(a);
      const maxBytes = what.includes('limit') ? 100 : undefined;
      await refuses(() => wg.loadLayersModel({ modelTopology: a.topo, weightSpecs: a.specs, weightData: a.data } as never, { maxBytes }), re);
    });
  }

  it('a valid file after all those loads and predicts (the cases above are the only difference)', async () => {
    const a = await tfjsArtifacts('val');
    const m = await wg.loadLayersModel({ modelTopology: a.topo, weightSpecs: a.specs, weightData: a.data } as never);
    expect(m.weights.map((w) => w.name)).toEqual(a.specs.map((s) => s.name));
  });
});

describe('arbitrary corruption of a model file', () => {
  /** Every [path, value] leaf of a JSON value. */
  function leaves(v: unknown, path: (string | number)[] = []): (string | number)[][] {
    if (Array.isArray(v)) return [path, ...v.flatMap((x, i) => leaves(x, [...path, i]))];
    if (v !== null && typeof v === 'object') return [path, ...Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]))];
    return [path];
  }

  function setAt(root: Json, path: (string | number)[], value: unknown): Json {
    if (path.length === 0) return value as Json;
    let o: any = root;
    for (const p of path.slice(0, -1)) o = o[p];
    if (value === undefined) {
      if (Array.isArray(o)) o.splice(path[path.length - 1] as number, 1);
      else delete o[path[path.length - 1]];
    } else o[path[path.length - 1]] = value;
    return root;
  }

  it('is a ValueError or ShapeError (never a TypeError), or loads; memory() is back to its baseline either way', async () => {
    const fc = await import('fast-check');
    const base = await tfjsArtifacts('fuzz');
    const file = { topo: base.topo, specs: base.specs };
    const paths = leaves(file);
    const replacement = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer({ min: -3, max: 9 }), fc.string({ maxLength: 4 }),
      fc.constant([]), fc.constant({}), fc.constant('__proto__'), fc.constant([null, 3]), fc.constant(1e12));
    await fc.assert(fc.asyncProperty(fc.nat({ max: paths.length - 1 }), replacement, async (at, value) => {
      const f = setAt(structuredClone(file), paths[at], value);
      const before = wg.memory();
      try {
        const m = await wg.loadLayersModel({ modelTopology: f?.topo, weightSpecs: f?.specs, weightData: base.data } as never);
        for (const w of m.weights) w.dispose();
      } catch (e) {
        if (!(e instanceof wg.ValueError || e instanceof wg.ShapeError)) throw e;
      }
      expect(wg.memory()).toEqual(before);
    }), { numRuns: 300, seed: 7 });
  });
});
