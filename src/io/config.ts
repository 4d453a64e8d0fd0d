/**
 * Reading and writing one layer's Keras config: every key is consumed by a rule or reported.
 * Rules translate between Keras's snake_case values (initializer objects, dtype policies) and the
 * camelCase options of wgnn's layer constructors.
 */
import { ValueError } from '../core/errors.js';
import type { InitializerConfig } from '../layers/initializers.js';

/** A plain JSON object (from JSON.parse, or about to be written). */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON text of a value for error messages, cut at 120 characters. */
export function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** Opaque Keras configs that have no wgnn counterpart but round-trip (initializers of loaded weights). */
export type Kept = Map<string, unknown>;

/**
 * How one Keras config key maps to a wgnn option:
 *   plain        the same value under `camel` (the layer constructor validates it)
 *   initializer  a Keras initializer object; wgnn's own kinds map, others are kept for saving
 *                (the weights come from the file, so only the record matters)
 *   regularizer  Keras L1L2 / L1 / L2 as wgnn's { l1, l2 } (a training-loss term), or null
 *   nullOnly     must be null (constraints, regularizers wgnn does not apply)
 *   fixed        must equal `value` (data formats, dtypes wgnn has one of)
 *   enum         a Keras string mapped through `values` (Keras -> wgnn)
 */
export type KeyRule =
  | { readonly kind: 'plain'; readonly camel: string; readonly optional?: boolean; readonly omitIf?: unknown }
  | { readonly kind: 'initializer'; readonly camel: string }
  | { readonly kind: 'regularizer'; readonly camel: string }
  | { readonly kind: 'nullOnly' }
  | { readonly kind: 'fixed'; readonly value: unknown; readonly alsoNull?: boolean; readonly write?: boolean }
  | { readonly kind: 'enum'; readonly camel: string; readonly values: Readonly<Record<string, unknown>> };

export const plain = (camel: string, optional = false): KeyRule => ({ kind: 'plain', camel, optional });
/** A wgnn extension key: written only when it differs from `omitIf` (Keras and TF.js do not know it). */
export const extension = (camel: string, omitIf: unknown): KeyRule => ({ kind: 'plain', camel, optional: true, omitIf });
export const init = (camel: string): KeyRule => ({ kind: 'initializer', camel });
export const regularizer = (camel: string): KeyRule => ({ kind: 'regularizer', camel });

/** Keras `{ class_name: 'L1L2' | 'L1' | 'L2', config: { l1?, l2? } }` as `{ l1, l2 }`, or null if it is not one. */
function regularizerFromKeras(v: unknown): { l1: number; l2: number } | null {
  const c = classAndConfig(v);
  if (!c || !['L1L2', 'L1', 'L2', 'l1_l2', 'l1', 'l2'].includes(c.cls)) return null;
  if (Object.keys(c.cfg).some((k) => k !== 'l1' && k !== 'l2')) return null;
  const num = (x: unknown): number | null => (x === undefined ? 0 : typeof x === 'number' ? x : null);
  const l1 = num(c.cfg.l1);
  const l2 = num(c.cfg.l2);
  return l1 === null || l2 === null ? null : { l1, l2 };
}
export const nullOnly: KeyRule = { kind: 'nullOnly' };
export const fixed = (value: unknown, alsoNull = false): KeyRule => ({ kind: 'fixed', value, alsoNull });
/** A Keras 3 key with one supported value, read but not written (older readers reject it). */
export const readOnly = (value: unknown): KeyRule => ({ kind: 'fixed', value, alsoNull: true, write: false });
export const enumOf = (camel: string, values: Record<string, unknown>): KeyRule => ({ kind: 'enum', camel, values });

/** Keys every layer has: name, trainable, dtype (a string or a Keras 3 DTypePolicy). */
export const BASE_RULES: Readonly<Record<string, KeyRule>> = {
  name: plain('name'),
  trainable: plain('trainable', true),
  dtype: { kind: 'fixed', value: 'float32', alsoNull: true },
};

/** `loadLayersModel: Dense 'd1': config key 'kernel_constraint' = {...}: <why>`. */
export function keyError(label: string, key: string, value: unknown, why: string): ValueError {
  return new ValueError(`${label}: config key '${key}' = ${show(value)}: ${why}`);
}

function dtypeName(v: unknown): unknown {
  // Keras 3: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null }
  if (isObject(v) && v.class_name === 'DTypePolicy' && isObject(v.config)) return v.config.name;
  return v;
}

/** Keras 3 wraps objects as { module, class_name, config, registered_name }; Keras 2 as { class_name, config }. */
function classAndConfig(v: unknown): { cls: string; cfg: Json } | null {
  if (!isObject(v) || typeof v.class_name !== 'string') return null;
  return { cls: v.class_name, cfg: isObject(v.config) ? v.config : {} };
}

const seedOf = (cfg: Json): number | undefined => (typeof cfg.seed === 'number' ? cfg.seed : undefined);

