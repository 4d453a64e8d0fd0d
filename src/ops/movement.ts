/** Shape and data movement: reshape (no copy), transpose, slice, gather, concat, oneHot, broadcastTo. */
import { engine } from '../core/engine.js';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { broadcastShapes, normAxis, shapesEqual, sizeOf, type Shape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { unbroadcast } from './elementwise.js';
import { asTensor, record, wrap } from './op.js';
import { checkDtype } from './creation.js';

/** Same data, new shape (one dimension may be -1). Shares memory: no copy. @category Movement */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const t = asTensor(x, 'reshape');
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length === 1 ? t.size / Math.max(sizeOf(known), 1) : undefined;
  const out = shape.map((d) => (d === -1 ? (inferred as number) : d));
  if (shape.filter((d) => d === -1).length > 1 || out.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(out) !== t.size) {
    throw new ShapeError(`reshape: cannot reshape ${fmtShape(t.shape)} (${t.size} elements) to ${fmtShape(shape)}`);
  }
  const rec = t.record;
  const y = new Tensor(rec, out);
  record('reshape', [t], [y], ([dy]) => [dy && reshape(dy, t.shape)]);
  return y;
}

/** Permutes axes (default: reverses them). @category Movement */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const t = asTensor(x, 'transpose');
  const p = perm ?? t.shape.map((_, i) => t.rank - 1 - i);
  if (p.length !== t.rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new ShapeError(`transpose: perm [${p.join(',')}] is not a permutation of the ${t.rank} axes of ${fmtShape(t.shape)}`);
  }
  const y = wrap(engine.backend.transpose(t.info, p), p.map((a) => t.shape[a]));
  const inverse = p.map((_, i) => p.indexOf(i));
  record('transpose', [t], [y], ([dy]) => [dy && transpose(dy, inverse)]);
  return y;
}

/** The block starting at `begin` with extent `size` (-1 = to the end). @category Movement */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  const t = asTensor(x, 'slice');
  const sz = t.shape.map((d, i) => (size?.[i] === undefined || size[i] === -1 ? d - (begin[i] ?? 0) : size[i]));
  const b = t.shape.map((_, i) => begin[i] ?? 0);
  if (b.some((v, i) => v < 0 || sz[i] < 0 || v + sz[i] > t.shape[i])) {
    throw new ShapeError(`slice: begin [${b.join(',')}] size [${sz.join(',')}] is outside ${fmtShape(t.shape)}`);
  }
  const y = wrap(engine.backend.slice(t.info, b, sz), sz);
  record('slice', [t], [y], ([dy]) => {
    if (dy === null) return [null];
    // Scatter back through a one-hot selection matrix would be heavy; pad with concat instead.
    return [padSlice(dy, t.shape, b)];
  });
  return y;
}

function padSlice(dy: Tensor, shape: Shape, begin: readonly number[]): Tensor {
  let g = dy;
  for (let ax = 0; ax < shape.length; ax++) {
    const before = begin[ax];
    const after = shape[ax] - before - g.shape[ax];
    const parts: Tensor[] = [];
    if (before > 0) parts.push(zerosLike(g.shape.map((d, i) => (i === ax ? before : d))));
    parts.push(g);
    if (after > 0) parts.push(zerosLike(g.shape.map((d, i) => (i === ax ? after : d))));
    if (parts.length > 1) g = concat(parts, ax);
  }
  return g;
}

function zerosLike(shape: Shape): Tensor {
  return wrap(engine.backend.fill(sizeOf(shape), 0), shape);
}

/** Rows of `x` (axis 0) at `indices`. @category Movement */
export function gather(x: Tensor, indices: Int32Array | readonly number[]): Tensor {
  const t = asTensor(x, 'gather');
  const idx = checkRows('gather', t, indices);
  const y = wrap(engine.backend.gather(t.info, idx), [idx.length, ...t.shape.slice(1)]);
  return y;
}

function checkRows(op: string, t: Tensor, indices: Int32Array | readonly number[]): Int32Array {
  if (t.rank === 0) throw new ShapeError(`${op}: cannot gather rows of a scalar`);
  const idx = Int32Array.from(indices);
  const bad = idx.findIndex((i) => i < 0 || i >= t.shape[0]);
  if (bad >= 0) throw new ValueError(`${op}: index ${idx[bad]} is out of range for ${t.shape[0]} rows (shape ${fmtShape(t.shape)})`);
  return idx;
}

