/**
 * The TF.js layers format (what `tf.io` handlers and the TF.js converter produce): a Keras model
 * topology as JSON, a weights manifest and the weights' bytes. These are the types `save` writes and
 * `loadLayersModel` reads; every field of a file is `unknown` until validate.ts has checked it.
 */

/** How a weight's bytes are stored: affine `value = q * scale + min` for uint8/uint16, or IEEE half. */
export interface Quantization {
  readonly dtype: 'uint8' | 'uint16' | 'float16';
  readonly scale?: number;
  readonly min?: number;
}

/** One weight of the manifest: its variable name, shape and stored dtype. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: 'float32';
  readonly quantization?: Quantization;
}

/** `model.json`'s manifest: groups of weights, each stored in the shards `paths` (concatenated in order). */
export interface WeightsGroup {
  readonly paths: string[];
  readonly weights: WeightSpec[];
}

/** Compile settings as TF.js's `getTrainingConfig` writes them. */
export interface TrainingConfig {
  readonly loss: string;
  readonly metrics: string[];
  readonly optimizer_config: { readonly class_name: string; readonly config: Record<string, number | boolean> };
}

/** A Keras model topology: `{ class_name, config, keras_version, backend }` (or Keras 2's `{ model_config, ... }`). */
export type ModelTopology = Record<string, unknown>;

/** What `model.save()` returns and `loadLayersModel` / `loadModel` accept (TF.js's `ModelArtifacts`). */
export interface ModelArtifacts {
  readonly modelTopology: ModelTopology;
  readonly weightSpecs: WeightSpec[];
  readonly weightData: ArrayBuffer;
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
  readonly trainingConfig?: TrainingConfig;
}

/** The file `model.json`. */
export interface ModelJson {
  readonly modelTopology: ModelTopology;
  readonly weightsManifest: WeightsGroup[];
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
  readonly trainingConfig?: TrainingConfig;
}

/** Options of `loadLayersModel`. */
export interface LoadOptions {
  /** Called with the fraction loaded (0..1) after model.json and after each shard (URL sources). */
  readonly onProgress?: (fraction: number) => void;
  /** Replaces `globalThis.fetch` for URL sources. */
  readonly fetch?: (url: string, init?: RequestInit) => Promise<Response>;
  /** Largest total size of the weights, in bytes of float32 values (default 1 GiB); larger files are refused before anything is read. */
  readonly maxBytes?: number;
}

/** Options of `model.save(destination, options)`. */
export interface SaveOptions {
  /** Replaces `globalThis.fetch` for `http(s)://` destinations. */
  readonly fetch?: (url: string, init?: RequestInit) => Promise<Response>;
}

export const DEFAULT_MAX_BYTES = 1 << 30;
export const FORMAT = 'layers-model';
