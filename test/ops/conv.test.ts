/**
 * conv2d and depthwiseConv2d: forward and gradients against TF.js 4.22 (`tf.conv2d`,
 * `tf.depthwiseConv2d`, `tf.grads`, on its pure-JS CPU backend) and against wgnn's float64 CPU
 * reference; the reference's own gradients against central finite differences. NCHW is checked by
 * transposing to and from the NHWC case. Tolerances: float32 accumulation over K terms of size
 * <= 1 has error ~K * 2^-24 relative to the sum's scale; rtol 1e-4 / atol 1e-4 covers every K
 * here (K <= 64 * 9 = 576) with a margin on CPU and WebGPU alike.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { fusedConv2d, type Conv2dOptions } from '../../src/ops/conv.js';
import { f64Many, scalarF64 } from '../reference.js';
import { Rng, backendName } from '../util.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TOL = { rtol: 1e-4, atol: 1e-4 };
const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

interface Case {
  readonly name: string;
  readonly x: [number, number, number, number];
  readonly f: [number, number, number, number];
  readonly o: Conv2dOptions;
  readonly depthwise?: boolean;
}

const CASES: Case[] = [
  { name: '3x3 same stride 1, 3 -> 5 channels', x: [2, 5, 6, 3], f: [3, 3, 3, 5], o: { padding: 'same' } },
  { name: '3x3 same stride 2, odd input (TF bottom/right pad)', x: [1, 7, 7, 3], f: [3, 3, 3, 4], o: { strides: 2, padding: 'same' } },
  { name: '2x2 same stride 2, even input', x: [1, 6, 8, 1], f: [2, 2, 1, 3], o: { strides: 2, padding: 'same' } },
  { name: '5x5 valid stride 3, non-square', x: [2, 11, 9, 5], f: [5, 3, 5, 2], o: { strides: [3, 2] } },
  { name: '7x7 same stride 2', x: [1, 9, 10, 3], f: [7, 7, 3, 4], o: { strides: 2, padding: 'same' } },
  { name: '1x1 64 -> 64 (vec4 path)', x: [2, 4, 3, 64], f: [1, 1, 64, 64], o: {} },
  { name: '3x3 same 64 -> 8 (vec4 path)', x: [1, 5, 5, 64], f: [3, 3, 64, 8], o: { padding: 'same' } },
  // 108 filter rows and 12 channels: the 8x8 filter-gradient blocks' second quads run past both edges.
  { name: '3x3 same stride 2, 12 -> 12 (vec4 path, partial 8x8 blocks)', x: [2, 9, 8, 12], f: [3, 3, 12, 12], o: { strides: 2, padding: 'same' } },
  { name: 'dilation 2 same', x: [1, 8, 7, 4], f: [3, 3, 4, 4], o: { dilations: 2, padding: 'same' } },
  // forwardWide4's 8x16 blocks: 63 pixels by 20 channels (a 64x32 tile: the bottom pixel group and
  // the last channel groups run past the edges), and 400 pixels by 36 channels (four 128x64 tiles).
  { name: '3x3 same 8 -> 20 (wide vec4 forward, partial blocks)', x: [2, 9, 7, 8], f: [3, 3, 8, 20], o: { padding: 'same' } },
  { name: '1x1 4 -> 36 over 20x20 (wide vec4 forward, several tiles)', x: [1, 20, 20, 4], f: [1, 1, 4, 36], o: {} },
  { name: 'explicit padding', x: [1, 5, 6, 2], f: [3, 2, 2, 3], o: { padding: [[1, 2], [0, 1]] } },
  // Filter-gradient reduction splits: none (one output row), and 67 rows in 34 splits of 2 (last of 1).
  { name: 'one output row (unsplit filter gradient)', x: [1, 1, 6, 3], f: [1, 3, 3, 2], o: {} },
  { name: '67 output rows (uneven split filter gradient)', x: [1, 67, 3, 2], f: [1, 2, 2, 3], o: {} },
  { name: 'depthwise 3x3 same stride 2, multiplier 2', x: [2, 7, 6, 3], f: [3, 3, 3, 2], o: { strides: 2, padding: 'same' }, depthwise: true },
  { name: 'depthwise 5x3 valid, 5 channels', x: [1, 8, 6, 5], f: [5, 3, 5, 1], o: {}, depthwise: true },
  { name: 'depthwise dilation 2, 64 channels', x: [1, 6, 6, 64], f: [3, 3, 64, 1], o: { dilations: 2, padding: 'same' }, depthwise: true },
  { name: 'depthwise 3x3 same stride 2, 4 channels (vec4 path)', x: [2, 7, 6, 4], f: [3, 3, 4, 1], o: { strides: 2, padding: 'same' }, depthwise: true },
];

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

interface Data {
  x: Float64Array;
  f: Float64Array;
  /** Weights of the scalar loss sum(y * w). */
  w: Float64Array;
  yShape: number[];
}

