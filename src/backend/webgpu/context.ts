/**
 * GpuContext: the one place that talks to the GPUDevice. Buffers come from a pool, pipelines and
 * bind groups are cached, and every dispatch is recorded into one compute pass that is submitted
 * in batches (on `flush`, on `read`, or when many dispatches are pending). Kernels (kernels.ts,
 * batchnorm.ts) only call `alloc`, `uniform`, `pipeline` and `dispatch`.
 */
import { BackendError } from '../../core/errors.js';
import { BufferPool, TENSOR_USAGE, bindingBytes, push } from './pool.js';
import { shaders, type ShaderName } from './shaders.js';

/** A tensor's device memory: a (pooled, possibly larger) buffer holding `size` f32 elements. */
export interface GpuHandle {
  readonly buffer: GPUBuffer;
  /** Number of f32 elements. */
  readonly size: number;
}

const UNIFORM_USAGE = 0x40 /* UNIFORM */ | 0x08; /* COPY_DST */
const READBACK_USAGE = 0x01 /* MAP_READ */ | 0x08; /* COPY_DST */
/** Dispatches recorded before an automatic submit: bounds latency and deferred buffer reuse. */
const MAX_PENDING = 256;
/** Bytes of cached constant uniforms kept (each entry costs its 16-byte-padded size plus ~256 B of bookkeeping). */
const MAX_UNIFORM_BYTES = 256 * 1024;
const UNIFORM_ENTRY_BYTES = 256;
/** Cached bind groups, counted by bytes too (an entry is estimated at 64 B plus 32 B per binding). */
const MAX_BIND_GROUP_BYTES = 512 * 1024;

/** Workgroup counts [x, y] covering `threads` invocations; x stays within the 65535 limit. */
export function grid(threads: number, workgroupSize = 256): [number, number] {
  const groups = Math.ceil(threads / workgroupSize);
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}

/** Invocations per workgroup of the streaming kernels (optimizer.wgsl, finite.wgsl). */
export const STREAM_WG = 256;
/** A streaming dispatch launches at least this many invocations when there are that many units... */
const STREAM_MIN_THREADS = 4096;
/** ...and beyond, enough for at most this many units each. */
const STREAM_UNITS_PER_THREAD = 16;
/** Below this many units, kernels with a WG override (unary, binary) run workgroups of 64. */
const SMALL_UNITS = 1024;

/**
 * Workgroups [x, y] of a streaming kernel over `units` (floats or vec4s): invocations walk the
 * units with the grid's stride, so small inputs get one unit per invocation (latency on a GPU),
 * large ones up to 16 each (a CPU-side implementation pays its per-invocation cost once per 16;
 * a GPU still has thousands of invocations in flight, each step of the walk coalesced).
 */
export function streamGrid(units: number, workgroupSize = STREAM_WG): [number, number] {
  const threads = Math.max(Math.min(units, STREAM_MIN_THREADS), Math.ceil(units / STREAM_UNITS_PER_THREAD));
  return grid(threads, workgroupSize);
}

/**
 * The workgroup size of a streaming kernel with a WG override: 64 below 1,024 units (the idle
 * invocations of a 256-wide group are not free on a CPU-side implementation: the seed step's tiny
 * elementwise ops took a quarter less device time at 64), else STREAM_WG.
 */
export function streamWorkgroup(units: number): number {
  return units < SMALL_UNITS ? 64 : STREAM_WG;
}

/** Compiles one WGSL source; compile errors become a BackendError citing `name.wgsl:line:col`. */
export async function compileShader(device: GPUDevice, name: string, code: string): Promise<GPUShaderModule> {
  // Captured here so a bad module is reported once, with its location, not as a device error.
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: name, code });
  const info = await module.getCompilationInfo();
  await device.popErrorScope();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const lines = errors.map((m) => `shaders/${name}.wgsl:${m.lineNum}:${m.linePos}: ${m.message}`);
    throw new BackendError(`webgpu: WGSL compile error\n${lines.join('\n')}`);
  }
  return module;
}

