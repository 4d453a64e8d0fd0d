/** Activation functions by Keras name, as compositions of the primitive ops. */
import { ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { relu, sigmoid, sub, tanh } from '../ops/elementwise.js';
import { softmax as softmaxOp } from '../ops/softmax.js';

export type ActivationName = 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'linear' | 'relu6';
export const ACTIVATIONS: readonly ActivationName[] = ['relu', 'sigmoid', 'tanh', 'softmax', 'linear', 'relu6'];

/**
 * Softmax over the last axis: exp(x - max(x)) / sum(exp(x - max(x))), the fused op (one
 * dispatch forward and one backward on WebGPU, instead of five and about eight composed).
 */
export function softmax(x: Tensor): Tensor {
  return softmaxOp(x, -1);
}

/**
 * min(max(x, 0), 6), written 6 - relu(6 - relu(x)) so that the gradient is TF's Relu6Grad,
 * dy * (x > 0) * (x < 6) (0 at both kinks), where `minimum` would pass dy at x == 6.
 */
export function relu6(x: Tensor): Tensor {
  return sub(6, relu(sub(6, relu(x))));
}

/** Applies the named activation (`linear` returns x itself). */
export function applyActivation(name: ActivationName, x: Tensor): Tensor {
  switch (name) {
    case 'relu':
      return relu(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'tanh':
      return tanh(x);
    case 'softmax':
      return softmax(x);
    case 'linear':
      return x;
    case 'relu6':
      return relu6(x);
    default:
      name satisfies never;
      throw new ValueError(`unknown activation '${String(name)}'`);
  }
}

/** Validates an activation option; `label` names the layer. */
export function checkActivation(value: unknown, label: string): ActivationName {
  const v = value ?? 'linear';
  if (!ACTIVATIONS.includes(v as ActivationName)) {
    throw new ValueError(`${label}: unknown activation ${JSON.stringify(value)} (use ${ACTIVATIONS.join(', ')})`);
  }
  return v as ActivationName;
}
