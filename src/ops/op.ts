/** Helpers every op uses: wrapping handles, accepting numbers, recording gradients. */
import type { DataHandle } from '../backend/backend.js';
import { engine, type TapeNode } from '../core/engine.js';
import { BackendError, ValueError } from '../core/errors.js';
import { sizeOf, type Shape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';

/** A tensor, or a number taken as a scalar tensor. */
export type TensorLike = Tensor | number;

/** Wraps a handle the active backend just produced. */
export function wrap(handle: DataHandle, shape: Shape): Tensor {
  return new Tensor(engine.newRecord(handle, sizeOf(shape)), shape);
}

/** Checks that `x` is a live tensor of the active backend, or makes a scalar from a number. */
export function asTensor(x: TensorLike, op: string, arg = 'x'): Tensor {
  if (typeof x === 'number') return wrap(engine.backend.fill(1, x), []);
  if (!(x instanceof Tensor)) throw new ValueError(`${op}: argument '${arg}' must be a Tensor or a number, got ${typeof x}`);
  if (x.isDisposed) throw new ValueError(`${op}: argument '${arg}' (shape [${x.shape.join(',')}]) was disposed`);
  if (x.record.backend !== engine.backend) {
    const lost = x.record.backend.lostError();
    if (lost) {
      throw new BackendError(`${op}: argument '${arg}' (shape [${x.shape.join(',')}]) lives on a WebGPU device that is gone ` +
        `(${lost.message}); its values went with it: recreate the tensor on the active backend`);
    }
    throw new ValueError(
      `${op}: argument '${arg}' lives on backend '${x.record.backend.name}' but the active backend is ` +
        `'${engine.backend.name}'; tensors do not move between backends (read it with data() and recreate it)`,
    );
  }
  return x;
}

/** Records a node on the open gradient tapes; a no-op when no gradient is being computed. */
export function record(
  name: string, inputs: readonly Tensor[], outputs: readonly Tensor[], backward: TapeNode['backward'],
): void {
  if (engine.recording) engine.record({ name, inputs, outputs, backward });
}