/** `values` as bytes, zero-padded to a 16-byte multiple (at least 16), as uniform buffers need. */
function paddedUniform(values: ArrayBuffer | ArrayBufferView): Uint8Array<ArrayBuffer> {
  const bytes = values instanceof ArrayBuffer
    ? new Uint8Array(values)
    : new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const padded = new Uint8Array(Math.max(16, Math.ceil(bytes.byteLength / 16) * 16));
  padded.set(bytes);
  return padded;
}

function isHandle(b: GpuHandle | GPUBuffer): b is GpuHandle {
  return 'buffer' in b;
}

export class GpuContext {
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  /** Dispatches recorded since creation. */
  dispatchCount = 0;
  /** Queue submissions since creation. */
  submitCount = 0;
  /** GPU -> CPU transfers so far (only `read` makes one). */
  readbackCount = 0;

  readonly #pool: BufferPool;
  readonly #modules = new Map<ShaderName, GPUShaderModule>();
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  readonly #layouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();
  readonly #uniforms = new Map<string, GPUBuffer>();
  #uniformBytes = 0;
  /** Step uniforms (`stepUniform`): free ones by size, and those used since the last submit. */
  readonly #stepFree = new Map<number, GPUBuffer[]>();
  #stepUsed: GPUBuffer[] = [];
  #bindGroupBytes = 0;
  readonly #persistent = new Set<GPUBuffer>();
  readonly #bindGroups = new Map<string, GPUBindGroup>();
  readonly #ids = new WeakMap<object, number>();
  #nextId = 1;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #pending = 0;
  #lost: BackendError | null = null;

  /** True once the device is lost or destroyed. */
  get isLost(): boolean {
    return this.#lost !== null;
  }

  /** The error every call raises once the device is gone (`webgpu: device lost (reason): ...`), else null. */
  get lostError(): BackendError | null {
    return this.#lost;
  }
  #error: BackendError | null = null;
  /** Error scopes not yet settled; `read` and `sync` wait for them (see `#scoped`). */
  #scopes = new Set<Promise<void>>();
  /** Scopes opened so far, and the number of the one that set `#error` (the earliest error wins). */
  #scopeCount = 0;
  #errorScope = Infinity;
  /** Scopes opened before the last error was raised: their errors are consequences of it, dropped. */
  #reported = 0;
  /** Labels of the dispatches recorded since the last submit, for naming a failed submit. */
  #recorded = new Map<string, number>();

