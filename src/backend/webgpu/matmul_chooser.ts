/**
 * Which matmul kernel (shaders/matmul.wgsl) runs for a shape: one chooser per GpuContext.
 *
 *   tileR    64 invocations of 8x8 outputs covering R rows by 4096 / R columns: tile64 (64x64)
 *            for large M and N, tile32 / tile16 / tile8 (8x512) for smaller M: at most 7 wasted rows
 *   wideR    8 x R / 8 invocations of 8x16 outputs covering R rows by 128 columns: each loaded A
 *            block feeds four products instead of two (fewer loads per multiply-add, more registers)
 *   wideRx64 the same blocks, 4 x R / 8 invocations covering R rows by 64 columns: less waste where
 *            128 does not divide N (N = 784: 7 tiles of 128 cover 896 columns, 13 of 64 cover 832)
 *   rows1/2/4  R rows by 4 columns per invocation, 256 columns per workgroup: no wasted rows at
 *            M = 1, 2 (matrix-vector style at R = 1), fewer FMAs per load than the tiles
 *
 * Only kernels whose grid fits the device's workgroup limits are considered (tile64 is the
 * fallback). Order of decision: the override (`setMatmulOverride`, for tests and experiments), else the
 * pick cached for the shape class, else a default by M. On the third use of a shape class with
 * more than one candidate and enough work to matter, a small autotune runs in the background
 * (tuning 'auto', the default): each candidate is timed on scratch buffers of that shape
 * (timestamp queries where the device has them, else wall-clock to onSubmittedWorkDone, best of
 * a few runs), and the fastest becomes the class's pick for the life of the device. The tune
 * uses its own buffers, encoders and submits, so the context's counters and pool are untouched;
 * every candidate computes the same values within float32 rounding (same K order per output).
 */
import type { GpuContext } from './context.js';

export type MatmulKernel =
  | 'tile64' | 'tile32' | 'tile16' | 'tile8' | 'wide64' | 'wide32' | 'wide16' | 'wide8' | 'wide64x64' | 'wide32x64'
  | 'rows1' | 'rows2' | 'rows4';
export const MATMUL_KERNELS: readonly MatmulKernel[] = [
  'tile64', 'tile32', 'tile16', 'tile8', 'wide64', 'wide32', 'wide16', 'wide8', 'wide64x64', 'wide32x64',
  'rows1', 'rows2', 'rows4',
];

