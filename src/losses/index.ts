/** `wg.losses`: the built-in losses (per-sample tensors, Keras 3 semantics). */
export {
  meanSquaredError, meanAbsoluteError, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy,
} from './losses.js';
export type { LossFn, LossName } from './losses.js';
