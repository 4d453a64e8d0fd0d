/** A shape that does not fit the operation: names the op and every shape involved. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** An argument or option value out of its allowed range, or of the wrong kind. */
export class ValueError extends Error {
  override name = 'ValueError';
}

/** The requested backend cannot run here (no adapter, device lost, limit exceeded). */
export class BackendError extends Error {
  override name = 'BackendError';
}

/** A training step produced NaN or Inf; the step's updates were not applied. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

/** Formats a shape the way error messages show it: `[3,4]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
