/**
 * The seed's two scripts (src/seed.ts) on every backend: the question's ten predictions are
 * identical and equal x / sqrt(1 + 1e-9); the answer's statistics follow SEMANTICS.md section 1
 * and the moving statistics equal a float64 recomputation of Keras's rules (below).
 */
import { describe, expect, it } from 'vitest';
import { SEED_ANSWER_X, SEED_QUESTION_X, runSeedAnswer, runSeedQuestion } from '../src/seed.js';

describe('seed question: frozen BatchNormalization in predict', () => {
  it('prints the same x / sqrt(1 + 1e-9) ten times, bitwise identical', async () => {
    const { predictions, text } = await runSeedQuestion();
    expect(predictions).toHaveLength(10);
    for (const p of predictions) expect(Array.from(p)).toEqual(Array.from(predictions[0]));
    const expected = SEED_QUESTION_X.flat().map((v) => Math.fround(Math.fround(v) / Math.sqrt(1 + 1e-9)));
    // Within float32 rounding of the fused affine map (scale = 1/sqrt(1 + 1e-9) rounded once).
    expect(predictions[0]).toBeAllClose(expected, { rtol: 2.4e-7, atol: 0 });
    expect(text.split('\n').length).toBe(10 * (3 + 3 + 1));
  });

  it('never moves the moving statistics: read before the first predict and after each of the ten', async () => {
    const { moving } = await runSeedQuestion();
    expect(moving).toHaveLength(11);
    for (const m of moving) {
      expect(m.mean).toEqual([0, 0, 0, 0, 0]);
      expect(m.variance).toEqual([1, 1, 1, 1, 1]);
    }
  });
});

/** Keras 3 rules in float64: BN training forward/backward, loss mean((x - y)^2), RMSprop defaults. */
function kerasReference(x: readonly (readonly number[])[], batchSize: number, epochs: number) {
  const C = x[0].length;
  const eps = 1e-9;
  const momentum = 0.99;
  const [lr, rho, rmsEps] = [0.001, 0.9, 1e-7];
  const gamma = new Array<number>(C).fill(1);
  const beta = new Array<number>(C).fill(0);
  const sG = new Array<number>(C).fill(0);
  const sB = new Array<number>(C).fill(0);
  const mm = new Array<number>(C).fill(0);
  const mv = new Array<number>(C).fill(1);
  const xs = x.map((r) => r.map((v) => Math.fround(v)));
  for (let e = 0; e < epochs; e++) {
    for (let s = 0; s < xs.length; s += batchSize) {
      const b = xs.slice(s, s + batchSize);
      const n = b.length;
      for (let c = 0; c < C; c++) {
        const col = b.map((r) => r[c]);
        const mu = col.reduce((a, v) => a + v, 0) / n;
        const v = col.reduce((a, u) => a + (u - mu) ** 2, 0) / n;
        const inv = 1 / Math.sqrt(v + eps);
        let dg = 0;
        let db = 0;
        for (const xi of col) {
          const xhat = (xi - mu) * inv;
          const y = gamma[c] * xhat + beta[c];
          const dy = (-2 * (xi - y)) / (n * C);
          dg += dy * xhat;
          db += dy;
        }
        sG[c] = rho * sG[c] + (1 - rho) * dg * dg;
        gamma[c] -= (lr * dg) / Math.sqrt(sG[c] + rmsEps);
        sB[c] = rho * sB[c] + (1 - rho) * db * db;
        beta[c] -= (lr * db) / Math.sqrt(sB[c] + rmsEps);
        mm[c] = momentum * mm[c] + (1 - momentum) * mu;
        mv[c] = momentum * mv[c] + (1 - momentum) * v;
      }
    }
  }
  return { gamma, beta, mm, mv, xs };
}

describe('seed answer: moving statistics move in fit and in training-mode calls only', () => {
  it('matches Keras: equal inference calls, batch statistics in training mode, then a small move', async () => {
    const r = await runSeedAnswer();
    const [s1, s2, s3, s4] = r.stats;
    // (1) == (2): inference calls change nothing.
    expect(s2.mean).toEqual(s1.mean);
    expect(s2.variance).toEqual(s1.variance);
    // Numbers from fixtures/seed_scripts.md (Keras / TF.js with shuffle off).
    expect(s1.mean).toBeAllClose([-0.3714, -0.2823, -0.6142, 0.411, 1.2126], { atol: 1e-4, rtol: 0 });
    expect(s4.mean).toBeAllClose([-0.3627, -0.2756, -0.5873, 0.4008, 1.1875], { atol: 1e-4, rtol: 0 });
    // (3) training mode: batch statistics, mean ~ beta ~ 0, variance ~ gamma^2 ~ 1.
    expect(s3.mean).toBeAllClose([0, 0, 0, 0, 0], { atol: 0.05 });
    expect(s3.variance).toBeAllClose([1, 1, 1, 1, 1], { atol: 0.1 });
    expect(s4.mean).not.toEqual(s1.mean);

    // Float64 recomputation of Keras's rules (RMSprop defaults, the one-row last batch included).
    const ref = kerasReference(SEED_ANSWER_X, 3, 10);
    // Tolerance: 40 float32 steps of a few flops each; relative 2e-5 covers the accumulated rounding.
    expect(r.movingAfterFit.mean).toBeAllClose(ref.mm, { rtol: 2e-5, atol: 1e-6 });
    expect(r.movingAfterFit.variance).toBeAllClose(ref.mv, { rtol: 2e-5, atol: 1e-6 });
    const C = 5;
    const n = ref.xs.length;
    const mu = Array.from({ length: C }, (_, c) => ref.xs.reduce((a, row) => a + row[c], 0) / n);
    const v = Array.from({ length: C }, (_, c) => ref.xs.reduce((a, row) => a + (row[c] - mu[c]) ** 2, 0) / n);
    const mm2 = ref.mm.map((m, c) => 0.99 * m + 0.01 * mu[c]);
    const mv2 = ref.mv.map((m, c) => 0.99 * m + 0.01 * v[c]);
    expect(r.movingAfterTrainingCall.mean).toBeAllClose(mm2, { rtol: 2e-5, atol: 1e-6 });
    expect(r.movingAfterTrainingCall.variance).toBeAllClose(mv2, { rtol: 2e-5, atol: 1e-6 });
    // (1) recomputed: inference output gamma * (x - mm) / sqrt(mv + eps) + beta, column means.
    const out1 = mu.map((m, c) => ref.gamma[c] * (m - ref.mm[c]) / Math.sqrt(ref.mv[c] + 1e-9) + ref.beta[c]);
    expect(s1.mean).toBeAllClose(out1, { rtol: 1e-4, atol: 1e-5 });
    expect(r.history).toHaveLength(10);
    // The statistics the terminal script prints: every epoch moves them; only the training call after fit does.
    expect(r.movingBeforeFit).toEqual({ mean: [0, 0, 0, 0, 0], variance: [1, 1, 1, 1, 1] });
    expect(r.movingPerEpoch).toHaveLength(10);
    for (let e = 1; e < 10; e++) expect(r.movingPerEpoch[e].mean).not.toEqual(r.movingPerEpoch[e - 1].mean);
    expect(r.movingPerEpoch[9]).toEqual(r.movingAfterFit);
    const [a1, a2, a3, a4] = r.movingAfterCall;
    expect(a1).toEqual(r.movingAfterFit);
    expect(a2).toEqual(a1);
    expect(a3).toEqual(r.movingAfterTrainingCall);
    expect(a3.mean).not.toEqual(a2.mean);
    expect(a4).toEqual(a3);
  });
});
