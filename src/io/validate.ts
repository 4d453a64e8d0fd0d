/**
 * Checks on untrusted model files, all on the host before any device memory is allocated: JSON
 * keys that could reach an object prototype, weight specs (names, shapes, dtypes, quantization),
 * declared sizes against the bytes present and a size limit, and shard paths.
 */
import { ValueError } from '../core/errors.js';
import type { WeightSpec, WeightsGroup } from './artifacts.js';
import { isObject, show } from './config.js';
import { bytesPerElement, sizeOf } from './weights.js';

const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Throws when any object key in `value` is `__proto__` (JSON.parse keeps it as an own key; copies would not). */
export function checkNoProtoKeys(value: unknown, where: string, path = '$'): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkNoProtoKeys(v, where, `${path}[${i}]`));
  } else if (isObject(value)) {
    for (const k of Object.keys(value)) {
      if (k === '__proto__') throw new ValueError(`${where}: the model file has a key '__proto__' at ${path}: refused`);
      checkNoProtoKeys(value[k], where, `${path}.${k}`);
    }
  }
}

/** A layer, model or weight name: a non-empty string that is not `__proto__` / `constructor` / `prototype`. */
export function checkName(name: unknown, what: string, where: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new ValueError(`${where}: ${what} must be a non-empty string, got ${show(name)}`);
  if (FORBIDDEN_NAMES.has(name) || name.split('/').some((p) => FORBIDDEN_NAMES.has(p))) {
    throw new ValueError(`${where}: ${what} '${name}' is not allowed (reserved JavaScript property name)`);
  }
  return name;
}

function checkQuantization(q: unknown, name: string, where: string): void {
  if (q === undefined) return;
  if (!isObject(q)) throw new ValueError(`${where}: weight '${name}': quantization must be an object, got ${show(q)}`);
  if (q.dtype === 'float16') return;
  if (q.dtype !== 'uint8' && q.dtype !== 'uint16') {
    throw new ValueError(`${where}: weight '${name}': quantization dtype ${show(q.dtype)} is not supported (uint8, uint16, float16)`);
  }
  if (typeof q.scale !== 'number' || !Number.isFinite(q.scale) || typeof q.min !== 'number' || !Number.isFinite(q.min)) {
    throw new ValueError(`${where}: weight '${name}': ${q.dtype} quantization needs finite numbers scale and min, got ${show(q)}`);
  }
}

/** Validates the weight specs' structure: names unique, shapes of non-negative integers, float32 values. */
export function checkSpecs(specs: unknown, where: string): WeightSpec[] {
  if (!Array.isArray(specs)) throw new ValueError(`${where}: weightSpecs must be an array, got ${show(specs)}`);
  const seen = new Set<string>();
  for (const s of specs) {
    if (!isObject(s)) throw new ValueError(`${where}: each weight spec must be an object, got ${show(s)}`);
    const name = checkName(s.name, 'weight name', where);
    if (s.group === 'optimizer') {
      throw new ValueError(`${where}: the file holds optimizer state (weight '${name}', group 'optimizer'), which wgnn does not restore: save it without the optimizer (TF.js: includeOptimizer: false)`);
    }
    if (seen.has(name)) throw new ValueError(`${where}: weight '${name}' appears twice in the weight specs`);
    seen.add(name);
    const shape = s.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || (d as number) < 0)) {
      throw new ValueError(`${where}: weight '${name}': shape must be an array of non-negative integers, got ${show(shape)}`);
    }
    if (s.dtype !== 'float32') {
      throw new ValueError(`${where}: weight '${name}' has dtype ${show(s.dtype)}: wgnn weights are float32 (stored as float32, uint8, uint16 or float16)`);
    }
    checkQuantization(s.quantization, name, where);
  }
  return specs as WeightSpec[];
}

/** Bytes the specs declare, checked against the size limit (in float32 bytes). */
export function declaredBytes(specs: readonly WeightSpec[], maxBytes: number, where: string): number {
  let stored = 0;
  let floats = 0;
  for (const s of specs) {
    const n = sizeOf(s.shape);
    stored += n * bytesPerElement(s);
    floats += 4 * n;
  }
  if (floats > maxBytes) {
    throw new ValueError(`${where}: the weights declare ${floats} bytes of float32 values, over the limit of ${maxBytes} (option maxBytes)`);
  }
  return stored;
}

/** The stored bytes must be exactly what the specs declare (a shorter file is truncated). */
export function checkByteLength(specs: readonly WeightSpec[], data: unknown, maxBytes: number, where: string): ArrayBuffer {
  if (!(data instanceof ArrayBuffer)) throw new ValueError(`${where}: weightData must be an ArrayBuffer, got ${show(typeof data)}`);
  const want = declaredBytes(specs, maxBytes, where);
  if (data.byteLength !== want) {
    const what = data.byteLength < want ? 'truncated' : 'longer than declared';
    throw new ValueError(`${where}: weightData holds ${data.byteLength} bytes but the weight specs declare ${want} (${what})`);
  }
  return data;
}

/** A shard path relative to model.json that stays inside its folder: no scheme, no absolute path, no `..`. */
export function checkShardPath(p: unknown, where: string): string {
  if (typeof p !== 'string' || p.length === 0) throw new ValueError(`${where}: a shard path must be a non-empty string, got ${show(p)}`);
  const parts = p.split(/[\\/]/);
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(p) || p.startsWith('/') || p.startsWith('\\') || parts.includes('..')) {
    throw new ValueError(`${where}: shard path '${p}' leaves the model's folder: refused`);
  }
  return p;
}

/** Validates model.json's `weightsManifest`. */
export function checkManifest(m: unknown, where: string): WeightsGroup[] {
  if (!Array.isArray(m)) throw new ValueError(`${where}: model.json has no weightsManifest array (got ${show(m)})`);
  for (const g of m) {
    if (!isObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) throw new ValueError(`${where}: each weightsManifest group needs paths and weights, got ${show(g)}`);
    g.paths.forEach((p) => checkShardPath(p, where));
  }
  checkSpecs(m.flatMap((g: WeightsGroup) => g.weights), where);
  return m as WeightsGroup[];
}

/**
 * Integers in a topology (units, filters, kernel and input sizes) bound the weights the build will
 * allocate before any are bound to the file: each must stay within the file's own weight count
 * (at least 65536), so a crafted config cannot allocate more than the file declares. `seed` is exempt.
 */
export function checkTopologyIntegers(topology: unknown, declaredElements: number, where: string, path = '$'): void {
  const limit = Math.max(declaredElements, 1 << 16);
  if (Array.isArray(topology)) {
    topology.forEach((v, i) => checkTopologyIntegers(v, declaredElements, where, `${path}[${i}]`));
  } else if (isObject(topology)) {
    for (const [k, v] of Object.entries(topology)) if (k !== 'seed') checkTopologyIntegers(v, declaredElements, where, `${path}.${k}`);
  } else if (typeof topology === 'number' && Number.isInteger(topology) && Math.abs(topology) > limit) {
    throw new ValueError(`${where}: the topology has ${topology} at ${path}, more than the ${limit} weight values the file declares: refused`);
  }
}
