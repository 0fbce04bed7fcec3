/**
 * Readability fixes for plotly figures made by ./plots (build them with `silent: true`,
 * adjust, then show):
 *
 *   showFigure(lineChart(series, { logX: true, silent: true }), { xTicks: lengths })
 *       ticks exactly at the measured x values (a log axis otherwise labels its minor
 *       ticks "2 3 4 … 1000 2 3", which read as values)
 *   showFigure(heatmap(z, { silent: true }), { xEvery: 16 })   label every 16th column only
 *   weightsHeatmap(z, opts)   a heatmap for weights in [0, 1]: white → dark blue, so the eye
 *                             goes to the LARGE values, with the value written in each cell
 */
import { heatmap, show, Figure, HeatmapOptions } from "./plots";

/** A sequential scale: 0 = white, 1 = dark blue (readable on light pages; the plot carries its own white background). */
export const WEIGHT_COLORSCALE: Array<[number, string]> = [
  [0, "#ffffff"],
  [0.1, "#deebf7"],
  [0.3, "#9ecae1"],
  [0.6, "#4292c6"],
  [0.8, "#2171b5"],
  [1, "#08306b"],
];

/** A tick label: 16, 1,024, 1k… no minor ticks. */
export function tickLabel(v: number): string {
  if (Math.abs(v) >= 1e9) return `${+(v / 1e9).toPrecision(3)}B`;
  if (Math.abs(v) >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (Math.abs(v) >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return Number.isInteger(v) ? v.toLocaleString("en-US") : String(+v.toPrecision(3));
}

/** Powers of ten from below `min` to above `max` (tick values for a log axis spanning many decades). */
export function decades(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
  return out;
}

export interface FigureFixes {
  /** Tick values on the x (or y) axis, e.g. the measured lengths; labelled with tickLabel. */
  xTicks?: number[];
  yTicks?: number[];
  /** Label only every n-th category of a heatmap axis. */
  xEvery?: number;
  yEvery?: number;
  /** Don't display, only return the figure. */
  silent?: boolean;
}

function axis(layout: Record<string, unknown>, name: "xaxis" | "yaxis"): Record<string, unknown> {
  const a = (layout[name] as Record<string, unknown> | undefined) ?? {};
  layout[name] = a;
  return a;
}

function every(a: Record<string, unknown>, n: number): void {
  const vals = (a.tickvals as number[] | undefined) ?? [];
  const text = (a.ticktext as string[] | undefined) ?? vals.map(String);
  a.tickvals = vals.filter((_, i) => i % n === 0);
  a.ticktext = text.filter((_, i) => i % n === 0);
}

/** Apply the fixes and show the figure (unless silent). */
export function showFigure(fig: Figure, fixes: FigureFixes): Figure {
  if (fixes.xTicks) Object.assign(axis(fig.layout, "xaxis"), { tickvals: fixes.xTicks, ticktext: fixes.xTicks.map(tickLabel), minor: { showgrid: false } });
  if (fixes.yTicks) Object.assign(axis(fig.layout, "yaxis"), { tickvals: fixes.yTicks, ticktext: fixes.yTicks.map(tickLabel), minor: { showgrid: false } });
  if (fixes.xEvery) every(axis(fig.layout, "xaxis"), fixes.xEvery);
  if (fixes.yEvery) every(axis(fig.layout, "yaxis"), fixes.yEvery);
  return fixes.silent ? fig : show(fig);
}

/** A heatmap of weights in [0, 1] (attention, masks): large values dark, values written in the cells. */
export function weightsHeatmap(z: number[][], opts: HeatmapOptions = {}): Figure {
  const fig = heatmap(z, { zmin: 0, zmax: 1, ...opts, silent: true });
  const trace = fig.data[0];
  trace.colorscale = WEIGHT_COLORSCALE;
  trace.textfont = { size: 12 };
  trace.xgap = 1;
  trace.ygap = 1;
  return opts.silent ? fig : show(fig);
}