/** A product's geometry as the kernels see it. */
export interface MatmulGeometry {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly batch: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

/** Records one candidate on scratch operands of the shape into `pass`; built by matmul.ts. */
export interface TuneRecorder {
  record(kernel: MatmulKernel, pass: GPUComputePassEncoder): void;
  /** Frees the scratch buffers. */
  dispose(): void;
}

/** Below this many multiply-adds a product is dispatch-bound: the default pick stays. */
const TUNE_MIN_FLOPS = 1 << 18;
/**
 * A class is tuned on its third use: a product run once or twice (a test, a one-off op) is not
 * worth timing and gets no background work; a training or inference loop repeats its shapes.
 */
const TUNE_AFTER_USES = 3;
const TUNE_RUNS = 4;

/** log2 bucket: 1, 2, 3-4, 5-8, ... */
const bucket = (n: number): number => Math.ceil(Math.log2(Math.max(1, n)));

/** Shape class: transposes, vec4-ability of the operands' contiguous axes, log2 buckets. */
export function shapeClass(g: MatmulGeometry): string {
  const a4 = (g.transposeA ? g.M : g.K) % 4 === 0 ? 4 : 1;
  const b4 = (g.transposeB ? g.K : g.N) % 4 === 0 ? 4 : 1;
  const t = `${g.transposeA ? 'T' : 'N'}${g.transposeB ? 'T' : 'N'}`;
  return `${t}a${a4}b${b4} M${bucket(g.M)} N${bucket(g.N)} K${bucket(g.K)} B${bucket(g.batch)}`;
}

/**
 * Kernels worth timing for this geometry: the tile at M's size and its neighbours, and the
 * 64-column wide tiles where 128-column ones would waste more than 1/16 of the columns.
 */
export function candidates(g: MatmulGeometry): MatmulKernel[] {
  const narrow = (Math.ceil(g.N / 128) * 128 - g.N) * 16 > g.N;
  if (g.M >= 64) return ['tile64', 'tile32', 'wide64', 'wide32', ...(narrow ? ['wide64x64', 'wide32x64'] as const : [])];
  if (g.M >= 32) return ['tile32', 'tile64', 'tile16', 'wide32', ...(narrow ? ['wide32x64'] as const : [])];
  if (g.M >= 16) return ['tile16', 'tile32', 'tile8', 'wide16'];
  if (g.M > 4) return ['tile8', 'tile16', 'rows4', 'wide8'];
  if (g.M > 2) return ['tile8', 'rows4', 'wide8'];
  return g.M === 2 ? ['rows2', 'tile8', 'wide8'] : ['rows1', 'tile8', 'wide8'];
}

/** The pick before (or without) tuning: the largest tile M fills, row kernels at M <= 2. */
export function defaultKernel(g: MatmulGeometry): MatmulKernel {
  if (g.M >= 64) return 'tile64';
  if (g.M >= 32) return 'tile32';
  if (g.M >= 16) return 'tile16';
  if (g.M > 2) return 'tile8';
  return g.M === 2 ? 'rows2' : 'rows1';
}

export class MatmulChooser {
  /** Forces one kernel for every product (tests, experiments); null = choose. */
  override: MatmulKernel | null = null;
  /** 'auto' tunes each new shape class in the background; 'off' keeps the default picks. */
  tuning: 'auto' | 'off' = 'auto';
  /** How the tunes time candidates on this device. */
  readonly timer: 'gpu-timestamps' | 'wall-clock';
  readonly #picks = new Map<string, MatmulKernel>();
  readonly #timings = new Map<string, Partial<Record<MatmulKernel, number>>>();
  readonly #tuning = new Set<string>();
  readonly #uses = new Map<string, number>();
  readonly #runs = new Map<MatmulKernel, number>();
  /** Tunes run one after another: concurrent ones would time each other's work. */
  #queue: Promise<void> = Promise.resolve();

  constructor(device: GPUDevice) {
    this.timer = device.features.has('timestamp-query') ? 'gpu-timestamps' : 'wall-clock';
  }

  /** The kernel for `g`; may start a background tune (see the file comment). */
  choose(ctx: GpuContext, g: MatmulGeometry, recorder: () => TuneRecorder, fits: (k: MatmulKernel) => boolean): MatmulKernel {
    const forced = this.override !== null && fits(this.override) ? this.override : null;
    const kernel = forced ?? this.#pick(ctx, g, recorder, fits);
    this.#runs.set(kernel, (this.#runs.get(kernel) ?? 0) + 1);
    return kernel;
  }

