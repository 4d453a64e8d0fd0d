import type { DataHandle } from '../backend/backend.js';
import { engine, type DataRecord, type Info } from './engine.js';
import { BackendError, ValueError, fmtShape } from './errors.js';
import { formatTensor } from './format.js';
import { sizeOf, type Shape } from './shape.js';

let nextId = 0;

/** Nested number arrays, as `array()` returns and `tensor()` accepts. */
export type NestedArray = number | NestedArray[];

/**
 * A float32 n-dimensional array on the active backend. Immutable: ops return new tensors.
 * Memory is released by `dispose()` or by the enclosing `tidy()`. The ops are also methods
 * (`x.add(y).relu().sum()`, installed by src/ops/methods.ts).
 */
export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly isWgnnTensor = true;
  /** @internal */
  protected rec: DataRecord;
  #disposed = false;

  /** @internal Use `wg.tensor()` and the ops; this wraps backend data. */
  constructor(rec: DataRecord, shape: Shape, tracked = true) {
    this.rec = rec;
    this.shape = Object.freeze([...shape]);
    if (sizeOf(shape) !== rec.size) {
      throw new ValueError(`internal: tensor of shape ${fmtShape(shape)} over data of ${rec.size} elements`);
    }
    engine.track(this, rec, tracked);
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.rec.size;
  }

  /** @internal True for trainable variables: `variableGrads` differentiates with respect to them. */
  get isTrainableVariable(): boolean {
    return false;
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** @internal The backend handle and shape, for kernels. */
  get info(): Info {
    this.assertAlive('use');
    return { handle: this.rec.handle, shape: this.shape };
  }

  /** @internal */
  get handle(): DataHandle {
    return this.info.handle;
  }

  /** @internal The data record (shared by reshaped views). */
  get record(): DataRecord {
    this.assertAlive('use');
    return this.rec;
  }

  /** Reads the values back (a GPU -> CPU transfer on WebGPU). */
  async data(): Promise<Float32Array> {
    this.assertAlive('read');
    return this.rec.backend.read(this.rec.handle, this.rec.size);
  }

  /** Reads the values back as nested arrays of the tensor's shape. */
  async array(): Promise<NestedArray> {
    const flat = await this.data();
    return nest(flat, this.shape, 0, 0);
  }

  /** Always 'float32': wgnn has one dtype (labels and indices are whole numbers in float32). */
  get dtype(): 'float32' {
    return 'float32';
  }

  /**
   * The values, synchronously: on the CPU backend only. WebGPU reads are asynchronous, so there
   * it throws a BackendError pointing to `await x.data()`.
   */
  dataSync(): Float32Array {
    this.assertAlive('read');
    const b = this.rec.backend;
    if (!b.readSync) {
      throw new BackendError(`Tensor ${fmtShape(this.shape)}: dataSync() needs a synchronous read, which the ${b.name} backend does not have ` +
        '(a GPU readback is asynchronous): use `await x.data()` (or `await x.array()`)');
    }
    return b.readSync(this.rec.handle, this.rec.size);
  }

  /** Nested arrays, synchronously: CPU backend only (see `dataSync`); elsewhere use `await x.array()`. */
  arraySync(): NestedArray {
    return nest(this.dataSync(), this.shape, 0, 0);
  }

  /**
   * Logs the values (TF.js layout). On the CPU backend it logs before returning; on WebGPU after
   * the readback, so `await x.print()` to keep output in order. `verbose` adds dtype, rank and shape.
   */
  print(verbose = false): Promise<void> {
    this.assertAlive('print');
    if (this.rec.backend.readSync) {
      console.log(formatTensor(this.dataSync(), this.shape, verbose));
      return Promise.resolve();
    }
    return this.data().then((v) => console.log(formatTensor(v, this.shape, verbose)));
  }

  /** Releases this tensor's memory. Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    if (engine.release(this, this.rec)) this.#disposed = true;
  }

  toString(): string {
    return `Tensor(shape=${fmtShape(this.shape)}, backend=${this.rec.backend.name})`;
  }

  protected assertAlive(what: string): void {
    if (this.#disposed) throw new ValueError(`Tensor ${fmtShape(this.shape)}: cannot ${what} a disposed tensor`);
  }
}

function nest(flat: Float32Array, shape: Shape, axis: number, offset: number): NestedArray {
  if (shape.length === 0) return flat[0];
  const n = shape[axis];
  if (axis === shape.length - 1) return Array.from(flat.subarray(offset, offset + n));
  const stride = sizeOf(shape.slice(axis + 1));
  const out: NestedArray[] = [];
  for (let i = 0; i < n; i++) out.push(nest(flat, shape, axis + 1, offset + i * stride));
  return out;
}

let variableCount = 0;

/**
 * A named, mutable tensor holding a weight or a statistic. Not disposed by `tidy`. Its value is
 * replaced with `assign`, or updated in place on the device by fused kernels.
 */
export class Variable extends Tensor {
  readonly name: string;
  trainable: boolean;

  /** @internal Use `wg.variable()`. */
  constructor(rec: DataRecord, shape: Shape, name: string | undefined, trainable: boolean) {
    super(rec, shape, false);
    this.name = name ?? `variable_${variableCount++}`;
    this.trainable = trainable;
  }

  override get isTrainableVariable(): boolean {
    return this.trainable;
  }

  /** Replaces the value with a copy of `value` (same shape). */
  assign(value: Tensor): void {
    this.assertAlive('assign');
    if (value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) {
      throw new ValueError(
        `Variable '${this.name}': cannot assign a value of shape ${fmtShape(value.shape)} to shape ${fmtShape(this.shape)}`,
      );
    }
    this.rec.backend.assign(this.rec.handle, value.handle, this.size);
  }
}
