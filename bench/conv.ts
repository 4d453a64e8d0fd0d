/**
 * Convolution throughput (`WGNN_BENCH_ONLY=conv`): GFLOP/s of the conv2d forward (bias + relu
 * fused), input gradient and filter gradient, each one dispatch of shaders/conv2d.wgsl or
 * shaders/depthwise.wgsl, at [8,56,56,64] 3x3x64x64 'same', [8,112,112,32] depthwise 3x3 'same',
 * [8,28,28,128] 1x1x128x256. FLOPs = 2 * (output elements of the GEMM) * (its reduction length),
 * the same count for all three passes. Each full convolution is timed beside shaders/matmul.wgsl
 * on its forward GEMM ([B*H*W, kh*kw*inC] x [kh*kw*inC, outC]); `ratioToMatmul` = conv GFLOP/s /
 * matmul GFLOP/s (PERF.md: forward >= 0.6, gradients >= 0.4). Timed as the other kernel rows:
 * record, submit, await `onSubmittedWorkDone()`, one warm-up, median of `reps`, interleaved.
 * `tfConvRows` times TF.js 4.22's kernels for the same three passes in the same page (tfjs-webgpu
 * and tfjs-cpu): `tf.fused.conv2d` / `tf.fused.depthwiseConv2d` with bias + relu, and the
 * backprop kernels its own gradients run (Conv2DBackpropInput / Conv2DBackpropFilter and the
 * depthwise pair) through `tf.engine().runKernel`.
 */
import type { Conv2dInfo } from '../src/backend/backend.js';
import type { GpuContext, GpuHandle } from '../src/backend/webgpu/context.js';
import * as conv from '../src/backend/webgpu/conv.js';
import { matmul } from '../src/backend/webgpu/matmul.js';
import type { BenchRow } from './main.js';
import { tf, tfSync, useTf } from './tfjs_peers.js';

interface ConvCase {
  readonly name: string;
  readonly info: Conv2dInfo;
  readonly depthwise: boolean;
}

function info(batch: number, size: number, inC: number, k: number, outC: number, multiplier = 1): Conv2dInfo {
  const pad = (k - 1) >> 1;
  return {
    batch, inH: size, inW: size, inC, outH: size, outW: size, outC, kH: k, kW: k, strideH: 1, strideW: 1,
    dilationH: 1, dilationW: 1, padTop: pad, padLeft: pad, channelsFirst: false, multiplier,
  };
}

export const CONV_CASES: readonly ConvCase[] = [
  { name: 'conv2d [8,56,56,64] 3x3x64x64 same', info: info(8, 56, 64, 3, 64), depthwise: false },
  { name: 'depthwise [8,112,112,32] 3x3 same', info: info(8, 112, 32, 3, 32), depthwise: true },
  { name: 'conv2d [8,28,28,128] 1x1x128x256', info: info(8, 28, 128, 1, 256), depthwise: false },
];

/** Multiply-adds x 2 of one pass (all three passes do the same count). */
export function convFlops(c: ConvCase): number {
  const { batch, outH, outW, outC, kH, kW, inC } = c.info;
  return 2 * batch * outH * outW * outC * kH * kW * (c.depthwise ? 1 : inC);
}

/** The three passes of a case as dispatch-recording closures (outputs released at once). */
function passes(ctx: GpuContext, c: ConvCase, h: { x: GpuHandle; f: GpuHandle; b: GpuHandle; dy: GpuHandle }) {
  const { info: i } = c;
  const run = (make: () => GpuHandle) => () => ctx.release(make());
  return c.depthwise
    ? {
        forward: run(() => conv.depthwiseConv2d(ctx, h.x, h.f, i, h.b, 'relu')),
        gradInput: run(() => conv.depthwiseGradInput(ctx, h.dy, h.f, i)),
        gradFilter: run(() => conv.depthwiseGradFilter(ctx, h.x, h.dy, i)),
      }
    : {
        forward: run(() => conv.conv2d(ctx, h.x, h.f, i, h.b, 'relu')),
        gradInput: run(() => conv.conv2dGradInput(ctx, h.dy, h.f, i)),
        gradFilter: run(() => conv.conv2dGradFilter(ctx, h.x, h.dy, i)),
      };
}

type Timer = (ctx: GpuContext, runs: readonly (() => void)[]) => Promise<{ ms: number; dispatches: number }[]>;
type Random = (ctx: GpuContext, n: number, label: string) => GpuHandle;

