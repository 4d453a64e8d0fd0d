/**
 * What the demo's seed outputs must show (shared by the WebGPU and CPU-fallback e2e tests),
 * computed here from the seed's inputs and fixtures/seed_scripts.md.
 */
import { expect } from 'vitest';
import { SEED_QUESTION_X } from '../../src/seed.js';
import { numbersIn, parseAnswer } from './harness.js';

/** x / sqrt(1 + 1e-9) in float32, as the seed question's fixture says. */
export function expectQuestionOutput(text: string): void {
  const xs = SEED_QUESTION_X.flat().map((v) => Math.fround(v));
  const want = xs.map((v) => Math.fround(v / Math.sqrt(1 + 1e-9)));
  const nums = numbersIn(text);
  expect(nums).toHaveLength(10 * 2 * 15);
  for (let i = 0; i < 10; i++) {
    const x = nums.slice(30 * i, 30 * i + 15);
    const y = nums.slice(30 * i + 15, 30 * i + 30);
    x.forEach((v, j) => expect(Math.abs(v - xs[j])).toBeLessThanOrEqual(1e-7 * Math.abs(xs[j]) + 1e-9));
    // Printed with 8 significant digits: within 1e-7 relative of the float32 value.
    y.forEach((v, j) => expect(Math.abs(v - want[j])).toBeLessThanOrEqual(1e-7 * Math.abs(want[j]) + 1e-9));
    expect(y).toEqual(nums.slice(15, 30));
  }
}

/** (1) == (2); (3) mean ~0, variance ~1; (4) close to (1) but not equal (seed_scripts.md). */
export function expectAnswerOutput(text: string): void {
  const s = parseAnswer(text);
  expect(s).toHaveLength(4);
  const [s1, s2, s3, s4] = s;
  expect(s2).toEqual(s1);
  s3.mean.forEach((m) => expect(Math.abs(m)).toBeLessThan(0.05));
  s3.variance.forEach((v) => expect(Math.abs(v - 1)).toBeLessThan(0.1));
  expect(s4.mean).not.toEqual(s1.mean);
  s4.mean.forEach((m, c) => expect(Math.abs(m - s1.mean[c])).toBeLessThan(0.05));
  // The column means after fit from fixtures/seed_scripts.md (Keras / TF.js, shuffle off).
  const keras1 = [-0.3714, -0.2823, -0.6142, 0.411, 1.2126];
  const keras4 = [-0.3627, -0.2756, -0.5873, 0.4008, 1.1875];
  s1.mean.forEach((m, c) => expect(Math.abs(m - keras1[c])).toBeLessThan(1e-4));
  s4.mean.forEach((m, c) => expect(Math.abs(m - keras4[c])).toBeLessThan(1e-4));
}
