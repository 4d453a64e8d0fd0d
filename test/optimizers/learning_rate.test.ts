/**
 * The learning rate as a settable property and as a schedule, on every backend. Schedules are
 * checked against Keras 3's formulas evaluated by hand (the comments give each derivation), and
 * in training against the closed form of SGD with a constant gradient: w_n = w_0 - g * sum lr(t).
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';

const { exponentialDecay, piecewiseConstantDecay, cosineDecay } = wg.optimizers.schedules;

/** n SGD steps with gradient g on a 1-element weight starting at w0; returns the weight. */
async function sgdSteps(opt: wg.optimizers.Optimizer, w0: number, g: number, n: number, between?: (t: number) => void): Promise<number> {
  const w = wg.variable(wg.tensor([w0]), { name: 'lr_w' });
  const grad = wg.tensor([g]);
  for (let t = 0; t < n; t++) {
    between?.(t);
    opt.applyGradients([{ variable: w, grad }]);
  }
  const [v] = await w.data();
  w.dispose();
  grad.dispose();
  return v;
}

describe('optimizer.learningRate', () => {
  it('is settable and takes effect at the next step, without recompiling', async () => {
    const opt = wg.optimizers.sgd({ learningRate: 0.1 });
    expect(opt.learningRate).toBe(0.1);
    // Steps 0, 1 at lr 0.1, steps 2, 3 at lr 0.01: 1 - 0.5 * (0.2 + 0.02) = 0.89.
    const w = await sgdSteps(opt, 1, 0.5, 4, (t) => { if (t === 2) opt.learningRate = 0.01; });
    expect(w).toBeAllClose(0.89, { rtol: 1e-6 });
    expect(opt.config.learningRate).toBe(0.01);
    opt.setLearningRate(0.2); // TF.js's spelling
    expect(opt.learningRate).toBe(0.2);
  });

  it('model.optimizer.learningRate set from a callback changes the next epoch (lr 0 freezes the weights bitwise)', async () => {
    const inp = wg.input({ shape: [2] });
    const m = wg.model({ inputs: inp, outputs: wg.layers.dense({ units: 1, kernelInitializer: { name: 'glorotUniform', seed: 9 } }).apply(inp) });
    m.compile({ optimizer: wg.optimizers.adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
    const x = wg.randomNormal([8, 2], { seed: 2 });
    const y = wg.randomNormal([8, 1], { seed: 3 });
    const init = Array.from(await m.weights[0].data());
    const snaps: number[][] = [];
    await m.fit(x, y, {
      epochs: 3, callbacks: {
        async onEpochEnd(e) {
          snaps.push(Array.from(await m.weights[0].data()));
          if (e === 0) m.optimizer.learningRate = 0;
        },
      },
    });
    expect(snaps[0]).not.toEqual(init);
    expect(snaps[1]).toEqual(snaps[0]);
    expect(snaps[2]).toEqual(snaps[0]);
    expect(() => wg.sequential().optimizer).toThrow(/model.optimizer is set by compile\(\)/);
  });

  it('config is a frozen snapshot: assigning to it throws instead of being ignored', () => {
    const opt = wg.optimizers.adam();
    expect(() => { (opt.config as { learningRate: number }).learningRate = 1; }).toThrow(TypeError);
    expect(opt.learningRate).toBe(0.001);
  });

  it("TF.js's positional learning rate works (adam(0.01)); more positional values are an error, not ignored", () => {
    expect(wg.optimizers.adam(0.01).learningRate).toBe(0.01);
    expect(wg.optimizers.sgd(0.5).config).toMatchObject({ kind: 'sgd', learningRate: 0.5, momentum: 0 });
    const s = wg.optimizers.schedules.exponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 0.5 });
    expect(wg.optimizers.rmsprop(s).schedule).toBe(s);
    expect(() => (wg.optimizers.sgd as (...a: unknown[]) => unknown)(0.1, 0.9)).toThrow(/optimizers.sgd: got 2 positional arguments; only the learning rate may be positional: pass an options object \{ learningRate, momentum \}/);
    expect(() => wg.optimizers.adam('fast' as never)).toThrow(/optimizers.adam: expected an options object or a learning rate, got fast/);
  });

  it('bad values are errors naming the optimizer and the value', () => {
    const opt = wg.optimizers.rmsprop();
    expect(() => { opt.learningRate = -1; }).toThrow(/optimizers.rmsprop.learningRate must be a finite number >= 0 or a wg.optimizers.schedules.\* schedule, got -1/);
    expect(() => { opt.learningRate = Number.NaN; }).toThrow(wg.ValueError);
    expect(() => wg.optimizers.sgd({ learningRate: '0.1' as never })).toThrow(/optimizers.sgd: learningRate must be .* got 0.1/);
    expect(opt.learningRate).toBe(0.001);
  });
});

