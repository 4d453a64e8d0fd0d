/** Batched matrix product on the CPU (naive triple loop: the reference). */
import type { FusedActivation } from '../backend.js';
import { broadcastStrides, sizeOf, type Shape } from '../../core/shape.js';
import { alloc, type Arr } from './arrays.js';
import { unaryFns } from './elementwise.js';

export function matmul(a: Arr, aShape: Shape, b: Arr, bShape: Shape, ta: boolean, tb: boolean, outShape: Shape): Arr {
  const r = outShape.length;
  const m = outShape[r - 2];
  const n = outShape[r - 1];
  const k = ta ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
  const batchShape = outShape.slice(0, r - 2);
  const batch = sizeOf(batchShape);
  const aBatch = broadcastStrides(aShape.slice(0, -2), batchShape);
  const bBatch = broadcastStrides(bShape.slice(0, -2), batchShape);
  const out = alloc(a, batch * m * n);
  const idx = new Array<number>(batchShape.length).fill(0);
  for (let bi = 0; bi < batch; bi++) {
    let rem = bi;
    for (let ax = batchShape.length - 1; ax >= 0; ax--) {
      idx[ax] = rem % batchShape[ax];
      rem = Math.floor(rem / batchShape[ax]);
    }
    const aOff = idx.reduce((s, v, ax) => s + v * aBatch[ax], 0) * m * k;
    const bOff = idx.reduce((s, v, ax) => s + v * bBatch[ax], 0) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const av = a[aOff + (ta ? p * m + i : i * k + p)];
          const bv = b[bOff + (tb ? j * k + p : p * n + j)];
          acc += av * bv;
        }
        out[bi * m * n + i * n + j] = acc;
      }
    }
  }
  return out;
}

const ACTIVATION: Record<FusedActivation, (v: number) => number> = {
  linear: (v) => v,
  relu: unaryFns.relu,
  relu6: (v) => Math.min(unaryFns.relu(v), 6),
  sigmoid: unaryFns.sigmoid,
  tanh: unaryFns.tanh,
};

/** In place: y[i, n] = act(y[i, n] + bias[n]) over rows of `n` (the twin of matmul.wgsl's epilogue). */
export function epilogue(y: Arr, n: number, bias: ArrayLike<number> | null, activation: FusedActivation): Arr {
  const act = ACTIVATION[activation];
  for (let i = 0; i < y.length; i++) y[i] = act(y[i] + (bias ? bias[i % n] : 0));
  return y;
}
