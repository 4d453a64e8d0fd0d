/**
 * Compile settings <-> `trainingConfig` as TF.js's `getTrainingConfig` writes it:
 * `{ loss: 'mean_squared_error', metrics: ['accuracy'], optimizer_config: { class_name, config } }`
 * with TF.js's optimizer classes SGD / Momentum / RMSProp / Adam and their camelCase configs.
 * Keras's snake_case spellings (learning_rate, lr, beta_1, ...) are read too.
 */
import { ValueError } from '../core/errors.js';
import type { LossName } from '../losses/losses.js';
import type { Model } from '../models/model.js';
import { adam, rmsprop, sgd, type Optimizer } from '../optimizers/optimizer.js';
import type { TrainingConfig } from './artifacts.js';
import { isObject, show, type Json } from './config.js';

const LOSSES: Readonly<Record<string, LossName>> = {
  mean_squared_error: 'meanSquaredError', mean_absolute_error: 'meanAbsoluteError', binary_crossentropy: 'binaryCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy', sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
};

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The trainingConfig of a compiled model (undefined when not compiled or the loss is a function). */
export function trainingConfigOf(model: Model): TrainingConfig | undefined {
  const c = model.compiled;
  if (!c || !Object.hasOwn(LOSSES, snake(c.lossName))) return undefined;
  const o = c.optimizer.config;
  const optimizer_config: TrainingConfig['optimizer_config'] = o.kind === 'adam'
    ? { class_name: 'Adam', config: { learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon } }
    : o.kind === 'rmsprop'
      ? { class_name: 'RMSProp', config: { learningRate: o.learningRate, decay: o.rho, momentum: 0, epsilon: o.epsilon, centered: false } }
      : o.momentum === 0
        ? { class_name: 'SGD', config: { learningRate: o.learningRate } }
        : { class_name: 'Momentum', config: { learningRate: o.learningRate, momentum: o.momentum, useNesterov: false } };
  return { loss: snake(c.lossName), metrics: c.accuracy ? ['accuracy'] : [], optimizer_config };
}

/** Reads `keys` (first spelling found) and refuses any other key, or a default-only key with another value. */
function pick(cfg: Json, known: Record<string, string[]>, fixed: Record<string, unknown>, where: string): Record<string, number> {
  const out: Record<string, number> = {};
  const all = new Set([...Object.values(known).flat(), ...Object.keys(fixed)]);
  for (const [k, v] of Object.entries(cfg)) {
    if (!all.has(k)) throw new ValueError(`${where}: trainingConfig optimizer key '${k}' = ${show(v)} is not supported`);
    if (Object.hasOwn(fixed, k) && v !== fixed[k] && v !== null) throw new ValueError(`${where}: trainingConfig optimizer key '${k}' = ${show(v)} is not supported (only ${show(fixed[k])})`);
  }
  for (const [name, spellings] of Object.entries(known)) {
    const k = spellings.find((s) => cfg[s] !== undefined && cfg[s] !== null);
    if (k !== undefined) out[name] = cfg[k] as number;
  }
  return out;
}

function optimizerFrom(oc: unknown, where: string): Optimizer {
  if (!isObject(oc) || typeof oc.class_name !== 'string') throw new ValueError(`${where}: trainingConfig optimizer_config must be { class_name, config }, got ${show(oc)}`);
  const cfg = isObject(oc.config) ? oc.config : {};
  const lr = ['learningRate', 'learning_rate', 'lr'];
  const common = { name: null, decay: 0, clipnorm: null, clipvalue: null, global_clipnorm: null };
  switch (oc.class_name.toLowerCase()) {
    case 'sgd':
    case 'momentum':
      return sgd(pick(cfg, { learningRate: lr, momentum: ['momentum'] }, { ...common, useNesterov: false, nesterov: false }, where));
    case 'rmsprop': {
      const { decay: _d, ...rest } = common;
      return rmsprop(pick(cfg, { learningRate: lr, rho: ['rho', 'decay'], epsilon: ['epsilon'] }, { ...rest, momentum: 0, centered: false }, where));
    }
    case 'adam':
      return adam(pick(cfg, { learningRate: lr, beta1: ['beta1', 'beta_1'], beta2: ['beta2', 'beta_2'], epsilon: ['epsilon'] }, { ...common, amsgrad: false }, where));
    default:
      throw new ValueError(`${where}: trainingConfig optimizer ${show(oc.class_name)} is not supported (SGD, Momentum, RMSProp, Adam)`);
  }
}

/** Compiles `model` as the file's trainingConfig says (nothing when there is none). */
export function applyTrainingConfig(model: Model, tc: unknown, where: string): void {
  if (tc === undefined || tc === null) return;
  if (!isObject(tc)) throw new ValueError(`${where}: trainingConfig must be an object, got ${show(tc)}`);
  for (const k of ['weighted_metrics', 'loss_weights', 'sample_weight_mode']) {
    if (tc[k] !== undefined && tc[k] !== null) throw new ValueError(`${where}: trainingConfig ${k} = ${show(tc[k])} is not supported`);
  }
  if (typeof tc.loss !== 'string' || !Object.hasOwn(LOSSES, tc.loss)) {
    throw new ValueError(`${where}: trainingConfig loss ${show(tc.loss)} is not supported (${Object.keys(LOSSES).join(', ')})`);
  }
  const metrics = Array.isArray(tc.metrics) ? tc.metrics : [];
  if (metrics.some((m) => m !== 'accuracy' && m !== 'acc')) throw new ValueError(`${where}: trainingConfig metrics ${show(tc.metrics)} are not supported (only accuracy)`);
  model.compile({ optimizer: optimizerFrom(tc.optimizer_config, where), loss: LOSSES[tc.loss], metrics: metrics as string[] });
}
