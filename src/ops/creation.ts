/** Creating tensors: from values, constants, seeded random numbers, variables. */
import { engine } from '../core/engine.js';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { checkShape, sizeOf, type Shape } from '../core/shape.js';
import { Tensor, Variable, type NestedArray } from '../core/tensor.js';
import { wrap } from './op.js';

function flatten(values: NestedArray, shape: number[], out: number[], depth: number): void {
  if (typeof values === 'number') {
    if (depth !== shape.length && shape.length > 0) throw new ShapeError('tensor: ragged nested array');
    out.push(values);
    return;
  }
  if (!Array.isArray(values)) throw new ValueError(`tensor: expected numbers or nested arrays, got ${typeof values}`);
  if (depth === shape.length) shape.push(values.length);
  else if (shape[depth] !== values.length) throw new ShapeError('tensor: ragged nested array');
  for (const v of values) flatten(v, shape, out, depth + 1);
}

/** The one dtype. TF.js's other names are accepted as arguments only to be rejected loudly. */
export type DataType = 'float32';

/**
 * Rejects every dtype but 'float32' (wgnn tensors are float32; whole-number labels and indices
 * are float32 values, which sparse losses, oneHot and argMax use).
 * @category Creation
 */
export function checkDtype(op: string, dtype: unknown): void {
  if (dtype === undefined || dtype === 'float32') return;
  throw new ValueError(`${op}: dtype ${JSON.stringify(dtype)} is not supported: wgnn tensors are float32 only ` +
    '(integer labels and indices are whole numbers stored as float32, as sparseCategoricalCrossentropy, oneHot and argMax use them); ' +
    "omit the dtype or pass 'float32'");
}

/**
 * A float32 tensor from nested arrays (`tensor([[1, 2], [3, 4]])`) or from flat values and a
 * shape (`tensor(float32Array, [2, 2])`). `dtype` may only be 'float32' (anything else throws).
 * @category Creation
 */
export function tensor(values: NestedArray | Float32Array | Float64Array | readonly number[], shape?: Shape, dtype?: DataType): Tensor {
  checkDtype('tensor', dtype);
  // Values reach the backend unrounded: float32 backends round, the float64 reference keeps them.
  let flat: Float32Array | Float64Array;
  let inferred: number[];
  if (ArrayBuffer.isView(values) && !(values instanceof Float32Array || values instanceof Float64Array)) {
    throw new ValueError(`tensor: ${(values as ArrayBufferView).constructor.name} values are not supported (wgnn tensors are float32): pass a Float32Array, ` +
      'e.g. Float32Array.from(values), or a plain array');
  }
  if (values instanceof Float32Array || values instanceof Float64Array) {
    flat = values;
    inferred = [flat.length];
  } else {
    const out: number[] = [];
    inferred = [];
    flatten(values as NestedArray, inferred, out, 0);
    flat = Float64Array.from(out);
  }
  const finalShape = shape ?? inferred;
  checkShape('tensor', finalShape);
  if (sizeOf(finalShape) !== flat.length) {
    throw new ShapeError(`tensor: ${flat.length} values cannot have shape ${fmtShape(finalShape)}`);
  }
  return wrap(engine.backend.upload(flat), finalShape);
}

/** `tensor()` that checks the rank (TF.js `tensor1d` ... `tensor4d`). */
function tensorOfRank(rank: number) {
  const op = `tensor${rank}d`;
  return (values: NestedArray | Float32Array | Float64Array | readonly number[], shape?: Shape, dtype?: DataType): Tensor => {
    checkDtype(op, dtype);
    if (shape !== undefined && shape.length !== rank) throw new ShapeError(`${op}: shape ${fmtShape(shape)} is not of rank ${rank}`);
    const t = tensor(values, shape);
    if (t.rank !== rank) {
      t.dispose();
      throw new ShapeError(`${op}: values of shape ${fmtShape(t.shape)} are not of rank ${rank} (give nested arrays of depth ${rank}, or a shape)`);
    }
    return t;
  };
}

/** A rank-1 tensor (TF.js's signature: values, then the dtype). @category Creation */
export function tensor1d(values: Float32Array | Float64Array | readonly number[], dtype?: DataType): Tensor {
  checkDtype('tensor1d', dtype);
  return tensorOfRank(1)(values);
}
/** A rank-2 tensor from nested arrays, or flat values and a shape. @function @category Creation */
export const tensor2d = tensorOfRank(2);
/** A rank-3 tensor from nested arrays, or flat values and a shape. @function @category Creation */
export const tensor3d = tensorOfRank(3);
/** A rank-4 tensor from nested arrays, or flat values and a shape. @function @category Creation */
export const tensor4d = tensorOfRank(4);

/** A tensor of `shape` filled with `value`. @category Creation */
export function fill(shape: Shape, value: number, dtype?: DataType): Tensor {
  checkDtype('fill', dtype);
  checkShape('fill', shape);
  return wrap(engine.backend.fill(sizeOf(shape), value), shape);
}

/** A tensor of `shape` filled with 0. @category Creation */
export function zeros(shape: Shape, dtype?: DataType): Tensor {
  checkDtype('zeros', dtype);
  return fill(shape, 0);
}

/** A tensor of `shape` filled with 1. @category Creation */
export function ones(shape: Shape, dtype?: DataType): Tensor {
  checkDtype('ones', dtype);
  return fill(shape, 1);
}

/** A scalar (rank-0) tensor. @category Creation */
export function scalar(value: number, dtype?: DataType): Tensor {
  checkDtype('scalar', dtype);
  return fill([], value);
}

/** Small seeded PRNG (32-bit state, period 2^32): uniform floats in [0, 1). @category Creation */
export function seededUniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomOptions {
  readonly mean?: number;
  readonly stddev?: number;
  /** Same seed, same numbers on every backend. Without one, a random seed is drawn. */
  readonly seed?: number;
}

/** Normal random values (Box-Muller on a seeded PRNG, generated on the CPU then uploaded). @category Creation */
export function randomNormal(shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape('randomNormal', shape);
  const { mean = 0, stddev = 1 } = options;
  const next = seededUniform(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const n = sizeOf(shape);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = mean + stddev * r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = mean + stddev * r * Math.sin(2 * Math.PI * v);
  }
  return wrap(engine.backend.upload(out), shape);
}

/** Uniform random values in [minval, maxval) from a seeded PRNG. @category Creation */
export function randomUniform(shape: Shape, options: { minval?: number; maxval?: number; seed?: number } = {}): Tensor {
  checkShape('randomUniform', shape);
  const { minval = 0, maxval = 1 } = options;
  const next = seededUniform(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const out = new Float32Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = minval + (maxval - minval) * next();
  return wrap(engine.backend.upload(out), shape);
}

/**
 * A named mutable tensor (weights, statistics), initialized with a copy of `initial`.
 * Variables are not disposed by `tidy`; `trainable` ones receive gradients in `variableGrads`.
 * @category Creation
 */
export function variable(initial: Tensor, options: { name?: string; trainable?: boolean } = {}): Variable {
  const b = engine.backend;
  const rec = engine.newRecord(b.copy(initial.handle, initial.size), initial.size);
  return new Variable(rec, initial.shape, options.name, options.trainable ?? true);
}
