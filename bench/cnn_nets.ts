/**
 * Convolutional networks written once as a list of named nodes and built twice, in wgnn and in
 * TF.js 4.22 layers, so both hold the same architecture (and, after `copyWeightsToTf`, the same
 * weights): the MNIST CNN, ResNet-style residual blocks and MobileNetV2 inverted-residual blocks.
 * Used by bench/cnn.ts and by the parity tests (test/models/cnn_parity.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import * as wg from '../src/index.js';

type Act = 'linear' | 'relu' | 'relu6' | 'softmax';

/** One layer of a network; `from` names its inputs (default: the node before it). */
export type NetNode = { readonly name: string; readonly from?: readonly string[] } & (
  | { readonly op: 'conv'; readonly filters: number; readonly kernel: number; readonly strides?: number; readonly bias?: boolean }
  | { readonly op: 'dw'; readonly kernel: number; readonly strides?: number }
  | { readonly op: 'bn' }
  | { readonly op: 'act'; readonly act: Act }
  | { readonly op: 'add' }
  | { readonly op: 'maxpool' }
  | { readonly op: 'gap' }
  | { readonly op: 'flatten' }
  | { readonly op: 'dense'; readonly units: number; readonly act?: Act }
);

export interface NetSpec {
  readonly name: string;
  /** Input shape without the batch axis ([h, w, c]). */
  readonly input: readonly number[];
  readonly nodes: readonly NetNode[];
}

/** conv(8)-BN-ReLU-pool, conv(16)-BN-ReLU-pool, dense(64)-ReLU, dense(10)-softmax (examples/mnist_cnn.ts). */
export function mnistCnnSpec(): NetSpec {
  return { name: 'mnist_cnn', input: [28, 28, 1], nodes: [
    ...convBnAct('c1', 8, 3, 1, 'relu'), { name: 'p1', op: 'maxpool' },
    ...convBnAct('c2', 16, 3, 1, 'relu'), { name: 'p2', op: 'maxpool' },
    { name: 'flat', op: 'flatten' }, { name: 'fc', op: 'dense', units: 64, act: 'relu' }, { name: 'out', op: 'dense', units: 10, act: 'softmax' },
  ] };
}

/** A stem conv-BN-ReLU, then `blocks` residual blocks (conv-BN-ReLU-conv-BN + add + ReLU); optional pooled dense head. */
export function resnetSpec(input: readonly number[], channels: number, blocks: number, head: number | null): NetSpec {
  const nodes: NetNode[] = [...convBnAct('stem', channels, 3, 1, 'relu')];
  let last = 'stem_act';
  for (let b = 0; b < blocks; b++) {
    const p = `res${b}`;
    nodes.push(...convBnAct(`${p}a`, channels, 3, 1, 'relu'), ...convBnAct(`${p}b`, channels, 3, 1, 'linear'));
    nodes.push({ name: `${p}_add`, op: 'add', from: [`${p}b_bn`, last] }, { name: `${p}_out`, op: 'act', act: 'relu' });
    last = `${p}_out`;
  }
  return { name: 'resnet', input, nodes: [...nodes, ...classifier(head)] };
}

/**
 * A stem conv(stride 2)-BN-ReLU6, then MobileNetV2 inverted-residual blocks: 1x1 expand (x6 by
 * default) -BN-ReLU6, 3x3 depthwise -BN-ReLU6, 1x1 project -BN, + the block's input when the
 * stride is 1 and the channels match. `blocks` lists [outChannels, stride].
 */
export function mobilenetSpec(input: readonly number[], stem: number, blocks: readonly (readonly [number, number])[], head: number | null, expand = 6): NetSpec {
  const nodes: NetNode[] = [...convBnAct('stem', stem, 3, 2, 'relu6')];
  let [last, c] = ['stem_act', stem];
  for (const [b, [out, stride]] of blocks.entries()) {
    const p = `ir${b}`;
    nodes.push(...convBnAct(`${p}_expand`, c * expand, 1, 1, 'relu6'));
    nodes.push({ name: `${p}_dw`, op: 'dw', kernel: 3, strides: stride }, { name: `${p}_dw_bn`, op: 'bn' }, { name: `${p}_dw_act`, op: 'act', act: 'relu6' });
    nodes.push(...convBnAct(`${p}_project`, out, 1, 1, 'linear'));
    if (stride === 1 && out === c) nodes.push({ name: `${p}_add`, op: 'add', from: [`${p}_project_bn`, last] });
    last = nodes[nodes.length - 1].name;
    c = out;
  }
  return { name: 'mobilenet', input, nodes: [...nodes, ...classifier(head)] };
}

