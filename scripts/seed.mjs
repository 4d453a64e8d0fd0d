#!/usr/bin/env node
/**
 * `npm run seed`: runs the seed question's two scripts (src/seed.ts) with wgnn and prints what
 * Keras prints, on WebGPU when an adapter is found (`wg.init()` auto: Dawn in Node), else on the
 * CPU, and says which. The TypeScript sources import WGSL with Vite's `?raw`, so they are loaded
 * through Vite's SSR module loader rather than plain Node/tsx.
 */
import { runWithSsrLoader } from './node_env.mjs';

await runWithSsrLoader(async (server) => {
  const wg = await server.ssrLoadModule('/src/index.ts');
  const seed = await server.ssrLoadModule('/src/seed.ts');
  const backend = await wg.init();
  const info = wg.backendInfo();
  console.log(`wgnn backend: ${backend} (${info.description})\n`);
  const fmt = (v) => v.map((n) => n.toPrecision(6).padStart(11)).join(' ');
  const same = (a, b) => a.mean.every((v, i) => v === b.mean[i]) && a.variance.every((v, i) => v === b.variance[i]);
  const verdict = (prev, cur) => (same(prev, cur) ? 'unchanged' : 'CHANGED');
  const moving = (label, m) => console.log(`${label}\n  moving mean:     [${fmt(m.mean)}]\n  moving variance: [${fmt(m.variance)}]`);

  console.log('=== The question: predict ten times with a frozen BatchNormalization (epsilon 1e-9) ===\n');
  const q = await seed.runSeedQuestion();
  const blocks = q.text.split('\n\n').filter((b) => b.trim() !== '');
  moving('before the first predict', q.moving[0]);
  blocks.forEach((b, i) => {
    const [xm, ym] = b.split('\n').reduce((acc, l) => { acc[acc[0].length < 3 ? 0 : 1].push(l); return acc; }, [[], []]);
    console.log(`\n--- predict #${i + 1} ---\nx:\n${xm.join('\n')}\npredict(x):\n${ym.join('\n')}`);
    moving(`after predict #${i + 1}: ${verdict(q.moving[i], q.moving[i + 1])} (predict runs in inference mode)`, q.moving[i + 1]);
  });

  console.log('\n=== The answer: fit(x, x, batchSize 3, epochs 10, shuffle false), then four calls ===\n');
  const a = await seed.runSeedAnswer();
  moving('before fit (the initial values: mean 0, variance 1)', a.movingBeforeFit);
  a.movingPerEpoch.forEach((m, e) => moving(
    `after fit epoch ${e + 1} (loss ${a.history[e].toPrecision(6)}): ${verdict(e === 0 ? a.movingBeforeFit : a.movingPerEpoch[e - 1], m)} (fit runs in training mode)`, m));
  console.log(
    '\nAbout the warning above: 10 rows in batches of 3 leave a last batch of ONE row (the 10th) in every epoch.\n' +
      'A one-row batch has variance 0, so its output is just beta and the moving variance is pulled toward 0 by that\n' +
      'step (Keras does the same, silently). fit({ dropRemainder: true }) drops that batch; a batch size of 5 or 10 avoids it.\n',
  );
  const labels = ['(1) model.apply(x)', '(2) model.apply(x)', '(3) model.apply(x, {training: true})', '(4) model.apply(x)'];
  const lines = a.text.split('\n');
  labels.forEach((l, i) => {
    console.log(`${l}: per-column mean / variance of the output\n  mean:     ${lines[2 * i]}\n  variance: ${lines[2 * i + 1]}`);
    const prev = i === 0 ? a.movingAfterFit : a.movingAfterCall[i - 1];
    moving(`after ${l}: ${verdict(prev, a.movingAfterCall[i])} (${i === 2 ? 'training mode: one update' : 'inference mode'})`, a.movingAfterCall[i]);
    console.log('');
  });
  console.log('=== The answer in three sentences ===\n');
  console.log('1. predict, evaluate and a plain model.apply(x) run in inference mode: they normalize with the moving mean and variance and never change them, so the frozen layer in the question (still at mean 0, variance 1) prints x / sqrt(1 + 1e-9) ten times.');
  console.log('2. fit and model.apply(x, {training: true}) run in training mode: each batch is normalized with its own statistics and the moving statistics take one step toward them (moving = momentum * moving + (1 - momentum) * batch), which is why (1) and (2) agree and (4) differs slightly.');
  console.log('3. trainable = false on a BatchNormalization layer means inference mode always, even inside fit: its moving statistics and gamma/beta never change, which is what you want when fine-tuning a pretrained model.');
});