  /** Dispatches per kernel so far. */
  runs(): Record<string, number> {
    return Object.fromEntries(this.#runs);
  }

  /** The tuned pick per shape class so far. */
  picks(): Record<string, MatmulKernel> {
    return Object.fromEntries(this.#picks);
  }

  /** Per tuned shape class, each candidate's best time in ms (by `timer`). */
  timings(): Record<string, Partial<Record<MatmulKernel, number>>> {
    return Object.fromEntries(this.#timings);
  }

  /** Resolves when every background tune started so far has finished. */
  async settled(): Promise<void> {
    await this.#queue;
  }

  #pick(ctx: GpuContext, g: MatmulGeometry, recorder: () => TuneRecorder, fits: (k: MatmulKernel) => boolean): MatmulKernel {
    const key = shapeClass(g);
    const hit = this.#picks.get(key);
    if (hit && fits(hit)) return hit;
    const list = candidates(g).filter(fits);
    const uses = (this.#uses.get(key) ?? 0) + 1;
    this.#uses.set(key, uses);
    const worth = g.M * g.N * g.K * g.batch >= TUNE_MIN_FLOPS && list.length > 1 && uses >= TUNE_AFTER_USES;
    if (this.tuning === 'auto' && worth && !this.#tuning.has(key)) {
      this.#tuning.add(key);
      this.#queue = this.#queue.then(() => this.#tune(ctx, key, list, recorder));
    }
    const pick = defaultKernel(g);
    return fits(pick) ? pick : 'tile64';
  }

  /**
   * Times each candidate on scratch operands made now (one tune's buffers live at a time). Never
   * rejects: a failed tune (device lost mid-way) keeps the default pick and the queue going.
   */
  async #tune(ctx: GpuContext, key: string, list: MatmulKernel[], recorder: () => TuneRecorder): Promise<void> {
    let rec: TuneRecorder | null = null;
    try {
      if (ctx.isLost) return;
      rec = recorder();
      const record = rec.record.bind(rec);
      // Warm-up (pipeline compile, caches), then runs interleaved A B C A B C: the best of each,
      // so load from elsewhere hits every candidate alike.
      for (const kernel of list) await timeRun(ctx, kernel, record);
      const best = list.map(() => Infinity);
      for (let r = 0; r < TUNE_RUNS && !ctx.isLost; r++) {
        for (let i = 0; i < list.length; i++) best[i] = Math.min(best[i], await timeRun(ctx, list[i], record));
      }
      if (!ctx.isLost) {
        this.#picks.set(key, list[best.indexOf(Math.min(...best))]);
        this.#timings.set(key, Object.fromEntries(list.map((k, i) => [k, best[i]])));
      }
    } catch {
      // Keep the default pick.
    } finally {
      rec?.dispose();
    }
  }
}

/** Milliseconds of one candidate: GPU timestamps when the device has them, else wall-clock. */
async function timeRun(
  ctx: GpuContext, kernel: MatmulKernel, record: TuneRecorder['record'],
): Promise<number> {
  const device = ctx.device;
  const encoder = device.createCommandEncoder({ label: `matmul_tune_${kernel}` });
  if (!device.features.has('timestamp-query')) {
    const pass = encoder.beginComputePass({ label: `matmul_tune_${kernel}` });
    record(kernel, pass);
    pass.end();
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  }
  const querySet = device.createQuerySet({ label: 'matmul_tune_timestamps', type: 'timestamp', count: 2 });
  const resolve = device.createBuffer({ label: 'matmul_tune_resolve', size: 16, usage: 0x0200 | 0x0004 });
  const readback = device.createBuffer({ label: 'matmul_tune_readback', size: 16, usage: 0x0001 | 0x0008 });
  const pass = encoder.beginComputePass({
    label: `matmul_tune_${kernel}`,
    timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
  });
  record(kernel, pass);
  pass.end();
  encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
  encoder.copyBufferToBuffer(resolve, 0, readback, 0, 16);
  device.queue.submit([encoder.finish()]);
  try {
    await readback.mapAsync(0x0001);
    const [t0, t1] = new BigInt64Array(readback.getMappedRange());
    return Number(t1 - t0) / 1e6;
  } finally {
    readback.destroy();
    resolve.destroy();
    querySet.destroy();
  }
}

const choosers = new WeakMap<GpuContext, MatmulChooser>();

/** The chooser of a context (created on first use). */
export function matmulChooser(ctx: GpuContext): MatmulChooser {
  let c = choosers.get(ctx);
  if (!c) choosers.set(ctx, (c = new MatmulChooser(ctx.device)));
  return c;
}

/** Forces `kernel` for every product on `ctx` whose grid it fits (null: back to choosing). */
export function setMatmulOverride(ctx: GpuContext, kernel: MatmulKernel | null): void {
  matmulChooser(ctx).override = kernel;
}