function tfConv(c: Case, x: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D {
  const strides = (c.o.strides ?? 1) as number | [number, number];
  const dil = (c.o.dilations ?? 1) as number | [number, number];
  const pad = (c.o.padding ?? 'valid') as 'valid' | 'same' | [[0, 0], [number, number], [number, number], [0, 0]];
  const p = Array.isArray(pad) ? [[0, 0], pad[0], pad[1], [0, 0]] as [[0, 0], [number, number], [number, number], [0, 0]] : pad;
  if (c.depthwise) return tf.depthwiseConv2d(x, f, strides, p as 'same', 'NHWC', dil);
  return tf.conv2d(x, f, strides, p, 'NHWC', dil);
}

/** TF.js 4.22 has no gradient for dilations > 1: those cases check y only against it. */
const tfHasGrads = (c: Case): boolean => (c.o.dilations ?? 1) === 1;

/** y, dx, df from TF.js for the loss sum(conv(x, f) * w) (y only when TF.js has no gradient). */
function theirs(c: Case, d: Data): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(d.x), c.x);
    const f = tf.tensor4d(Float32Array.from(d.f), c.f);
    const w = tf.tensor(Float32Array.from(d.w), d.yShape);
    const y = tfConv(c, x, f);
    if (!tfHasGrads(c)) return [y.dataSync() as Float32Array];
    const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tfConv(c, a as tf.Tensor4D, b as tf.Tensor4D), w)))([x, f]);
    return [y, dx, df].map((t) => t.dataSync() as Float32Array);
  });
}

/** y, dx, df from wgnn (NHWC results, whatever layout ran). */
function ours(c: Case, d: Data, nchw: boolean): wg.Tensor[] {
  return wg.tidy(() => {
    const o = { ...c.o, dataFormat: nchw ? 'NCHW' as const : 'NHWC' as const };
    const toLayout = (t: wg.Tensor): wg.Tensor => (nchw ? wg.transpose(t, NHWC_TO_NCHW) : t);
    const back = (t: wg.Tensor): wg.Tensor => (nchw ? wg.transpose(t, NCHW_TO_NHWC) : t);
    const x = toLayout(wg.tensor(d.x, c.x));
    const f = wg.tensor(d.f, c.f);
    const w = toLayout(wg.tensor(d.w, d.yShape));
    const conv = (a: wg.Tensor, b: wg.Tensor): wg.Tensor => (c.depthwise ? wg.depthwiseConv2d(a, b, o) : wg.conv2d(a, b, o));
    const y = conv(x, f);
    const [dx, df] = wg.grads((a, b) => wg.sum(wg.mul(conv(a, b), w)))([x, f]);
    return [back(y), back(dx), df];
  });
}

function data(c: Case, seed: number): Data {
  const r = new Rng(seed);
  const yShape = wg.tidy(() => {
    const conv = c.depthwise ? wg.depthwiseConv2d : wg.conv2d;
    return conv(wg.zeros(c.x), wg.zeros(c.f), c.o).shape.slice();
  });
  return { x: r.uniform(size(c.x), -1, 1), f: r.uniform(size(c.f), -1, 1), w: r.uniform(size(yShape), -1, 1), yShape };
}

