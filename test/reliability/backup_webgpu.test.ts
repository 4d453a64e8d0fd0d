/**
 * backupAndRestore across a device loss (issue 13 item 7): the device is destroyed mid-fit, the
 * fit rejects with the device-lost BackendError, `init()` makes a new device, and the next fit
 * restores the last completed epoch from the host onto it and ends bitwise equal to an
 * uninterrupted fit of the same seed on the new device.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { engine } from '../../src/core/engine.js';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';
import { FIT, bits, data, net, reference } from './backup_fixture.js';

function destroyDevice(): void {
  const b = engine.backend;
  if (!(b instanceof WebGpuBackend)) throw new Error('this file needs the WebGPU backend');
  b.ctx.device.destroy();
}

describe('backupAndRestore after a device loss', () => {
  it('destroyed during epoch 3: init(), refit with the backup, bitwise equal to an uninterrupted fit', async () => {
    const m = net('bk_lost');
    const d = data();
    const backup = wg.callbacks.backupAndRestore();
    // The device goes in the middle of epoch 3 (index 2), after two batches of it.
    const killer = { onBatchEnd: (b: number) => { if (b === 1 && backup.state?.epoch === 1) destroyDevice(); } };
    const err = await m.fit(d.x, d.y, { ...FIT, callbacks: [backup, killer] }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(wg.BackendError);
    expect((err as Error).message).toMatch(/^webgpu: device lost \(destroyed\)/);
    expect(backup.state?.epoch).toBe(1);
    await wg.init({ backend: 'webgpu' });
    const ref = await reference(); // on the new device
    wg.dispose([d.x, d.y]); // dead records: let them go
    const d2 = data();
    const h = await m.fit(d2.x, d2.y, { ...FIT, callbacks: [backup] });
    expect(h.epoch).toEqual([2, 3, 4]);
    expect(h.history.loss).toEqual(ref.loss.slice(2));
    expect(await bits(m)).toEqual(ref.state);
    m.dispose();
    wg.dispose([d2.x, d2.y]);
  });
});
