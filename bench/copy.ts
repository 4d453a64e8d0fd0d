/**
 * The copy roofline: several plain copies of the same bytes (bench/copy_variants.wgsl, plus
 * copyBufferToBuffer), all timed in the same repetitions as the kernel they are compared with.
 * `copyMs` is the fastest WGSL variant; copyBufferToBuffer (a memcpy done by the implementation,
 * not a shader) is reported beside it as a second reference point.
 */
import { grid, type GpuContext, type GpuHandle } from '../src/backend/webgpu/context.js';
import source from './copy_variants.wgsl?raw';

interface VariantSpec {
  readonly name: string;
  readonly entry: 'one' | 'run' | 'stride';
  /** vec4s per invocation. */
  readonly k: number;
  /** Invocations per workgroup. */
  readonly wg: number;
}

/** The WGSL variants; names say `entry/vec4s per invocation/workgroup size`. */
export const VARIANTS: readonly VariantSpec[] = [
  { name: 'one-vec4 wg256', entry: 'one', k: 1, wg: 256 },
  { name: 'one-vec4 wg64', entry: 'one', k: 1, wg: 64 },
  { name: 'run-4 wg256', entry: 'run', k: 4, wg: 256 },
  { name: 'run-16 wg64', entry: 'run', k: 16, wg: 64 },
  { name: 'run-64 wg64', entry: 'run', k: 64, wg: 64 },
  { name: 'stride-16 wg64', entry: 'stride', k: 16, wg: 64 },
];
export const B2B = 'copyBufferToBuffer';

const perDevice = new WeakMap<GPUDevice, { module: GPUShaderModule; pipelines: Map<string, GPUComputePipeline> }>();

function pipeline(device: GPUDevice, v: VariantSpec): GPUComputePipeline {
  let d = perDevice.get(device);
  if (!d) perDevice.set(device, (d = { module: device.createShaderModule({ label: 'bench_copy_variants', code: source }), pipelines: new Map() }));
  let p = d.pipelines.get(v.name);
  if (p) return p;
  const module = d.module;
  p = device.createComputePipeline({
    label: `bench_copy_${v.name}`, layout: 'auto',
    compute: { module, entryPoint: v.entry, constants: { K: v.k, WG: v.wg } },
  });
  d.pipelines.set(v.name, p);
  return p;
}

export interface CopySet {
  /** One run per variant, WGSL variants first, copyBufferToBuffer last. */
  readonly runs: readonly (() => void)[];
  readonly names: readonly string[];
  /** Checks that every variant really copied (reads back once); throws otherwise. */
  verify(): Promise<void>;
  done(): void;
}

/** Copies of `elements` f32 (rounded up to a vec4): 8 B per copied element, read + write. */
export function copySet(ctx: GpuContext, elements: number): CopySet {
  const n = Math.max(4, Math.ceil(elements / 4) * 4);
  const n4 = n / 4;
  const src = ctx.alloc(n, 'bench_copy_src');
  const fill = new Float32Array(n);
  for (let i = 0; i < n; i++) fill[i] = (i % 1021) - 510;
  ctx.write(src, fill);
  const dst = ctx.alloc(n, 'bench_copy_dst');
  const u = ctx.uniform(Uint32Array.of(n4), 'bench_copy_variant_params');
  const runs: (() => void)[] = VARIANTS.map((v) => {
    const p = pipeline(ctx.device, v);
    const threads = v.entry === 'one' ? n4 : Math.ceil(n4 / v.k);
    const wg = grid(threads, v.wg);
    return () => ctx.dispatch(`bench_copy_${v.name}`, p, [u, src, dst], wg);
  });
  const bytes = n * 4;
  runs.push(() => {
    ctx.flush();
    const enc = ctx.device.createCommandEncoder({ label: 'bench_b2b' });
    enc.copyBufferToBuffer(src.buffer, 0, dst.buffer, 0, bytes);
    ctx.device.queue.submit([enc.finish()]);
  });
  return {
    runs,
    names: [...VARIANTS.map((v) => v.name), B2B],
    async verify() {
      for (let k = 0; k < runs.length; k++) {
        ctx.write(dst, new Float32Array(n));
        runs[k]();
        const got = await ctx.read(dst as GpuHandle);
        for (const i of [0, 1, n >> 1, n - 5, n - 1]) {
          if (got[i] !== fill[i]) throw new Error(`copy variant ${k} wrong at ${i} of ${n}: ${got[i]} != ${fill[i]}`);
        }
      }
    },
    done() {
      ctx.release(src);
      ctx.release(dst);
    },
  };
}
