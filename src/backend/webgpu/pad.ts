/** Constant padding (shaders/pad.wgsl): one dispatch, a thread per output element. */
import { BackendError, fmtShape } from '../../core/errors.js';
import { sizeOf, stridesOf } from '../../core/shape.js';
import { grid, type GpuContext, type GpuHandle } from './context.js';
import type { GpuTensor } from './elementwise.js';
import { MAX_RANK, Params } from './params.js';

export function pad(ctx: GpuContext, x: GpuTensor, paddings: readonly (readonly [number, number])[], value: number): GpuHandle {
  const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const n = sizeOf(outShape);
  const out = ctx.alloc(n, 'pad');
  if (n === 0) return out;
  if (x.shape.length > MAX_RANK) {
    throw new BackendError(`webgpu pad: input shape ${fmtShape(x.shape)} has rank ${x.shape.length}; the WebGPU kernel handles at most ${MAX_RANK}`);
  }
  const params = new Params().u32(n, x.shape.length).f32(value)
    .dims(outShape).dims(x.shape).dims(stridesOf(x.shape)).dims(paddings.map(([b]) => b));
  ctx.dispatch('pad', ctx.pipeline('pad', 'main'), [ctx.uniform(params.words(), 'pad'), x.handle, out], grid(n));
  return out;
}
