/**
 * 2-D max / average pooling on the CPU (the reference of shaders/pool.wgsl). The forward loops
 * over output cells; the backward scatters each window's gradient (the GPU gathers instead, so
 * the two are independent implementations).
 */
import type { PoolParams } from '../backend.js';
import { alloc, type Arr } from './arrays.js';

/** Offset of (b, c, h, w) in a [b, h, w, c] (or [b, c, h, w] when channelsFirst) array of extent hN x wN. */
function offset(p: PoolParams, b: number, c: number, h: number, w: number, hN: number, wN: number): number {
  return p.channelsFirst ? ((b * p.channels + c) * hN + h) * wN + w : ((b * hN + h) * wN + w) * p.channels + c;
}

/** Calls `visit(b, c, oy, ox, outOffset)` for every output cell. */
function forEachOutput(p: PoolParams, visit: (b: number, c: number, oy: number, ox: number, o: number) => void): void {
  for (let b = 0; b < p.batch; b++) {
    for (let c = 0; c < p.channels; c++) {
      for (let oy = 0; oy < p.outH; oy++) {
        for (let ox = 0; ox < p.outW; ox++) visit(b, c, oy, ox, offset(p, b, c, oy, ox, p.outH, p.outW));
      }
    }
  }
}

/** The valid input cells of window (oy, ox), as [offset] in row-major window order. */
function windowCells(p: PoolParams, b: number, c: number, oy: number, ox: number): number[] {
  const cells: number[] = [];
  const h0 = oy * p.strideH - p.padTop;
  const w0 = ox * p.strideW - p.padLeft;
  for (let h = Math.max(h0, 0); h < Math.min(h0 + p.poolH, p.inH); h++) {
    for (let w = Math.max(w0, 0); w < Math.min(w0 + p.poolW, p.inW); w++) cells.push(offset(p, b, c, h, w, p.inH, p.inW));
  }
  return cells;
}

/** Offset of the window's first largest cell (strict `>`), or -1 when none beats -Infinity. */
function argMaxCell(x: Arr, cells: readonly number[]): number {
  let best = -Infinity;
  let at = -1;
  for (const i of cells) {
    if (x[i] > best) {
      best = x[i];
      at = i;
    }
  }
  return at;
}

export function pool(x: Arr, p: PoolParams): Arr {
  const out = alloc(x, p.batch * p.channels * p.outH * p.outW, 'pool');
  forEachOutput(p, (b, c, oy, ox, o) => {
    const cells = windowCells(p, b, c, oy, ox);
    if (p.mode === 'max') {
      const at = argMaxCell(x, cells);
      out[o] = at < 0 ? -Infinity : x[at];
    } else {
      let s = 0;
      for (const i of cells) s += x[i];
      out[o] = s / cells.length;
    }
  });
  return out;
}

export function poolGrad(dy: Arr, x: Arr, p: PoolParams): Arr {
  const dx = alloc(x, x.length, 'poolGrad');
  forEachOutput(p, (b, c, oy, ox, o) => {
    const cells = windowCells(p, b, c, oy, ox);
    if (p.mode === 'max') {
      const at = argMaxCell(x, cells);
      if (at >= 0) dx[at] += dy[o];
    } else {
      for (const i of cells) dx[i] += dy[o] / cells.length;
    }
  });
  return dx;
}
