/**
 * WebGPU convolution limits (src/backend/webgpu/conv.ts): a binding past
 * maxStorageBufferBindingSize, or a grid past maxComputeWorkgroupsPerDimension, is a BackendError
 * naming the op and the shapes, raised before anything is allocated or dispatched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conv2dInfo } from '../../src/backend/backend.js';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';
import { BackendError } from '../../src/core/errors.js';

let be: WebGpuBackend;

beforeAll(async () => {
  be = await WebGpuBackend.create();
});

afterAll(() => be?.dispose());

function info(batch: number, size: number, c: number): Conv2dInfo {
  return {
    batch, inH: size, inW: size, inC: c, outH: size, outW: size, outC: c, kH: 1, kW: 1, strideH: 1, strideW: 1,
    dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, channelsFirst: false, multiplier: 1,
  };
}

describe('webgpu conv limits', () => {
  it('an input larger than maxStorageBufferBindingSize is a BackendError naming the op and shapes', () => {
    const x = be.upload(new Float32Array(4));
    const f = be.upload(new Float32Array(4));
    const bytes = be.ctx.limits.maxStorageBufferBindingSize;
    const side = Math.ceil(Math.sqrt(bytes / 4 / 4)) + 1;
    const before = [be.bufferCount(), be.ctx.dispatchCount];
    for (const run of [() => be.conv2d(x, f, info(1, side, 4), null, 'relu'), () => be.depthwiseGradInput(x, f, info(1, side, 4))]) {
      expect(run).toThrow(BackendError);
      expect(run).toThrow(new RegExp(`input \\[1,${side},${side},4\\].*needs ${side * side * 16} bytes in one binding, more than maxStorageBufferBindingSize ${bytes}`));
    }
    expect([be.bufferCount(), be.ctx.dispatchCount]).toEqual(before);
    be.free(x);
    be.free(f);
  });

  it('more images than workgroups per dimension is a BackendError', () => {
    const x = be.upload(new Float32Array(4));
    const max = be.ctx.limits.maxComputeWorkgroupsPerDimension;
    expect(() => be.conv2dGradInput(x, x, info(max + 1, 1, 1))).toThrow(/webgpu conv2d gradInput: input \[\d+,1,1,1\].*needs workgroups \[1,1,\d+\], more than \d+ per dimension/);
    be.free(x);
  });
});