describe('schedules (Keras 3 formulas)', () => {
  it('exponentialDecay: initial * rate^(step / decaySteps), staircase floors the exponent', () => {
    const s = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    expect(s.call(0)).toBe(0.1);
    expect(s.call(5)).toBeAllClose(0.1 * Math.SQRT1_2, { rtol: 1e-12 }); // 0.5^0.5
    expect(s.call(20)).toBeAllClose(0.025, { rtol: 1e-12 });
    const st = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    expect([st.call(9), st.call(10), st.call(15), st.call(29)]).toBeAllClose([0.1, 0.05, 0.05, 0.025], { rtol: 1e-12 });
  });

  it('piecewiseConstantDecay: values[0] up to and including boundaries[0], then each piece', () => {
    const s = piecewiseConstantDecay({ boundaries: [2, 5], values: [1, 0.5, 0.1] });
    expect([0, 1, 2, 3, 5, 6, 100].map((t) => s.call(t))).toEqual([1, 1, 1, 0.5, 0.5, 0.1, 0.1]);
    expect(() => piecewiseConstantDecay({ boundaries: [2, 5], values: [1, 0.5] })).toThrow(/one more element than boundaries \(got 2 values, 2 boundaries\)/);
    expect(() => piecewiseConstantDecay({ boundaries: [5, 2], values: [1, 0.5, 0.1] })).toThrow(/boundaries must increase/);
  });

  it('cosineDecay: half a cosine down to alpha, held after decaySteps; warmup ramps linearly first', () => {
    const s = cosineDecay({ initialLearningRate: 1, decaySteps: 4, alpha: 0.1 });
    // step 2: 0.9 * 0.5 * (1 + cos(pi / 2)) + 0.1 = 0.55; step 1: 0.9 * 0.5 * (1 + cos(pi / 4)) + 0.1.
    expect([0, 1, 2, 4, 10].map((t) => s.call(t))).toBeAllClose([1, 0.45 * (1 + Math.SQRT1_2) + 0.1, 0.55, 0.1, 0.1], { rtol: 1e-12 });
    const w = cosineDecay({ initialLearningRate: 0, decaySteps: 4, warmupTarget: 1, warmupSteps: 2 });
    // ramp 0 -> 1 over 2 steps, then decay from 1 over 4 steps (alpha 0), held at 0.
    expect([0, 1, 2, 4, 6, 100].map((t) => w.call(t))).toBeAllClose([0, 0.5, 1, 0.5, 0, 0], { atol: 1e-12 });
    expect(() => cosineDecay({ initialLearningRate: 1, decaySteps: 4, warmupSteps: 2 })).toThrow(/warmupSteps 2 needs a warmupTarget/);
    expect(() => cosineDecay({ initialLearningRate: 1, decaySteps: 4, decay: 1 } as never)).toThrow(/cosineDecay: unknown option 'decay'/);
  });

  it('an optimizer with a schedule uses lr(iterations) for each step: SGD matches w0 - g * sum lr(t)', async () => {
    const sched = exponentialDecay({ initialLearningRate: 0.2, decaySteps: 2, decayRate: 0.5 });
    const opt = wg.optimizers.sgd({ learningRate: sched });
    expect(opt.schedule).toBe(sched);
    const n = 6;
    let sum = 0;
    for (let t = 0; t < n; t++) sum += 0.2 * 0.5 ** (t / 2);
    expect(await sgdSteps(opt, 2, 0.25, n)).toBeAllClose(2 - 0.25 * sum, { rtol: 1e-6 });
    expect(opt.learningRate).toBeAllClose(sched.call(n), { rtol: 1e-12 });
    // Assigning a number replaces the schedule.
    opt.learningRate = 0.5;
    expect(opt.schedule).toBeNull();
    expect(await sgdSteps(opt, 2, 0.25, 1)).toBeAllClose(2 - 0.125, { rtol: 1e-6 });
    opt.learningRate = piecewiseConstantDecay({ boundaries: [0], values: [1, 2] });
    expect(opt.learningRate).toBe(2);
  });

  it('in fit, a schedule reads nothing back: same readbacks as a constant rate', async () => {
    const run = async (learningRate: wg.LearningRate) => {
      const inp = wg.input({ shape: [2] });
      const m = wg.model({ inputs: inp, outputs: wg.layers.dense({ units: 1 }).apply(inp) });
      m.compile({ optimizer: wg.optimizers.adam({ learningRate }), loss: 'meanSquaredError' });
      const s0 = wg.backendStats().readbacks;
      await m.fit(wg.ones([8, 2]), wg.ones([8, 1]), { batchSize: 2, epochs: 2 });
      return { readbacks: wg.backendStats().readbacks - s0, opt: m.optimizer };
    };
    const constant = await run(0.01);
    const scheduled = await run(cosineDecay({ initialLearningRate: 0.01, decaySteps: 100 }));
    expect(scheduled.readbacks).toBe(constant.readbacks);
    expect(scheduled.opt.iterations).toBe(8);
    expect(scheduled.opt.learningRate).toBeAllClose(0.01 * 0.5 * (1 + Math.cos((Math.PI * 8) / 100)), { rtol: 1e-12 });
  });
});
