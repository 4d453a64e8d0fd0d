/**
 * Dispatch counts of the pooling / padding / softmax ops on WebGPU: one kernel forward and one
 * backward each (the WebGPU backend's own dispatch counter), against the float64 reference on a
 * larger case than the parity files use (many windows per thread group).
 */
import { describe, expect, it } from 'vitest';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';
import { engine } from '../../src/core/engine.js';
import * as wg from '../../src/index.js';
import { f64 } from '../reference.js';
import { rng } from '../util.js';

function gpu(): WebGpuBackend {
  const b = engine.backend;
  if (!(b instanceof WebGpuBackend)) throw new Error(`expected the webgpu backend, got ${b.name}`);
  return b;
}

/** Dispatches recorded by `f` (its result is kept alive until counted, then disposed). */
function dispatches(f: () => wg.Tensor | wg.Tensor[]): number {
  const ctx = gpu().ctx;
  const before = ctx.dispatchCount;
  const out = wg.tidy(f);
  const n = ctx.dispatchCount - before;
  wg.dispose(out);
  return n;
}

describe('webgpu dispatch counts', () => {
  const x = wg.tensor(rng(1).uniformF32(2 * 9 * 8 * 5), [2, 9, 8, 5]);
  const pool = { poolSize: 3, strides: 2, padding: 'same' } as const;
  const cases: [string, (t: wg.Tensor) => wg.Tensor, number, number][] = [
    ['maxPool', (t) => wg.maxPool(t, pool), 1, 1],
    ['avgPool', (t) => wg.avgPool(t, pool), 1, 1],
    ['maxPool NCHW', (t) => wg.maxPool(t, { ...pool, dataFormat: 'NCHW' }), 1, 1],
    ['pad', (t) => wg.pad(t, [[0, 0], [1, 2], [2, 1], [0, 0]]), 1, 1],
    ['softmax', (t) => wg.softmax(t, -1), 1, 1],
    ['logSoftmax', (t) => wg.logSoftmax(t, 1), 1, 1],
  ];
  for (const [name, f, fwd, bwd] of cases) {
    it(`${name}: ${fwd} dispatch forward, ${bwd} backward`, () => {
      const y = f(x);
      const dy = wg.ones(y.shape);
      expect(dispatches(() => f(x))).toBe(fwd);
      // grad re-runs the forward, then the backward; dy is given, so no seed fill.
      expect(dispatches(() => wg.grad(f)(x, dy)) - fwd).toBe(bwd);
      wg.dispose([y, dy]);
    });
  }

  it('a larger maxPool / avgPool / softmax / logSoftmax matches float64 on the GPU, forward and gradient', async () => {
    const shape = [1, 17, 19, 64];
    const v = rng(5).uniformF32(shape.reduce((a, b) => a * b, 1), -1, 1);
    const t = wg.tensor(v, shape);
    const opts = { poolSize: [3, 2] as [number, number], strides: [2, 3] as [number, number], padding: 'same' as const };
    for (const op of [wg.maxPool, wg.avgPool]) {
      const w = f64(() => op(wg.tensor(v, shape), opts));
      expect(await op(t, opts).data()).toBeAllClose(w, { rtol: 1e-5, atol: 1e-6 });
      const g = f64(() => wg.grad((u) => wg.sum(wg.square(op(u, opts))))(wg.tensor(v, shape)));
      expect(await wg.grad((u) => wg.sum(wg.square(op(u, opts))))(t).data()).toBeAllClose(g, { rtol: 1e-5, atol: 1e-6 });
    }
    // Rows of 64 (323 of them) and of 17: the workgroup-per-row and the thread-per-row kernels.
    // The gradient goes through exp / log of float32 values and a 64-term sum: rtol 1e-4.
    for (const axis of [3, 1]) {
      const loss = (u: wg.Tensor) => wg.sum(wg.mul(wg.logSoftmax(u, axis), wg.softmax(u, axis)));
      expect(await wg.softmax(t, axis).data()).toBeAllClose(f64(() => wg.softmax(wg.tensor(v, shape), axis)), { rtol: 1e-5, atol: 1e-7 });
      expect(await wg.grad(loss)(t).data()).toBeAllClose(f64(() => wg.grad(loss)(wg.tensor(v, shape))), { rtol: 1e-4, atol: 1e-6 });
    }
  });
});
