/**
 * 2-D convolutions on the CPU (plain loops, the reference): full and depthwise, forward with the
 * fused bias + activation epilogue, and the input and filter gradients. Twins of
 * shaders/conv2d.wgsl and shaders/depthwise.wgsl.
 */
import type { Conv2dInfo, ConvActivation } from '../backend.js';
import { imageStrides } from '../../core/shape.js';
import { alloc, type Arr } from './arrays.js';

/** Element strides [batch, row, column, channel] of an activation with `c` channels. */
function convStrides(info: Conv2dInfo, h: number, w: number, c: number): [number, number, number, number] {
  return imageStrides(info.channelsFirst, h, w, c);
}

/** The fused epilogue: act(v). */
export function activate(act: ConvActivation, v: number): number {
  switch (act) {
    case 'linear':
      return v;
    case 'relu':
      return Math.max(v, 0);
    case 'relu6':
      return Math.min(Math.max(v, 0), 6);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'tanh':
      return Math.tanh(v);
    default:
      act satisfies never;
      throw new Error(`internal: unknown conv activation ${String(act)}`);
  }
}

/** One term of a convolution sum: x offset and filter index of a tap. */
type Tap = (xOff: number, kh: number, kw: number, o: number, visit: (xi: number, fi: number) => void) => void;

/** Full convolution: every input channel feeds output channel o. */
function fullTaps(info: Conv2dInfo, xsC: number): Tap {
  return (xOff, kh, kw, o, visit) => {
    for (let ic = 0; ic < info.inC; ic++) visit(xOff + ic * xsC, ((kh * info.kW + kw) * info.inC + ic) * info.outC + o);
  };
}

/** Depthwise: output channel o = c * multiplier + m reads input channel c only. */
function depthwiseTaps(info: Conv2dInfo, xsC: number): Tap {
  const mult = info.multiplier;
  return (xOff, kh, kw, o, visit) => {
    const c = Math.floor(o / mult);
    visit(xOff + c * xsC, ((kh * info.kW + kw) * info.inC + c) * mult + (o % mult));
  };
}

/**
 * Calls `visit(yi, xi, fi)` for every (output element, input element, filter element) triple of
 * the convolution sum; padded taps are skipped.
 */
function forEachTap(info: Conv2dInfo, depthwise: boolean, visit: (yi: number, xi: number, fi: number) => void): void {
  const [xsB, xsH, xsW, xsC] = convStrides(info, info.inH, info.inW, info.inC);
  const [ysB, ysH, ysW, ysC] = convStrides(info, info.outH, info.outW, info.outC);
  const taps = depthwise ? depthwiseTaps(info, xsC) : fullTaps(info, xsC);
  for (let b = 0; b < info.batch; b++) {
    for (let oh = 0; oh < info.outH; oh++) {
      for (let ow = 0; ow < info.outW; ow++) {
        for (let o = 0; o < info.outC; o++) {
          const yi = b * ysB + oh * ysH + ow * ysW + o * ysC;
          for (let kh = 0; kh < info.kH; kh++) {
            const ih = oh * info.strideH - info.padTop + kh * info.dilationH;
            if (ih < 0 || ih >= info.inH) continue;
            for (let kw = 0; kw < info.kW; kw++) {
              const iw = ow * info.strideW - info.padLeft + kw * info.dilationW;
              if (iw < 0 || iw >= info.inW) continue;
              taps(b * xsB + ih * xsH + iw * xsW, kh, kw, o, (xi, fi) => visit(yi, xi, fi));
            }
          }
        }
      }
    }
  }
}

const outSize = (info: Conv2dInfo): number => info.batch * info.outH * info.outW * info.outC;
const filterSize = (info: Conv2dInfo, depthwise: boolean): number =>
  info.kH * info.kW * info.inC * (depthwise ? info.multiplier : info.outC);

/** y = act(conv(x, filter) + bias). */
export function convForward(
  x: Arr, filter: Arr, info: Conv2dInfo, bias: Arr | null, act: ConvActivation, depthwise: boolean,
): Arr {
  const y = alloc(x, outSize(info), 'conv2d');
  forEachTap(info, depthwise, (yi, xi, fi) => (y[yi] += x[xi] * filter[fi]));
  const [, , , ysC] = convStrides(info, info.outH, info.outW, info.outC);
  for (let i = 0; i < y.length; i++) {
    const o = Math.floor(i / ysC) % info.outC;
    y[i] = activate(act, bias ? y[i] + bias[o] : y[i]);
  }
  return y;
}

/** dx = sum over taps of dy * filter. */
export function convGradInput(dy: Arr, filter: Arr, info: Conv2dInfo, depthwise: boolean): Arr {
  const dx = alloc(dy, info.batch * info.inH * info.inW * info.inC, 'conv2dGradInput');
  forEachTap(info, depthwise, (yi, xi, fi) => (dx[xi] += dy[yi] * filter[fi]));
  return dx;
}

/** dfilter = sum over taps of dy * x. */
export function convGradFilter(x: Arr, dy: Arr, info: Conv2dInfo, depthwise: boolean): Arr {
  const df = alloc(x, filterSize(info, depthwise), 'conv2dGradFilter');
  forEachTap(info, depthwise, (yi, xi, fi) => (df[fi] += dy[yi] * x[xi]));
  return df;
}

/** act'(z) written with y = act(z). */
function activationSlope(act: ConvActivation, y: number): number {
  switch (act) {
    case 'linear':
      return 1;
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'relu6':
      return y > 0 && y < 6 ? 1 : 0;
    case 'sigmoid':
      return y * (1 - y);
    case 'tanh':
      return 1 - y * y;
    default:
      act satisfies never;
      throw new Error(`internal: unknown conv activation ${String(act)}`);
  }
}

/** dz = dy * act'(z), from the fused output y. */
export function convActivationGrad(dy: Arr, y: Arr, info: Conv2dInfo, act: ConvActivation): Arr {
  const dz = alloc(dy, outSize(info), 'conv2dActivationGrad');
  for (let i = 0; i < dz.length; i++) dz[i] = dy[i] * activationSlope(act, y[i]);
  return dz;
}
