/**
 * The harness itself: each project runs on the backend it names, and backend selection fails
 * loudly or falls back exactly as API.md says.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import * as wg from '../src/index.js';
import { backendName, finiteDifference, initProjectBackend, projectBackend, rng } from './util.js';

/** A GPU object whose requestAdapter() finds nothing, as on a machine without WebGPU. */
const noAdapterGpu = {
  requestAdapter: async () => null,
  getPreferredCanvasFormat: () => 'rgba8unorm',
  wgslLanguageFeatures: new Set<string>(),
} as unknown as GPU;

describe(`environment (${inject('project')})`, () => {
  afterAll(async () => {
    await initProjectBackend();
  });

  it('runs on the backend the project names', () => {
    const info = wg.backendInfo();
    console.log(`[wgnn test] ${inject('project')}: backend ${info.name}, ${info.description}` +
      (info.adapter ? `, adapter ${info.adapter.vendor}/${info.adapter.architecture}` : ''));
    if (projectBackend() === 'webgpu' && inject('allowNoGpu') && backendName() === 'cpu') {
      console.warn('[wgnn test] WGNN_ALLOW_NO_GPU=1: webgpu project is running on the CPU');
      return;
    }
    expect(wg.getBackend()).toBe(projectBackend());
    expect(info.name).toBe(projectBackend());
    if (projectBackend() === 'webgpu') {
      expect(info.adapter).toBeDefined();
      expect(info.adapter!.architecture).not.toBe('');
    }
  });

  it("init({ backend: 'webgpu' }) throws BackendError when no adapter is found", async () => {
    await expect(wg.init({ backend: 'webgpu', gpu: noAdapterGpu })).rejects.toBeInstanceOf(wg.BackendError);
  });

  it("init({ backend: 'auto' }) falls back to the CPU when no adapter is found", async () => {
    await wg.init({ backend: 'auto', gpu: noAdapterGpu });
    expect(wg.getBackend()).toBe('cpu');
    await initProjectBackend();
    if (!inject('allowNoGpu')) expect(wg.getBackend()).toBe(projectBackend());
  });

  it('computes on the restored backend', async () => {
    const t = wg.tensor([[1, 2], [3, 4]]);
    expect(await t.data()).toBeAllClose([[1, 2], [3, 4]], { rtol: 0, atol: 0 });
    t.dispose();
  });
});

describe('test helpers', () => {
  it('toBeAllClose reports the worst element and the tolerances', () => {
    expect(new Float32Array([1, 2, 3])).toBeAllClose([1, 2, 3.000001]);
    expect([[1, NaN]]).toBeAllClose([[1, NaN]], { equalNan: true });
    expect([[1, NaN]]).not.toBeAllClose([[1, NaN]]);
    expect([1, 2]).not.toBeAllClose([1, 2.5]);
    expect(() => expect([[1, 2], [3, 4]]).toBeAllClose([[1, 2], [3, 5]], { rtol: 0, atol: 0.5 }))
      .toThrow(/1 of 4 elements differ; worst at index \[1,1\]: actual 4, expected 5.*rtol=0, atol=0\.5/);
    expect(() => expect([1, 2, 3]).toBeAllClose([[1, 2, 3]])).toThrow(/shapes differ/);
  });

  it('the PRNG is seeded and roughly normal', () => {
    expect(rng(7).normal(5)).toEqual(rng(7).normal(5));
    const x = rng(1).normal(20000, 2, 3);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
    expect(mean).toBeCloseTo(2, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(3, 1);
    const u = rng(3).uniformF32(1000, -1, 1);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(1);
  });

  it('finiteDifference matches an analytic gradient', () => {
    const x = Float64Array.from([0.5, -1.5, 2]);
    const g = finiteDifference((v) => v[0]! ** 2 * v[1]! + Math.sin(v[2]!), x);
    expect(g).toBeAllClose([2 * 0.5 * -1.5, 0.25, Math.cos(2)], { rtol: 1e-7, atol: 1e-8 });
    expect(Array.from(x)).toEqual([0.5, -1.5, 2]);
  });
});
