/**
 * Device acquisition for the browser (`navigator.gpu`) and for Node (the optional `webgpu`
 * package, Google's Dawn). Nothing here records work; see context.ts.
 */
import { BackendError } from '../../core/errors.js';
import { diagnoseNoAdapter, ensureVulkanLoader, type LoaderState } from './node_vulkan.js';

/** An adapter and the device requested from it, with the limits we asked for. */
export interface AcquiredGpu {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  /** `webgpu (google swiftshader)`-style summary of the adapter info. */
  readonly description: string;
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: object;
}

/** Where Dawn's GPU object lives for the life of the process (see docs/environment.md: it must stay reachable). */
interface DawnHolder {
  __wgnnDawn?: GPU;
  __wgnnVulkanLoader?: LoaderState;
}

/** Limits we raise up to what the adapter offers: big tensors and large workgroups. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxStorageBuffersPerShaderStage',
] as const;

async function nodeGpu(): Promise<GPU | undefined> {
  const holder = globalThis as DawnHolder;
  if (holder.__wgnnDawn) return holder.__wgnnDawn;
  // A variable specifier keeps bundlers from pulling the Node-only package into browser builds.
  const specifier = 'webgpu';
  let mod: DawnModule;
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as DawnModule;
  } catch {
    return undefined;
  }
  Object.assign(globalThis, mod.globals);
  holder.__wgnnVulkanLoader = ensureVulkanLoader();
  const gpu = mod.create([]);
  // Dawn's GPU object must stay reachable: V8 collecting it mid-run crashes the process.
  holder.__wgnnDawn = gpu;
  return gpu;
}

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/** Formats adapter info as `webgpu (vendor architecture)`, falling back to device/description. */
export function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'webgpu';
  const parts = [info.vendor, info.architecture].filter((s) => s);
  if (parts.length === 0) parts.push(...[info.device, info.description].filter((s) => s));
  return parts.length ? `webgpu (${parts.join(' ')})` : 'webgpu';
}

/**
 * Finds a WebGPU adapter and requests a device with raised limits.
 * Uses `gpu` if given, else `navigator.gpu`, else (in Node) the optional `webgpu` package.
 * @throws BackendError when no WebGPU implementation or no adapter is available.
 */
export async function acquireGpu(gpu?: GPU): Promise<AcquiredGpu> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const chosen = gpu ?? nav?.gpu ?? (isNode() ? await nodeGpu() : undefined);
  if (!chosen) {
    throw new BackendError(
      isNode()
        ? "webgpu: no WebGPU implementation found: the optional 'webgpu' package (Dawn for Node) is not installed (npm install webgpu)"
        : 'webgpu: navigator.gpu is not available in this browser (WebGPU needs a secure context)',
    );
  }
  const adapter = await chosen.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    const loader = (globalThis as DawnHolder).__wgnnVulkanLoader;
    throw new BackendError(
      isNode() && chosen === (globalThis as DawnHolder).__wgnnDawn && loader
        ? `webgpu: no adapter found: ${await diagnoseNoAdapter(loader)}`
        : 'webgpu: no adapter found (in Chromium, WebGPU may need --enable-unsafe-webgpu)',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  // Timestamp queries, where the adapter has them, time the matmul chooser's candidates on the
  // GPU itself (matmul_chooser.ts); without them it falls back to wall-clock.
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ label: 'wgnn', requiredLimits, requiredFeatures });
  return { adapter, device, description: describeAdapter(adapter.info) };
}
