/**
 * Weight initializers (Keras names). Each is a small serializable object: `{ name, seed? }`
 * plus `apply(shape)`, so a saved model records how its weights were made.
 */
import { ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { fill, randomUniform } from '../ops/creation.js';

export type InitializerName = 'glorotUniform' | 'zeros' | 'ones';

/** Serializable description of an initializer. */
export interface InitializerConfig {
  readonly name: InitializerName;
  /** Only for random initializers; without one every call draws new numbers. */
  readonly seed?: number;
}

export interface Initializer extends InitializerConfig {
  /** A new tensor of `shape`; `shape` = [fanIn, fanOut] or [kh, kw, in, out] for glorot. */
  apply(shape: readonly number[]): Tensor;
}

/**
 * Glorot (Xavier) uniform: U(-limit, limit), limit = sqrt(6 / (fanIn + fanOut)), with
 * fanIn = shape[0], fanOut = shape[1] for a 2-D kernel; for a conv kernel [kh, kw, in, out],
 * fanIn = kh * kw * in and fanOut = kh * kw * out (Keras).
 */
export function glorotUniform(options: { seed?: number } = {}): Initializer {
  return {
    name: 'glorotUniform',
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    apply(shape) {
      // Keras: a conv kernel [..., in, out] multiplies both fans by its receptive field (kh * kw).
      const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
      const fanIn = shape.length >= 2 ? shape[shape.length - 2] * receptive : shape[0];
      const fanOut = shape.length >= 2 ? shape[shape.length - 1] * receptive : shape[0];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return randomUniform(shape, { minval: -limit, maxval: limit, seed: options.seed });
    },
  };
}

/** All zeros. */
export function zerosInit(): Initializer {
  return { name: 'zeros', apply: (shape) => fill(shape, 0) };
}

/** All ones. */
export function onesInit(): Initializer {
  return { name: 'ones', apply: (shape) => fill(shape, 1) };
}

/** Resolves a name or config to an initializer; `what` names the layer option for errors. */
export function getInitializer(spec: InitializerName | InitializerConfig | undefined, fallback: InitializerName, what: string): Initializer {
  const cfg: InitializerConfig = spec === undefined ? { name: fallback } : typeof spec === 'string' ? { name: spec } : spec;
  switch (cfg.name) {
    case 'glorotUniform':
      return glorotUniform({ seed: cfg.seed });
    case 'zeros':
      return zerosInit();
    case 'ones':
      return onesInit();
    default:
      throw new ValueError(`${what}: unknown initializer ${JSON.stringify(spec)} (use 'glorotUniform', 'zeros' or 'ones')`);
  }
}

/** The serializable part of an initializer. */
export function initializerConfig(init: Initializer): InitializerConfig {
  return init.seed === undefined ? { name: init.name } : { name: init.name, seed: init.seed };
}
