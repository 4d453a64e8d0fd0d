/**
 * Device loss (issue 13 item 7): every call that fails because the WebGPU device is gone raises
 * `BackendError('webgpu: device lost (...)')`; tensors and weights left on the dead device are
 * named as such after `init()`, and `model.dispose()` / `dispose()` let their records go.
 * The device is destroyed with `device.destroy()` on the backend's GPUDevice.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { engine } from '../../src/core/engine.js';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';

function gpuBackend(): WebGpuBackend {
  const b = engine.backend;
  if (!(b instanceof WebGpuBackend)) throw new Error('this file needs the WebGPU backend');
  return b;
}

const destroyDevice = () => gpuBackend().ctx.device.destroy();
const LOST = /^webgpu: device lost \(destroyed\)/;

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: Error) => e);
}

/** A compiled Dense -> BN model and n rows of data for it. */
function smallModel(name: string, n = 32) {
  const inp = wg.input({ shape: [3] });
  const d = wg.layers.dense({ units: 4, kernelInitializer: { name: 'glorotUniform', seed: 1 }, name: `${name}_d` });
  const bn = wg.layers.batchNormalization({ name: `${name}_bn` });
  const model = wg.model({ inputs: inp, outputs: bn.apply(d.apply(inp)), name });
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  return Object.assign(model, { x: wg.randomNormal([n, 3], { seed: 1 }), y: wg.randomNormal([n, 4], { seed: 2 }) });
}

describe('device loss raises BackendError("webgpu: device lost (...)")', () => {
  beforeEach(async () => {
    await wg.init({ backend: 'webgpu' }); // a fresh device when the last test destroyed it
  });

  it('destroyed during a fit without callbacks: the fit rejects with the device-lost BackendError', async () => {
    const model = smallModel('lost_fit');
    const fit = model.fit(model.x, model.y, { batchSize: 8, epochs: 3 });
    destroyDevice();
    const err = await rejection(fit);
    expect(err).toBeInstanceOf(wg.BackendError);
    // Depending on when the loss is noticed: at fit's weight check (naming the weight) or at the readback.
    expect(err.message).toMatch(/(^|fit: weight 'lost_fit_d\/kernel' lives on a WebGPU device that is gone \()webgpu: device lost \(destroyed\)/);
  });

  it('destroyed after a few epochs (from a timer, no callbacks): the fit rejects with the device-lost BackendError', async () => {
    const model = smallModel('lost_fit_late', 64);
    await model.fit(model.x, model.y, { batchSize: 8, epochs: 1 }); // warm: pipelines compiled
    const fit = model.fit(model.x, model.y, { batchSize: 8, epochs: 200 });
    await new Promise((r) => setTimeout(r, 30));
    destroyDevice();
    const err = await rejection(fit);
    expect(err).toBeInstanceOf(wg.BackendError);
    expect(err.message).toMatch(LOST);
  });

  it('destroyed right before predict().data(): data() rejects with the device-lost BackendError', async () => {
    const model = smallModel('lost_predict');
    const x = wg.randomNormal([5, 3], { seed: 3 });
    const y = model.predict(x);
    destroyDevice();
    const err = await rejection(y.data());
    expect(err).toBeInstanceOf(wg.BackendError);
    expect(err.message).toMatch(LOST);
    // Every later call on the dead backend says the same.
    expect(() => wg.add(y, 1)).toThrow(LOST);
    expect(() => wg.zeros([2])).toThrow(LOST);
    await expect(wg.ready()).rejects.toThrow(LOST);
    await expect(y.array()).rejects.toThrow(LOST);
    await expect(model.save()).rejects.toThrow(/device lost \(destroyed\)/);
    expect(() => model.predict(x)).toThrow(wg.BackendError);
    await expect(model.fit(x, y)).rejects.toThrow(/Dense 'lost_predict_d': fit: weight 'lost_predict_d\/kernel' lives on a WebGPU device that is gone \(webgpu: device lost/);
    await expect(model.trainOnBatch(x, y)).rejects.toThrow(wg.BackendError);
    await expect(model.evaluate(x, y)).rejects.toThrow(/Dense 'lost_predict_d': evaluate x: weight 'lost_predict_d\/kernel' lives on a WebGPU device that is gone \(webgpu: device lost \(destroyed\)/);
  });

  it('after init(), a tensor and a model from the lost device are named as such; dispose lets them go', async () => {
    const base = wg.memory().numTensors;
    const model = smallModel('lost_init', 1);
    const t = wg.tensor([[1, 2, 3]]);
    const out = model.predict(t);
    await out.data();
    destroyDevice();
    await wg.ready().catch(() => undefined);
    expect(await wg.init({ backend: 'webgpu' })).toBe('webgpu');
    const fresh = wg.ones([1, 3]);
    let err: unknown = null;
    try { wg.add(t, fresh); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(wg.BackendError);
    expect((err as Error).message).toMatch(/add: argument 'a' \(shape \[1,3\]\) lives on a WebGPU device that is gone \(webgpu: device lost \(destroyed\)/);
    expect(() => model.predict(fresh)).toThrow(/Dense 'lost_init_d': predict input: weight 'lost_init_d\/kernel' lives on a WebGPU device that is gone/);
    // The dead records leave memory() once disposed.
    expect(model.dispose().numDisposedVariables).toBe(6); // kernel, bias, gamma, beta, moving mean and variance
    wg.dispose([t, out, model.x, model.y]);
    fresh.dispose();
    expect(wg.memory().numTensors).toBe(base);
    expect(() => model.dispose()).toThrow(/Model 'lost_init': dispose: the model was already disposed/);
  });
});