  private constructor(device: GPUDevice) {
    this.device = device;
    this.limits = device.limits;
    this.#pool = new BufferPool(device, device.limits, (what, make) => this.#scoped(what, make));
    device.lost.then((info) => {
      if (this.#lost) return;
      this.#lost = new BackendError(`webgpu: device lost (${info.reason}): ${info.message}`);
      if (info.reason !== 'destroyed') console.error(this.#lost.message);
      this.#dropDeviceObjects();
    });
    device.addEventListener('uncapturederror', (ev) => {
      const message = (ev as GPUUncapturedErrorEvent).error.message;
      if (this.#error) return;
      this.#error = new BackendError(`webgpu: device error: ${message}`);
      console.error(this.#error.message);
    });
  }

  /** Wraps a device; compiles every shader of the table first so WGSL errors surface here. */
  static async create(device: GPUDevice): Promise<GpuContext> {
    const ctx = new GpuContext(device);
    const names = Object.keys(shaders) as ShaderName[];
    const modules = await Promise.all(names.map((n) => compileShader(device, n, shaders[n])));
    names.forEach((n, i) => ctx.#modules.set(n, modules[i]));
    return ctx;
  }

  /** Uniform buffers held: cached constant ones and step uniforms (for memory tests). */
  get uniformBufferCount(): number {
    return this.#uniforms.size + this.#stepUsed.length + [...this.#stepFree.values()].reduce((n, l) => n + l.length, 0);
  }

  /** Live tensor buffers (pooled free ones excluded). */
  get bufferCount(): number {
    return this.#pool.live;
  }

  /** A buffer for `size` f32 elements (0 allowed), from the pool, for kernel outputs. */
  alloc(size: number, label: string): GpuHandle {
    this.#throwIfLost();
    return { buffer: this.#pool.acquire(size, label), size };
  }

  /** A buffer for `size` f32 elements that `write` fills (no unsubmitted command uses it). */
  allocForUpload(size: number, label: string): GpuHandle {
    this.#throwIfLost();
    return { buffer: this.#pool.acquire(size, label, true), size };
  }

  /** Returns a handle's buffer to the pool. */
  release(h: GpuHandle): void {
    this.#pool.release(h.buffer);
  }

  /**
   * Writes host data at the start of a handle (best from `allocForUpload`). A handle that
   * unsubmitted commands may still use is flushed first: writeBuffer would overtake them.
   */
  write(h: GpuHandle, data: ArrayBufferView): void {
    this.#throwIfLost();
    if (data.byteLength === 0) return;
    if (this.#pool.inFlight(h.buffer)) this.flush();
    this.device.queue.writeBuffer(h.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * A small constant handle outside the pool (not counted by `bufferCount`), alive until
   * `dispose`: guards, stand-in bindings and similar backend-owned scratch.
   */
  persistent(values: Float32Array, label: string): GpuHandle {
    this.#throwIfLost();
    const size = bindingBytes(values.length);
    const buffer = this.device.createBuffer({ label, size, usage: TENSOR_USAGE, mappedAtCreation: true });
    new Float32Array(buffer.getMappedRange()).set(values);
    buffer.unmap();
    this.#persistent.add(buffer);
    return { buffer, size: values.length };
  }

  /** A cached compute pipeline for `shader`'s `entryPoint` with the given override constants. */
  pipeline(shader: ShaderName, entryPoint: string, constants?: Record<string, number>): GPUComputePipeline {
    const key = `${shader}.${entryPoint}${constants ? JSON.stringify(constants) : ''}`;
    let p = this.#pipelines.get(key);
    if (p) return p;
    let module = this.#modules.get(shader);
    if (!module) {
      module = this.device.createShaderModule({ label: shader, code: shaders[shader] });
      this.#modules.set(shader, module);
    }
    const m = module;
    p = this.#scoped(`pipeline ${key} (shaders/${shader}.wgsl)`, () => this.device.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: constants ? { module: m, entryPoint, constants } : { module: m, entryPoint },
    }));
    this.#pipelines.set(key, p);
    return p;
  }

  /**
   * An immutable uniform buffer holding `values`, cached by content (and label). For values that
   * change from call to call (a step count, a schedule's rate) use `stepUniform`: this cache would
   * make a buffer per value.
   */
  uniform(values: ArrayBuffer | ArrayBufferView, label: string): GPUBuffer {
    const padded = paddedUniform(values);
    const size = padded.byteLength;
    const key = `${label}:${new Uint32Array(padded.buffer).join(',')}`;
    const hit = this.#uniforms.get(key);
    if (hit) {
      this.#uniforms.delete(key);
      this.#uniforms.set(key, hit);
      return hit;
    }
    const buffer = this.device.createBuffer({ label, size, usage: UNIFORM_USAGE, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(padded);
    buffer.unmap();
    this.#uniforms.set(key, buffer);
    this.#uniformBytes += size + UNIFORM_ENTRY_BYTES;
    return buffer;
  }

  /**
   * A uniform buffer holding `values` for the dispatches recorded next, for values that change
   * every step. Buffers come from a small free list and go back to it at the next submit (so a
   * `writeBuffer` never overtakes an unsubmitted command that reads the old value): no buffer is
   * made per distinct value, and the list is as long as the most step uniforms one submission uses.
   */
  stepUniform(values: ArrayBuffer | ArrayBufferView, label: string): GPUBuffer {
    this.#throwIfLost();
    const padded = paddedUniform(values);
    let buffer = this.#stepFree.get(padded.byteLength)?.shift();
    if (buffer) buffer.label = label;
    else buffer = this.device.createBuffer({ label, size: padded.byteLength, usage: UNIFORM_USAGE });
    this.device.queue.writeBuffer(buffer, 0, padded.buffer, 0, padded.byteLength);
    this.#stepUsed.push(buffer);
    return buffer;
  }

  /**
   * Records one dispatch into the current compute pass. Binding i is `@group(0) @binding(i)`.
   * A zero workgroup count records nothing.
   */
  dispatch(
    label: string, pipeline: GPUComputePipeline, bindings: readonly (GpuHandle | GPUBuffer)[],
    workgroups: readonly [number, number?, number?],
  ): void {
    this.#throwIfLost();
    const [x, y = 1, z = 1] = workgroups;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new BackendError(`internal: webgpu dispatch '${label}': workgroups [${x},${y},${z}] exceed ${max} per dimension`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    const group = this.#bindGroup(label, pipeline, bindings);
    if (!this.#pass) {
      this.#encoder ??= this.device.createCommandEncoder({ label: 'wgnn' });
      this.#pass = this.#encoder.beginComputePass({ label: 'wgnn' });
    }
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, group);
    this.#pass.dispatchWorkgroups(x, y, z);
    this.#recorded.set(label, (this.#recorded.get(label) ?? 0) + 1);
    this.dispatchCount++;
    if (++this.#pending >= MAX_PENDING) this.flush();
  }

  /** Submits the recorded work (no readback); released buffers become reusable. */
  flush(): void {
    this.#throwIfLost();
    this.#pass?.end();
    this.#pass = null;
    if (this.#encoder) {
      const encoder = this.#encoder;
      const ops = [...this.#recorded].map(([l, n]) => (n > 1 ? `${l} x${n}` : l)).join(', ');
      this.#scoped(`submit of ${this.#pending} dispatch(es) [${ops}]`, () => this.device.queue.submit([encoder.finish()]));
      this.submitCount++;
      this.#encoder = null;
    }
    this.#recorded.clear();
    this.#pending = 0;
    this.#pool.commit();
    for (const b of this.#stepUsed) push(this.#stepFree, b);
    this.#stepUsed = [];
    this.#evictUniforms();
  }

  /** Copies a handle back to the host (submits pending work first). */
  async read(h: GpuHandle): Promise<Float32Array> {
    this.#throwIfLost();
    if (h.size === 0) return new Float32Array(0);
    this.readbackCount++;
    const bytes = bindingBytes(h.size);
    const staging = this.device.createBuffer({ label: 'readback', size: bytes, usage: READBACK_USAGE });
    this.#pass?.end();
    this.#pass = null;
    this.#encoder ??= this.device.createCommandEncoder({ label: 'wgnn' });
    this.#encoder.copyBufferToBuffer(h.buffer, 0, staging, 0, bytes);
    this.flush();
    try {
      await this.#deviceCall('read', () => staging.mapAsync(0x01 /* READ */));
      const out = new Float32Array(h.size);
      out.set(new Float32Array(staging.getMappedRange(), 0, h.size));
      staging.unmap();
      await this.#settleScopes();
      this.#throwIfFailed();
      return out;
    } finally {
      staging.destroy();
    }
  }

  /** Submits pending work and resolves when the device has finished it. */
  async sync(): Promise<void> {
    this.flush();
    await this.#deviceCall('sync', () => this.device.queue.onSubmittedWorkDone());
    await this.#settleScopes();
    this.#throwIfFailed();
  }

  /**
   * Runs `make` inside out-of-memory and validation error scopes. A captured error becomes a
   * BackendError naming `what` (the op's label and sizes), raised by the next call that can
   * throw: at once by `read`/`sync`, which wait for the scopes, else by the next recording call.
   */
  #scoped<T>(what: string, make: () => T): T {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    const out = make();
    const validation = this.device.popErrorScope();
    const oom = this.device.popErrorScope();
    const seq = ++this.#scopeCount;
    const settled = Promise.all([validation, oom]).then(([v, o]) => {
      this.#scopes.delete(settled);
      const err = o ?? v;
      // Scopes may settle out of order (Chromium): keep the error of the earliest call, the cause.
      if (err && !this.#lost && seq > this.#reported && (!this.#error || seq < this.#errorScope)) {
        const kind = o ? 'out of memory' : 'validation error';
        this.#error = new BackendError(`webgpu: ${kind} in ${what}: ${err.message}`);
        this.#errorScope = seq;
      }
    }, () => { this.#scopes.delete(settled); }); // popErrorScope rejects only once the device is lost
    this.#scopes.add(settled);
    return out;
  }

  async #settleScopes(): Promise<void> {
    while (this.#scopes.size > 0) await Promise.all([...this.#scopes]);
  }

  /**
   * Awaits a device promise. When it rejects (mapAsync gives an AbortError with an empty message
   * once the device is destroyed), the rejection becomes the device-lost BackendError if the
   * device is gone, or a BackendError naming `what` otherwise.
   */
  async #deviceCall(what: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (e) {
      // `lost` settles in the same turn as the rejection or just after it; wait briefly for it.
      await Promise.race([this.device.lost.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 100))]);
      if (this.#lost) throw this.#lost;
      const err = e as { name?: string; message?: string };
      throw new BackendError(`webgpu: ${what} failed (${err.name ?? 'Error'}: ${err.message || 'no message'})`);
    }
    this.#throwIfLost();
  }

  /** Once the device is gone its buffers are dead: drop them (tensor records release into nothing). */
  #dropDeviceObjects(): void {
    this.#pass = null;
    this.#encoder = null;
    this.#pool.destroy();
    for (const b of this.#uniforms.values()) b.destroy();
    for (const b of this.#persistent) b.destroy();
    for (const b of [...this.#stepUsed, ...[...this.#stepFree.values()].flat()]) b.destroy();
    this.#stepUsed = [];
    this.#stepFree.clear();
    this.#persistent.clear();
    this.#uniforms.clear();
    this.#uniformBytes = 0;
    this.#clearBindGroups();
  }

  /** Destroys every buffer and the device; the context is unusable afterwards. */
  dispose(): void {
    if (this.#lost) return;
    this.#lost = new BackendError('webgpu: the backend was disposed');
    this.#pass?.end();
    this.#dropDeviceObjects();
    this.device.destroy();
  }

  #id(o: object): number {
    let id = this.#ids.get(o);
    if (id === undefined) this.#ids.set(o, (id = this.#nextId++));
    return id;
  }

  #bindGroup(label: string, pipeline: GPUComputePipeline, bindings: readonly (GpuHandle | GPUBuffer)[]): GPUBindGroup {
    let key = `${this.#id(pipeline)}`;
    for (const b of bindings) key += isHandle(b) ? `|${this.#id(b.buffer)}:${b.size}` : `|${this.#id(b)}`;
    const hit = this.#bindGroups.get(key);
    if (hit) return hit;
    let layout = this.#layouts.get(pipeline);
    if (!layout) this.#layouts.set(pipeline, (layout = pipeline.getBindGroupLayout(0)));
    const entries = bindings.map((b, binding): GPUBindGroupEntry => ({
      binding,
      resource: isHandle(b) ? { buffer: b.buffer, size: bindingBytes(b.size) } : { buffer: b },
    }));
    const sizes = bindings.map((b) => (isHandle(b) ? `${bindingBytes(b.size)}` : `uniform ${b.size}`)).join(', ');
    const l = layout;
    const group = this.#scoped(`bind group of '${label}' (binding bytes: ${sizes})`, () => this.device.createBindGroup({ label, layout: l, entries }));
    const cost = 64 + 32 * entries.length;
    if (this.#bindGroupBytes + cost > MAX_BIND_GROUP_BYTES) this.#clearBindGroups();
    this.#bindGroups.set(key, group);
    this.#bindGroupBytes += cost;
    return group;
  }

  #clearBindGroups(): void {
    this.#bindGroups.clear();
    this.#bindGroupBytes = 0;
  }

  /** Runs after a submit, so no evicted buffer is referenced by unsubmitted commands. */
  #evictUniforms(): void {
    if (this.#uniformBytes <= MAX_UNIFORM_BYTES) return;
    // Least recently used first (a hit moves its entry to the end), down to half the budget.
    for (const [key, buffer] of this.#uniforms) {
      if (this.#uniformBytes <= MAX_UNIFORM_BYTES / 2) break;
      buffer.destroy();
      this.#uniforms.delete(key);
      this.#uniformBytes -= buffer.size + UNIFORM_ENTRY_BYTES;
    }
    // Cached bind groups may name the destroyed buffers.
    this.#clearBindGroups();
  }

  #throwIfLost(): void {
    if (this.#lost) throw this.#lost;
    this.#throwIfFailed();
  }

  /** Reports an asynchronous validation error once, at the next call that can throw. */
  #throwIfFailed(): void {
    const err = this.#error;
    if (err) {
      this.#error = null;
      this.#errorScope = Infinity;
      this.#reported = this.#scopeCount;
      throw err;
    }
  }
}
