/** `wg.callbacks`: the Callback base class and Keras's built-in callbacks. */
export { Callback } from './callback.js';
export type { BatchBeginLogs, BatchLogs, EpochLogs, TrainLogs, FitParams, CallbackHooks, CallbackSpec, Awaitable } from './callback.js';
export { earlyStopping, EarlyStopping } from './early_stopping.js';
export type { EarlyStoppingOptions } from './early_stopping.js';
export { reduceLROnPlateau, ReduceLROnPlateau } from './reduce_lr.js';
export type { ReduceLROnPlateauOptions } from './reduce_lr.js';
export type { MonitorMode } from './monitor.js';
