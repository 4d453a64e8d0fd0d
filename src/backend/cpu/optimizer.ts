/** Fused optimizer updates on the CPU (Keras 3 formulas, SEMANTICS.md section 6), in place. */
import type { OptimizerUpdate } from '../backend.js';
import { checkSize, type Arr } from './arrays.js';

/** One update of `w` in place; gradient and slots must be as long as the weight (checked: a mismatch is a bug of ours). */
export function optimizerStep(u: OptimizerUpdate, w: Arr, g: Arr, slots: readonly Arr[]): void {
  checkSize(`optimizer ${u.kind}`, 'the gradient', g, w.length);
  checkSize(`optimizer ${u.kind}`, 'the weight', w, g.length);
  for (const s of slots) checkSize(`optimizer ${u.kind}`, 'a slot', s, w.length);
  switch (u.kind) {
    case 'sgd': {
      if (u.momentum === 0) {
        for (let i = 0; i < w.length; i++) w[i] -= u.learningRate * g[i];
        return;
      }
      const v = slots[0];
      for (let i = 0; i < w.length; i++) {
        v[i] = u.momentum * v[i] - u.learningRate * g[i];
        w[i] += v[i];
      }
      return;
    }
    case 'rmsprop': {
      const s = slots[0];
      for (let i = 0; i < w.length; i++) {
        s[i] = u.rho * s[i] + (1 - u.rho) * g[i] * g[i];
        w[i] -= (u.learningRate * g[i]) / Math.sqrt(s[i] + u.epsilon);
      }
      return;
    }
    case 'adam': {
      const [m, v] = slots;
      const alpha = (u.learningRate * Math.sqrt(1 - Math.pow(u.beta2, u.step))) / (1 - Math.pow(u.beta1, u.step));
      for (let i = 0; i < w.length; i++) {
        m[i] += (g[i] - m[i]) * (1 - u.beta1);
        v[i] += (g[i] * g[i] - v[i]) * (1 - u.beta2);
        w[i] -= (alpha * m[i]) / (Math.sqrt(v[i]) + u.epsilon);
      }
      return;
    }
    default:
      u satisfies never;
  }
}
