/** Images the user picks for the fine-tuning section, resized on a canvas to the input size. */

export interface OwnImages {
  /** n * size * size * 3 values in [0, 1], NHWC. */
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
  readonly size: number;
}

async function pixels(file: File, size: number): Promise<Float32Array> {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('demo: no 2D canvas context');
  ctx.drawImage(bitmap, 0, 0, size, size);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const out = new Float32Array(size * size * 3);
  for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = rgba[p * 4 + c] / 255;
  return out;
}

/**
 * `files` as training images of class `label`, appended to `previous` when it has the same size
 * (a new size starts over).
 */
export async function ownImages(files: FileList | null, label: number, size: number, previous: OwnImages | null): Promise<OwnImages> {
  const keep = previous && previous.size === size ? previous : null;
  const xs: Float32Array[] = keep ? [keep.x] : [];
  const ys: number[] = keep ? Array.from(keep.y) : [];
  for (const f of Array.from(files ?? [])) {
    xs.push(await pixels(f, size));
    ys.push(label);
  }
  const x = new Float32Array(ys.length * size * size * 3);
  let at = 0;
  for (const part of xs) {
    x.set(part, at);
    at += part.length;
  }
  return { x, y: Float32Array.from(ys), n: ys.length, size };
}
