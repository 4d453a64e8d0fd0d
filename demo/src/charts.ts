/** The page's plots, on uPlot: a per-step + per-epoch metric chart and the BN statistics charts. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const HEIGHT = 220;
const CHANNEL_COLORS = ['#2d5fd3', '#d3572d', '#2b9a5a'];

function width(el: HTMLElement): number {
  return Math.max(240, Math.floor(el.clientWidth));
}

/** The last non-null value of a series, for the legend when the cursor is not over the plot. */
function lastOf(values: readonly (number | null | undefined)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

/**
 * Legend values: the hovered point's, else the series' latest (uPlot shows "--" there), so the
 * legend reads as a live readout without hovering.
 */
function latestValue(u: uPlot, raw: number | null, sidx: number, idx: number | null): string {
  const v = idx === null ? lastOf(u.data[sidx] as (number | null)[]) : raw;
  return v === null || !Number.isFinite(v) ? '–' : Number(v.toPrecision(4)).toString();
}

/** Sets data, then refreshes the legend (uPlot only does on cursor moves) to the hovered or latest values. */
function show(plot: uPlot, data: uPlot.AlignedData): void {
  plot.setData(data);
  // uPlot's types say idx?: number; at run time null means "no point", which latestValue() turns into the latest.
  plot.setLegend({ idx: (plot.cursor.idx ?? null) as number });
}

function make(el: HTMLElement, opts: Omit<uPlot.Options, 'width' | 'height'>, data: uPlot.AlignedData): uPlot {
  el.replaceChildren();
  const series = opts.series.map((s) => ({ value: latestValue, ...s }));
  const plot = new uPlot({ ...opts, series, width: width(el), height: HEIGHT }, data, el);
  new ResizeObserver(() => plot.setSize({ width: width(el), height: HEIGHT })).observe(el);
  return plot;
}

/**
 * A metric over training: x in epochs (fractional per step), a thin per-step series, and per-epoch
 * train and validation points (null between epoch ends).
 */
export class MetricChart {
  readonly #x: number[] = [];
  readonly #step: (number | null)[] = [];
  readonly #train: (number | null)[] = [];
  readonly #val: (number | null)[] = [];
  readonly #plot: uPlot;

  constructor(el: HTMLElement, name: string) {
    const epochPoint = (label: string, stroke: string): uPlot.Series =>
      ({ label, stroke, width: 2, spanGaps: true, points: { show: true, size: 7, fill: stroke } });
    this.#plot = make(el, {
      scales: { x: { time: false } },
      axes: [{ label: 'epoch' }, { label: name, size: 55 }],
      series: [
        { label: 'epoch' },
        { label: `${name} (step)`, stroke: '#9aa7b5', width: 1 },
        epochPoint(`${name} (train, epoch)`, '#2d5fd3'),
        epochPoint(`${name} (validation, epoch)`, '#d3572d'),
      ],
    }, [[], [], [], []]);
  }

  addStep(x: number, value: number | null): void {
    this.#x.push(x);
    this.#step.push(value);
    this.#train.push(null);
    this.#val.push(null);
    this.#redraw();
  }

  /** Puts the epoch's values on the last step (x = epoch + 1). */
  setEpoch(train: number | null, val: number | null): void {
    const i = this.#x.length - 1;
    if (i < 0) return;
    this.#train[i] = train;
    this.#val[i] = val;
    this.#redraw();
  }

  #redraw(): void {
    show(this.#plot, [this.#x, this.#step, this.#train, this.#val]);
  }
}

/** A vertical line at a training step where BN's `trainable` changed. */
interface Marker { readonly step: number; readonly kind: 'frozen' | 'trainable' }

/**
 * Moving statistics (solid) against batch statistics (dotted) of a few channels, per step, with a
 * marker at every step where BN was frozen (red) or made trainable again (green).
 */
export class StatsChart {
  readonly #x: number[] = [];
  readonly #cols: (number | null)[][];
  readonly #plot: uPlot;
  readonly #markers: Marker[] = [];
  readonly #el: HTMLElement;

  constructor(el: HTMLElement, what: 'mean' | 'variance', channels: number) {
    const series: uPlot.Series[] = [{ label: 'step' }];
    for (let c = 0; c < channels; c++) {
      const stroke = CHANNEL_COLORS[c % CHANNEL_COLORS.length];
      series.push({ label: `ch${c} moving`, stroke, width: 2 });
      series.push({ label: `ch${c} batch`, stroke, width: 1, dash: [4, 4] });
    }
    this.#cols = series.slice(1).map(() => []);
    this.#el = el;
    this.#plot = make(el, {
      scales: { x: { time: false } },
      axes: [{ label: 'training step' }, { label: what, size: 55 }],
      series,
      hooks: { draw: [(u) => this.#drawMarkers(u)] },
    }, [[], ...this.#cols]);
  }

  /** Draws a marker at `step` (the first step run with the new setting). */
  mark(step: number, kind: Marker['kind']): void {
    this.#markers.push({ step, kind });
    this.#el.dataset.markers = JSON.stringify(this.#markers);
    this.#plot.redraw(false);
  }

  #drawMarkers(u: uPlot): void {
    const ctx = u.ctx;
    ctx.save();
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
    for (const m of this.#markers) {
      const x = u.valToPos(m.step, 'x', true);
      ctx.strokeStyle = m.kind === 'frozen' ? '#c0392b' : '#2b9a5a';
      ctx.fillStyle = ctx.strokeStyle;
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillText(m.kind, x + 3 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
    }
    ctx.restore();
  }

  /** `moving[c]` and `batch[c]` for each plotted channel; `batch` null when not measured. */
  add(step: number, moving: readonly number[], batch: readonly number[] | null): void {
    this.#x.push(step);
    moving.forEach((m, c) => {
      this.#cols[2 * c].push(m);
      this.#cols[2 * c + 1].push(batch ? batch[c] : null);
    });
    show(this.#plot, [this.#x, ...this.#cols]);
  }
}
