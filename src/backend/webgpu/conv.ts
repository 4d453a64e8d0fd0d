/**
 * 2-D convolutions on WebGPU: shaders/conv2d.wgsl (full convolution, implicit GEMMs with 4x4
 * register blocks; 8x16 for the vec4 forward and 8x8 for the vec4 filter gradient) and shaders/depthwise.wgsl (one invocation per output element). One dispatch
 * per call: the forward fuses bias and activation into its output pass. NHWC and NCHW are both
 * addressed through strides (no transposes). Twins of `../cpu/conv.ts`.
 */
import type { Conv2dInfo, ConvActivation } from '../backend.js';
import { BackendError } from '../../core/errors.js';
import { imageStrides } from '../../core/shape.js';
import { grid, type GpuContext, type GpuHandle } from './context.js';
import { Params } from './params.js';
import { reduce } from './reduce.js';

/** `act` of the shaders' params. */
const ACT_CODES = { linear: 0, relu: 1, relu6: 2, sigmoid: 3, tanh: 4 } as const satisfies Record<ConvActivation, number>;

/** Outputs per workgroup along each GEMM axis (8x8 invocations of 4x4 blocks). */
const TILE = 32;

type Pass = 'forward' | 'gradInput' | 'gradFilter';

function describe(op: string, info: Conv2dInfo): string {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW } = info;
  return `webgpu ${op}: input [${batch},${inH},${inW},${inC}] (NHWC order), kernel ${kH}x${kW}, ` +
    `output [${batch},${outH},${outW},${outC}], strides [${info.strideH},${info.strideW}], ` +
    `dilations [${info.dilationH},${info.dilationW}], ${info.channelsFirst ? 'NCHW' : 'NHWC'}`;
}

/** Every binding within maxStorageBufferBindingSize, every grid axis within the workgroup limit. */
function checkLimits(ctx: GpuContext, op: string, info: Conv2dInfo, filterSize: number, groups: readonly number[]): void {
  const maxBytes = ctx.limits.maxStorageBufferBindingSize;
  const sizes = {
    input: info.batch * info.inH * info.inW * info.inC, output: info.batch * info.outH * info.outW * info.outC,
    filter: filterSize,
  };
  for (const [what, n] of Object.entries(sizes)) {
    if (n * 4 > maxBytes) {
      throw new BackendError(`${describe(op, info)}: the ${what} needs ${n * 4} bytes in one binding, more than maxStorageBufferBindingSize ${maxBytes}`);
    }
  }
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (groups.some((g) => g > max)) {
    throw new BackendError(`${describe(op, info)}: needs workgroups [${groups.join(',')}], more than ${max} per dimension`);
  }
}

function params(info: Conv2dInfo, act: ConvActivation, hasBias: boolean, linesPerSplit = 0): Uint32Array {
  return new Params()
    .u32(info.batch, info.inH, info.inW, info.inC, info.outH, info.outW, info.outC, info.kH, info.kW)
    .u32(info.strideH, info.strideW, info.dilationH, info.dilationW, info.padTop, info.padLeft)
    .u32(ACT_CODES[act], hasBias ? 1 : 0, linesPerSplit, 0, 0)
    .u32(...imageStrides(info.channelsFirst, info.inH, info.inW, info.inC))
    .u32(...imageStrides(info.channelsFirst, info.outH, info.outW, info.outC))
    .words();
}

/** Whether a pass may read vec4s along channels (NHWC, and the channel counts it reads by 4). */
function vec4Entry(pass: Pass, info: Conv2dInfo): boolean {
  if (info.channelsFirst) return false;
  if (pass === 'gradInput') return info.outC % 4 === 0;
  return info.inC % 4 === 0 && info.outC % 4 === 0;
}

/**
 * 4x4 blocks a filter gradient aims for: with fewer (a small filter, a long reduction over the
 * batch) the reduction is split over (image, output row) lines into partial sums, added by one
 * `reduce` after it. At most MAX_SPLITS partial copies of the filter.
 */
const TARGET_BLOCKS = 16384;
const MAX_SPLITS = 64;

/** [splits, linesPerSplit] of a filter gradient computed by `blocks` invocations. */
function filterSplits(info: Conv2dInfo, blocks: number): [number, number] {
  const lines = info.batch * info.outH;
  const want = Math.max(1, Math.min(lines, MAX_SPLITS, Math.ceil(TARGET_BLOCKS / blocks)));
  const per = Math.ceil(lines / want);
  return [Math.ceil(lines / per), per];
}

/**
 * The workgroup of the vec4 forward (`forwardWide4`, 8 pixels x 16 channels per invocation): the
 * fewest invocations across that cover outC (1..8, 16 channels each), the rest of 64 down the
 * pixels, fewer when one image has fewer pixels (a 7x7 map does not need 512-pixel tiles).
 */
function wideTile(pixels: number, channels: number): { TILE_X: number; TILE_Y: number } {
  let x = 1;
  while (x < 8 && 16 * x < channels) x *= 2;
  let y = 64 / x;
  while (y > 1 && 8 * (y / 2) >= pixels) y /= 2;
  return { TILE_X: x, TILE_Y: y };
}

/**
 * One dispatch of shaders/conv2d.wgsl's `pass` (`a`, `b` are the GEMM's operands); a split filter
 * gradient adds one `reduce` of its partial sums.
 */