function convBnAct(p: string, filters: number, kernel: number, strides: number, act: Act): NetNode[] {
  const nodes: NetNode[] = [{ name: p, op: 'conv', filters, kernel, strides, bias: false }, { name: `${p}_bn`, op: 'bn' }];
  return act === 'linear' ? nodes : [...nodes, { name: `${p}_act`, op: 'act', act }];
}

function classifier(classes: number | null): NetNode[] {
  return classes === null ? [] : [{ name: 'gap', op: 'gap' }, { name: 'logits', op: 'dense', units: classes, act: 'softmax' }];
}

/** Walks the nodes in order, each applied to its inputs; the last node is the output. */
function assemble<T>(spec: NetSpec, input: T, layer: (n: NetNode, index: number) => { apply(x: T | T[]): unknown }): T {
  const out = new Map<string, T>();
  let prev = input;
  for (const [i, n] of spec.nodes.entries()) {
    const xs = (n.from ?? []).map((f) => {
      const t = out.get(f);
      if (t === undefined) throw new Error(`${spec.name}: node '${n.name}' reads '${f}', which is not defined before it`);
      return t;
    });
    prev = layer(n, i).apply(xs.length > 0 ? xs : prev) as T;
    out.set(n.name, prev);
  }
  return prev;
}

/**
 * The layer factory (same name in `wg.layers` and `tf.layers`) and options of node `n`; `init`
 * gives its kernel initializer options (wgnn's seeded ones; none for TF.js).
 */
function layerCall(n: NetNode, init: (key: string) => Record<string, unknown>): [string, Record<string, unknown>] {
  const base = { name: n.name };
  const conv = { ...base, padding: 'same' };
  switch (n.op) {
    case 'conv': return ['conv2d', { ...conv, filters: n.filters, kernelSize: n.kernel, strides: n.strides ?? 1, useBias: n.bias ?? true, ...init('kernelInitializer') }];
    case 'dw': return ['depthwiseConv2d', { ...conv, kernelSize: n.kernel, strides: n.strides ?? 1, useBias: false, ...init('depthwiseInitializer') }];
    case 'bn': return ['batchNormalization', base];
    case 'act': return ['activation', { ...base, activation: n.act }];
    case 'add': return ['add', base];
    case 'maxpool': return ['maxPooling2d', { ...base, poolSize: 2 }];
    case 'gap': return ['globalAveragePooling2d', base];
    case 'flatten': return ['flatten', base];
    case 'dense': return ['dense', { ...base, units: n.units, activation: n.act ?? 'linear', ...init('kernelInitializer') }];
    default: return n satisfies never;
  }
}

type Factories<T> = Record<string, (options: Record<string, unknown>) => { apply(x: T | T[]): unknown }>;

/** The network in wgnn; glorot-uniform kernels seeded from `seed` and the node's index. */
export function wgNet(spec: NetSpec, seed = 1): wg.Model {
  const L = wg.layers as unknown as Factories<wg.SymbolicTensor>;
  const input = wg.input({ shape: [...spec.input] });
  const output = assemble<wg.SymbolicTensor>(spec, input, (n, i) => {
    const [factory, options] = layerCall(n, (key) => ({ [key]: { name: 'glorotUniform', seed: seed * 1000 + i } }));
    return L[factory](options);
  });
  return wg.model({ inputs: input, outputs: output, name: spec.name });
}

/** The same network in TF.js layers (weights: TF.js's own until `copyWeightsToTf`). */
export function tfNet(spec: NetSpec): tf.LayersModel {
  const L = tf.layers as unknown as Factories<tf.SymbolicTensor>;
  const input = tf.input({ shape: [...spec.input] });
  const output = assemble<tf.SymbolicTensor>(spec, input, (n) => {
    const [factory, options] = layerCall(n, () => ({}));
    return L[factory](options);
  });
  return tf.model({ inputs: input, outputs: output, name: spec.name });
}

/** Sets every TF.js layer's weights to the wgnn layer of the same name (Keras weight order). */
export async function copyWeightsToTf(from: wg.Model, to: tf.LayersModel): Promise<void> {
  for (const l of from.layers) {
    if (l.weights.length === 0) continue;
    to.getLayer(l.name).setWeights(await Promise.all(l.weights.map(async (w) => tf.tensor(await w.data(), [...w.shape]))));
  }
}
