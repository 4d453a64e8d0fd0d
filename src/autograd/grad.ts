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

/**
 * Ids of the tensors that depend on a source (`isSource`): only those need gradients. Nodes
 * are in recording order, so one forward sweep suffices.
 */
function dependents(nodes: readonly TapeNode[], isSource: (t: Tensor) => boolean): Set<number> {
  const dep = new Set<number>();
  for (const node of nodes) {
    let any = false;
    for (const x of node.inputs) {
      if (dep.has(x.id)) any = true;
      else if (isSource(x)) {
        dep.add(x.id);
        any = true;
      }
    }
    if (any) for (const o of node.outputs) dep.add(o.id);
  }
  return dep;
}

/**
 * Gradients of `y`, seeded with `dy`, for the tensors that depend on a source. Nodes none of
 * whose inputs depend on a source are skipped, and the others are told which inputs need a
 * gradient (no work for data, labels or constants).
 */
function backprop(y: Tensor, dy: Tensor, nodes: readonly TapeNode[], isSource: (t: Tensor) => boolean): Map<number, Tensor> {
  const g = new Map<number, Tensor>([[y.id, dy]]);
  const dep = dependents(nodes, isSource);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    const dys = node.outputs.map((o) => g.get(o.id) ?? null);
    if (dys.every((d) => d === null)) continue;
    const needs = node.inputs.map((x) => dep.has(x.id));
    if (!needs.includes(true)) continue;
    const dxs = node.backward(dys, needs);
    node.inputs.forEach((x, k) => {
      const dx = dxs[k];
      if (!dx || !needs[k]) return;
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
 * @category Gradients
 */
export function valueAndGrads(f: (...xs: Tensor[]) => Tensor) {
  return (xs: readonly Tensor[], dy?: Tensor): { value: Tensor; grads: Tensor[] } =>
    engine.tidy(() =>
      engine.withTape(xs, false, () => checkScalar('grads', f(...xs)), (value, nodes) => {
        if (dy === undefined && value.size !== 1) {
          throw new ShapeError(`grads: f must return a scalar when no dy is given, got shape ${fmtShape(value.shape)}`);
        }
        const ids = new Set(xs.map((x) => x.id));
        const g = backprop(value, dy ?? fill(value.shape, 1), nodes, (t) => ids.has(t.id));
        return { value, grads: xs.map((x) => g.get(x.id) ?? fill(x.shape, 0)) };
      }),
    );
}

/** df/dx for a function of one tensor returning a scalar. @category Gradients */
export function grad(f: (x: Tensor) => Tensor) {
  return (x: Tensor, dy?: Tensor): Tensor => {
    const { value, grads } = valueAndGrads(f)([x], dy);
    value.dispose();
    return grads[0];
  };
}

/** [df/da, df/db, ...] for a function of several tensors returning a scalar. @category Gradients */
export function grads(f: (...xs: Tensor[]) => Tensor) {
  return (xs: readonly Tensor[], dy?: Tensor): Tensor[] => {
    const { value, grads: gs } = valueAndGrads(f)(xs, dy);
    value.dispose();
    return gs;
  };
}

/**
 * The value of `f` (a scalar loss) and its gradient with respect to each trainable variable it
 * uses (or to `varList`): `gradsByVariable` keyed by the Variable itself (identity, so two
 * variables with the same name never mix), and `grads` keyed by variable name (`'dense/kernel'`;
 * a ValueError when two of the variables share a name). `dy`, a tensor of f's shape, seeds the
 * backward instead of ones (fit passes one kept ones tensor: no fill per step).
 * @category Gradients
 */
export function variableGrads(
  f: () => Tensor, varList?: readonly Variable[], dy?: Tensor,
): { value: Tensor; grads: Record<string, Tensor>; gradsByVariable: Map<Variable, Tensor> } {
  return engine.tidy(() =>
    engine.withTape(varList ?? [], varList === undefined, () => checkScalar('variableGrads', f()), (value, nodes) => {
      if (value.size !== 1) throw new ShapeError(`variableGrads: f must return a scalar, got shape ${fmtShape(value.shape)}`);
      if (dy && (dy.rank !== value.rank || dy.size !== 1)) {
        throw new ShapeError(`variableGrads: dy has shape ${fmtShape(dy.shape)} but f returned ${fmtShape(value.shape)}`);
      }
      const ids = varList && new Set(varList.map((v) => v.id));
      const g = backprop(value, dy ?? fill(value.shape, 1), nodes, ids ? (t) => ids.has(t.id) : (t) => t.isTrainableVariable);
      const vars = varList ?? usedTrainable(nodes);
      const byVar = new Map<Variable, Tensor>();
      for (const v of vars) if (!byVar.has(v)) byVar.set(v, g.get(v.id) ?? fill(v.shape, 0));
      return { value, grads: byName(byVar), gradsByVariable: byVar };
    }),
  );
}

/** The name-keyed view; a name several variables share is a non-enumerable key that throws on access. */
function byName(byVar: Map<Variable, Tensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const dup = new Set<string>();
  for (const [v, t] of byVar) {
    if (v.name in out) dup.add(v.name);
    out[v.name] = t;
  }
  for (const name of dup) {
    Object.defineProperty(out, name, {
      enumerable: false,
      get: () => {
        throw new ValueError(`variableGrads: several variables are named '${name}': read their gradients from gradsByVariable (keyed by the Variable)`);
      },
    });
  }
  return out;
}

function usedTrainable(nodes: readonly TapeNode[]): Variable[] {
  const seen = new Map<number, Variable>();
  for (const n of nodes) for (const x of n.inputs) if (x.isTrainableVariable) seen.set(x.id, x as Variable);
  return [...seen.values()];
}
