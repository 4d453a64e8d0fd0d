/**
 * The engine: the active backend, reference-counted data records, tidy scopes, memory
 * accounting and the gradient tape. It holds no kernels; ops call `engine.run`.
 */
import type { Backend, DataHandle } from '../backend/backend.js';
import { ValueError } from './errors.js';
import type { Shape } from './shape.js';
import type { Tensor } from './tensor.js';

/** A piece of backend memory shared by the tensors that view it (reshape shares, never copies). */
export interface DataRecord {
  readonly handle: DataHandle;
  readonly backend: Backend;
  readonly size: number;
  refs: number;
}

/** One recorded op: how to send output gradients back to the inputs. */
export interface TapeNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /**
   * Gradients for each input (null where none flows), given one gradient per output (null = zeros).
   * `needs[k]` false means input k leads to no differentiated tensor: its gradient may be null
   * (and is ignored), so the backward can skip that work. Omitted: every input is needed.
   */
  backward(dys: readonly (Tensor | null)[], needs?: readonly boolean[]): readonly (Tensor | null)[];
}

interface Tape {
  readonly nodes: TapeNode[];
  /** Also differentiate with respect to every trainable variable that is used. */
  readonly allTrainable: boolean;
  /** Ids of tensors that gradients flow to or from. */
  readonly live: Set<number>;
}

class Engine {
  #backend: Backend | null = null;
  #makeDefault: (() => Backend) | null = null;
  #scopes: Set<Tensor>[] = [];
  #tapes: Tape[] = [];
  #deferred = new Set<Tensor>();
  #paused = 0;
  numTensors = 0;
  numBytes = 0;
  /** Tape nodes recorded so far (tests check that plain op calls record none). */
  nodesRecorded = 0;

  /** Set once by the package root: how to make the default (CPU) backend on first use. */
  setDefaultFactory(make: () => Backend): void {
    this.#makeDefault = make;
  }

  get backend(): Backend {
    if (this.#backend === null) {
      if (this.#makeDefault === null) throw new ValueError('internal: no backend and no default factory');
      this.#backend = this.#makeDefault();
    }
    return this.#backend;
  }

  get hasBackend(): boolean {
    return this.#backend !== null;
  }

  setBackend(b: Backend): void {
    this.#backend = b;
  }

  /** Runs `fn` with `b` as the active backend (tests use it for float64 references). */
  withBackend<T>(b: Backend, fn: () => T): T {
    const prev = this.#backend;
    this.#backend = b;
    try {
      return fn();
    } finally {
      this.#backend = prev;
    }
  }

  newRecord(handle: DataHandle, size: number, backend: Backend = this.backend): DataRecord {
    this.numBytes += size * 4;
    return { handle, backend, size, refs: 0 };
  }

  /** Called by every new Tensor: counts it and puts it in the innermost tidy scope. */
  track(t: Tensor, rec: DataRecord, inScope: boolean): void {
    rec.refs++;
    this.numTensors++;
    if (inScope) this.#scopes[this.#scopes.length - 1]?.add(t);
  }

  /** Releases a tensor's reference; the memory is freed when the last view goes. */
  release(t: Tensor, rec: DataRecord): boolean {
    if (this.#tapes.some((tape) => tape.live.has(t.id))) {
      this.#deferred.add(t);
      return false;
    }
    this.numTensors--;
    for (const s of this.#scopes) s.delete(t);
    if (--rec.refs === 0) {
      this.numBytes -= rec.size * 4;
      rec.backend.free(rec.handle);
    }
    return true;
  }

  /** Moves one tensor's reference from record `from` to record `to` (a variable restored after a device loss). */
  rebind(from: DataRecord, to: DataRecord): void {
    to.refs++;
    if (--from.refs === 0) {
      this.numBytes -= from.size * 4;
      from.backend.free(from.handle);
    }
  }

  /** Removes `t` from every open scope (it outlives the current tidy). */
  keep(t: Tensor): void {
    for (const s of this.#scopes) s.delete(t);
  }

  tidy<T>(fn: () => T): T {
    const scope = new Set<Tensor>();
    this.#scopes.push(scope);
    let result: T;
    try {
      result = fn();
      if (result instanceof Promise) {
        throw new ValueError('tidy: the function returned a Promise; tidy only takes synchronous functions');
      }
    } catch (e) {
      // A failed body frees what it made, as a successful one frees what it does not return.
      this.#scopes.pop();
      for (const t of scope) t.dispose();
      throw e;
    }
    this.#scopes.pop();
    const kept = new Set<Tensor>();
    collectTensors(result, kept);
    for (const t of scope) {
      if (kept.has(t)) this.#scopes[this.#scopes.length - 1]?.add(t);
      else t.dispose();
    }
    return result;
  }

  // ---- gradient tape ----

  get recording(): boolean {
    return this.#tapes.length > 0 && this.#paused === 0;
  }

  /** Records `node` on every open tape that one of its inputs is live on. */
  record(node: TapeNode): void {
    if (this.#paused > 0) return;
    for (const tape of this.#tapes) {
      if (node.inputs.some((x) => tape.live.has(x.id) || (tape.allTrainable && x.isTrainableVariable))) {
        tape.nodes.push(node);
        this.nodesRecorded++;
        for (const o of node.outputs) tape.live.add(o.id);
        for (const x of node.inputs) tape.live.add(x.id);
      }
    }
  }

  /**
   * Runs `forward` while recording the ops that depend on `sources` (and on every trainable
   * variable when `allTrainable`), then `backward` over the recorded nodes with recording paused.
   * Tensors disposed meanwhile stay alive until `backward` is done.
   */
  withTape<T, R>(
    sources: readonly Tensor[], allTrainable: boolean, forward: () => T,
    backward: (result: T, nodes: readonly TapeNode[]) => R,
  ): R {
    const tape: Tape = { nodes: [], allTrainable, live: new Set(sources.map((s) => s.id)) };
    this.#tapes.push(tape);
    try {
      const result = forward();
      this.#paused++;
      try {
        return backward(result, tape.nodes);
      } finally {
        this.#paused--;
      }
    } finally {
      this.#tapes.splice(this.#tapes.indexOf(tape), 1);
      for (const t of [...this.#deferred]) {
        if (!this.#tapes.some((tp) => tp.live.has(t.id))) {
          this.#deferred.delete(t);
          t.dispose();
        }
      }
    }
  }

  /** Drops the backend (after `dispose`); the next op makes a default one. */
  reset(): void {
    this.#backend = null;
  }
}

function collectTensors(x: unknown, out: Set<Tensor>): void {
  if (x === null || typeof x !== 'object') return;
  if (isTensor(x)) {
    out.add(x);
  } else if (Array.isArray(x)) {
    for (const v of x) collectTensors(v, out);
  } else if (x instanceof Map) {
    for (const v of x.values()) collectTensors(v, out);
  } else if (Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x)) collectTensors(v, out);
  }
}

function isTensor(x: object): x is Tensor {
  return (x as { readonly isWgnnTensor?: boolean }).isWgnnTensor === true;
}

/** The one engine of this module instance. */
export const engine = new Engine();

/** Shape and handle of the data behind a tensor, for backend calls. */
export interface Info {
  readonly handle: DataHandle;
  readonly shape: Shape;
}
