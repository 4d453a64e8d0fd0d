/** How `x.print()` shows values (TF.js's layout): `Tensor` then the nested values, aligned. */
import { sizeOf, type Shape } from './shape.js';

/** At most 7 decimals, trailing zeros dropped (TF.js prints the same digits). */
function fmt(v: number): string {
  return Number.isFinite(v) ? String(Number.parseFloat(v.toFixed(7))) : String(v);
}

function rows(cells: readonly string[], shape: Shape, at: number, axis: number, indent: string): string {
  if (axis === shape.length - 1) return `[${cells.slice(at, at + shape[axis]).join(', ')}]`;
  const stride = sizeOf(shape.slice(axis + 1));
  const parts: string[] = [];
  for (let i = 0; i < shape[axis]; i++) parts.push(rows(cells, shape, at + i * stride, axis + 1, `${indent} `));
  const sep = `,${'\n'.repeat(shape.length - axis - 1)}${indent} `;
  return `[${parts.join(sep)}]`;
}

/** Rank >= 2: each column (last axis) padded at the end to its widest value. */
function padColumns(raw: readonly string[], shape: Shape): string[] {
  if (shape.length < 2) return [...raw];
  const cols = shape[shape.length - 1];
  const width = new Array<number>(cols).fill(0);
  raw.forEach((s, i) => { width[i % cols] = Math.max(width[i % cols], s.length); });
  return raw.map((s, i) => s.padEnd(width[i % cols]));
}

/**
 * The text `print()` writes for values of `shape` (a scalar shows its full float32 value, as
 * TF.js); `verbose` adds dtype, rank and shape.
 */
export function formatTensor(values: ArrayLike<number>, shape: Shape, verbose = false): string {
  const body = shape.length === 0 ? String(values[0])
    : sizeOf(shape) === 0 ? '[]' : rows(padColumns(Array.from(values, fmt), shape), shape, 0, 0, '    ');
  const head = verbose ? `\n  dtype: float32\n  rank: ${shape.length}\n  shape: [${shape.join(',')}]\n  values:` : '';
  return `Tensor${head}\n    ${body}`;
}
