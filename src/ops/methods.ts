/**
 * The ops as Tensor methods (TF.js's chaining: `x.add(y).relu().sum()`). The core cannot import
 * the ops (imports flow core <- ops), so the ops layer installs them on Tensor.prototype here,
 * and declaration merging types them. `x.op(...args)` is exactly `wg.op(x, ...args)`.
 */
import { Tensor } from '../core/tensor.js';
import type { Shape } from '../core/shape.js';
import type { TensorLike } from './op.js';
import {
  abs, add, div, equal, exp, greater, greaterEqual, less, lessEqual, log, maximum, minimum, mul, neg, pow,
  reciprocal, relu, rsqrt, sigmoid, sign, sqrt, square, step, sub, tanh,
} from './elementwise.js';
import { argMax, max, mean, min, sum, type Axes } from './reduce.js';
import { matmul } from './matmul.js';
import { broadcastTo, cast, clone, expandDims, gather, reshape, slice, squeeze, transpose } from './movement.js';

declare module '../core/tensor.js' {
  interface Tensor {
    add(y: TensorLike): Tensor;
    sub(y: TensorLike): Tensor;
    mul(y: TensorLike): Tensor;
    div(y: TensorLike): Tensor;
    maximum(y: TensorLike): Tensor;
    minimum(y: TensorLike): Tensor;
    pow(y: TensorLike): Tensor;
    greater(y: TensorLike): Tensor;
    greaterEqual(y: TensorLike): Tensor;
    less(y: TensorLike): Tensor;
    lessEqual(y: TensorLike): Tensor;
    equal(y: TensorLike): Tensor;
    neg(): Tensor;
    abs(): Tensor;
    square(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    relu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    reciprocal(): Tensor;
    sign(): Tensor;
    step(): Tensor;
    sum(axis?: Axes, keepDims?: boolean): Tensor;
    mean(axis?: Axes, keepDims?: boolean): Tensor;
    max(axis?: Axes, keepDims?: boolean): Tensor;
    min(axis?: Axes, keepDims?: boolean): Tensor;
    argMax(axis?: number): Tensor;
    matmul(b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
    reshape(shape: Shape): Tensor;
    /** `reshape([-1])`. */
    flatten(): Tensor;
    transpose(perm?: readonly number[]): Tensor;
    slice(begin: readonly number[], size?: readonly number[]): Tensor;
    gather(indices: Int32Array | readonly number[]): Tensor;
    broadcastTo(shape: Shape): Tensor;
    expandDims(axis?: number): Tensor;
    squeeze(axis?: readonly number[]): Tensor;
    clone(): Tensor;
    /** TF.js's `asType` / `cast`: 'float32' only (anything else throws). */
    asType(dtype: 'float32'): Tensor;
    cast(dtype: 'float32'): Tensor;
  }
}

/** `fn(x, ...rest)` as a method of x. */
function asMethod<A extends unknown[]>(fn: (x: Tensor, ...rest: A) => Tensor): (this: Tensor, ...rest: A) => Tensor {
  return function (this: Tensor, ...rest: A): Tensor {
    return fn(this, ...rest);
  };
}

const methods = {
  add: asMethod(add), sub: asMethod(sub), mul: asMethod(mul), div: asMethod(div),
  maximum: asMethod(maximum), minimum: asMethod(minimum), pow: asMethod(pow),
  greater: asMethod(greater), greaterEqual: asMethod(greaterEqual), less: asMethod(less),
  lessEqual: asMethod(lessEqual), equal: asMethod(equal),
  neg: asMethod(neg), abs: asMethod(abs), square: asMethod(square), sqrt: asMethod(sqrt), rsqrt: asMethod(rsqrt),
  exp: asMethod(exp), log: asMethod(log), relu: asMethod(relu), sigmoid: asMethod(sigmoid), tanh: asMethod(tanh),
  reciprocal: asMethod(reciprocal), sign: asMethod(sign), step: asMethod(step),
  sum: asMethod(sum), mean: asMethod(mean), max: asMethod(max), min: asMethod(min), argMax: asMethod(argMax),
  matmul: asMethod(matmul), reshape: asMethod(reshape), flatten: asMethod((x: Tensor) => reshape(x, [-1])),
  transpose: asMethod(transpose), slice: asMethod(slice), gather: asMethod(gather), broadcastTo: asMethod(broadcastTo),
  expandDims: asMethod(expandDims), squeeze: asMethod(squeeze), clone: asMethod(clone), asType: asMethod(cast), cast: asMethod(cast),
} satisfies { [K in keyof Tensor]?: Tensor[K] };

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
}

/** The names installed (for tests and the API docs). */
export const TENSOR_METHODS: readonly string[] = Object.keys(methods);