/** `[gather(x, indices), gather(y, indices)]` in one backend call (fit's inputs and targets). @category Movement */
export function gatherPair(x: Tensor, y: Tensor, indices: Int32Array | readonly number[]): [Tensor, Tensor] {
  const tx = asTensor(x, 'gatherPair', 'x');
  const ty = asTensor(y, 'gatherPair', 'y');
  const idx = checkRows('gatherPair', tx, indices);
  checkRows('gatherPair', ty, idx);
  const [hx, hy] = engine.backend.gatherPair(tx.info, ty.info, idx);
  return [wrap(hx, [idx.length, ...tx.shape.slice(1)]), wrap(hy, [idx.length, ...ty.shape.slice(1)])];
}

/** Joins tensors along `axis`; every other dimension must match. @category Movement */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('concat: needs at least one tensor');
  const ts = xs.map((x, i) => asTensor(x, 'concat', `xs[${i}]`));
  const a = normAxis('concat', axis, ts[0].rank);
  for (const t of ts) {
    if (t.rank !== ts[0].rank || t.shape.some((d, i) => i !== a && d !== ts[0].shape[i])) {
      throw new ShapeError(`concat: shapes ${ts.map((u) => fmtShape(u.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  const outShape = ts[0].shape.map((d, i) => (i === a ? ts.reduce((s, t) => s + t.shape[a], 0) : d));
  const y = wrap(engine.backend.concat(ts.map((t) => t.info), a, outShape), outShape);
  record('concat', ts, [y], ([dy], need) => {
    if (dy === null) return ts.map(() => null);
    let at = 0;
    return ts.map((t, k) => {
      const begin = t.shape.map((_, i) => (i === a ? at : 0));
      at += t.shape[a];
      return need && !need[k] ? null : slice(dy, begin, t.shape);
    });
  });
  return y;
}

/** One-hot rows: integer-valued [N] -> [N, depth]. @category Movement */
export function oneHot(indices: Tensor, depth: number): Tensor {
  const t = asTensor(indices, 'oneHot');
  if (!Number.isInteger(depth) || depth <= 0) throw new ValueError(`oneHot: depth must be a positive integer, got ${depth}`);
  return wrap(engine.backend.oneHot(t.info, depth), [...t.shape, depth]);
}

/** Repeats `x` along size-1 (or missing leading) axes to `shape`. @category Movement */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const t = asTensor(x, 'broadcastTo');
  if (shapesEqual(t.shape, shape)) return t;
  const out = broadcastShapes('broadcastTo', t.shape, shape);
  if (!shapesEqual(out, shape)) throw new ShapeError(`broadcastTo: cannot broadcast ${fmtShape(t.shape)} to ${fmtShape(shape)}`);
  // x + 0 broadcast to `shape`: one dispatch, the 0 passed by value.
  const y = wrap(engine.backend.binary('add', t.info, 0, out), out);
  record('broadcastTo', [t], [y], ([dy]) => [dy && unbroadcast(dy, t.shape)]);
  return y;
}

/** `x` with a size-1 axis inserted at `axis` (default 0; negative counts from the end of the result). No copy. @category Movement */
export function expandDims(x: Tensor, axis = 0): Tensor {
  const t = asTensor(x, 'expandDims');
  const a = normAxis('expandDims', axis, t.rank + 1);
  return reshape(t, [...t.shape.slice(0, a), 1, ...t.shape.slice(a)]);
}

/** `x` without its size-1 axes (all of them, or those in `axis`, each of which must be 1). No copy. @category Movement */
export function squeeze(x: Tensor, axis?: readonly number[]): Tensor {
  const t = asTensor(x, 'squeeze');
  const drop = new Set(axis === undefined ? t.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : axis.map((a) => normAxis('squeeze', a, t.rank)));
  for (const a of drop) {
    if (t.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of ${fmtShape(t.shape)} has size ${t.shape[a]}, not 1`);
  }
  return reshape(t, t.shape.filter((_, i) => !drop.has(i)));
}

/** A copy of `x` with its own memory (bitwise; the gradient passes through). @category Movement */
export function clone(x: Tensor): Tensor {
  const t = asTensor(x, 'clone');
  const y = wrap(engine.backend.copy(t.handle, t.size), t.shape);
  record('clone', [t], [y], ([dy]) => [dy]);
  return y;
}

/**
 * TF.js's `cast`: to 'float32' it is a `clone`; any other dtype is rejected with an error, since
 * wgnn tensors are float32 only. @category Movement
 */
export function cast(x: Tensor, dtype: 'float32'): Tensor {
  checkDtype('cast', dtype);
  return clone(x);
}
