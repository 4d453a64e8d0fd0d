/**
 * 2-D max and average pooling (TF.js `tf.maxPool` / `tf.avgPool`, plus NCHW), each one kernel
 * forward and one backward. The geometry (`poolGeometry`) is shared with the pooling layers.
 */
import type { PoolParams } from '../backend/backend.js';
import { engine } from '../core/engine.js';
import { ShapeError, ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { asTensor, record, wrap } from './op.js';

export type PoolPadding = 'valid' | 'same';
export type PoolDataFormat = 'NHWC' | 'NCHW';

export interface PoolOptions {
  /** Window height and width (one number: square). */
  readonly poolSize: number | readonly [number, number];
  /**
   * Step between windows; default `poolSize` (Keras's MaxPooling2D default; TF.js's op has no
   * default and requires it).
   */
  readonly strides?: number | readonly [number, number];
  /**
   * 'valid' (default, windows inside the input) or 'same' (output = ceil(in / stride); the
   * padding is split with the extra cell at the bottom / right, as TF).
   */
  readonly padding?: PoolPadding;
  /** 'NHWC' (default): [batch, height, width, channels]; 'NCHW': [batch, channels, height, width]. */
  readonly dataFormat?: PoolDataFormat;
}

const POOL_KEYS = ['poolSize', 'strides', 'padding', 'dataFormat'];

function pair(v: unknown): [number, number] | null {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || p.some((d) => !Number.isInteger(d) || d <= 0)) return null;
  return [p[0] as number, p[1] as number];
}

/** Output extent and leading pad of one spatial axis. */
function axisGeometry(size: number, window: number, stride: number, padding: PoolPadding): [number, number] {
  if (padding === 'valid') return [Math.floor((size - window) / stride) + 1, 0];
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + window - size, 0);
  return [out, Math.floor(total / 2)];
}

/** Every option checked for `op`, errors naming the input shape and every option. */
function checkOptions(op: string, shape: readonly (number | null)[], options: PoolOptions, shownFormat?: string) {
  const o = (options ?? {}) as PoolOptions;
  const where = () =>
    `(input shape [${shape.map((d) => d ?? 'null').join(',')}], poolSize ${JSON.stringify(o.poolSize)}, strides ` +
    `${JSON.stringify(o.strides ?? o.poolSize)}, padding ${JSON.stringify(o.padding ?? 'valid')}, dataFormat ${JSON.stringify(shownFormat ?? o.dataFormat ?? 'NHWC')})`;
  if (typeof o !== 'object') throw new ValueError(`${op}: options must be an object ${where()}`);
  const unknown = Object.keys(o).find((k) => !POOL_KEYS.includes(k));
  if (unknown) throw new ValueError(`${op}: unknown option '${unknown}' (allowed: ${POOL_KEYS.join(', ')}) ${where()}`);
  const size = pair(o.poolSize);
  if (!size) throw new ValueError(`${op}: poolSize must be a positive integer or two ${where()}`);
  const strides = o.strides === undefined ? size : pair(o.strides);
  if (!strides) throw new ValueError(`${op}: strides must be a positive integer or two ${where()}`);
  const padding = o.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') throw new ValueError(`${op}: padding must be 'valid' or 'same' ${where()}`);
  const format = o.dataFormat ?? 'NHWC';
  if (format !== 'NHWC' && format !== 'NCHW') throw new ValueError(`${op}: dataFormat must be 'NHWC' or 'NCHW' ${where()}`);
  if (shape.length !== 4) throw new ShapeError(`${op}: input must have rank 4, got rank ${shape.length} ${where()}`);
  return { size, strides, padding, format, where };
}

/**
 * Validates pooling options against an input shape (batch may be null) and returns the kernel
 * geometry (batch null -> 0) and the output shape. @throws ValueError / ShapeError naming `op`
 * (`shownFormat`: the data format as the caller's user spelled it, for the messages).
 */
export function poolGeometry(
  op: string, mode: PoolParams['mode'], shape: readonly (number | null)[], options: PoolOptions, shownFormat?: string,
): { params: PoolParams; outShape: (number | null)[] } {
  const { size, strides, padding, format, where } = checkOptions(op, shape, options, shownFormat);
  const channelsFirst = format === 'NCHW';
  const [inH, inW] = channelsFirst ? [shape[2], shape[3]] : [shape[1], shape[2]];
  const channels = channelsFirst ? shape[1] : shape[3];
  if (inH === null || inW === null || channels === null) throw new ShapeError(`${op}: height, width and channels must be known ${where()}`);
  if (padding === 'valid' && (size[0] > inH || size[1] > inW)) {
    throw new ShapeError(`${op}: pool ${size[0]}x${size[1]} is larger than the input ${inH}x${inW} ${where()}`);
  }
  const [outH, padTop] = axisGeometry(inH, size[0], strides[0], padding);
  const [outW, padLeft] = axisGeometry(inW, size[1], strides[1], padding);
  const params: PoolParams = {
    mode, batch: shape[0] ?? 0, channels, channelsFirst, inH, inW, outH, outW,
    poolH: size[0], poolW: size[1], strideH: strides[0], strideW: strides[1], padTop, padLeft,
  };
  const outShape = channelsFirst ? [shape[0], channels, outH, outW] : [shape[0], outH, outW, channels];
  return { params, outShape };
}

function poolOp(name: 'maxPool' | 'avgPool', x: Tensor, options: PoolOptions): Tensor {
  const t = asTensor(x, name);
  const { params, outShape } = poolGeometry(name, name === 'maxPool' ? 'max' : 'avg', t.shape, options);
  const b = engine.backend;
  const y = wrap(b.pool(t.info, params), outShape as number[]);
  record(name, [t], [y], ([dy]) => [dy && wrap(b.poolGrad(dy.handle, t.info, params), t.shape)]);
  return y;
}

/**
 * 2-D max pooling: y[b, oy, ox, c] = max over the window's valid cells. Gradient: each window's
 * dy goes to its first largest cell in row-major window order (TF.js: strict `>`), summed where
 * windows overlap.
 */
export function maxPool(x: Tensor, options: PoolOptions): Tensor {
  return poolOp('maxPool', x, options);
}

/** 2-D average pooling; with 'same' padding each window averages its valid cells only (as TF). */
export function avgPool(x: Tensor, options: PoolOptions): Tensor {
  return poolOp('avgPool', x, options);
}
