/**
 * What earlyStopping and reduceLROnPlateau share: option checks, the direction of a monitored
 * quantity (Keras's `mode`), and reading it from the epoch logs loudly.
 */
import { ValueError } from '../../core/errors.js';
import type { EpochLogs } from './callback.js';

export type MonitorMode = 'auto' | 'min' | 'max';

export function checkOptions(fn: string, o: object, allowed: readonly string[]): void {
  if (o === null || typeof o !== 'object') throw new ValueError(`callbacks.${fn}: needs an options object`);
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ValueError(`callbacks.${fn}: unknown option '${k}' (allowed: ${allowed.join(', ')})`);
  }
}

export function option(fn: string, name: string, v: unknown, ok: (x: number) => boolean, range: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new ValueError(`callbacks.${fn}: ${name} must be ${range}, got ${String(v)}`);
  return v;
}

export const nonNegativeInt = (x: number) => Number.isInteger(x) && x >= 0;
export const nonNegative = (x: number) => x >= 0 && Number.isFinite(x);

/**
 * 'min' or 'max' for `monitor`. 'auto': a name containing 'acc' is maximised, one ending in
 * 'loss' minimised; anything else must say which (Keras 3 raises too).
 */
export function direction(fn: string, monitor: string, mode: unknown): 'min' | 'max' {
  if (mode === 'min' || mode === 'max') return mode;
  if (mode !== 'auto') throw new ValueError(`callbacks.${fn}: mode must be 'auto', 'min' or 'max', got ${JSON.stringify(mode)}`);
  if (monitor.includes('acc')) return 'max';
  if (monitor.endsWith('loss')) return 'min';
  throw new ValueError(`callbacks.${fn}: cannot tell whether '${monitor}' should go down or up: pass mode: 'min' or 'max'`);
}

/** The monitored value; a missing one is an error naming what the logs have. */
export function monitored(fn: string, monitor: string, logs: EpochLogs): number {
  const v = logs[monitor];
  if (typeof v !== 'number') {
    const hint = monitor.startsWith('val_') ? ' (val_* needs validationData or validationSplit in fit)' : '';
    throw new ValueError(`callbacks.${fn}: monitor '${monitor}' is not in the epoch logs (available: ${Object.keys(logs).join(', ')})${hint}`);
  }
  return v;
}
