/**
 * The CPU backend checks sizes at its boundary: a kernel call whose size or operands do not fit
 * throws an internal BackendError instead of reading past a typed array (NaN) or dropping writes.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/backend.js';
import { BackendError } from '../../src/index.js';

describe('CPU backend size checks', () => {
  const b = new CpuBackend();
  const sgd = { kind: 'sgd', learningRate: 0.1, momentum: 0 } as const;

  it('optimizer steps refuse a gradient or slot of another size, and leave the weight untouched', () => {
    const w = b.fill(4, 1);
    expect(() => b.optimizerStep(sgd, w, b.fill(3, 1), [], 4)).toThrow(/internal: cpu optimizer sgd: the gradient holds 3 elements but the call needs 4/);
    expect(() => b.optimizerStep(sgd, w, b.fill(5, 1), [], 4)).toThrow(/the weight holds 4 elements but the call needs 5/);
    expect(() => b.optimizerStep({ kind: 'sgd', learningRate: 0.1, momentum: 0.9 }, w, b.fill(4, 1), [b.fill(2, 0)], 4)).toThrow(BackendError);
    expect(() => b.optimizerStep(sgd, w, b.fill(4, 1), [], 6)).toThrow(/the weight holds 4 elements but the call needs 6/);
    expect(() => b.optimizerStepAll(sgd, [{ weight: w, grad: b.fill(2, 1), slots: [], size: 4 }])).toThrow(/the gradient holds 2/);
    expect(Array.from(w as Float32Array)).toEqual([1, 1, 1, 1]);
    b.optimizerStep(sgd, w, b.fill(4, 1), [], 4);
    expect(Array.from(w as Float32Array)).toBeAllClose([0.9, 0.9, 0.9, 0.9]);
  });

  it('copy, assign, read and checkFinite refuse sizes beyond their buffers', async () => {
    const small = b.fill(2, 3);
    const big = b.fill(5, 0);
    expect(() => b.copy(small, 3)).toThrow(/cpu copy: the source holds 2 elements but the call needs 3/);
    expect(() => b.assign(big, small, 4)).toThrow(/cpu assign: the source holds 2/);
    expect(() => b.assign(small, big, 5)).toThrow(/cpu assign: the destination holds 2/);
    expect(() => b.checkFinite(small, 9, b.fill(1, 0))).toThrow(/cpu checkFinite/);
    await expect(b.read(small, 4)).rejects.toThrow(/cpu read/);
    b.assign(big, small, 2);
    expect(Array.from(big as Float32Array)).toEqual([3, 3, 0, 0, 0]);
  });
});
