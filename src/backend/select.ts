/** Choosing the backend: `init`, `getBackend`, `backendInfo`, `memory`. */
import { engine } from '../core/engine.js';
import { BackendError, ValueError } from '../core/errors.js';
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu/backend.js';
import { WebGpuBackend } from './webgpu/backend.js';
import { matmulChooser } from './webgpu/matmul_chooser.js';

engine.setDefaultFactory(() => new CpuBackend());

export interface InitOptions {
  /** 'auto' (default): WebGPU when an adapter is found, else the CPU, said once on the console. */
  readonly backend?: 'auto' | 'webgpu' | 'cpu' | undefined;
  /** A GPU object to use instead of `navigator.gpu` (in Node: the `webgpu` package's `create([])`). */
  readonly gpu?: GPU | undefined;
}

let warnedFallback = false;
/** The WebGPU backend made by an earlier `init`, reused while the same GPU object is asked for. */
let cachedGpu: { gpu: GPU | undefined; backend: WebGpuBackend } | null = null;

async function webgpuBackend(gpu: GPU | undefined): Promise<WebGpuBackend> {
  if (cachedGpu !== null && cachedGpu.gpu === gpu && !cachedGpu.backend.isLost) return cachedGpu.backend;
  const backend = await WebGpuBackend.create(gpu);
  cachedGpu = { gpu, backend };
  return backend;
}

/**
 * Selects the backend for the ops that follow. `'webgpu'` throws a BackendError when no adapter
 * is found; it never falls back silently. Tensors made before stay on their own backend.
 * @category Backend
 */
export async function init(options: InitOptions = {}): Promise<'webgpu' | 'cpu'> {
  const kind = options.backend ?? 'auto';
  if (kind !== 'auto' && kind !== 'webgpu' && kind !== 'cpu') {
    throw new ValueError(`init: backend must be 'auto', 'webgpu' or 'cpu', got '${String(kind)}'`);
  }
  let b: Backend;
  if (kind === 'cpu') {
    b = new CpuBackend();
  } else {
    try {
      b = await webgpuBackend(options.gpu);
    } catch (e) {
      if (kind === 'webgpu' || !(e instanceof BackendError)) throw e;
      if (!warnedFallback) {
        warnedFallback = true;
        console.warn(`wgnn: no WebGPU available (${e.message}); using the CPU backend`);
      }
      b = new CpuBackend();
    }
  }
  engine.setBackend(b);
  return b.name;
}

/** The active backend's name. @category Backend */
export function getBackend(): 'webgpu' | 'cpu' {
  return engine.backend.name;
}

export interface AdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
}

/** The active backend and, on WebGPU, the adapter it runs on. @category Backend */
export function backendInfo(): { name: 'webgpu' | 'cpu'; description: string; adapter?: AdapterSummary } {
  const b = engine.backend;
  if (b instanceof WebGpuBackend) {
    // GPUAdapterInfo's fields are getters: copy them into a plain, printable object.
    const { vendor, architecture, device, description } = b.adapterInfo;
    return { name: b.name, description: b.description, adapter: { vendor, architecture, device, description } };
  }
  return { name: b.name, description: b.description };
}

/** Live tensors, their bytes, and device buffers in use (pooled free buffers excluded). @category Backend */
export function memory(): { numTensors: number; numBytes: number; numGpuBuffers: number } {
  return { numTensors: engine.numTensors, numBytes: engine.numBytes, numGpuBuffers: engine.backend.bufferCount() };
}

/** Waits until the device has finished all submitted work. @category Backend */
export async function ready(): Promise<void> {
  await engine.backend.sync();
}

/** Work counters of the active backend (all zero on the CPU), for profiling dispatch overhead. */
export interface BackendStats {
  /** Compute dispatches recorded. */
  readonly dispatches: number;
  /** Queue submissions. */
  readonly submits: number;
  /** GPU -> CPU transfers (`data()`, `array()`). */
  readonly readbacks: number;
  /** Matrix-product dispatches per kernel that ran (`tile64`, `rows1`, ...; empty on the CPU). */
  readonly matmulKernels: Readonly<Record<string, number>>;
  /** The autotuned kernel per product shape class so far (`'NNa4b4 M0 N9 K10 B0': 'rows1'`). */
  readonly matmulPicks: Readonly<Record<string, string>>;
}

/** Counters since the backend was created; take differences around the code to profile. @category Backend */
export function backendStats(): BackendStats {
  const b = engine.backend;
  if (!(b instanceof WebGpuBackend)) return { dispatches: 0, submits: 0, readbacks: 0, matmulKernels: {}, matmulPicks: {} };
  const chooser = matmulChooser(b.ctx);
  return {
    dispatches: b.ctx.dispatchCount, submits: b.ctx.submitCount, readbacks: b.ctx.readbackCount,
    matmulKernels: chooser.runs(), matmulPicks: chooser.picks(),
  };
}
