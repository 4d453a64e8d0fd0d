/**
 * The public API's names (src/index.ts, and the wg.layers / wg.optimizers / wg.losses
 * namespaces) are pinned: a pinned name that disappears fails here, on every backend. A new name
 * passes but is printed until it is added to the list below (API.md lists what users rely on).
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';

const PINNED: Record<string, readonly string[]> = {
  wg: [
    'BackendError', 'Layer', 'Model', 'NonFiniteError', 'Sequential', 'ShapeError', 'SymbolicTensor', 'Tensor',
    'ValueError', 'Variable', 'abs', 'add', 'argMax', 'backendInfo', 'backendStats', 'batchNormInfer',
    'batchNormTrain', 'broadcastTo', 'concat', 'dispose', 'div', 'equal', 'exp', 'fill', 'gather', 'getBackend',
    'grad', 'grads', 'greater', 'greaterEqual', 'init', 'input', 'keep', 'layers', 'less', 'lessEqual',
    'loadModel', 'log', 'losses', 'matmul', 'max', 'maximum', 'mean', 'memory', 'min', 'minimum', 'model',
    'moments', 'mul', 'neg', 'oneHot', 'ones', 'optimizers', 'pow', 'randomNormal', 'randomUniform', 'ready',
    'reciprocal', 'relu', 'reshape', 'rsqrt', 'scalar', 'sequential', 'sigmoid', 'sign', 'slice', 'sqrt',
    'square', 'step', 'sub', 'sum', 'tanh', 'tensor', 'tidy', 'transpose', 'valueAndGrads', 'variable',
    'variableGrads', 'where', 'zeros',
    // Added with the convolution, model-format, habits and reliability issues (API.md "Next").
    'Callback', 'GraphNode', 'LearningRateSchedule', 'TENSOR_METHODS', 'avgPool', 'callbacks', 'cast', 'clone', 'conv2d',
    'depthwiseConv2d', 'expandDims', 'loadLayersModel', 'logSoftmax', 'maxPool', 'pad', 'softmax', 'squeeze', 'tensor1d',
    'tensor2d', 'tensor3d', 'tensor4d',
  ],
  'wg.layers': [
    'Activation', 'BatchNormalization', 'Dense', 'Dropout', 'activation', 'batchNormalization', 'dense', 'dropout',
    'Add', 'Average', 'AveragePooling2D', 'Concatenate', 'Conv2D', 'DepthwiseConv2D', 'Flatten', 'GlobalAveragePooling2D',
    'GlobalMaxPooling2D', 'MaxPooling2D', 'MergeLayer', 'Multiply', 'ReLU', 'Reshape', 'SeparableConv2D', 'Softmax', 'Subtract',
    'ZeroPadding2D', 'add', 'average', 'averagePooling2d', 'concatenate', 'conv2d', 'depthwiseConv2d', 'flatten',
    'globalAveragePooling2d', 'globalMaxPooling2d', 'maxPooling2d', 'multiply', 'reLU', 'reshape', 'separableConv2d', 'softmax',
    'subtract', 'zeroPadding2d',
  ],
  'wg.optimizers': ['Optimizer', 'adam', 'getOptimizer', 'rmsprop', 'sgd', 'LearningRateSchedule', 'schedules'],
  'wg.callbacks': ['BackupAndRestore', 'Callback', 'EarlyStopping', 'ReduceLROnPlateau', 'backupAndRestore', 'earlyStopping', 'reduceLROnPlateau'],
  'wg.losses': [
    'binaryCrossentropy', 'categoricalCrossentropy', 'meanAbsoluteError', 'meanSquaredError',
    'sparseCategoricalCrossentropy',
  ],
};

const MODULES: Record<string, object> = {
  wg, 'wg.layers': wg.layers, 'wg.optimizers': wg.optimizers, 'wg.losses': wg.losses, 'wg.callbacks': wg.callbacks,
};

describe('public API surface', () => {
  it.each(Object.keys(PINNED))('%s keeps every pinned name', (name) => {
    const exported = Object.keys(MODULES[name]).sort();
    const missing = PINNED[name].filter((n) => !exported.includes(n));
    const extra = exported.filter((n) => !PINNED[name].includes(n));
    if (extra.length > 0) {
      console.log(`[api surface] ${name} exports names not pinned in test/api_surface.test.ts: ${extra.join(', ')}`);
    }
    expect(missing, `${name} no longer exports: ${missing.join(', ')}`).toEqual([]);
  });

  it('exports every name API.md shows', () => {
    for (const n of ['init', 'getBackend', 'memory', 'tensor', 'tidy', 'grad', 'grads', 'variableGrads', 'input',
      'model', 'sequential', 'loadModel', 'layers', 'optimizers', 'conv2d', 'depthwiseConv2d', 'maxPool', 'avgPool', 'pad',
      'softmax', 'logSoftmax', 'loadLayersModel', 'callbacks']) {
      expect(wg, n).toHaveProperty(n);
    }
  });
});
