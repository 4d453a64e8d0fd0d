/**
 * The float64 reference: the CPU backend storing float64, run synchronously through the same
 * public ops. Tests compare the active backend (float32 CPU, or WebGPU) against it.
 */
import { CpuBackend } from '../src/backend/cpu/backend.js';
import { engine } from '../src/core/engine.js';
import * as wg from '../src/index.js';

export const cpu64 = new CpuBackend({ precision: 'float64' });

/** Runs `fn` on the float64 CPU backend and returns its output values in float64. */
export function f64(fn: () => wg.Tensor): Float64Array {
  return engine.withBackend(cpu64, () => {
    const t = wg.tidy(fn);
    const out = cpu64.readExact(t.handle);
    wg.dispose(t);
    return out;
  });
}

/** Like `f64` for a function returning several tensors. */
export function f64Many(fn: () => wg.Tensor[]): Float64Array[] {
  return engine.withBackend(cpu64, () => {
    const ts = wg.tidy(fn);
    const out = ts.map((t) => cpu64.readExact(t.handle));
    wg.dispose(ts);
    return out;
  });
}

/** A scalar function of one flat input, evaluated in float64 (for finite differences). */
export function scalarF64(shape: readonly number[], fn: (x: wg.Tensor) => wg.Tensor): (x: Float64Array) => number {
  return (x) => engine.withBackend(cpu64, () => wg.tidy(() => cpu64.readExact(fn(wg.tensor(x, shape)).handle)[0]));
}

/** The gradient of `fn` (scalar-valued) at `x`, computed by wgnn's autodiff in float64. */
export function gradF64(shape: readonly number[], fn: (x: wg.Tensor) => wg.Tensor, x: Float64Array): Float64Array {
  return f64(() => wg.grad(fn)(wg.tensor(x, shape)));
}
