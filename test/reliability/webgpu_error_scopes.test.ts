/**
 * GPU validation errors are captured with error scopes and raised (issue 13): the next readback
 * rejects with a BackendError naming the object's op label and sizes, not a console line or a
 * later unrelated failure; the backend keeps working afterwards.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { engine } from '../../src/core/engine.js';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';
import type { GpuHandle } from '../../src/backend/webgpu/context.js';

function ctx() {
  const b = engine.backend;
  if (!(b instanceof WebGpuBackend)) throw new Error('this file needs the WebGPU backend');
  return b.ctx;
}

async function stillWorks(): Promise<void> {
  const t = wg.add(wg.tensor([1, 2]), 1);
  expect(Array.from(await t.data())).toEqual([2, 3]);
}

describe('WebGPU validation errors are raised at the next call that can report them', () => {
  it('a bind group missing a binding: the readback rejects naming the op and the binding sizes', async () => {
    const x = wg.tensor([1, 2, 3]);
    // copy.wgsl's `main` binds params, src and dst; give it params and src only.
    const params = ctx().uniform(new Uint32Array([3]), 'n');
    ctx().dispatch('bad_copy', ctx().pipeline('copy', 'main'), [params, x.handle as GpuHandle], [1]);
    const err = await x.data().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(wg.BackendError);
    expect((err as Error).message).toMatch(/^webgpu: validation error in bind group of 'bad_copy' \(binding bytes: uniform 16, 12\)/);
    await stillWorks();
  });

  it('a pipeline with an unknown entry point: ready() rejects naming the pipeline and its shader file', async () => {
    ctx().pipeline('copy', 'no_such_entry');
    const err = await wg.ready().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(wg.BackendError);
    expect((err as Error).message).toMatch(/^webgpu: validation error in pipeline copy\.no_such_entry \(shaders\/copy\.wgsl\)/);
    await stillWorks();
  });
});
