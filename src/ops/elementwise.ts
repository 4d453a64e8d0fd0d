/**
 * Elementwise ops, forward and backward side by side. Binary ops broadcast like numpy; their
 * gradients are summed back over the broadcast axes (`unbroadcast`).
 */
import type { BinaryOp, Operand, UnaryOp } from '../backend/backend.js';
import { engine } from '../core/engine.js';
import { broadcastShapes, broadcastedAxes, shapesEqual, type Shape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { asTensor, record, wrap, type TensorLike } from './op.js';
import { reshape } from './movement.js';
import { sum } from './reduce.js';

type UnaryGrad = (dy: Tensor, x: Tensor, y: Tensor) => Tensor;
/** Gradients to a and b; `need` says which are wanted (return null for the others: no work). */
type BinaryGrad = (dy: Tensor, a: TensorLike, b: TensorLike, y: Tensor, need: readonly boolean[]) => [Tensor | null, Tensor | null];

const ALL = [true, true, true];

/** `f()` when `need`, else null: skips the gradient work of an input nothing differentiates. */
function when(need: boolean, f: () => Tensor): Tensor | null {
  return need ? f() : null;
}

function unaryOp(op: UnaryOp, grad: UnaryGrad | null) {
  return (x: TensorLike): Tensor => {
    const t = asTensor(x, op);
    const y = wrap(engine.backend.unary(op, t.info), t.shape);
    if (grad !== null) record(op, [t], [y], ([dy]) => [dy === null ? null : grad(dy, t, y)]);
    return y;
  };
}

/** Sums `dy` over the axes along which an input of `shape` was broadcast. */
export function unbroadcast(dy: Tensor, shape: Shape): Tensor {
  if (shapesEqual(dy.shape, shape)) return dy;
  return reshape(sum(dy, broadcastedAxes(shape, dy.shape)), shape);
}

const SCALAR: Shape = [];
const shapeOf = (x: TensorLike): Shape => (typeof x === 'number' ? SCALAR : x.shape);
const operand = (x: TensorLike): Operand => (typeof x === 'number' ? x : x.info);

/**
 * A number operand goes to the backend by value (no fill, no tape input); two numbers make a
 * scalar tensor of `a` first.
 */
function binaryOp(op: BinaryOp, grad: BinaryGrad | null) {
  return (a: TensorLike, b: TensorLike): Tensor => {
    const both = typeof a === 'number' && typeof b === 'number';
    const ta = typeof a === 'number' && !both ? a : asTensor(a, op, 'a');
    const tb = typeof b === 'number' ? b : asTensor(b, op, 'b');
    const outShape = broadcastShapes(op, shapeOf(ta), shapeOf(tb));
    const y = wrap(engine.backend.binary(op, operand(ta), operand(tb), outShape), outShape);
    if (grad !== null) {
      const inputs = [ta, tb].filter((t): t is Tensor => typeof t !== 'number');
      record(op, inputs, [y], ([dy], need = ALL) => {
        if (dy === null) return inputs.map(() => null);
        const needA = typeof ta !== 'number' && need[0];
        const needB = typeof tb !== 'number' && need[inputs.length - 1];
        const [ga, gb] = grad(dy, ta, tb, y, [needA, needB]);
        const out: (Tensor | null)[] = [];
        if (typeof ta !== 'number') out.push(ga && unbroadcast(ga, ta.shape));
        if (typeof tb !== 'number') out.push(gb && unbroadcast(gb, tb.shape));
        return out;
      });
    }
    if (both) (ta as Tensor).dispose();
    return y;
  };
}

/** a + b (broadcasting). @function @category Elementwise */
export const add = binaryOp('add', (dy) => [dy, dy]);
/** a - b (broadcasting). @function @category Elementwise */
export const sub = binaryOp('sub', (dy, _a, _b, _y, need) => [dy, when(need[1], () => neg(dy))]);
/** a * b (broadcasting). @function @category Elementwise */
export const mul = binaryOp('mul', (dy, a, b, _y, need) => [when(need[0], () => mul(dy, b)), when(need[1], () => mul(dy, a))]);
/** a / b (broadcasting). @function @category Elementwise */
export const div = binaryOp('div', (dy, a, b, _y, need) => [
  when(need[0], () => div(dy, b)),
  when(need[1], () => neg(div(mul(dy, a), square(b)))),
]);
/** Elementwise larger value; the gradient goes to `a` where a >= b, else to `b`. @function @category Elementwise */
export const maximum = binaryOp('maximum', (dy, a, b, _y, need) => {
  const m = greaterEqual(a, b);
  return [when(need[0], () => mul(dy, m)), when(need[1], () => mul(dy, sub(1, m)))];
});
/** Elementwise smaller value; the gradient goes to `a` where a <= b, else to `b`. @function @category Elementwise */
export const minimum = binaryOp('minimum', (dy, a, b, _y, need) => {
  const m = lessEqual(a, b);
  return [when(need[0], () => mul(dy, m)), when(need[1], () => mul(dy, sub(1, m)))];
});
/** a ** b; the gradient to b uses log(a) and is taken where a > 0. @function @category Elementwise */
export const pow = binaryOp('pow', (dy, a, b, y, need) => [
  when(need[0], () => mul(dy, mul(b, pow(a, sub(b, 1))))),
  when(need[1], () => mul(dy, mul(y, log(where(greater(a, 0), a, 1))))),
]);
/** 1 where a > b, else 0 (no gradient). @function @category Elementwise */
export const greater = binaryOp('greater', null);
/** 1 where a >= b, else 0 (no gradient). @function @category Elementwise */
export const greaterEqual = binaryOp('greaterEqual', null);
/** 1 where a < b, else 0 (no gradient). @function @category Elementwise */
export const less = binaryOp('less', null);
/** 1 where a <= b, else 0 (no gradient). @function @category Elementwise */
export const lessEqual = binaryOp('lessEqual', null);
/** 1 where a == b, else 0 (no gradient). @function @category Elementwise */
export const equal = binaryOp('equal', null);

/** -x. @function @category Elementwise */
export const neg = unaryOp('neg', (dy) => neg(dy));
/** |x|; the gradient is sign(x). @function @category Elementwise */
export const abs = unaryOp('abs', (dy, x) => mul(dy, sign(x)));
/** x * x. @function @category Elementwise */
export const square = unaryOp('square', (dy, x) => mul(dy, mul(x, 2)));
/** The square root of x. @function @category Elementwise */
export const sqrt = unaryOp('sqrt', (dy, _x, y) => div(dy, mul(y, 2)));
/** 1 / sqrt(x). @function @category Elementwise */
export const rsqrt = unaryOp('rsqrt', (dy, x, y) => mul(dy, div(mul(y, -0.5), x)));
/** e ** x. @function @category Elementwise */
export const exp = unaryOp('exp', (dy, _x, y) => mul(dy, y));
/** The natural logarithm of x. @function @category Elementwise */
export const log = unaryOp('log', (dy, x) => div(dy, x));
/** max(x, 0); the gradient is step(x). @function @category Elementwise */
export const relu = unaryOp('relu', (dy, x) => mul(dy, step(x)));
/** 1 / (1 + exp(-x)). @function @category Elementwise */
export const sigmoid = unaryOp('sigmoid', (dy, _x, y) => mul(dy, mul(y, sub(1, y))));
/** The hyperbolic tangent of x. @function @category Elementwise */
export const tanh = unaryOp('tanh', (dy, _x, y) => mul(dy, sub(1, square(y))));
/** 1 / x. @function @category Elementwise */
export const reciprocal = unaryOp('reciprocal', (dy, x) => neg(div(dy, square(x))));
/** -1, 0 or 1 (no gradient). @function @category Elementwise */
export const sign = unaryOp('sign', null);
/** 1 where x > 0, else 0 (no gradient): the derivative of relu. @function @category Elementwise */
export const step = unaryOp('step', null);

/** `cond != 0 ? a : b`, broadcasting all three; gradients flow to a and b only. @category Elementwise */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const c = asTensor(cond, 'where', 'cond');
  const ta = asTensor(a, 'where', 'a');
  const tb = asTensor(b, 'where', 'b');
  const outShape = broadcastShapes('where', broadcastShapes('where', c.shape, ta.shape), tb.shape);
  const y = wrap(engine.backend.where(c.info, ta.info, tb.info, outShape), outShape);
  record('where', [c, ta, tb], [y], ([dy], need = ALL) => {
    if (dy === null) return [null, null, null];
    const isB = equal(c, 0);
    return [null, when(need[1], () => unbroadcast(mul(dy, sub(1, isB)), ta.shape)), when(need[2], () => unbroadcast(mul(dy, isB), tb.shape))];
  });
  for (const [arg, t] of [[cond, c], [a, ta], [b, tb]] as const) if (typeof arg === 'number') t.dispose();
  return y;
}