/** A Keras initializer as a wgnn one, or null when wgnn has no such kind (then it is kept). */
export function initializerFromKeras(v: unknown): InitializerConfig | null {
  const c = classAndConfig(v);
  if (!c) return null;
  const { cls, cfg } = c;
  if ((cls === 'Zeros' || cls === 'zeros') && Object.keys(cfg).length === 0) return { name: 'zeros' };
  if ((cls === 'Ones' || cls === 'ones') && Object.keys(cfg).length === 0) return { name: 'ones' };
  const onlySeed = Object.keys(cfg).every((k) => k === 'seed') && (cfg.seed === undefined || cfg.seed === null || typeof cfg.seed === 'number');
  if (cls === 'GlorotUniform' && onlySeed) return { name: 'glorotUniform', ...(seedOf(cfg) === undefined ? {} : { seed: seedOf(cfg) }) };
  const glorotLike = cls === 'VarianceScaling' && cfg.scale === 1 && cfg.mode === 'fan_avg' && cfg.distribution === 'uniform';
  if (glorotLike && Object.keys(cfg).every((k) => ['scale', 'mode', 'distribution', 'seed'].includes(k))) {
    return { name: 'glorotUniform', ...(seedOf(cfg) === undefined ? {} : { seed: seedOf(cfg) }) };
  }
  return null;
}

/** A wgnn initializer as Keras writes it. */
export function initializerToKeras(c: InitializerConfig): Json {
  switch (c.name) {
    case 'zeros':
      return { class_name: 'Zeros', config: {} };
    case 'ones':
      return { class_name: 'Ones', config: {} };
    case 'glorotUniform':
      return { class_name: 'GlorotUniform', config: { seed: c.seed ?? null } };
    default:
      c.name satisfies never;
      throw new ValueError(`save: unknown initializer ${show(c)}`);
  }
}

/**
 * Translates a Keras config into wgnn options under `rules`. Keys without a rule, and values a
 * rule refuses, are errors naming the layer, the key and the value. `kept` receives initializers
 * wgnn cannot express (written back verbatim by `save`).
 */
export function readConfig(label: string, cfg: Json, rules: Readonly<Record<string, KeyRule>>, kept: Kept): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(cfg)) {
    if (!Object.hasOwn(rules, key)) {
      throw keyError(label, key, value, `not a key wgnn knows for this layer (known: ${Object.keys(rules).join(', ')})`);
    }
    const rule = rules[key];
    switch (rule.kind) {
      case 'plain':
        if (value !== null && value !== undefined) out[rule.camel] = value;
        else if (!rule.optional) throw keyError(label, key, value, 'must not be null');
        break;
      case 'initializer': {
        if (value === null || value === undefined) break;
        const w = initializerFromKeras(value);
        if (w) out[rule.camel] = w;
        else if (classAndConfig(value)) kept.set(key, value);
        else throw keyError(label, key, value, 'not an initializer ({ class_name, config })');
        break;
      }
      case 'regularizer': {
        if (value === null || value === undefined) break;
        const r = regularizerFromKeras(value);
        if (!r) throw keyError(label, key, value, "wgnn supports L1L2 / L1 / L2 ({ class_name, config: { l1, l2 } }) or null");
        out[rule.camel] = r;
        break;
      }
      case 'nullOnly':
        if (value !== null && value !== undefined) throw keyError(label, key, value, 'not supported by wgnn (only null)');
        break;
      case 'fixed': {
        const v = key === 'dtype' ? dtypeName(value) : value;
        if (!(rule.alsoNull && (v === null || v === undefined)) && JSON.stringify(v) !== JSON.stringify(rule.value)) {
          throw keyError(label, key, value, `wgnn supports only ${show(rule.value)}`);
        }
        break;
      }
      case 'enum':
        if (value === null) break;
        if (typeof value !== 'string' || !Object.hasOwn(rule.values, value)) {
          throw keyError(label, key, value, `must be one of ${Object.keys(rule.values).map((s) => show(s)).join(', ')}`);
        }
        out[rule.camel] = rule.values[value];
        break;
      default:
        rule satisfies never;
    }
  }
  return out;
}

/** The inverse of `readConfig`: a layer's wgnn config (from `getConfig`) as Keras keys, in rule order. */
export function writeConfig(options: Json, rules: Readonly<Record<string, KeyRule>>, kept: Kept | undefined): Json {
  const out: Json = {};
  for (const [key, rule] of Object.entries(rules)) {
    switch (rule.kind) {
      case 'plain':
        if (rule.omitIf !== undefined && (options[rule.camel] === rule.omitIf || options[rule.camel] === undefined)) break;
        if (options[rule.camel] !== undefined) out[key] = options[rule.camel];
        else if (rule.optional) out[key] = null;
        break;
      case 'initializer': {
        const k = kept?.get(key);
        if (k !== undefined) out[key] = k;
        else if (options[rule.camel] !== undefined) out[key] = initializerToKeras(options[rule.camel] as InitializerConfig);
        break;
      }
      case 'regularizer': {
        const r = options[rule.camel] as { l1: number; l2: number } | undefined;
        out[key] = r ? { class_name: 'L1L2', config: { l1: r.l1, l2: r.l2 } } : null;
        break;
      }
      case 'nullOnly':
        out[key] = null;
        break;
      case 'fixed':
        if (rule.write !== false) out[key] = rule.value;
        break;
      case 'enum': {
        const hit = Object.entries(rule.values).find(([, v]) => v === options[rule.camel]);
        if (hit) out[key] = hit[0];
        break;
      }
      default:
        rule satisfies never;
    }
  }
  return out;
}
