/** `wg.optimizers`: sgd, rmsprop, adam. */
export { sgd, rmsprop, adam, Optimizer, getOptimizer } from './optimizer.js';
export type { OptimizerConfig, OptimizerName, SgdConfig, RmspropConfig, AdamConfig } from './optimizer.js';
