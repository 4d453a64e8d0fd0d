/**
 * 2-D convolutions (TensorFlow semantics): `conv2d` with an HWIO filter and `depthwiseConv2d`
 * with a [kH, kW, C, multiplier] filter; strides, dilations, 'valid' / 'same' / explicit padding,
 * NHWC or NCHW. `fusedConv2d` adds a bias and an activation fused into the output pass (the
 * layers use it). Forward and backward side by side.
 */
import { CONV_ACTIVATIONS, type Conv2dInfo, type ConvActivation } from '../backend/backend.js';
import { engine } from '../core/engine.js';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { asTensor, record, wrap } from './op.js';
import { sum } from './reduce.js';

/** 'valid', 'same' (TensorFlow: the extra row/column of padding goes bottom/right) or explicit. */
export type ConvPadding = 'valid' | 'same' | readonly [readonly [number, number], readonly [number, number]];

export interface Conv2dOptions {
  /** Step between windows, one number or [h, w]; default 1. */
  readonly strides?: number | readonly [number, number];
  /** Default 'valid'. */
  readonly padding?: ConvPadding;
  /** Spacing of the filter taps, one number or [h, w]; default 1. Not with strides > 1. */
  readonly dilations?: number | readonly [number, number];
  /** 'NHWC' (default) or 'NCHW'. */
  readonly dataFormat?: 'NHWC' | 'NCHW';
}

export interface FusedConv2dOptions extends Conv2dOptions {
  /** [outC], added before the activation. */
  readonly bias?: Tensor | null;
  /** Default 'linear'. */
  readonly activation?: ConvActivation;
  /** A depthwise filter [kH, kW, C, multiplier] instead of a full HWIO one. */
  readonly depthwise?: boolean;
}

const FUSED_KEYS = ['strides', 'padding', 'dilations', 'dataFormat', 'bias', 'activation', 'depthwise'];

/** Everything an error message shows about a call. */
function describeCall(x: Tensor, f: Tensor, o: Conv2dOptions): string {
  return `(input ${fmtShape(x.shape)}, kernel ${fmtShape(f.shape)}, strides ${JSON.stringify(o.strides ?? 1)}, ` +
    `padding ${JSON.stringify(o.padding ?? 'valid')}, dilations ${JSON.stringify(o.dilations ?? 1)}, ` +
    `dataFormat ${JSON.stringify(o.dataFormat ?? 'NHWC')})`;
}

function pair(op: string, what: string, v: unknown, ctx: string): [number, number] {
  const p = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? v : null;
  if (!p || !p.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ValueError(`${op}: ${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)} ${ctx}`);
  }
  return [p[0], p[1]];
}

/** [padBefore, outSize] of one spatial axis (outSize <= 0: the kernel does not fit). */
export function axisPadding(padding: ConvPadding, axis: 0 | 1, size: number, k: number, s: number, d: number): [number, number] {
  const eff = (k - 1) * d + 1;
  if (padding === 'valid') return [0, Math.floor((size - eff) / s) + 1];
  if (padding === 'same') {
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + eff - size, 0);
    return [Math.floor(total / 2), out];
  }
  const [before, after] = padding[axis];
  return [before, Math.floor((size + before + after - eff) / s) + 1];
}

function checkPadding(op: string, padding: unknown, ctx: string): ConvPadding {
  if (padding === 'valid' || padding === 'same') return padding;
  const ok = Array.isArray(padding) && padding.length === 2 &&
    padding.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0));
  if (!ok) throw new ValueError(`${op}: padding must be 'valid', 'same' or [[top, bottom], [left, right]] of integers >= 0, got ${JSON.stringify(padding)} ${ctx}`);
  return padding as unknown as ConvPadding;
}

/** Validates a call and computes its geometry; throws before anything runs. */
export function convInfo(op: string, x: Tensor, f: Tensor, o: Conv2dOptions, depthwise: boolean): Conv2dInfo {
  const ctx = describeCall(x, f, o);
  const format = o.dataFormat ?? 'NHWC';
  if (format !== 'NHWC' && format !== 'NCHW') throw new ValueError(`${op}: dataFormat must be 'NHWC' or 'NCHW', got ${JSON.stringify(format)} ${ctx}`);
  const [strideH, strideW] = pair(op, 'strides', o.strides ?? 1, ctx);
  const [dilationH, dilationW] = pair(op, 'dilations', o.dilations ?? 1, ctx);
  if (Math.max(strideH, strideW) > 1 && Math.max(dilationH, dilationW) > 1) {
    throw new ValueError(`${op}: strides > 1 together with dilations > 1 is not supported ${ctx}`);
  }
  const padding = checkPadding(op, o.padding ?? 'valid', ctx);
  if (x.rank !== 4) throw new ShapeError(`${op}: input must have rank 4 ([batch, h, w, c] or [batch, c, h, w]), got rank ${x.rank} ${ctx}`);
  if (f.rank !== 4) throw new ShapeError(`${op}: filter must have rank 4 ([kh, kw, inC, ${depthwise ? 'multiplier' : 'outC'}]), got rank ${f.rank} ${ctx}`);
  const channelsFirst = format === 'NCHW';
  const [batch, inH, inW, inC] = channelsFirst ? [x.shape[0], x.shape[2], x.shape[3], x.shape[1]] : x.shape;
  const [kH, kW, fC, fOut] = f.shape;
  if (fC !== inC) throw new ShapeError(`${op}: input has ${inC} channels but the filter expects ${fC} ${ctx}`);
  const [padTop, outH] = axisPadding(padding, 0, inH, kH, strideH, dilationH);
  const [padLeft, outW] = axisPadding(padding, 1, inW, kW, strideW, dilationW);
  if (outH <= 0 || outW <= 0 || kH <= 0 || kW <= 0 || fOut <= 0) {
    throw new ShapeError(`${op}: the kernel does not fit the padded input: output would be ${outH}x${outW} ${ctx}`);
  }
  const outC = depthwise ? inC * fOut : fOut;
  return {
    batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft,
    channelsFirst, multiplier: depthwise ? fOut : 1,
  };
}

