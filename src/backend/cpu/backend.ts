/**
 * The CPU backend: plain loops over typed arrays, the reference every WebGPU kernel is tested
 * against. Float32 by default (same answers as the GPU up to rounding); `precision: 'float64'`
 * gives the float64 reference used by the tests.
 */
import type { Shape } from '../../core/shape.js';
import type {
  AssignPair, Backend, Conv2dInfo, ConvActivation, BatchNormGradResult, BatchNormParams, BatchNormTrainResult, BinaryOp, Operand, DataHandle,
  MovingUpdate, OptimizerItem, OptimizerUpdate, ReduceOp, Sized, TensorInfo, UnaryOp,
  PoolParams,
  FusedActivation,
} from '../backend.js';
import { checkSize, type Arr } from './arrays.js';
import { batchNormGradCpu, batchNormInferCpu, batchNormTrainCpu } from './batchnorm.js';
import { convActivationGrad, convForward, convGradFilter, convGradInput } from './conv.js';
import { binary, unary, where } from './elementwise.js';
import { epilogue, matmul } from './matmul.js';
import { concat, gather, oneHot, slice, transpose } from './movement.js';
import { optimizerStep } from './optimizer.js';
import { argMax, reduce } from './reduce.js';
import { pad } from './pad.js';
import { softmax, softmaxGrad } from './softmax.js';
import { pool, poolGrad } from './pooling.js';

export interface CpuOptions {
  /** Element type of the stored values; 'float64' is for references and finite differences. */
  readonly precision?: 'float32' | 'float64';
}

