/**
 * The bad-input catalogue (issue 13): every case throws the named error class, with a message
 * that names the op or layer and the offending values, and leaves weights, optimizer slots,
 * moving statistics and the optimizer step count bitwise as they were.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from '../../src/index.js';
import { engine } from '../../src/core/engine.js';
import { cpu64 } from '../reference.js';

type ErrorClass = typeof wg.ValueError | typeof wg.ShapeError | typeof wg.BackendError | typeof wg.NonFiniteError;

interface Case {
  readonly name: string;
  readonly error: ErrorClass;
  /** Every pattern must match the message (layer or op name, then the values). */
  readonly message: readonly RegExp[];
  readonly run: (m: Fixture) => unknown;
}

interface Fixture {
  readonly model: wg.Model;
  readonly bn: wg.Layer;
  readonly dense: wg.Layer;
  readonly x: wg.Tensor;
  readonly y: wg.Tensor;
}

let fx: Fixture;

function build(prefix: string): Fixture {
  const inp = wg.input({ shape: [3] });
  const dense = wg.layers.dense({ units: 4, kernelInitializer: { name: 'glorotUniform', seed: 3 }, name: `${prefix}_dense` });
  const bn = wg.layers.batchNormalization({ name: `${prefix}_bn` });
  const out = wg.layers.dense({ units: 1, kernelInitializer: { name: 'glorotUniform', seed: 4 }, name: `${prefix}_out` });
  const model = wg.model({ inputs: inp, outputs: out.apply(bn.apply(dense.apply(inp))), name: `${prefix}_model` });
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  const x = wg.randomNormal([10, 3], { seed: 7 });
  const y = wg.randomNormal([10, 1], { seed: 8 });
  return { model, bn, dense, x, y };
}

/** Bits of every weight (moving statistics included) and optimizer slot, and the step count. */
async function state(m: wg.Model): Promise<{ values: number[][]; iterations: number }> {
  const opt = m.compiled!.optimizer;
  const values = await Promise.all([...m.weights, ...opt.slots].map(async (t) => Array.from(new Uint32Array((await t.data()).buffer))));
  return { values, iterations: opt.iterations };
}

const copies = (l: wg.Layer) => l.getWeights();

