/** `wg.optimizers`: sgd, rmsprop, adam. */
export { sgd, rmsprop, adam, Optimizer, getOptimizer } from './optimizer.js';
export type { OptimizerConfig, OptimizerName } from './optimizer.js';
