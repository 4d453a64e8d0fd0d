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

/**
 * One window of the convolution sum: output element offset `yOff` (channel 0), input offset
 * `xOff` (channel 0) and the filter's first index for tap (kh, kw), `fOff`.
 */
type Window = (yOff: number, xOff: number, fOff: number) => void;

/**
 * Calls `visit` for every (output position, in-range tap) pair; padded taps are skipped. The
 * channel loops live in the callers, so the per-multiply cost is a plain indexed loop.
 */
function forEachWindow(info: Conv2dInfo, depthwise: boolean, visit: Window): void {
  const [xsB, xsH, xsW] = convStrides(info, info.inH, info.inW, info.inC);
  const [ysB, ysH, ysW] = convStrides(info, info.outH, info.outW, info.outC);
  const tapSize = info.inC * (depthwise ? info.multiplier : info.outC);
  for (let b = 0; b < info.batch; b++) {
    for (let oh = 0; oh < info.outH; oh++) {
      for (let ow = 0; ow < info.outW; ow++) {
        const yOff = b * ysB + oh * ysH + ow * ysW;
        for (let kh = 0; kh < info.kH; kh++) {
          const ih = oh * info.strideH - info.padTop + kh * info.dilationH;
          if (ih < 0 || ih >= info.inH) continue;
          for (let kw = 0; kw < info.kW; kw++) {
            const iw = ow * info.strideW - info.padLeft + kw * info.dilationW;
            if (iw < 0 || iw >= info.inW) continue;
            visit(yOff, b * xsB + ih * xsH + iw * xsW, (kh * info.kW + kw) * tapSize);
          }
        }
      }
    }
  }
}

/** Channel strides of x and y. */
function channelStrides(info: Conv2dInfo): { xsC: number; ysC: number } {
  return {
    xsC: convStrides(info, info.inH, info.inW, info.inC)[3],
    ysC: convStrides(info, info.outH, info.outW, info.outC)[3],
  };
}

/** dst[dOff + i * dStride] += a * src[sOff + i * sStride] for i < n. */
function axpy(n: number, a: number, src: Arr, sOff: number, sStride: number, dst: Arr, dOff: number, dStride: number): void {
  for (let i = 0; i < n; i++) dst[dOff + i * dStride] += a * src[sOff + i * sStride];
}

const outSize = (info: Conv2dInfo): number => info.batch * info.outH * info.outW * info.outC;
const filterSize = (info: Conv2dInfo, depthwise: boolean): number =>
  info.kH * info.kW * info.inC * (depthwise ? info.multiplier : info.outC);

/** y = act(conv(x, filter) + bias). */
export function convForward(
  x: Arr, filter: Arr, info: Conv2dInfo, bias: Arr | null, act: ConvActivation, depthwise: boolean,
): Arr {
  const y = alloc(x, outSize(info), 'conv2d');
  const { xsC, ysC } = channelStrides(info);
  const { inC, outC, multiplier: mult } = info;
  forEachWindow(info, depthwise, depthwise
    ? (yOff, xOff, fOff) => {
      for (let c = 0; c < inC; c++) axpy(mult, x[xOff + c * xsC], filter, fOff + c * mult, 1, y, yOff + c * mult * ysC, ysC);
    }
    : (yOff, xOff, fOff) => {
      for (let ic = 0; ic < inC; ic++) axpy(outC, x[xOff + ic * xsC], filter, fOff + ic * outC, 1, y, yOff, ysC);
    });
  for (let i = 0; i < y.length; i++) {
    const o = Math.floor(i / ysC) % outC;
    y[i] = activate(act, bias ? y[i] + bias[o] : y[i]);
  }
  return y;
}

/** dx = sum over taps of dy * filter. */
export function convGradInput(dy: Arr, filter: Arr, info: Conv2dInfo, depthwise: boolean): Arr {
  const dx = alloc(dy, info.batch * info.inH * info.inW * info.inC, 'conv2dGradInput');
  const { xsC, ysC } = channelStrides(info);
  const { inC, outC, multiplier: mult } = info;
  forEachWindow(info, depthwise, depthwise
    ? (yOff, xOff, fOff) => {
      for (let c = 0; c < inC; c++) {
        let s = 0;
        for (let m = 0; m < mult; m++) s += dy[yOff + (c * mult + m) * ysC] * filter[fOff + c * mult + m];
        dx[xOff + c * xsC] += s;
      }
    }
    : (yOff, xOff, fOff) => {
      for (let ic = 0; ic < inC; ic++) {
        const f = fOff + ic * outC;
        let s = 0;
        for (let o = 0; o < outC; o++) s += dy[yOff + o * ysC] * filter[f + o];
        dx[xOff + ic * xsC] += s;
      }
    });
  return dx;
}

/** dfilter = sum over taps of dy * x. */
export function convGradFilter(x: Arr, dy: Arr, info: Conv2dInfo, depthwise: boolean): Arr {
  const df = alloc(x, filterSize(info, depthwise), 'conv2dGradFilter');
  const { xsC, ysC } = channelStrides(info);
  const { inC, outC, multiplier: mult } = info;
  forEachWindow(info, depthwise, depthwise
    ? (yOff, xOff, fOff) => {
      for (let c = 0; c < inC; c++) axpy(mult, x[xOff + c * xsC], dy, yOff + c * mult * ysC, ysC, df, fOff + c * mult, 1);
    }
    : (yOff, xOff, fOff) => {
      for (let ic = 0; ic < inC; ic++) axpy(outC, x[xOff + ic * xsC], dy, yOff, ysC, df, fOff + ic * outC, 1);
    });
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