describe('conv2d / depthwiseConv2d', () => {
  for (const [i, c] of CASES.entries()) {
    for (const nchw of [false, true]) {
      if (nchw && i % 3 !== 0 && !c.depthwise) continue;
      const vsTf = tfHasGrads(c) ? 'y, dx, dfilter match TF.js' : 'y matches TF.js, dx and dfilter';
      it(`${c.name} ${nchw ? 'NCHW' : 'NHWC'}: ${vsTf} match float64`, async () => {
        const d = data(c, 10 + i);
        const got = ours(c, d, nchw);
        const want = theirs(c, d);
        const ref = f64Many(() => ours(c, d, false));
        expect(got[0].shape).toEqual(d.yShape);
        for (let k = 0; k < 3; k++) {
          const v = await got[k].data();
          if (k < want.length) expect(v).toBeAllClose(want[k], TOL);
          expect(v).toBeAllClose(ref[k], TOL);
        }
        wg.dispose(got);
      });
    }
  }

  it.each([1, 7, 11, 13])('the float64 reference gradients of case %i match central finite differences', (i) => {
    const c = CASES[i];
    const d = data(c, 3);
    const [, dx, df] = f64Many(() => ours(c, d, false));
    const conv = c.depthwise ? wg.depthwiseConv2d : wg.conv2d;
    const loss = (xv: Float64Array, fv: Float64Array): number =>
      scalarF64(c.x, (x) => wg.sum(wg.mul(conv(x, wg.tensor(fv, c.f), c.o), wg.tensor(d.w, d.yShape))))(xv);
    const h = 1e-6;
    for (const k of [0, 17, Math.floor(size(c.x) / 2), size(c.x) - 1]) {
      const p = Float64Array.from(d.x); p[k] += h;
      const m = Float64Array.from(d.x); m[k] -= h;
      expect(dx[k]).toBeCloseTo((loss(p, d.f) - loss(m, d.f)) / (2 * h), 6);
    }
    for (const k of [0, Math.floor(size(c.f) / 3), size(c.f) - 1]) {
      const p = Float64Array.from(d.f); p[k] += h;
      const m = Float64Array.from(d.f); m[k] -= h;
      expect(df[k]).toBeCloseTo((loss(d.x, p) - loss(d.x, m)) / (2 * h), 6);
    }
  });
});

const ACTS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh'] as const;

function tfAct(a: (typeof ACTS)[number], t: tf.Tensor): tf.Tensor {
  return a === 'linear' ? t : a === 'relu' ? tf.relu(t) : a === 'relu6' ? tf.relu6(t) : a === 'sigmoid' ? tf.sigmoid(t) : tf.tanh(t);
}

describe('fused conv + bias + activation', () => {
  for (const depthwise of [false, true]) {
    for (const act of ACTS) {
      it(`${depthwise ? 'depthwise' : 'conv2d'} + bias + ${act}: y and grads (x, filter, bias) match TF.js`, async () => {
        const c: Case = { name: '', x: [2, 6, 5, 4], f: [3, 3, 4, depthwise ? 2 : 8], o: { strides: 2, padding: 'same' }, depthwise };
        const d = data(c, 40);
        const r = new Rng(41);
        // Scaled so that relu6 clips on both sides and sigmoid / tanh leave their linear range.
        const x = d.x.map((v) => v * 4);
        const bias = r.uniform(8, -2, 2);
        const want = tf.tidy(() => {
          const tx = tf.tensor4d(Float32Array.from(x), c.x);
          const tfl = tf.tensor4d(Float32Array.from(d.f), c.f);
          const tb = tf.tensor1d(Float32Array.from(bias));
          const w = tf.tensor(Float32Array.from(d.w), d.yShape);
          const f = (a: tf.Tensor, b: tf.Tensor, e: tf.Tensor): tf.Tensor => tfAct(act, tf.add(tfConv(c, a as tf.Tensor4D, b as tf.Tensor4D), e));
          const gs = tf.grads((a: tf.Tensor, b: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(f(a, b, e), w)))([tx, tfl, tb]);
          return [f(tx, tfl, tb), ...gs].map((t) => t.dataSync() as Float32Array);
        });
        const got = wg.tidy(() => {
          const [tx, tfl, tb, w] = [wg.tensor(x, c.x), wg.tensor(d.f, c.f), wg.tensor(bias, [8]), wg.tensor(d.w, d.yShape)];
          const f = (a: wg.Tensor, b: wg.Tensor, e: wg.Tensor): wg.Tensor => fusedConv2d(a, b, { ...c.o, bias: e, activation: act, depthwise });
          const gs = wg.grads((a, b, e) => wg.sum(wg.mul(f(a, b, e), w)))([tx, tfl, tb]);
          return [f(tx, tfl, tb), ...gs];
        });
        for (let k = 0; k < 4; k++) expect(await got[k].data()).toBeAllClose(want[k], TOL);
        wg.dispose(got);
      });
    }
  }

  it('the fused forward (conv + bias + relu6) is one dispatch on WebGPU', async () => {
    const x = wg.randomUniform([1, 6, 6, 4], { seed: 1 });
    const f = wg.randomUniform([3, 3, 4, 8], { seed: 2 });
    const b = wg.randomUniform([8], { seed: 3 });
    const s0 = wg.backendStats().dispatches;
    const y = fusedConv2d(x, f, { padding: 'same', bias: b, activation: 'relu6' });
    const s1a = wg.backendStats().dispatches;
    const fd = wg.randomUniform([3, 3, 4, 2], { seed: 4 });
    const s1 = wg.backendStats().dispatches;
    const yd = fusedConv2d(x, fd, { padding: 'same', bias: b, activation: 'tanh', depthwise: true });
    const s2 = wg.backendStats().dispatches;
    expect([s1a - s0, s2 - s1]).toEqual(backendName() === 'webgpu' ? [1, 1] : [0, 0]);
    wg.dispose([x, f, fd, b, y, yd]);
  });

  it('the fused backward on WebGPU: act\', bias sum, input gradient, filter gradient (+ sum of its split partials)', async () => {
    const x = wg.randomUniform([2, 6, 6, 4], { seed: 1 });
    const f = wg.randomUniform([3, 3, 4, 8], { seed: 2 });
    const b = wg.randomUniform([8], { seed: 3 });
    const dy = wg.randomUniform([2, 6, 6, 8], { seed: 4 });
    for (const activation of ACTS) {
      const s0 = wg.backendStats().dispatches;
      const g = wg.grads((a, k, c) => fusedConv2d(a, k, { padding: 'same', bias: c, activation }))([x, f, b], dy);
      const n = wg.backendStats().dispatches - s0;
      // 1 forward + (act' unless linear) + bias sum + gradInput + gradFilter; a 3x3x4x8 filter is
      // 18 blocks of 4x4, so its reduction over 12 (image, row) lines is split: partials + one sum.
      expect(n).toBe(backendName() === 'webgpu' ? (activation === 'linear' ? 5 : 6) : 0);
      wg.dispose(g);
    }
    wg.dispose([x, f, b, dy]);
  });
});