const CASES: readonly Case[] = [
  // issue 13 item 1: setWeights is all or nothing
  { name: 'bn.setWeights with a disposed third array', error: wg.ValueError,
    message: [/BatchNormalization 'cat_bn'/, /weight 'cat_bn\/moving_mean'/, /shape \[4\]\) was disposed/],
    run: ({ bn }) => { const w = copies(bn); w[2].dispose(); bn.setWeights(w); } },
  { name: 'bn.setWeights with a wrong shape last', error: wg.ShapeError,
    message: [/BatchNormalization 'cat_bn'/, /'cat_bn\/moving_variance' has shape \[4\] but setWeights got \[5\]/],
    run: ({ bn }) => { const w = copies(bn); bn.setWeights([w[0], w[1], w[2], wg.zeros([5])]); } },
  { name: 'bn.setWeights with a non-tensor', error: wg.ValueError,
    message: [/BatchNormalization 'cat_bn'/, /value 1 for weight 'cat_bn\/beta' must be a Tensor, got null/],
    run: ({ bn }) => { const w = copies(bn); bn.setWeights([w[0], null as unknown as wg.Tensor, w[2], w[3]]); } },
  { name: 'bn.setWeights with too few arrays', error: wg.ValueError,
    message: [/BatchNormalization 'cat_bn'/, /got 3 arrays but it has 4 weights/],
    run: ({ bn }) => bn.setWeights(copies(bn).slice(0, 3)) },
  { name: 'model.setWeights with a disposed last array', error: wg.ValueError,
    message: [/Model 'cat_model'/, /weight 'cat_out\/bias'/, /was disposed/],
    run: ({ model }) => { const w = model.getWeights(); w[w.length - 1].dispose(); model.setWeights(w); } },
  { name: 'model.setWeights with a wrong shape in the middle', error: wg.ShapeError,
    message: [/Model 'cat_model'/, /'cat_bn\/gamma' has shape \[4\] but setWeights got \[2\]/],
    run: ({ model }) => { const w = model.getWeights(); w[2] = wg.ones([2]); model.setWeights(w); } },
  { name: 'model.setWeights with a tensor of another backend', error: wg.ValueError,
    message: [/Model 'cat_model'/, /value 0 for weight 'cat_dense\/kernel' lives on backend 'cpu' but the weight on '(cpu|webgpu)'/],
    run: ({ model }) => {
      const w = model.getWeights();
      w[0] = engine.withBackend(cpu64, () => wg.zeros([3, 4]));
      model.setWeights(w);
    } },
  // item 3: batchSize of evaluate and predict
  ...[0, -1, 2.5, Number.NaN].flatMap((bs): Case[] => [
    { name: `evaluate batchSize ${bs}`, error: wg.ValueError,
      message: [/Model 'cat_model'/, new RegExp(`evaluate: batchSize must be a positive integer, got ${bs}`)],
      run: ({ model, x, y }) => model.evaluate(x, y, { batchSize: bs }) },
    { name: `predict batchSize ${bs}`, error: wg.ValueError,
      message: [/Model 'cat_model'/, new RegExp(`predict: batchSize must be a positive integer, got ${bs}`)],
      run: ({ model, x }) => model.predict(x, { batchSize: bs }) },
  ]),
  // item 6: messages that say what is wrong
  { name: 'fit options null', error: wg.ValueError, message: [/Model 'cat_model': fit: options must be an object or omitted, got null/],
    run: ({ model, x, y }) => model.fit(x, y, null as unknown as wg.FitOptions) },
  { name: 'evaluate options null', error: wg.ValueError, message: [/Model 'cat_model': evaluate: options must be an object or omitted, got null/],
    run: ({ model, x, y }) => model.evaluate(x, y, null as unknown as wg.EvaluateOptions) },
  { name: 'validationSplit leaving no training row', error: wg.ValueError,
    message: [/Model 'cat_model': fit: validationSplit 0.95 of 10 rows leaves 0 for training and 10 for validation/],
    run: ({ model, x, y }) => model.fit(x, y, { validationSplit: 0.95 }) },
  { name: 'validationSplit leaving no validation row', error: wg.ValueError,
    message: [/validationSplit 1e-17 of 10 rows leaves 10 for training and 0 for validation/],
    run: ({ model, x, y }) => model.fit(x, y, { validationSplit: 1e-17 }) },
  { name: 'an allocation past the size limit', error: wg.BackendError,
    message: [/'fill' needs 4295032832 float(32)? elements/, /17180131328 bytes/],
    run: () => wg.zeros([65536, 65537]) },
  // existing checks, kept in the catalogue
  { name: 'fit x of the wrong width', error: wg.ShapeError, message: [/Model 'cat_model': fit x has shape \[10,2\] but the model expects \[-1,3\]/],
    run: ({ model, y }) => model.fit(wg.zeros([10, 2]), y) },
  { name: 'fit y with fewer rows', error: wg.ShapeError, message: [/fit x has 10 rows .* y has shape \[9,1\]/],
    run: ({ model, x }) => model.fit(x, wg.zeros([9, 1])) },
  { name: 'fit unknown option', error: wg.ValueError, message: [/Model 'cat_model': fit: unknown option 'batch_size'/],
    run: ({ model, x, y }) => model.fit(x, y, { batch_size: 2 } as unknown as wg.FitOptions) },
  { name: 'fit batchSize 0', error: wg.ValueError, message: [/fit: batchSize must be a positive integer, got 0/],
    run: ({ model, x, y }) => model.fit(x, y, { batchSize: 0 }) },
  { name: 'fit dropRemainder with no full batch', error: wg.ValueError, message: [/10 training rows and dropRemainder with batchSize 32/],
    run: ({ model, x, y }) => model.fit(x, y, { dropRemainder: true }) },
  { name: 'a NaN row in fit', error: wg.NonFiniteError, message: [/Model 'cat_model': fit epoch 1, batch 1 of 1 \(10 rows\)/],
    run: ({ model, x, y }) => model.fit(wg.concat([wg.slice(x, [0], [9]), wg.fill([1, 3], Number.NaN)], 0), y, { batchSize: 10 }) },
  { name: 'trainOnBatch with a NaN target', error: wg.NonFiniteError, message: [/Model 'cat_model': trainOnBatch: NaN or Inf/],
    run: ({ model, x }) => model.trainOnBatch(x, wg.fill([10, 1], Number.NaN)) },
  { name: 'predict on a disposed input', error: wg.ValueError, message: [/Model 'cat_model': predict input \(shape \[10,3\]\) was disposed/],
    run: ({ x }) => { const gone = wg.add(x, 0); gone.dispose(); return fx.model.predict(gone); } },
  { name: 'fit with a non-tensor y', error: wg.ValueError, message: [/Model 'cat_model': fit y must be a Tensor or an array of Tensors, got number/],
    run: ({ model, x }) => model.fit(x, [1, 2] as unknown as wg.Tensor) },
  { name: 'evaluate with a disposed y', error: wg.ValueError, message: [/Model 'cat_model': evaluate y \(shape \[10,1\]\) was disposed/],
    run: ({ model, x, y }) => { const gone = wg.add(y, 0); gone.dispose(); return model.evaluate(x, gone); } },
  { name: 'evaluate on an empty batch', error: wg.ValueError, message: [/evaluate: empty batch \(x shape \[0,3\]\)/],
    run: ({ model }) => model.evaluate(wg.zeros([0, 3]), wg.zeros([0, 1])) },
  { name: 'BN call with the wrong channel count', error: wg.ShapeError,
    message: [/BatchNormalization 'cat_bn': input has 5 channels on axis -1 but the layer was built for 4/],
    run: ({ bn }) => bn.apply(wg.zeros([2, 5]), { training: true }) },
];

