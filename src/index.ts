/**
 * wgnn: WebGPU tensors and Keras-exact batch normalization. Public API (re-exports only).
 *
 * @packageDocumentation
 * @document ../docs/habits.md
 * @document ../docs/guides/learning-rate.md
 * @document ../docs/guides/early-stopping.md
 * @document ../docs/guides/fine-tuning.md
 * @document ../docs/guides/saving-and-loading.md
 * @document ../docs/guides/memory.md
 * @document ../docs/semantics.md
 * @document ../docs/environment.md
 */
export { init, getBackend, backendInfo, backendStats, memory, ready } from './backend/select.js';
export type { InitOptions, AdapterSummary, BackendStats } from './backend/select.js';
export { BackendError, NonFiniteError, ShapeError, ValueError } from './core/errors.js';
export { Tensor, Variable } from './core/tensor.js';
export type { NestedArray } from './core/tensor.js';
export { tidy, keep, dispose } from './core/scope.js';
export { tensor, scalar, fill, zeros, ones, randomNormal, randomUniform, variable } from './ops/creation.js';
export type { RandomOptions } from './ops/creation.js';
export {
  add, sub, mul, div, maximum, minimum, pow, greater, greaterEqual, less, lessEqual, equal,
  neg, abs, square, sqrt, rsqrt, exp, log, relu, sigmoid, tanh, reciprocal, sign, step, where,
} from './ops/elementwise.js';
export { sum, mean, max, min, moments, argMax } from './ops/reduce.js';
export type { Axes } from './ops/reduce.js';
export { matmul } from './ops/matmul.js';
export { reshape, transpose, slice, gather, concat, oneHot, broadcastTo } from './ops/movement.js';
export { batchNormTrain, batchNormInfer } from './ops/batchnorm.js';
export type { BatchNormOptions, MovingStats } from './ops/batchnorm.js';
export { conv2d, depthwiseConv2d } from './ops/conv.js';
export type { Conv2dOptions, ConvPadding } from './ops/conv.js';
export { grad, grads, valueAndGrads, variableGrads } from './autograd/grad.js';
export { input, Layer, SymbolicTensor, GraphNode } from './layers/layer.js';
export type { InputOptions, ApplyOptions, SymbolicShape } from './layers/layer.js';
export * as layers from './layers/index.js';
export * as optimizers from './optimizers/index.js';
export * as losses from './losses/index.js';
export { model, sequential, loadModel, Model, Sequential } from './models/index.js';
export type {
  ModelOptions, SequentialOptions, ModelArtifacts, CompileOptions, FitOptions, EvaluateOptions, History,
} from './models/index.js';
// Types the signatures above refer to, so users can name them (and the API docs can link them).
export type { Shape } from './core/shape.js';
export type { TensorLike } from './ops/op.js';
export type { LayerOptions } from './layers/layer.js';
export type { ModelTopology, WeightSpec, BatchLogs, EpochLogs } from './models/index.js';
export type { LossSpec } from './models/index.js';
export { loadLayersModel } from './models/index.js';
export type { ModelSource, WeightsGroup, ModelJson, Quantization, TrainingConfig, LoadOptions, SaveOptions } from './models/index.js';
export { pad } from './ops/pad.js';
export type { Paddings } from './ops/pad.js';
export { maxPool, avgPool } from './ops/pooling.js';
export type { PoolOptions, PoolPadding, PoolDataFormat } from './ops/pooling.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export * as callbacks from './models/callbacks/index.js';
export { LearningRateSchedule } from './optimizers/schedules.js';
export type { LearningRate } from './optimizers/optimizer.js';
export { tensor1d, tensor2d, tensor3d, tensor4d } from './ops/creation.js';
export type { DataType } from './ops/creation.js';
// The ops as Tensor methods (x.add(y).relu()), typed by declaration merging. Importing a name
// keeps the installing module in bundles (package.json says sideEffects: false).
export { TENSOR_METHODS } from './ops/methods.js';
export { expandDims, squeeze, clone, cast } from './ops/movement.js';
export { Callback } from './models/callbacks/callback.js';
export type { DisposeResult } from './layers/layer.js';