function conv(
  ctx: GpuContext, pass: Pass, info: Conv2dInfo, a: GpuHandle, b: GpuHandle, bias: GpuHandle | null, act: ConvActivation,
): GpuHandle {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW } = info;
  const [rows, cols, outSize] = {
    forward: [outH * outW, outC, batch * outH * outW * outC],
    gradInput: [inH * inW, inC, batch * inH * inW * inC],
    gradFilter: [kH * kW * inC, outC, kH * kW * inC * outC],
  }[pass];
  const vec = vec4Entry(pass, info);
  const wide = pass === 'forward' && vec ? wideTile(rows, cols) : null;
  // The vec4 filter gradient's invocations own 8x8 blocks (gradFilter8): a 64x64 tile per workgroup.
  const block = pass === 'gradFilter' && vec ? 8 : 4;
  const tile = block * 8;
  const [splits, lines] = pass === 'gradFilter' ? filterSplits(info, Math.ceil(rows / block) * Math.ceil(cols / block)) : [batch, 0];
  const groups = wide
    ? [Math.ceil(cols / (16 * wide.TILE_X)), Math.ceil(rows / (8 * wide.TILE_Y)), batch]
    : [Math.ceil(cols / tile), Math.ceil(rows / tile), splits];
  checkLimits(ctx, `conv2d ${pass}`, info, kH * kW * inC * outC, groups);
  const split = pass === 'gradFilter' && splits > 1;
  const out = ctx.alloc(outSize * (split ? splits : 1), split ? 'conv2d.gradFilter.partial' : `conv2d.${pass}`);
  const entry = wide ? 'forwardWide4' : vec ? (pass === 'gradFilter' ? 'gradFilter8' : `${pass}4`) : pass;
  const bindings = [ctx.uniform(params(info, act, bias !== null, lines), 'conv2d'), a, b, out];
  if (pass === 'forward') bindings.push(bias ?? b);
  ctx.dispatch(`conv2d.${pass}`, ctx.pipeline('conv2d', entry, wide ?? undefined), bindings, [groups[0], groups[1], groups[2]]);
  if (!split) return out;
  const sum = reduce(ctx, 'sum', { handle: out, shape: [splits, outSize] }, [0]);
  ctx.release(out);
  return sum;
}

/**
 * One dispatch of shaders/depthwise.wgsl's `pass`, one invocation per output element (per four
 * channels in NHWC with multiplier 1 and C % 4 == 0); a split filter gradient adds one `reduce`.
 */
function depthwise(
  ctx: GpuContext, pass: Pass, info: Conv2dInfo, a: GpuHandle, b: GpuHandle, bias: GpuHandle | null, act: ConvActivation,
): GpuHandle {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW } = info;
  const n = { forward: batch * outH * outW * outC, gradInput: batch * inH * inW * inC, gradFilter: kH * kW * outC }[pass];
  const vec = !info.channelsFirst && info.multiplier === 1 && inC % 4 === 0;
  const threads = vec ? n / 4 : n;
  const [splits, lines] = pass === 'gradFilter' ? filterSplits(info, threads) : [1, 0];
  const groups = [...grid(threads), splits];
  checkLimits(ctx, `depthwiseConv2d ${pass}`, info, kH * kW * outC, groups);
  const out = ctx.alloc(n * splits, splits > 1 ? 'depthwise.gradFilter.partial' : `depthwise.${pass}`);
  const bindings = [ctx.uniform(params(info, act, bias !== null, lines), 'depthwise'), a, b, out];
  if (pass === 'forward') bindings.push(bias ?? b);
  ctx.dispatch(`depthwise.${pass}`, ctx.pipeline('depthwise', vec ? `${pass}4` : pass), bindings, [groups[0], groups[1], groups[2]]);
  if (splits === 1) return out;
  const sum = reduce(ctx, 'sum', { handle: out, shape: [splits, n] }, [0]);
  ctx.release(out);
  return sum;
}

export function conv2d(ctx: GpuContext, x: GpuHandle, f: GpuHandle, info: Conv2dInfo, bias: GpuHandle | null, act: ConvActivation): GpuHandle {
  return conv(ctx, 'forward', info, x, f, bias, act);
}

export function conv2dGradInput(ctx: GpuContext, dy: GpuHandle, f: GpuHandle, info: Conv2dInfo): GpuHandle {
  return conv(ctx, 'gradInput', info, dy, f, null, 'linear');
}

export function conv2dGradFilter(ctx: GpuContext, x: GpuHandle, dy: GpuHandle, info: Conv2dInfo): GpuHandle {
  return conv(ctx, 'gradFilter', info, x, dy, null, 'linear');
}

export function depthwiseConv2d(
  ctx: GpuContext, x: GpuHandle, f: GpuHandle, info: Conv2dInfo, bias: GpuHandle | null, act: ConvActivation,
): GpuHandle {
  return depthwise(ctx, 'forward', info, x, f, bias, act);
}

export function depthwiseGradInput(ctx: GpuContext, dy: GpuHandle, f: GpuHandle, info: Conv2dInfo): GpuHandle {
  return depthwise(ctx, 'gradInput', info, dy, f, null, 'linear');
}

export function depthwiseGradFilter(ctx: GpuContext, x: GpuHandle, dy: GpuHandle, info: Conv2dInfo): GpuHandle {
  return depthwise(ctx, 'gradFilter', info, x, dy, null, 'linear');
}

/** dz = dy * act'(z) from y = act(z): one elementwise dispatch (shaders/conv2d.wgsl `activationGrad`). */
export function convActivationGrad(ctx: GpuContext, dy: GpuHandle, y: GpuHandle, info: Conv2dInfo, act: ConvActivation): GpuHandle {
  const n = info.batch * info.outH * info.outW * info.outC;
  const groups = grid(n);
  checkLimits(ctx, 'conv activation gradient', info, 0, groups);
  const out = ctx.alloc(n, 'conv2d.activationGrad');
  ctx.dispatch('conv2d.activationGrad', ctx.pipeline('conv2d', 'activationGrad'),
    [ctx.uniform(params(info, act, false), 'conv2d'), dy, y, out], groups);
  return out;
}