describe('bad-input catalogue: error class, message, and no state changed', () => {
  beforeAll(async () => {
    fx = build('cat');
    // One real epoch first, so Adam slots and moving statistics hold non-trivial values.
    await fx.model.fit(fx.x, fx.y, { batchSize: 5, epochs: 1, seed: 1 });
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const before = await state(fx.model);
      const err = await (async () => c.run(fx))().then(() => null, (e: unknown) => e);
      expect(err, 'it must throw').toBeInstanceOf(c.error);
      for (const re of c.message) expect((err as Error).message).toMatch(re);
      expect(await state(fx.model)).toEqual(before);
    });
  }
});

describe('layer-level checks that need their own model', () => {
  it('predict after a weight was disposed names the layer and the weight', async () => {
    const f = build('gone');
    f.dense.weights[0].dispose();
    const err = (() => { try { f.model.predict(f.x); return null; } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(wg.ValueError);
    expect((err as Error).message).toMatch(/Dense 'gone_dense': predict input: weight 'gone_dense\/kernel' \(shape \[3,4\]\) was disposed/);
    expect(() => f.dense.apply(f.x)).toThrow(/Dense 'gone_dense': call: weight 'gone_dense\/kernel'/);
  });

  it('a BatchNormalization layer on the batch axis fails when it is built, naming the axis', () => {
    const bn = wg.layers.batchNormalization({ axis: 0, name: 'bn_axis0' });
    expect(() => bn.apply(wg.input({ shape: [4] }))).toThrow(wg.ValueError);
    expect(() => bn.apply(wg.input({ shape: [4] }))).toThrow(/BatchNormalization 'bn_axis0': axis 0 is the batch axis of input shape \[-1,4\]/);
    expect(() => bn.apply(wg.zeros([3, 4]), { training: true })).toThrow(/axis 0 is the batch axis of input shape \[3,4\]/);
    expect(bn.built).toBe(false);
    const neg = wg.layers.batchNormalization({ axis: -3, name: 'bn_axis_neg' });
    expect(() => neg.apply(wg.input({ shape: [2, 4] }))).toThrow(/axis -3 is the batch axis/);
  });
});