const arr = (h: DataHandle): Arr => h as Arr;
const opt = (h: DataHandle | null): Arr | null => (h === null ? null : arr(h));

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly description: string;
  readonly precision: 'float32' | 'float64';

  constructor(options: CpuOptions = {}) {
    this.precision = options.precision ?? 'float32';
    this.description = `cpu (${this.precision})`;
  }

  #make(size: number): Arr {
    return this.precision === 'float64' ? new Float64Array(size) : new Float32Array(size);
  }

  upload(values: Float32Array | Float64Array): DataHandle {
    const out = this.#make(values.length);
    out.set(values);
    return out;
  }

  async read(handle: DataHandle, size: number): Promise<Float32Array> {
    checkSize('read', 'the buffer', arr(handle), size);
    return this.readSync(handle, size);
  }

  /** The stored values without rounding to float32 (float64 references). */
  readExact(handle: DataHandle): Float64Array {
    return Float64Array.from(arr(handle));
  }

  free(): void {}

  fill(size: number, value: number): DataHandle {
    return this.#make(size).fill(value);
  }

  copy(x: DataHandle, size: number): DataHandle {
    checkSize('copy', 'the source', arr(x), size);
    return arr(x).slice(0, size);
  }

  assign(dst: DataHandle, src: DataHandle, size: number, guard?: DataHandle): void {
    checkSize('assign', 'the source', arr(src), size);
    checkSize('assign', 'the destination', arr(dst), size);
    if (guard !== undefined && arr(guard)[0] !== 0) return;
    arr(dst).set(arr(src).subarray(0, size));
  }

  checkFiniteAll(xs: readonly Sized[], flag: DataHandle): void {
    for (const x of xs) this.checkFinite(x.handle, x.size, flag);
  }

  assignAll(pairs: readonly AssignPair[], guard: DataHandle): void {
    if (arr(guard)[0] !== 0) return;
    for (const p of pairs) this.assign(p.dst, p.src, p.size);
  }

  accumulateStep(sums: DataHandle, loss: DataHandle, correct: DataHandle | null, flag: DataHandle, rows: number): void {
    const s = arr(sums);
    s[0] += arr(loss)[0] * rows;
    if (correct) s[1] += arr(correct)[0] * rows;
    s[2] += arr(flag)[0];
  }

  checkFinite(x: DataHandle, size: number, flag: DataHandle): void {
    const a = arr(x);
    checkSize('checkFinite', 'the tensor', a, size);
    for (let i = 0; i < size; i++) {
      if (!Number.isFinite(a[i])) {
        arr(flag)[0] = 1;
        return;
      }
    }
  }

  bufferCount(): number {
    return 0;
  }

  async sync(): Promise<void> {}

  unary(op: UnaryOp, x: TensorInfo): DataHandle {
    return unary(op, arr(x.handle));
  }

  binary(op: BinaryOp, a: Operand, b: Operand, outShape: Shape): DataHandle {
    const [ta, tb] = [a, b].map((o): TensorInfo => (typeof o === 'number' ? { handle: this.fill(1, o), shape: [] } : o));
    return binary(op, arr(ta.handle), ta.shape, arr(tb.handle), tb.shape, outShape);
  }

  where(c: TensorInfo, a: TensorInfo, b: TensorInfo, outShape: Shape): DataHandle {
    return where(arr(c.handle), c.shape, arr(a.handle), a.shape, arr(b.handle), b.shape, outShape);
  }

  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[], divisor = 1): DataHandle {
    const out = reduce(op, arr(x.handle), x.shape, axes);
    // Rounded to the array's precision first, then divided: the same values as sum, then div.
    if (divisor !== 1) for (let i = 0; i < out.length; i++) out[i] = out[i] / divisor;
    return out;
  }

  argMax(x: TensorInfo, axis: number): DataHandle {
    return argMax(arr(x.handle), x.shape, axis);
  }

  matmul(a: TensorInfo, b: TensorInfo, ta: boolean, tb: boolean, outShape: Shape): DataHandle {
    return matmul(arr(a.handle), a.shape, arr(b.handle), b.shape, ta, tb, outShape);
  }

  transpose(x: TensorInfo, perm: readonly number[]): DataHandle {
    return transpose(arr(x.handle), x.shape, perm);
  }

  slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): DataHandle {
    return slice(arr(x.handle), x.shape, begin, size);
  }

  gather(x: TensorInfo, indices: Int32Array): DataHandle {
    return gather(arr(x.handle), x.shape, indices);
  }

  gatherPair(x: TensorInfo, y: TensorInfo, indices: Int32Array): [DataHandle, DataHandle] {
    return [this.gather(x, indices), this.gather(y, indices)];
  }

  concat(xs: readonly TensorInfo[], axis: number, outShape: Shape): DataHandle {
    return concat(xs.map((x) => ({ data: arr(x.handle), shape: x.shape })), axis, outShape);
  }

  oneHot(indices: TensorInfo, depth: number): DataHandle {
    return oneHot(arr(indices.handle), depth);
  }

  batchNormTrain(
    x: TensorInfo, params: BatchNormParams, gamma: DataHandle | null, beta: DataHandle | null,
    moving: MovingUpdate | null,
  ): BatchNormTrainResult {
    const m = moving && {
      mean: arr(moving.mean), variance: arr(moving.variance), momentum: moving.momentum,
      correction: moving.correction, flag: arr(moving.flag),
    };
    return batchNormTrainCpu(arr(x.handle), x.shape, params, opt(gamma), opt(beta), m);
  }

  batchNormInfer(
    x: TensorInfo, params: BatchNormParams, mean: DataHandle, variance: DataHandle,
    gamma: DataHandle | null, beta: DataHandle | null,
  ): DataHandle {
    return batchNormInferCpu(arr(x.handle), x.shape, params, arr(mean), arr(variance), opt(gamma), opt(beta));
  }

  batchNormGrad(
    dy: TensorInfo, x: DataHandle, params: BatchNormParams, mean: DataHandle, invStd: DataHandle,
    gamma: DataHandle | null, needDx = true,
  ): BatchNormGradResult {
    return batchNormGradCpu(arr(dy.handle), arr(x), dy.shape, params, arr(mean), arr(invStd), opt(gamma), needDx);
  }

  optimizerStep(
    update: OptimizerUpdate, weight: DataHandle, grad: DataHandle, slots: readonly DataHandle[], size: number,
    guard?: DataHandle,
  ): void {
    checkSize('optimizerStep', 'the weight', arr(weight), size);
    if (guard !== undefined && arr(guard)[0] !== 0) return;
    optimizerStep(update, arr(weight), arr(grad), slots.map(arr));
  }

  optimizerStepAll(update: OptimizerUpdate, items: readonly OptimizerItem[], guard?: DataHandle): void {
    if (guard !== undefined && arr(guard)[0] !== 0) return;
    for (const it of items) checkSize('optimizerStepAll', 'a weight', arr(it.weight), it.size);
    for (const it of items) optimizerStep(update, arr(it.weight), arr(it.grad), it.slots.map(arr));
  }

  pad(x: TensorInfo, paddings: readonly (readonly [number, number])[], value: number): DataHandle {
    return pad(arr(x.handle), x.shape, paddings, value);
  }

  pool(x: TensorInfo, params: PoolParams): DataHandle {
    return pool(arr(x.handle), params);
  }

  poolGrad(dy: DataHandle, x: TensorInfo, params: PoolParams): DataHandle {
    return poolGrad(arr(dy), arr(x.handle), params);
  }

  softmax(x: TensorInfo, axis: number, log: boolean): DataHandle {
    return softmax(arr(x.handle), x.shape, axis, log);
  }

  softmaxGrad(y: TensorInfo, dy: DataHandle, axis: number, log: boolean): DataHandle {
    return softmaxGrad(arr(y.handle), arr(dy), y.shape, axis, log);
  }

  conv2d(x: DataHandle, filter: DataHandle, info: Conv2dInfo, bias: DataHandle | null, activation: ConvActivation): DataHandle {
    return convForward(arr(x), arr(filter), info, opt(bias), activation, false);
  }

  conv2dGradInput(dy: DataHandle, filter: DataHandle, info: Conv2dInfo): DataHandle {
    return convGradInput(arr(dy), arr(filter), info, false);
  }

  conv2dGradFilter(x: DataHandle, dy: DataHandle, info: Conv2dInfo): DataHandle {
    return convGradFilter(arr(x), arr(dy), info, false);
  }

  depthwiseConv2d(
    x: DataHandle, filter: DataHandle, info: Conv2dInfo, bias: DataHandle | null, activation: ConvActivation,
  ): DataHandle {
    return convForward(arr(x), arr(filter), info, opt(bias), activation, true);
  }

  depthwiseGradInput(dy: DataHandle, filter: DataHandle, info: Conv2dInfo): DataHandle {
    return convGradInput(arr(dy), arr(filter), info, true);
  }

  depthwiseGradFilter(x: DataHandle, dy: DataHandle, info: Conv2dInfo): DataHandle {
    return convGradFilter(arr(x), arr(dy), info, true);
  }

  convActivationGrad(dy: DataHandle, y: DataHandle, info: Conv2dInfo, activation: ConvActivation): DataHandle {
    return convActivationGrad(arr(dy), arr(y), info, activation);
  }

  matmulFused(
    a: TensorInfo, b: TensorInfo, ta: boolean, tb: boolean, outShape: Shape, bias: DataHandle | null,
    activation: FusedActivation,
  ): DataHandle {
    const y = matmul(arr(a.handle), a.shape, arr(b.handle), b.shape, ta, tb, outShape);
    return epilogue(y, outShape[outShape.length - 1], opt(bias), activation);
  }

  dispose(): void {}

  readSync(handle: DataHandle, size: number): Float32Array {
    return Float32Array.from(arr(handle).subarray(0, size));
  }
}
