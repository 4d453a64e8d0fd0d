/**
 * wg.callbacks.backupAndRestore (issue 13 item 7): a fit interrupted after an epoch resumes from
 * the last completed epoch's host backup and ends bitwise equal to an uninterrupted fit with the
 * same seed. (The device-loss case: backup_webgpu.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { FIT, bits, data, net, reference } from './backup_fixture.js';

describe('backupAndRestore', () => {
  it('an error after epoch 2: the next fit restores epoch 2 and resumes at epoch 3, bitwise equal to an uninterrupted fit', async () => {
    const ref = await reference();
    const m = net('bk_err');
    const d = data();
    const backup = wg.callbacks.backupAndRestore();
    const boom = { onEpochEnd: (e: number) => { if (e === 1) throw new Error('interrupted'); } };
    await expect(m.fit(d.x, d.y, { ...FIT, callbacks: [backup, boom] })).rejects.toThrow('interrupted');
    expect(backup.state?.epoch).toBe(1);
    // Changes after the backup (as a half-done epoch would leave) are undone by the restore.
    m.setWeights(m.getWeights().map((w) => wg.add(w, 1)));
    const h = await m.fit(d.x, d.y, { ...FIT, callbacks: [backup] });
    expect(h.epoch).toEqual([2, 3, 4]);
    expect(h.history.loss).toEqual(ref.loss.slice(2));
    expect(await bits(m)).toEqual(ref.state);
    expect(backup.state).toBeNull(); // a fit that ended normally drops the backup (Keras deleteCheckpoint)
    m.dispose();
    wg.dispose([d.x, d.y]);
  });

  it('deleteCheckpoint false keeps the last epoch; options are checked', async () => {
    const m = net('bk_keep');
    const d = data();
    const backup = wg.callbacks.backupAndRestore({ deleteCheckpoint: false });
    await m.fit(d.x, d.y, { ...FIT, epochs: 2, callbacks: [backup] });
    expect(backup.state?.epoch).toBe(1);
    expect(backup.state?.iterations).toBe(8);
    expect(Array.from(backup.state!.weights[0])).toEqual(Array.from(await m.weights[0].data()));
    expect(() => wg.callbacks.backupAndRestore({ backupDir: '/tmp' } as never)).toThrow(/backupAndRestore: unknown option 'backupDir'/);
    expect(() => wg.callbacks.backupAndRestore({ deleteCheckpoint: 1 } as never)).toThrow(/deleteCheckpoint must be a boolean, got 1/);
    m.dispose();
    wg.dispose([d.x, d.y]);
  });
});
