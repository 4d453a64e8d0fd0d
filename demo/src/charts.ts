/** The page's plots, on uPlot: a per-step + per-epoch metric chart and the BN statistics charts. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const HEIGHT = 220;
const CHANNEL_COLORS = ['#2d5fd3', '#d3572d', '#2b9a5a'];

function width(el: HTMLElement): number {
  return Math.max(240, Math.floor(el.clientWidth));
}

function make(el: HTMLElement, opts: Omit<uPlot.Options, 'width' | 'height'>, data: uPlot.AlignedData): uPlot {
  el.replaceChildren();
  const plot = new uPlot({ ...opts, width: width(el), height: HEIGHT }, data, el);
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
    this.#plot.setData([this.#x, this.#step, this.#train, this.#val]);
  }
}

/** Moving statistics (solid) against batch statistics (dotted) of a few channels, per step. */
export class StatsChart {
  readonly #x: number[] = [];
  readonly #cols: (number | null)[][];
  readonly #plot: uPlot;

  constructor(el: HTMLElement, what: 'mean' | 'variance', channels: number) {
    const series: uPlot.Series[] = [{ label: 'step' }];
    for (let c = 0; c < channels; c++) {
      const stroke = CHANNEL_COLORS[c % CHANNEL_COLORS.length];
      series.push({ label: `ch${c} moving ${what}`, stroke, width: 2 });
      series.push({ label: `ch${c} batch ${what}`, stroke, width: 1, dash: [4, 4] });
    }
    this.#cols = series.slice(1).map(() => []);
    this.#plot = make(el, {
      scales: { x: { time: false } },
      axes: [{ label: 'training step' }, { label: what, size: 55 }],
      series,
    }, [[], ...this.#cols]);
  }

  /** `moving[c]` and `batch[c]` for each plotted channel; `batch` null when not measured. */
  add(step: number, moving: readonly number[], batch: readonly number[] | null): void {
    this.#x.push(step);
    moving.forEach((m, c) => {
      this.#cols[2 * c].push(m);
      this.#cols[2 * c + 1].push(batch ? batch[c] : null);
    });
    this.#plot.setData([this.#x, ...this.#cols]);
  }
}
