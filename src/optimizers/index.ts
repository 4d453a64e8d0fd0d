/** `wg.optimizers`: sgd, rmsprop, adam, and learning-rate `schedules`. */
export { sgd, rmsprop, adam, Optimizer, getOptimizer } from './optimizer.js';
export type { OptimizerConfig, OptimizerName, SgdConfig, RmspropConfig, AdamConfig, LearningRate, SgdOptions, RmspropOptions, AdamOptions } from './optimizer.js';
export * as schedules from './schedules_index.js';
export { LearningRateSchedule } from './schedules.js';
