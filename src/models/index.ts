/** Model factories: `model({inputs, outputs})`, `sequential({layers})`, `loadLayersModel(source)`, `loadModel(artifacts)`. */
import { Model, type ModelOptions } from './model.js';
import { Sequential, type SequentialOptions } from './sequential.js';

/** A functional model from `wg.input()` tensors to layer outputs (one or several of each). */
export function model(options: ModelOptions): Model {
  return new Model(options);
}

/** A linear stack of layers. */
export function sequential(options: SequentialOptions = {}): Sequential {
  return new Sequential(options);
}

export { Model, Sequential };
export { loadModel, loadLayersModel } from '../io/load.js';
export type { ModelSource } from '../io/load.js';
export type { ModelOptions, SequentialOptions };
export type { ModelArtifacts, ModelTopology, WeightSpec, WeightsGroup, ModelJson, Quantization, TrainingConfig, LoadOptions, SaveOptions } from '../io/artifacts.js';
export type { CompileOptions, FitOptions, EvaluateOptions, History, BatchLogs, EpochLogs } from './training.js';
export type { LossSpec } from './training.js';
