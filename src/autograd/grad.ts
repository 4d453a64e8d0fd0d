/**
 * Reverse-mode differentiation over the tape: `grad`, `grads`, `valueAndGrads`, `variableGrads`.
 * Each op records how to send gradients back (src/ops, forward and backward side by side);
 * here the recorded nodes are walked in reverse and gradients summed per tensor.
 */
import { engine, type TapeNode } from '../core/engine.js';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import type { Tensor, Variable } from '../core/tensor.js';
import { fill } from '../ops/creation.js';
import { add } from '../ops/elementwise.js';

/** Gradients of `y` with respect to every tensor id reached by the nodes, seeded with `dy`. */
function backprop(y: Tensor, dy: Tensor, nodes: readonly TapeNode[]): Map<number, Tensor> {
  const g = new Map<number, Tensor>([[y.id, dy]]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    const dys = node.outputs.map((o) => g.get(o.id) ?? null);
    if (dys.every((d) => d === null)) continue;
    const dxs = node.backward(dys);
    node.inputs.forEach((x, k) => {
      const dx = dxs[k];
      if (!dx) return;
      if (dx.shape.length !== x.shape.length || dx.shape.some((d, j) => d !== x.shape[j])) {
        throw new ShapeError(`internal: gradient of ${node.name} has shape ${fmtShape(dx.shape)} for input ${fmtShape(x.shape)}`);
      }
      const prev = g.get(x.id);
      g.set(x.id, prev ? add(prev, dx) : dx);
    });
  }
  return g;
}

function checkScalar(what: string, y: unknown): Tensor {
  const t = y as Tensor;
  if (t === null || typeof t !== 'object' || !t.isWgnnTensor) throw new ValueError(`${what}: the function must return a Tensor`);
  return t;
}

/**
 * `f`'s value and its gradients with respect to `xs`. `f` must return a scalar unless `dy`
 * (the gradient of some scalar with respect to f's output) is given.
 */
export function valueAndGrads(f: (...xs: Tensor[]) => Tensor) {
  return (xs: readonly Tensor[], dy?: Tensor): { value: Tensor; grads: Tensor[] } =>
    engine.tidy(() =>
      engine.withTape(xs, false, () => checkScalar('grads', f(...xs)), (value, nodes) => {
        if (dy === undefined && value.size !== 1) {
          throw new ShapeError(`grads: f must return a scalar when no dy is given, got shape ${fmtShape(value.shape)}`);
        }
        const g = backprop(value, dy ?? fill(value.shape, 1), nodes);
        return { value, grads: xs.map((x) => g.get(x.id) ?? fill(x.shape, 0)) };
      }),
    );
}

/** df/dx for a function of one tensor returning a scalar. */
export function grad(f: (x: Tensor) => Tensor) {
  return (x: Tensor, dy?: Tensor): Tensor => {
    const { value, grads } = valueAndGrads(f)([x], dy);
    value.dispose();
    return grads[0];
  };
}

/** [df/da, df/db, ...] for a function of several tensors returning a scalar. */
export function grads(f: (...xs: Tensor[]) => Tensor) {
  return (xs: readonly Tensor[], dy?: Tensor): Tensor[] => {
    const { value, grads: gs } = valueAndGrads(f)(xs, dy);
    value.dispose();
    return gs;
  };
}

/**
 * The value of `f` (a scalar loss) and its gradient with respect to each trainable variable it
 * uses (or to `varList`), keyed by variable name (`'dense/kernel'`).
 */
export function variableGrads(f: () => Tensor, varList?: readonly Variable[]): { value: Tensor; grads: Record<string, Tensor> } {
  return engine.tidy(() =>
    engine.withTape(varList ?? [], varList === undefined, () => checkScalar('variableGrads', f()), (value, nodes) => {
      if (value.size !== 1) throw new ShapeError(`variableGrads: f must return a scalar, got shape ${fmtShape(value.shape)}`);
      const g = backprop(value, fill(value.shape, 1), nodes);
      const vars = varList ?? usedTrainable(nodes);
      const out: Record<string, Tensor> = {};
      for (const v of vars) out[v.name] = g.get(v.id) ?? fill(v.shape, 0);
      return { value, grads: out };
    }),
  );
}

function usedTrainable(nodes: readonly TapeNode[]): Variable[] {
  const seen = new Map<number, Variable>();
  for (const n of nodes) for (const x of n.inputs) if (x.isTrainableVariable) seen.set(x.id, x as Variable);
  return [...seen.values()];
}
