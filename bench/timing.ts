/**
 * GPU timing helpers of the bench pages: record, submit, await `onSubmittedWorkDone()` inside the
 * timed region; runs interleaved repetition by repetition so load from other processes hits all.
 */
import type { GpuContext } from '../src/backend/webgpu/context.js';

export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function once(ctx: GpuContext, run: () => void): Promise<{ ms: number; dispatches: number }> {
  const d0 = ctx.dispatchCount;
  const t0 = performance.now();
  run();
  ctx.flush();
  await ctx.device.queue.onSubmittedWorkDone();
  return { ms: performance.now() - t0, dispatches: ctx.dispatchCount - d0 };
}

/** Median ms of each of `runs`, interleaved rep by rep (A B C ... A B C ...), after one warm-up each. */
export async function timeAll(ctx: GpuContext, runs: readonly (() => void)[], n: number): Promise<{ ms: number; dispatches: number }[]> {
  for (const run of runs) {
    run();
    await ctx.sync();
  }
  const times = runs.map((): number[] => []);
  const dispatches = runs.map(() => 0);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < runs.length; k++) {
      const r = await once(ctx, runs[k]);
      times[k].push(r.ms);
      dispatches[k] = r.dispatches;
    }
  }
  return times.map((t, k) => ({ ms: median(t), dispatches: dispatches[k] }));
}
