/** Memory scopes for users: `tidy`, `keep`, `dispose`. */
import { engine } from './engine.js';
import type { Tensor } from './tensor.js';

/**
 * Runs `fn` and disposes every tensor it created except those it returns (in arrays or plain
 * objects). `fn` must be synchronous.
 * @category Memory
 */
export function tidy<T>(fn: () => T): T {
  return engine.tidy(fn);
}

/** Lets `t` outlive the enclosing `tidy`. @category Memory */
export function keep<T extends Tensor>(t: T): T {
  engine.keep(t);
  return t;
}

/** Disposes a tensor, or every tensor in an array or plain object. @category Memory */
export function dispose(x: Tensor | readonly Tensor[] | Record<string, Tensor>): void {
  const list = Array.isArray(x) ? x : (x as Tensor).isWgnnTensor ? [x as Tensor] : Object.values(x);
  for (const t of list as Tensor[]) t.dispose();
}