describe('conv2d bad input', () => {
  const x = (): wg.Tensor => wg.zeros([1, 5, 5, 3]);
  const f = (): wg.Tensor => wg.zeros([3, 3, 3, 2]);
  const call = (o: Record<string, unknown>, xs = [1, 5, 5, 3], fs = [3, 3, 3, 2]) => () =>
    wg.tidy(() => wg.conv2d(wg.zeros(xs), wg.zeros(fs), o as Conv2dOptions));
  const ctx = /input \[1,5,5,3\], kernel \[3,3,3,2\], strides .*padding .*dataFormat/;
  it.each([
    [{}, [5, 5, 3], undefined, /conv2d: input must have rank 4.*got rank 3 \(input \[5,5,3\]/],
    [{}, [1, 5, 5, 4], undefined, /conv2d: input has 4 channels but the filter expects 3 \(input \[1,5,5,4\], kernel \[3,3,3,2\]/],
    [{}, [1, 2, 5, 3], undefined, /conv2d: the kernel does not fit the padded input: output would be 0x3 \(input \[1,2,5,3\]/],
    [{ strides: 0 }, undefined, undefined, /conv2d: strides must be a positive integer or a pair of them, got 0/],
    [{ strides: [1, 1.5] }, undefined, undefined, /conv2d: strides must be a positive integer.*got \[1,1.5\]/],
    [{ dilations: -1 }, undefined, undefined, /conv2d: dilations must be a positive integer.*got -1/],
    [{ strides: 2, dilations: 2 }, undefined, undefined, /conv2d: strides > 1 together with dilations > 1 is not supported/],
    [{ padding: 'full' }, undefined, undefined, /conv2d: padding must be 'valid', 'same' or \[\[top, bottom\], \[left, right\]\].*got "full"/],
    [{ dataFormat: 'NWHC' }, undefined, undefined, /conv2d: dataFormat must be 'NHWC' or 'NCHW', got "NWHC"/],
    [{ groups: 2 }, undefined, undefined, /conv2d: unknown option 'groups'/],
  ])('rejects %j (input %j, filter %j) with a clear error', (o, xs, fs, msg) => {
    expect(call(o, xs as number[] | undefined, fs as number[] | undefined)).toThrow(msg);
  });
  it('names every parameter, and depthwise names itself', () => {
    expect(call({ padding: 'full' })).toThrow(ctx);
    expect(() => wg.tidy(() => wg.depthwiseConv2d(x(), wg.zeros([3, 3, 4, 1])))).toThrow(/depthwiseConv2d: input has 3 channels but the filter expects 4/);
    expect(() => wg.tidy(() => fusedConv2d(x(), f(), { bias: wg.zeros([3]) }))).toThrow(/conv2d: bias has shape \[3\] but the output has 2 channels/);
  });
});
