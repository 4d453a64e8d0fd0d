/**
 * Device buffers pooled by size class. A buffer released since the last submit may still be read
 * by recorded, unsubmitted dispatches. Kernels may reuse it at once (commands run in recording
 * order, so a later dispatch's writes come after those reads): that keeps a training step's
 * buffers, and so its cached bind groups, the same from step to step: free lists are LIFO, so a
 * step takes back the buffers the previous step released, most recent first, and spare buffers of
 * a class (left by an earlier, larger step) stay at the bottom instead of rotating through every
 * step's bind groups (FIFO did: 5.9 createBindGroup per seed step against 1.05 LIFO, 50.8 against
 * 14.7 per step of the issue-14 MLP, counted in node-webgpu). Uploads may not:
 * `queue.writeBuffer` runs ahead of unsubmitted commands and would corrupt those reads, so upload
 * buffers form their own population, reusable only after the submit that follows their release.
 */
import { BackendError } from '../../core/errors.js';

/** Default bound of the free buffers kept for reuse. */
const MAX_FREE_BYTES = 256 * 2 ** 20;

/** Smallest pooled buffer; smaller requests share this class. */
const MIN_CLASS_BYTES = 256;

/** Usage of every tensor buffer: kernels read and write it, uploads and readbacks copy it. */
export const TENSOR_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */

/** Bytes a tensor of `size` f32 elements occupies in a binding: >= 4 and a multiple of 4. */
export function bindingBytes(size: number): number {
  return Math.max(4, size * 4);
}

export class BufferPool {
  readonly #device: GPUDevice;
  readonly #maxBufferSize: number;
  readonly #maxBinding: number;
  /** Free kernel buffers by class; the last released is reused first (LIFO: see the file comment). */
  readonly #free = new Map<number, GPUBuffer[]>();
  /** In `#free` but released since the last submit: unsafe for uploads. */
  readonly #recent = new Set<GPUBuffer>();
  /** Handed out from `#recent` since the last submit: unsubmitted commands may still use them. */
  readonly #inFlight = new Set<GPUBuffer>();
  /** Free upload buffers by class, all released before the last submit. */
  readonly #freeUploads = new Map<number, GPUBuffer[]>();
  /** Upload buffers handed out; released ones wait in `#uploadsReleased` for the next submit. */
  readonly #uploads = new Set<GPUBuffer>();
  #uploadsReleased: GPUBuffer[] = [];
  #live = 0;
  #all = new Set<GPUBuffer>();
  /** Bytes of free (pooled, released) buffers, and the most kept: past it the oldest are destroyed. */
  #freeBytes = 0;
  readonly #maxFreeBytes: number;

  /** Runs a device call inside error scopes that report `what` (the context's `#scoped`). */
  readonly #scoped: <T>(what: string, make: () => T) => T;

  constructor(
    device: GPUDevice, limits: GPUSupportedLimits, scoped: <T>(what: string, make: () => T) => T = (_w, make) => make(),
    maxFreeBytes = MAX_FREE_BYTES,
  ) {
    this.#device = device;
    this.#maxFreeBytes = maxFreeBytes;
    this.#scoped = scoped;
    this.#maxBufferSize = limits.maxBufferSize;
    this.#maxBinding = limits.maxStorageBufferBindingSize;
  }

  /** Buffers handed out and not yet released. */
  get live(): number {
    return this.#live;
  }

  /** Buffers created by this pool, in use or free. */
  get total(): number {
    return this.#all.size;
  }

  /** Bytes held by free buffers (at most `maxFreeBytes` after each `commit`). */
  get freeBytes(): number {
    return this.#freeBytes;
  }

  /** Power-of-two class >= 256 B, or the exact size when the class would pass maxBufferSize. */
  classBytes(bytes: number): number {
    const pow2 = Math.max(MIN_CLASS_BYTES, 2 ** Math.ceil(Math.log2(bytes)));
    return pow2 <= this.#maxBufferSize ? pow2 : bytes;
  }

