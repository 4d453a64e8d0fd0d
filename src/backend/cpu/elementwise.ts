/** Elementwise CPU kernels: unary maps, broadcasting binaries, where. */
import type { BinaryOp, UnaryOp } from '../backend.js';
import { broadcastStrides, type Shape } from '../../core/shape.js';
import { alloc, forEachIndex, type Arr } from './arrays.js';

/** Numerically stable logistic function. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export const unaryFns = {
  neg: (x) => -x,
  abs: (x) => Math.abs(x),
  square: (x) => x * x,
  sqrt: (x) => Math.sqrt(x),
  rsqrt: (x) => 1 / Math.sqrt(x),
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  relu: (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0),
  sigmoid,
  tanh: (x) => Math.tanh(x),
  reciprocal: (x) => 1 / x,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : Number.isNaN(x) ? x : 0),
  step: (x) => (x > 0 ? 1 : Number.isNaN(x) ? x : 0),
} satisfies Record<UnaryOp, (x: number) => number>;

export const binaryFns = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  pow: (a, b) => Math.pow(a, b),
  greater: (a, b) => (a > b ? 1 : 0),
  greaterEqual: (a, b) => (a >= b ? 1 : 0),
  less: (a, b) => (a < b ? 1 : 0),
  lessEqual: (a, b) => (a <= b ? 1 : 0),
  equal: (a, b) => (a === b ? 1 : 0),
} satisfies Record<BinaryOp, (a: number, b: number) => number>;

export function unary(op: UnaryOp, x: Arr): Arr {
  const f = unaryFns[op];
  const out = alloc(x, x.length, op);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

export function binary(op: BinaryOp, a: Arr, aShape: Shape, b: Arr, bShape: Shape, outShape: Shape): Arr {
  const f = binaryFns[op];
  const size = outShape.reduce((p, d) => p * d, 1);
  const out = alloc(a, size, op);
  if (a.length === size && b.length === size) {
    for (let i = 0; i < size; i++) out[i] = f(a[i], b[i]);
    return out;
  }
  const strides = [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)];
  forEachIndex(outShape, strides, (i, [oa, ob]) => {
    out[i] = f(a[oa], b[ob]);
  });
  return out;
}

export function where(c: Arr, cShape: Shape, a: Arr, aShape: Shape, b: Arr, bShape: Shape, outShape: Shape): Arr {
  const size = outShape.reduce((p, d) => p * d, 1);
  const out = alloc(a, size, 'where');
  const strides = [broadcastStrides(cShape, outShape), broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)];
  forEachIndex(outShape, strides, (i, [oc, oa, ob]) => {
    out[i] = c[oc] !== 0 ? a[oa] : b[ob];
  });
  return out;
}
