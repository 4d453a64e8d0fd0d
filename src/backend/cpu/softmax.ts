/** Softmax / log-softmax and their gradients on the CPU (twin of shaders/softmax.wgsl). */
import { sizeOf, type Shape } from '../../core/shape.js';
import { alloc, type Arr } from './arrays.js';

/** x viewed as [outer, len, inner] around `axis`. */
function around(shape: Shape, axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

export function softmax(x: Arr, shape: Shape, axis: number, log: boolean): Arr {
  const [outer, len, inner] = around(shape, axis);
  const out = alloc(x, x.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * len * inner + j;
      let m = -Infinity;
      for (let k = 0; k < len; k++) m = Math.max(m, x[base + k * inner]);
      let s = 0;
      for (let k = 0; k < len; k++) s += Math.exp(x[base + k * inner] - m);
      const logS = Math.log(s);
      for (let k = 0; k < len; k++) {
        const i = base + k * inner;
        out[i] = log ? x[i] - m - logS : Math.exp(x[i] - m) / s;
      }
    }
  }
  return out;
}

export function softmaxGrad(y: Arr, dy: Arr, shape: Shape, axis: number, log: boolean): Arr {
  const [outer, len, inner] = around(shape, axis);
  const dx = alloc(y, y.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * len * inner + j;
      let s = 0;
      for (let k = 0; k < len; k++) s += log ? dy[base + k * inner] : dy[base + k * inner] * y[base + k * inner];
      for (let k = 0; k < len; k++) {
        const i = base + k * inner;
        dx[i] = log ? dy[i] - Math.exp(y[i]) * s : y[i] * (dy[i] - s);
      }
    }
  }
  return dx;
}
