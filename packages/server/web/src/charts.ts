import uPlot from 'uplot';
import { h } from './dom.js';
import type { Child } from './dom.js';

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/** One plotted series. */
export interface SeriesSpec {
  label: string;
  color: string;
  fill?: boolean;
  unit?: string;
}

/** Options of a time chart. */
export interface TimeChartOptions {
  /** Unix seconds. */
  x: number[];
  ys: number[][];
  series: SeriesSpec[];
  /** Draw bars instead of lines. @default false */
  bars?: boolean;
  /** @default 220 */
  height?: number;
  /** Formats y-axis values. @default compact numbers */
  yFormat?: (v: number) => string;
  /** Formats the legend's value under the cursor. @default yFormat, else the number */
  valueFormat?: (v: number) => string;
}

/** The palette's colour by CSS variable name, so charts follow light and dark themes. */
export function cssColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#4f6bed';
}

function withAlpha(color: string, alpha: string): string {
  return /^#[0-9a-f]{6}$/i.test(color) ? `${color}${alpha}` : color;
}

/** Converts an API timestamp (ISO string or ms) to Unix seconds for uPlot. */
export function toSeconds(ts: string | number): number {
  return (typeof ts === 'number' ? ts : Date.parse(ts)) / 1000;
}

/** A uPlot time chart that resizes with its container; the container holds a legend and the plot. */
export function timeChart(opts: TimeChartOptions): HTMLElement {
  const box = h('div', { class: 'chart', role: 'img', 'aria-label': opts.series.map((s) => s.label).join(', ') });
  const axisColor = cssColor('--muted');
  const gridColor = cssColor('--grid');
  const barsPath = uPlot.paths.bars?.({ size: [0.8, 40] });
  const config: uPlot.Options = {
    width: 600,
    height: opts.height ?? 220,
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: true } },
    axes: [
      { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } },
      {
        stroke: axisColor,
        grid: { stroke: gridColor, width: 1 },
        ticks: { show: false },
        // Wide enough for the longest tick label, so large amounts are never clipped.
        size: (_u, values) => (values ? Math.max(40, Math.max(...values.map((v) => v.length)) * 7 + 18) : 40),
        values: (_u, vals) => vals.map((v) => (opts.yFormat ? opts.yFormat(v) : compact.format(v))),
      },
    ],
    series: [
      {},
      ...opts.series.map((s): uPlot.Series => ({
        label: s.label,
        stroke: s.color,
        width: opts.bars ? 0 : 2,
        fill: opts.bars ? withAlpha(s.color, 'cc') : s.fill ? withAlpha(s.color, '22') : undefined,
        paths: opts.bars ? barsPath : undefined,
        points: { show: false },
        value: (_u, v) => (v === null ? '—' : (opts.valueFormat ?? opts.yFormat ?? String)(v)),
      })),
    ],
  };
  const data = [opts.x, ...opts.ys] as uPlot.AlignedData;
  let plot: uPlot | null = null;
  // uPlot needs a measured width, so create it once the box is in the page and follow its size after.
  const ro = new ResizeObserver(() => {
    const width = Math.max(240, Math.floor(box.clientWidth));
    if (!box.isConnected) {
      ro.disconnect();
      plot?.destroy();
      return;
    }
    if (!plot) plot = new uPlot({ ...config, width }, data, box);
    else if (plot.width !== width) plot.setSize({ width, height: config.height });
  });
  ro.observe(box);
  return box;
}

/** One row of a bar list. */
export interface BarItem {
  label: string;
  value: number;
  display?: string;
  hint?: string;
  onClick?: () => void;
}

/** A horizontal bar list for categorical data (HTML, so it stays readable, selectable and keyboard reachable). */
export function barList(items: BarItem[], opts: { tone?: string; label?: string } = {}): HTMLElement {
  const max = Math.max(1, ...items.map((i) => i.value));
  return h(
    'ul',
    { class: `bars ${opts.tone ?? ''}`, 'aria-label': opts.label ?? null },
    items.map((item) => {
      const fill = h('span', { class: 'bar-fill' });
      // CSSOM writes are allowed by the style-src 'self' policy, unlike style attributes.
      fill.style.width = `${Math.max(1, (item.value / max) * 100)}%`;
      const content: Child[] = [
        h('span', { class: 'bar-label', title: item.label }, item.label),
        h('span', { class: 'bar-value' }, item.display ?? String(item.value)),
        h('span', { class: 'bar-track' }, fill),
      ];
      return h(
        'li',
        null,
        item.onClick
          ? h('button', { type: 'button', class: 'bar-row', title: item.hint ?? null, onClick: item.onClick }, content)
          : h('div', { class: 'bar-row' }, content),
      );
    }),
  );
}

/** A compact column chart for a numeric distribution (HTML columns; each has its count as a tooltip and label). */
export function columns(
  items: { label: string; value: number }[],
  opts: { tone?: string; label?: string } = {},
): HTMLElement {
  const max = Math.max(1, ...items.map((i) => i.value));
  return h(
    'ol',
    { class: `columns ${opts.tone ?? ''}`, 'aria-label': opts.label ?? null },
    items.map((item) => {
      const bar = h('span', { class: 'col-bar' });
      bar.style.height = `${item.value === 0 ? 0 : Math.max(3, (item.value / max) * 100)}%`;
      return h(
        'li',
        { title: `${item.label}: ${item.value}` },
        h('span', { class: 'col-value' }, String(item.value)),
        h('span', { class: 'col-track' }, bar),
        h('span', { class: 'col-label' }, item.label),
      );
    }),
  );
}
