/** `wg.optimizers.schedules`: learning rate as a function of the step (Keras formulas). */
export { exponentialDecay, piecewiseConstantDecay, cosineDecay, LearningRateSchedule } from './schedules.js';
export type { ExponentialDecayOptions, PiecewiseConstantDecayOptions, CosineDecayOptions } from './schedules.js';