  /**
   * A buffer of at least `size` f32 elements; throws BackendError past the device limits.
   * `forUpload`: the caller writes it with `queue.writeBuffer` (only buffers no unsubmitted
   * command uses).
   */
  acquire(size: number, label: string, forUpload = false): GPUBuffer {
    if (!Number.isInteger(size) || size < 0) {
      throw new BackendError(`internal: webgpu alloc '${label}': invalid element count ${size}`);
    }
    const bytes = bindingBytes(size);
    const limit = Math.min(this.#maxBinding, this.#maxBufferSize);
    if (bytes > limit) {
      throw new BackendError(
        `webgpu: '${label}' needs ${size} float32 elements (${bytes} bytes), more than this device allows ` +
          `in one buffer (maxStorageBufferBindingSize ${this.#maxBinding} bytes, maxBufferSize ` +
          `${this.#maxBufferSize} bytes)`,
      );
    }
    const cls = this.classBytes(bytes);
    this.#live++;
    let buffer = forUpload ? this.#freeUploads.get(cls)?.pop() : this.#free.get(cls)?.pop();
    if (buffer && this.#recent.delete(buffer)) this.#inFlight.add(buffer);
    if (buffer) this.#freeBytes -= buffer.size;
    if (buffer) buffer.label = label;
    else {
      const device = this.#device;
      buffer = this.#scoped(`alloc '${label}' of ${size} float32 elements (${cls} bytes)`,
        () => device.createBuffer({ label, size: cls, usage: TENSOR_USAGE }));
      this.#all.add(buffer);
    }
    if (forUpload) this.#uploads.add(buffer);
    return buffer;
  }

  /** Returns a buffer: kernels may reuse it at once, uploads after the next `commit()`. */
  release(buffer: GPUBuffer): void {
    // After `destroy` (device lost), tensors still release their dead buffers: ignore them.
    if (!this.#all.has(buffer)) return;
    this.#live--;
    this.#freeBytes += buffer.size;
    if (this.#uploads.delete(buffer)) {
      this.#uploadsReleased.push(buffer);
      return;
    }
    this.#recent.add(buffer);
    push(this.#free, buffer);
  }

  /** True when unsubmitted commands may use `buffer` (it was reused since the last submit). */
  inFlight(buffer: GPUBuffer): boolean {
    return this.#inFlight.has(buffer);
  }

  /** Called once pending work is submitted: no released buffer is in use by unsubmitted work. */
  commit(): void {
    this.#recent.clear();
    this.#inFlight.clear();
    for (const b of this.#uploadsReleased) push(this.#freeUploads, b);
    this.#uploadsReleased = [];
    this.#trim();
  }

  /** Destroys the oldest free buffers while free ones hold more than `maxFreeBytes` (issue 13: caches bounded by bytes). */
  #trim(): void {
    for (const lists of [this.#free, this.#freeUploads]) {
      for (const list of lists.values()) {
        while (this.#freeBytes > this.#maxFreeBytes && list.length > 0) {
          const b = list.shift() as GPUBuffer;
          this.#freeBytes -= b.size;
          this.#all.delete(b);
          b.destroy();
        }
      }
    }
  }

  /** Destroys every buffer, live or free. */
  destroy(): void {
    for (const b of this.#all) b.destroy();
    this.#all.clear();
    this.#freeBytes = 0;
    this.#free.clear();
    this.#recent.clear();
    this.#inFlight.clear();
    this.#freeUploads.clear();
    this.#uploads.clear();
    this.#uploadsReleased = [];
    this.#live = 0;
  }
}

/** Appends `b` to the free list of its size class. */
export function push(lists: Map<number, GPUBuffer[]>, b: GPUBuffer): void {
  const list = lists.get(b.size);
  if (list) list.push(b);
  else lists.set(b.size, [b]);
}
