/**
 * Device buffers pooled by size class. A released buffer becomes reusable only after the work
 * recorded so far has been submitted: `queue.writeBuffer` runs ahead of unsubmitted commands,
 * so handing a buffer still read by a pending dispatch to a new upload would corrupt that read.
 */
import { BackendError } from '../../core/errors.js';

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
  readonly #free = new Map<number, GPUBuffer[]>();
  #deferred: GPUBuffer[] = [];
  #live = 0;
  #all = new Set<GPUBuffer>();

  constructor(device: GPUDevice, limits: GPUSupportedLimits) {
    this.#device = device;
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

  /** Power-of-two class >= 256 B, or the exact size when the class would pass maxBufferSize. */
  classBytes(bytes: number): number {
    const pow2 = Math.max(MIN_CLASS_BYTES, 2 ** Math.ceil(Math.log2(bytes)));
    return pow2 <= this.#maxBufferSize ? pow2 : bytes;
  }

  /** A buffer of at least `size` f32 elements; throws BackendError past the device limits. */
  acquire(size: number, label: string): GPUBuffer {
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
    const reused = this.#free.get(cls)?.pop();
    this.#live++;
    if (reused) {
      reused.label = label;
      return reused;
    }
    const buffer = this.#device.createBuffer({ label, size: cls, usage: TENSOR_USAGE });
    this.#all.add(buffer);
    return buffer;
  }

  /** Returns a buffer; it is reusable after the next `commit()`. */
  release(buffer: GPUBuffer): void {
    this.#live--;
    this.#deferred.push(buffer);
  }

  /** Called once pending work is submitted: released buffers become reusable. */
  commit(): void {
    for (const b of this.#deferred) {
      const list = this.#free.get(b.size);
      if (list) list.push(b);
      else this.#free.set(b.size, [b]);
    }
    this.#deferred = [];
  }

  /** Destroys every buffer, live or free. */
  destroy(): void {
    for (const b of this.#all) b.destroy();
    this.#all.clear();
    this.#free.clear();
    this.#deferred = [];
    this.#live = 0;
  }
}
