/**
 * WebGpuBackend: the Backend interface on WebGPU. Methods validate nothing (the ops did) and
 * only record work through a GpuContext; the kernel table (kernels.ts) says which shader runs
 * for which method. Data handles are GpuHandles.
 */
import type {
  AssignPair, Backend, Conv2dInfo, ConvActivation, BatchNormGradResult, BatchNormParams, BatchNormTrainResult, BinaryOp, DataHandle, MovingUpdate, Operand,
  OptimizerItem, OptimizerUpdate, ReduceOp, Sized, TensorInfo, UnaryOp,
  PoolParams,
  FusedActivation,
} from '../backend.js';
import { sizeOf, type Shape } from '../../core/shape.js';
import { GpuContext, type GpuHandle } from './context.js';
import { acquireGpu } from './device.js';
import type { GpuOperand, GpuTensor } from './elementwise.js';
import { kernels } from './kernels.js';
import type { Scratch } from './training.js';

function gpu(h: DataHandle): GpuHandle {
  return h as GpuHandle;
}

function orNull(h: DataHandle | null): GpuHandle | null {
  return h && gpu(h);
}

function tensor(t: TensorInfo): GpuTensor {
  return { handle: t.handle as GpuHandle, shape: t.shape };
}

function operand(o: Operand): GpuOperand {
  return typeof o === 'number' ? o : tensor(o);
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly description: string;
  /** The adapter's vendor / architecture / device / description strings. */
  readonly adapterInfo: GPUAdapterInfo;
  /** The device context every kernel records into (exposed for benchmarks and kernel tests). */
  readonly ctx: GpuContext;

  /** True once the device is lost or destroyed: `init` then makes a new one. */
  get isLost(): boolean {
    return this.ctx.isLost;
  }
  readonly #scratch: Scratch;

  private constructor(ctx: GpuContext, description: string, adapterInfo: GPUAdapterInfo) {
    this.ctx = ctx;
    this.description = description;
    this.adapterInfo = adapterInfo;
    this.#scratch = {
      zeroGuard: ctx.persistent(new Float32Array([0]), 'guard.none'),
      // Four floats: the vec4 kernels bind them as array<vec4<f32>> (16 bytes at least).
      unusedSlots: [ctx.persistent(new Float32Array(4), 'slot.unused0'), ctx.persistent(new Float32Array(4), 'slot.unused1')],
    };
  }

  /**
   * Acquires an adapter and device (`gpu`, else navigator.gpu, else Dawn in Node) and compiles
   * every shader. @throws BackendError without an adapter or on a WGSL compile error.
   */
  static async create(gpuObject?: GPU): Promise<WebGpuBackend> {
    const { adapter, device, description } = await acquireGpu(gpuObject);
    const ctx = await GpuContext.create(device);
    return new WebGpuBackend(ctx, description, adapter.info);
  }

  upload(values: Float32Array | Float64Array): DataHandle {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    const h = this.ctx.allocForUpload(data.length, 'upload');
    this.ctx.write(h, data);
    return h;
  }

  async read(handle: DataHandle, size: number): Promise<Float32Array> {
    const all = await this.ctx.read(gpu(handle));
    return all.length === size ? all : all.slice(0, size);
  }

  free(handle: DataHandle): void {
    this.ctx.release(gpu(handle));
  }

  fill(size: number, value: number): DataHandle {
    return kernels.fill.run(this.ctx, size, value);
  }

  copy(x: DataHandle, size: number): DataHandle {
    return kernels.copy.run(this.ctx, gpu(x), size);
  }

  assign(dst: DataHandle, src: DataHandle, size: number, guard?: DataHandle): void {
    kernels.assign.run(this.ctx, gpu(dst), gpu(src), size, guard && gpu(guard));
  }

  checkFinite(x: DataHandle, size: number, flag: DataHandle): void {
    kernels.checkFinite.run(this.ctx, gpu(x), size, gpu(flag));
  }

  checkFiniteAll(xs: readonly Sized[], flag: DataHandle): void {
    kernels.checkFiniteAll.run(this.ctx, xs.map((x) => ({ handle: gpu(x.handle), size: x.size })), gpu(flag));
  }

  assignAll(pairs: readonly AssignPair[], guard: DataHandle): void {
    kernels.assignAll.run(this.ctx, this.#scratch, pairs.map((p) => ({ dst: gpu(p.dst), src: gpu(p.src), size: p.size })), gpu(guard));
  }

  accumulateStep(sums: DataHandle, loss: DataHandle, correct: DataHandle | null, flag: DataHandle, rows: number): void {
    kernels.accumulateStep.run(this.ctx, gpu(sums), gpu(loss), orNull(correct), gpu(flag), rows);
  }

  bufferCount(): number {
    return this.ctx.bufferCount;
  }

  sync(): Promise<void> {
    return this.ctx.sync();
  }

  unary(op: UnaryOp, x: TensorInfo): DataHandle {
    return kernels.unary.run(this.ctx, op, gpu(x.handle), sizeOf(x.shape));
  }

  binary(op: BinaryOp, a: Operand, b: Operand, outShape: Shape): DataHandle {
    return kernels.binary.run(this.ctx, op, operand(a), operand(b), outShape);
  }

  where(cond: TensorInfo, a: TensorInfo, b: TensorInfo, outShape: Shape): DataHandle {
    return kernels.where.run(this.ctx, tensor(cond), tensor(a), tensor(b), outShape);
  }

  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[], divisor = 1): DataHandle {
    return kernels.reduce.run(this.ctx, op, tensor(x), axes, divisor);
  }

  argMax(x: TensorInfo, axis: number): DataHandle {
    return kernels.argMax.run(this.ctx, tensor(x), axis);
  }

  matmul(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, outShape: Shape): DataHandle {
    return kernels.matmul.run(this.ctx, tensor(a), tensor(b), transposeA, transposeB, outShape);
  }

  transpose(x: TensorInfo, perm: readonly number[]): DataHandle {
    return kernels.transpose.run(this.ctx, tensor(x), perm);
  }

  slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): DataHandle {
    return kernels.slice.run(this.ctx, tensor(x), begin, size);
  }

  gather(x: TensorInfo, indices: Int32Array): DataHandle {
    return kernels.gather.run(this.ctx, tensor(x), indices);
  }

  gatherPair(x: TensorInfo, y: TensorInfo, indices: Int32Array): [DataHandle, DataHandle] {
    return kernels.gatherPair.run(this.ctx, tensor(x), tensor(y), indices);
  }

  concat(xs: readonly TensorInfo[], axis: number, outShape: Shape): DataHandle {
    return kernels.concat.run(this.ctx, xs.map(tensor), axis, outShape);
  }

  oneHot(indices: TensorInfo, depth: number): DataHandle {
    return kernels.oneHot.run(this.ctx, tensor(indices), depth);
  }

  batchNormTrain(
    x: TensorInfo, params: BatchNormParams, gamma: DataHandle | null, beta: DataHandle | null,
    moving: MovingUpdate | null,
  ): BatchNormTrainResult {
    const gpuMoving = moving && {
      mean: gpu(moving.mean), variance: gpu(moving.variance), momentum: moving.momentum,
      correction: moving.correction, flag: gpu(moving.flag),
    };
    return kernels.batchNormTrain.run(this.ctx, tensor(x), params, orNull(gamma), orNull(beta), gpuMoving);
  }

  batchNormInfer(
    x: TensorInfo, params: BatchNormParams, mean: DataHandle, variance: DataHandle,
    gamma: DataHandle | null, beta: DataHandle | null,
  ): DataHandle {
    return kernels.batchNormInfer.run(this.ctx, tensor(x), params, gpu(mean), gpu(variance), orNull(gamma), orNull(beta));
  }

  batchNormGrad(
    dy: TensorInfo, x: DataHandle, params: BatchNormParams, mean: DataHandle, invStd: DataHandle,
    gamma: DataHandle | null, needDx = true,
  ): BatchNormGradResult {
    return kernels.batchNormGrad.run(this.ctx, tensor(dy), gpu(x), params, gpu(mean), gpu(invStd), orNull(gamma), needDx);
  }

  optimizerStep(
    update: OptimizerUpdate, weight: DataHandle, grad: DataHandle, slots: readonly DataHandle[], size: number,
    guard?: DataHandle,
  ): void {
    kernels.optimizerStep.run(this.ctx, this.#scratch, update, gpu(weight), gpu(grad), slots.map(gpu), size,
      guard && gpu(guard));
  }

  optimizerStepAll(update: OptimizerUpdate, items: readonly OptimizerItem[], guard?: DataHandle): void {
    const gpuItems = items.map((it) => ({ weight: gpu(it.weight), grad: gpu(it.grad), slots: it.slots.map(gpu), size: it.size }));
    kernels.optimizerStepAll.run(this.ctx, this.#scratch, update, gpuItems, guard && gpu(guard));
  }

  pad(x: TensorInfo, paddings: readonly (readonly [number, number])[], value: number): DataHandle {
    return kernels.pad.run(this.ctx, tensor(x), paddings, value);
  }

  pool(x: TensorInfo, params: PoolParams): DataHandle {
    return kernels.pool.run(this.ctx, tensor(x), params);
  }

  poolGrad(dy: DataHandle, x: TensorInfo, params: PoolParams): DataHandle {
    return kernels.poolGrad.run(this.ctx, gpu(dy), tensor(x), params);
  }

  softmax(x: TensorInfo, axis: number, log: boolean): DataHandle {
    return kernels.softmax.run(this.ctx, tensor(x), axis, log);
  }

  softmaxGrad(y: TensorInfo, dy: DataHandle, axis: number, log: boolean): DataHandle {
    return kernels.softmaxGrad.run(this.ctx, tensor(y), gpu(dy), axis, log);
  }

  conv2d(x: DataHandle, filter: DataHandle, info: Conv2dInfo, bias: DataHandle | null, activation: ConvActivation): DataHandle {
    return kernels.conv2d.run(this.ctx, gpu(x), gpu(filter), info, orNull(bias), activation);
  }

  conv2dGradInput(dy: DataHandle, filter: DataHandle, info: Conv2dInfo): DataHandle {
    return kernels.conv2dGradInput.run(this.ctx, gpu(dy), gpu(filter), info);
  }

  conv2dGradFilter(x: DataHandle, dy: DataHandle, info: Conv2dInfo): DataHandle {
    return kernels.conv2dGradFilter.run(this.ctx, gpu(x), gpu(dy), info);
  }

  depthwiseConv2d(
    x: DataHandle, filter: DataHandle, info: Conv2dInfo, bias: DataHandle | null, activation: ConvActivation,
  ): DataHandle {
    return kernels.depthwiseConv2d.run(this.ctx, gpu(x), gpu(filter), info, orNull(bias), activation);
  }

  depthwiseGradInput(dy: DataHandle, filter: DataHandle, info: Conv2dInfo): DataHandle {
    return kernels.depthwiseGradInput.run(this.ctx, gpu(dy), gpu(filter), info);
  }

  depthwiseGradFilter(x: DataHandle, dy: DataHandle, info: Conv2dInfo): DataHandle {
    return kernels.depthwiseGradFilter.run(this.ctx, gpu(x), gpu(dy), info);
  }

  convActivationGrad(dy: DataHandle, y: DataHandle, info: Conv2dInfo, activation: ConvActivation): DataHandle {
    return kernels.convActivationGrad.run(this.ctx, gpu(dy), gpu(y), info, activation);
  }

  matmulFused(
    a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, outShape: Shape,
    bias: DataHandle | null, activation: FusedActivation,
  ): DataHandle {
    return kernels.matmulFused.run(this.ctx, tensor(a), tensor(b), transposeA, transposeB, outShape, orNull(bias), activation);
  }

  dispose(): void {
    this.ctx.dispose();
  }

  lostError(): Error | null {
    return this.ctx.lostError;
  }
}
