/**
 * TF.js tensor habits on every backend: dtype (float32 only, everything else rejected loudly),
 * chainable methods, tensor1d..4d, print() (compared with TF.js 4.22's own print), and
 * dataSync / arraySync (CPU) with the WebGPU error.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as wg from '../../src/index.js';
import { TENSOR_METHODS } from '../../src/ops/methods.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => vi.restoreAllMocks());

describe('dtype', () => {
  it("tensor(values, shape, 'int32') and every other non-float32 dtype throw, naming the dtype", () => {
    expect(() => wg.tensor([1.5, 2.5], [2], 'int32' as never)).toThrow(/tensor: dtype "int32" is not supported: wgnn tensors are float32 only/);
    expect(() => wg.zeros([2], 'bool' as never)).toThrow(/zeros: dtype "bool"/);
    expect(() => wg.ones([2], 'int32' as never)).toThrow(wg.ValueError);
    expect(() => wg.fill([2], 1, 'complex64' as never)).toThrow(/fill: dtype "complex64"/);
    expect(() => wg.scalar(1, 'string' as never)).toThrow(/scalar: dtype/);
    expect(() => wg.tensor1d([1], 'int32' as never)).toThrow(/tensor1d: dtype "int32"/);
    expect(() => wg.tensor(Int32Array.from([1, 2]) as never)).toThrow(/tensor: Int32Array values are not supported .* Float32Array.from/);
  });

  it("'float32' is accepted and x.dtype says float32; argMax indices are whole float32 numbers", async () => {
    const x = wg.tensor([1.5, 2.5], [2], 'float32');
    expect(x.dtype).toBe('float32');
    expect(Array.from(await x.data())).toEqual([1.5, 2.5]);
    expect(Array.from(await wg.tensor([[1, 5, 2], [7, 0, 7]]).argMax().data())).toEqual([1, 0]);
  });
});

describe('chainable methods', () => {
  it('x.add(y).relu().sum() and friends compute what the functions compute (hand-derived values)', async () => {
    const x = wg.tensor([[1, -2], [3, -4]]);
    const y = wg.tensor([[0.5, 0.5], [-4, 1]]);
    // add: [[1.5, -1.5], [-1, -3]] -> relu: [[1.5, 0], [0, 0]] -> sum 1.5
    expect(await x.add(y).relu().sum().data()).toBeAllClose([1.5]);
    expect(await x.sub(1).mul(2).div(4).data()).toBeAllClose([0, -1.5, 1, -2.5]);
    // x @ x^T = [[1+4, 3+8], [3+8, 9+16]]
    expect(await x.matmul(x.transpose()).array()).toBeAllClose([[5, 11], [11, 25]]);
    expect(await x.reshape([4]).square().mean().data()).toBeAllClose([7.5]);
    expect(x.flatten().shape).toEqual([4]);
    expect(await x.abs().max(1).data()).toBeAllClose([2, 4]);
    expect(await x.sum(0, true).array()).toBeAllClose([[4, -6]]);
    expect(await x.slice([1, 0], [1, 2]).neg().array()).toBeAllClose([[-3, 4]]);
  });

  it('every installed method equals its function on the same arguments', async () => {
    const x = wg.tensor([[0.5, 2], [3, 0.25]]);
    const args: Record<string, unknown[]> = {
      matmul: [x], reshape: [[4]], transpose: [[1, 0]], slice: [[0, 1], [2, 1]], gather: [[1, 0]], broadcastTo: [[3, 2, 2]],
      sum: [1], mean: [0], max: [1], min: [0], argMax: [1], flatten: [], expandDims: [1], squeeze: [], clone: [],
      asType: ['float32'], cast: ['float32'],
    };
    const fns = wg as unknown as Record<string, (...a: unknown[]) => wg.Tensor>;
    for (const name of TENSOR_METHODS) {
      const a = args[name] ?? (fns[name].length >= 2 ? [wg.tensor([[2, 0.5], [1, 4]])] : []);
      const m = (x as unknown as Record<string, (...a: unknown[]) => wg.Tensor>)[name](...a);
      const f = name === 'flatten' ? wg.reshape(x, [-1]) : fns[name === 'asType' ? 'cast' : name](x, ...a);
      expect(m.shape, name).toEqual(f.shape);
      expect(Array.from(await m.data()), name).toEqual(Array.from(await f.data()));
    }
    expect(TENSOR_METHODS).toEqual(expect.arrayContaining(['add', 'sub', 'mul', 'div', 'matmul', 'reshape', 'transpose', 'sum', 'mean', 'square', 'relu']));
  });

  it('expandDims, squeeze, clone and cast (float32 only)', async () => {
    const x = wg.tensor([[1, 2, 3]]);
    expect(x.expandDims().shape).toEqual([1, 1, 3]);
    expect(x.expandDims(-1).shape).toEqual([1, 3, 1]);
    expect(x.squeeze().shape).toEqual([3]);
    expect(wg.zeros([1, 2, 1]).squeeze([2]).shape).toEqual([1, 2]);
    expect(() => x.squeeze([1])).toThrow(/squeeze: axis 1 of \[1,3\] has size 3, not 1/);
    const c = x.clone();
    x.dispose();
    expect(await c.array()).toEqual([[1, 2, 3]]);
    expect(() => c.asType('int32' as never)).toThrow(/cast: dtype "int32" is not supported/);
    expect(() => wg.cast(c, 'bool' as never)).toThrow(wg.ValueError);
    expect(await c.cast('float32').data()).toEqual(await c.data());
  });

  it('methods are differentiable like the functions: d/dx sum(x^2) = 2x', async () => {
    const g = wg.grad((x: wg.Tensor) => x.square().sum());
    expect(await g(wg.tensor([1, -2, 3])).data()).toBeAllClose([2, -4, 6]);
  });
});

describe('tensor1d .. tensor4d', () => {
  it('make tensors of that rank and reject others', async () => {
    expect(wg.tensor1d([1, 2, 3]).shape).toEqual([3]);
    expect(wg.tensor2d([[1, 2], [3, 4]]).shape).toEqual([2, 2]);
    expect(wg.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]).shape).toEqual([3, 2]);
    expect(wg.tensor3d([[[1], [2]]]).shape).toEqual([1, 2, 1]);
    expect(wg.tensor4d([1, 2], [1, 1, 1, 2]).shape).toEqual([1, 1, 1, 2]);
    expect(() => wg.tensor2d([1, 2, 3])).toThrow(/tensor2d: values of shape \[3\] are not of rank 2/);
    expect(() => wg.tensor3d([1, 2], [2])).toThrow(/tensor3d: shape \[2\] is not of rank 3/);
  });
});

describe('print', () => {
  const captured = async (print: () => unknown): Promise<string> => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: unknown) => void lines.push(String(s)));
    await print();
    spy.mockRestore();
    return lines.join('\n');
  };

  it('prints what TF.js 4.22 prints (scalar, 1-d, 2-d with column padding, 3-d)', async () => {
    const cases: [number[], number[]][] = [
      [[3.3], []], [[1, 10.5, 100], [3]], [[1, 10.5, 100, -2], [2, 2]], [[1, 2, 30, 4, 5, 6, 7, 8.25], [2, 2, 2]], [[0.1, 2, 3, 4, 5, 6], [3, 2]],
    ];
    for (const [v, shape] of cases) {
      const ref = await captured(() => tf.tensor(v, shape).print());
      expect(await captured(() => wg.tensor(v, shape).print())).toBe(ref);
      expect(await captured(() => wg.tensor(v, shape).print(true))).toBe(await captured(() => tf.tensor(v, shape).print(true)));
    }
  });
});

describe('dataSync / arraySync', () => {
  it('read synchronously on the CPU backend; on WebGPU throw a BackendError pointing to await x.data()', async () => {
    const x = wg.tensor([[1, 2], [3, 4]]);
    if (wg.getBackend() === 'cpu') {
      expect(Array.from(x.dataSync())).toEqual([1, 2, 3, 4]);
      expect(x.arraySync()).toEqual([[1, 2], [3, 4]]);
    } else {
      expect(() => x.dataSync()).toThrow(wg.BackendError);
      expect(() => x.dataSync()).toThrow(/dataSync\(\) needs a synchronous read, which the webgpu backend does not have .* use `await x.data\(\)`/);
      expect(() => x.arraySync()).toThrow(/await x.data\(\)/);
    }
  });
});
