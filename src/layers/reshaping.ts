/** ZeroPadding2D, Flatten and Reshape (Keras 3 / TF.js layers semantics). No weights. */
import { ValueError } from '../core/errors.js';
import { sizeOf } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { reshape, transpose } from '../ops/movement.js';
import { pad } from '../ops/pad.js';
import { BASE_OPTIONS, Layer, checkOptions, type LayerOptions, type SymbolicShape } from './layer.js';
import { checkDataFormat, checkRank, showShape, type DataFormat } from './pooling.js';

/** `[before, after]` cells of one spatial axis. */
export type PadPair = readonly [number, number];

export interface ZeroPadding2DOptions extends LayerOptions {
  /** n (all four sides), [h, w] (top = bottom = h, left = right = w), or [[top, bottom], [left, right]]; default 1. */
  readonly padding?: number | readonly [number, number] | readonly [PadPair, PadPair];
  readonly dataFormat?: DataFormat;
}

function padPairs(label: string, v: unknown): [[number, number], [number, number]] {
  const ok = (d: unknown) => Number.isInteger(d) && (d as number) >= 0;
  if (ok(v)) return [[v as number, v as number], [v as number, v as number]];
  if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [[v[0], v[0]], [v[1], v[1]]];
  if (Array.isArray(v) && v.length === 2 && v.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok))) {
    return [[v[0][0], v[0][1]], [v[1][0], v[1][1]]];
  }
  throw new ValueError(`${label}: padding must be a non-negative integer, [h, w] or [[top, bottom], [left, right]], got ${JSON.stringify(v)}`);
}

/** Pads the two spatial axes with zeros. */
export class ZeroPadding2D extends Layer {
  readonly padding: [[number, number], [number, number]];
  readonly dataFormat: DataFormat;

  get className(): string {
    return 'ZeroPadding2D';
  }

  constructor(options: ZeroPadding2DOptions = {}) {
    super(options, 'zero_padding2d');
    checkOptions(this.name, 'ZeroPadding2D', options, [...BASE_OPTIONS, 'padding', 'dataFormat']);
    this.padding = padPairs(this.label, options.padding ?? 1);
    this.dataFormat = checkDataFormat(this.label, options.dataFormat);
  }

  get #paddings(): [number, number][] {
    const [h, w] = this.padding;
    return this.dataFormat === 'channelsLast' ? [[0, 0], h, w, [0, 0]] : [[0, 0], [0, 0], h, w];
  }

  protected override checkInput(shape: SymbolicShape): void {
    checkRank(this.label, shape, 4, this.dataFormat === 'channelsLast' ? '[batch, height, width, channels]' : '[batch, channels, height, width]');
  }

  protected build(): void {}

  computeOutputShape(s: SymbolicShape): SymbolicShape {
    const p = this.#paddings;
    return s.map((d, i) => (d === null ? null : d + p[i][0] + p[i][1]));
  }

  protected call(x: Tensor): Tensor {
    return pad(x, this.#paddings);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: this.trainable, padding: this.padding, dataFormat: this.dataFormat,
      ...(this.inputShape ? { inputShape: this.inputShape } : {}),
    };
  }
}

export interface FlattenOptions extends LayerOptions {
  /** 'channelsFirst': the channel axis (1) is moved last before flattening, as Keras does. */
  readonly dataFormat?: DataFormat;
}

/** [batch, ...] -> [batch, product of the rest]. */
export class Flatten extends Layer {
  readonly dataFormat: DataFormat;

  get className(): string {
    return 'Flatten';
  }

  constructor(options: FlattenOptions = {}) {
    super(options, 'flatten');
    checkOptions(this.name, 'Flatten', options, [...BASE_OPTIONS, 'dataFormat']);
    this.dataFormat = checkDataFormat(this.label, options.dataFormat);
  }

  protected build(): void {}

  computeOutputShape(s: SymbolicShape): SymbolicShape {
    const rest = s.slice(1);
    return [s[0], rest.includes(null) ? null : rest.reduce<number>((a, d) => a * (d as number), 1)];
  }

  protected call(x: Tensor): Tensor {
    const t = this.dataFormat === 'channelsFirst' && x.rank > 2
      ? transpose(x, [0, ...x.shape.slice(2).map((_, i) => i + 2), 1])
      : x;
    return reshape(t, [x.shape[0], sizeOf(x.shape.slice(1))]);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, dataFormat: this.dataFormat, ...(this.inputShape ? { inputShape: this.inputShape } : {}) };
  }
}

export interface ReshapeOptions extends LayerOptions {
  /** Shape of one sample (no batch); one entry may be -1 (inferred). */
  readonly targetShape: readonly number[];
}

/** [batch, ...] -> [batch, ...targetShape]. */
export class Reshape extends Layer {
  readonly targetShape: number[];

  get className(): string {
    return 'Reshape';
  }

  constructor(options: ReshapeOptions) {
    super(options, 'reshape');
    checkOptions(this.name, 'Reshape', options, [...BASE_OPTIONS, 'targetShape']);
    const t = options.targetShape;
    if (!Array.isArray(t) || t.some((d) => !Number.isInteger(d) || (d <= 0 && d !== -1)) || t.filter((d) => d === -1).length > 1) {
      throw this.valueError(`targetShape must be positive integers with at most one -1, got ${JSON.stringify(t)}`);
    }
    this.targetShape = [...t];
  }

  protected override checkInput(shape: SymbolicShape): void {
    this.computeOutputShape(shape);
  }

  protected build(): void {}

  computeOutputShape(s: SymbolicShape): SymbolicShape {
    const rest = s.slice(1);
    if (rest.includes(null)) return [s[0], ...this.targetShape.map((d) => (d === -1 ? null : d))];
    const n = rest.reduce<number>((a, d) => a * (d as number), 1);
    const known = this.targetShape.reduce((a, d) => (d === -1 ? a : a * d), 1);
    const out = this.targetShape.map((d) => (d === -1 ? n / known : d));
    if (out.some((d) => !Number.isInteger(d)) || out.reduce((a, d) => a * d, 1) !== n) {
      throw this.shapeError(`cannot reshape input ${showShape(s)} (${n} values per sample) to targetShape ${showShape(this.targetShape)}`);
    }
    return [s[0], ...out];
  }

  protected call(x: Tensor): Tensor {
    return reshape(x, this.computeOutputShape([x.shape[0], ...x.shape.slice(1)]) as number[]);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, targetShape: this.targetShape, ...(this.inputShape ? { inputShape: this.inputShape } : {}) };
  }
}