/** The output shape of a convolution in its layout. */
function outShape(info: Conv2dInfo): number[] {
  const { batch, outH, outW, outC } = info;
  return info.channelsFirst ? [batch, outC, outH, outW] : [batch, outH, outW, outC];
}

function checkFused(op: string, x: Tensor, f: Tensor, o: FusedConv2dOptions, info: Conv2dInfo): ConvActivation {
  for (const k of Object.keys(o)) {
    if (!FUSED_KEYS.includes(k)) throw new ValueError(`${op}: unknown option '${k}' (allowed: ${FUSED_KEYS.join(', ')})`);
  }
  const act = o.activation ?? 'linear';
  if (!CONV_ACTIVATIONS.includes(act)) {
    throw new ValueError(`${op}: unknown activation ${JSON.stringify(act)} (use ${CONV_ACTIVATIONS.join(', ')}) ${describeCall(x, f, o)}`);
  }
  const b = o.bias;
  if (b && (b.rank !== 1 || b.shape[0] !== info.outC)) {
    throw new ShapeError(`${op}: bias has shape ${fmtShape(b.shape)} but the output has ${info.outC} channels ${describeCall(x, f, o)}`);
  }
  return act;
}

/**
 * y = act(conv(x, filter) + bias) in one output pass (one dispatch on WebGPU). With
 * `depthwise`, filter is [kH, kW, C, multiplier]. Gradients for x, filter and bias.
 */
export function fusedConv2d(x: Tensor, filter: Tensor, options: FusedConv2dOptions = {}): Tensor {
  const op = options.depthwise ? 'depthwiseConv2d' : 'conv2d';
  const tx = asTensor(x, op, 'x');
  const tf = asTensor(filter, op, 'filter');
  const bias = options.bias ? asTensor(options.bias, op, 'bias') : null;
  const dw = options.depthwise === true;
  const info = convInfo(op, tx, tf, options, dw);
  const act = checkFused(op, tx, tf, options, info);
  const be = engine.backend;
  const shape = outShape(info);
  const h = dw ? be.depthwiseConv2d(tx.handle, tf.handle, info, bias && bias.handle, act)
    : be.conv2d(tx.handle, tf.handle, info, bias && bias.handle, act);
  const y = wrap(h, shape);
  const inputs = bias ? [tx, tf, bias] : [tx, tf];
  record(op, inputs, [y], ([dy], need = inputs.map(() => true)) => {
    if (dy === null) return inputs.map(() => null);
    // One pass for act' (none for linear): dz = dy * act'(z), written with y.
    const dz = act === 'linear' ? dy : wrap(be.convActivationGrad(dy.handle, y.handle, info, act), shape);
    const gradIn = dw ? be.depthwiseGradInput.bind(be) : be.conv2dGradInput.bind(be);
    const gradF = dw ? be.depthwiseGradFilter.bind(be) : be.conv2dGradFilter.bind(be);
    const out: (Tensor | null)[] = [
      need[0] ? wrap(gradIn(dz.handle, tf.handle, info), tx.shape) : null,
      need[1] ? wrap(gradF(tx.handle, dz.handle, info), tf.shape) : null,
    ];
    if (bias) out.push(need[2] ? sum(dz, info.channelsFirst ? [0, 2, 3] : [0, 1, 2]) : null);
    return out;
  });
  return y;
}

/**
 * 2-D convolution: x [batch, h, w, inC] (NHWC) or [batch, inC, h, w] (NCHW), filter
 * [kH, kW, inC, outC]; y[b, i, j, o] = sum x[b, i*sH - padTop + p*dH, j*sW - padLeft + q*dW, c] *
 * filter[p, q, c, o]. Output [batch, outH, outW, outC] in x's layout.
 */
export function conv2d(x: Tensor, filter: Tensor, options: Conv2dOptions = {}): Tensor {
  return fusedConv2d(x, filter, pickConv('conv2d', options));
}

/**
 * Depthwise 2-D convolution: filter [kH, kW, C, multiplier]; output channel c * multiplier + m
 * is input channel c convolved with filter[:, :, c, m] (TensorFlow's order).
 */
export function depthwiseConv2d(x: Tensor, filter: Tensor, options: Conv2dOptions = {}): Tensor {
  return fusedConv2d(x, filter, { ...pickConv('depthwiseConv2d', options), depthwise: true });
}

const CONV_KEYS = ['strides', 'padding', 'dilations', 'dataFormat'];

function pickConv(op: string, o: Conv2dOptions): Conv2dOptions {
  for (const k of Object.keys(o)) {
    if (!CONV_KEYS.includes(k)) throw new ValueError(`${op}: unknown option '${k}' (allowed: ${CONV_KEYS.join(', ')})`);
  }
  return o;
}
