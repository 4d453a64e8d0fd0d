/**
 * Memory that must not grow (issue 13 item 8): Adam's per-step bias correction used to make one
 * cached uniform buffer per step (up to 2,048, ~50 MB of process memory on Dawn). Per-step
 * values now go through reused step uniforms, so the number of uniform buffers is flat once
 * training is warm. The RSS figure over 5,000 steps comes from `node bench/adam_rss.mjs`.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { engine } from '../../src/core/engine.js';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';
import { BufferPool } from '../../src/backend/webgpu/pool.js';

function ctx() {
  const b = engine.backend;
  if (!(b instanceof WebGpuBackend)) throw new Error('this file needs the WebGPU backend');
  return b.ctx;
}

describe('uniform buffers stay flat over training steps', () => {
  for (const optimizer of ['adam', 'sgd', 'rmsprop'] as const) {
    it(`${optimizer}: 60 more steps after warm-up make no uniform buffer and no GPU buffer`, async () => {
      const inp = wg.input({ shape: [4] });
      const h = wg.layers.dense({ units: 5, kernelInitializer: { name: 'glorotUniform', seed: 1 } }).apply(inp);
      const out = wg.layers.dense({ units: 1, kernelInitializer: { name: 'glorotUniform', seed: 2 } }).apply(wg.layers.batchNormalization().apply(h));
      const model = wg.model({ inputs: inp, outputs: out });
      model.compile({ optimizer, loss: 'meanSquaredError' });
      const x = wg.randomNormal([8, 4], { seed: 3 });
      const y = wg.randomNormal([8, 1], { seed: 4 });
      await model.fit(x, y, { batchSize: 8, epochs: 20 });
      const uniforms = ctx().uniformBufferCount;
      const buffers = wg.memory().numGpuBuffers;
      await model.fit(x, y, { batchSize: 8, epochs: 60 });
      expect(ctx().uniformBufferCount).toBe(uniforms);
      expect(wg.memory().numGpuBuffers).toBe(buffers);
      model.dispose();
      wg.dispose([x, y]);
    });
  }
});

describe('the buffer pool keeps at most its byte budget of free buffers', () => {
  it('releasing 8 KiB of buffers into a 3 KiB budget destroys the oldest free ones at the next commit', () => {
    const c = ctx();
    const pool = new BufferPool(c.device, c.limits, undefined, 3 * 1024);
    const bufs = Array.from({ length: 8 }, (_, i) => pool.acquire(256, `budget_${i}`)); // 1 KiB each
    expect(pool.total).toBe(8);
    for (const b of bufs) pool.release(b);
    expect(pool.freeBytes).toBe(8 * 1024);
    pool.commit();
    expect(pool.freeBytes).toBe(3 * 1024);
    expect(pool.total).toBe(3);
    // The kept ones are the most recently released, and are reused first.
    const again = pool.acquire(256, 'again');
    expect(again).toBe(bufs[5]);
    expect(pool.freeBytes).toBe(2 * 1024);
    pool.destroy();
  });
});
