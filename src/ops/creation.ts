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

/**
 * A float32 tensor from nested arrays (`tensor([[1, 2], [3, 4]])`) or from flat values and a
 * shape (`tensor(float32Array, [2, 2])`).
 */
export function tensor(values: NestedArray | Float32Array | Float64Array | readonly number[], shape?: Shape): Tensor {
  // Values reach the backend unrounded: float32 backends round, the float64 reference keeps them.
  let flat: Float32Array | Float64Array;
  let inferred: number[];
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

/** A tensor of `shape` filled with `value`. */
export function fill(shape: Shape, value: number): Tensor {
  checkShape('fill', shape);
  return wrap(engine.backend.fill(sizeOf(shape), value), shape);
}

export function zeros(shape: Shape): Tensor {
  return fill(shape, 0);
}

export function ones(shape: Shape): Tensor {
  return fill(shape, 1);
}

/** A scalar (rank-0) tensor. */
export function scalar(value: number): Tensor {
  return fill([], value);
}

/** Small seeded PRNG (32-bit state, period 2^32): uniform floats in [0, 1). */
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

/** Normal random values (Box-Muller on a seeded PRNG, generated on the CPU then uploaded). */
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

/** Uniform random values in [minval, maxval) from a seeded PRNG. */
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
 */
export function variable(initial: Tensor, options: { name?: string; trainable?: boolean } = {}): Variable {
  const b = engine.backend;
  const rec = engine.newRecord(b.copy(initial.handle, initial.size), initial.size);
  return new Variable(rec, initial.shape, options.name, options.trainable ?? true);
}