/** One row per case and pass: ms, GFLOP/s, dispatches. */
export async function convRows(ctx: GpuContext, adapter: string, timeAll: Timer, random: Random): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of CONV_CASES) {
    const { batch, inH, inW, inC, outH, outW, outC, kH, kW } = c.info;
    const h = {
      x: random(ctx, batch * inH * inW * inC, 'bench.x'),
      f: random(ctx, kH * kW * inC * (c.depthwise ? c.info.multiplier : outC), 'bench.f'),
      b: random(ctx, outC, 'bench.b'),
      dy: random(ctx, batch * outH * outW * outC, 'bench.dy'),
    };
    const p = passes(ctx, c, h);
    const names = ['forward', 'gradInput', 'gradFilter'] as const;
    const [m, k, n] = [batch * outH * outW, kH * kW * inC, outC];
    const gemm = c.depthwise ? null : { a: random(ctx, m * k, 'bench.a'), b: random(ctx, k * n, 'bench.b') };
    const runs = names.map((name) => p[name]);
    if (gemm) runs.push(() => ctx.release(matmul(ctx, { handle: gemm.a, shape: [m, k] }, { handle: gemm.b, shape: [k, n] }, false, false, [m, n])));
    const times = await timeAll(ctx, runs);
    const matmulGflops = gemm ? convFlops(c) / (times[3].ms * 1e6) : null;
    names.forEach((name, i) => {
      const gflops = convFlops(c) / (times[i].ms * 1e6);
      rows.push({
        name: `${c.name} ${name}`, shape: [batch, inH, inW, inC], axis: null, backend: 'wgnn-webgpu', adapter,
        ms: times[i].ms, copyMs: null, ratioToCopy: null, dispatches: times[i].dispatches, gflops,
        matmulGflops, ratioToMatmul: matmulGflops === null ? null : gflops / matmulGflops,
      });
    });
    for (const v of [...Object.values(h), ...(gemm ? [gemm.a, gemm.b] : [])]) ctx.release(v);
  }
  return rows;
}

type PeerTimer = (run: () => void, sync: () => Promise<void>) => Promise<{ ms: number; reps: number; inner: number }>;

/** TF.js's three passes of a case on its current backend, each disposing its output. */
function tfPasses(c: ConvCase): { forward: () => void; gradInput: () => void; gradFilter: () => void; done: () => void } {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW, multiplier } = c.info;
  const x = tf.randomUniform([batch, inH, inW, inC], -1, 1) as tf.Tensor4D;
  const f = tf.randomUniform([kH, kW, inC, c.depthwise ? multiplier : outC], -1, 1) as tf.Tensor4D;
  const b = tf.randomUniform([outC], -1, 1) as tf.Tensor1D;
  const dy = tf.randomUniform([batch, outH, outW, outC], -1, 1) as tf.Tensor4D;
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
  const kernel = (name: string, inputs: Record<string, tf.Tensor>, extra: Record<string, unknown>) => () =>
    (tf.engine().runKernel(name, inputs, { ...attrs, ...extra } as never) as tf.Tensor).dispose();
  const forward = () =>
    (c.depthwise
      ? tf.fused.depthwiseConv2d({ x, filter: f, strides: 1, pad: 'same', bias: b, activation: 'relu' })
      : tf.fused.conv2d({ x, filter: f, strides: 1, pad: 'same', bias: b, activation: 'relu' })).dispose();
  return c.depthwise
    ? {
        forward,
        gradInput: kernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, { inputShape: x.shape }),
        gradFilter: kernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { filterShape: f.shape }),
        done: () => tf.dispose([x, f, b, dy]),
      }
    : {
        forward,
        gradInput: kernel('Conv2DBackpropInput', { dy, filter: f }, { inputShape: x.shape }),
        gradFilter: kernel('Conv2DBackpropFilter', { x, dy }, { filterShape: f.shape }),
        done: () => tf.dispose([x, f, b, dy]),
      };
}

/** One row per case, pass and TF.js backend (tfjs-webgpu only when it started): ms, GFLOP/s. */
export async function tfConvRows(tfWebgpu: { ok: boolean; adapter: string }, time: PeerTimer, log: (s: string) => void): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const backend of tfWebgpu.ok ? ['webgpu', 'cpu'] as const : ['cpu'] as const) {
    await useTf(backend);
    for (const c of CONV_CASES) {
      const p = tfPasses(c);
      for (const name of ['forward', 'gradInput', 'gradFilter'] as const) {
        const t = await time(p[name], tfSync);
        const gflops = convFlops(c) / (t.ms * 1e6);
        rows.push({
          name: `${c.name} ${name}`, shape: [c.info.batch, c.info.inH, c.info.inW, c.info.inC], axis: null,
          backend: `tfjs-${backend}`, adapter: backend === 'webgpu' ? tfWebgpu.adapter : 'cpu', ms: t.ms, copyMs: null,
          ratioToCopy: null, dispatches: null, gflops, reps: t.reps,
        });
        log(`tfjs-${backend} ${c.name} ${name}: ${t.ms.toFixed(1)} ms, ${gflops.toFixed(2)} GFLOP/s`);
      }
      p.done();
    }
  }
  return rows;
}
