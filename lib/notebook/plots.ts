/**
 * The course's plots: line charts (loss curves), heatmaps (attention), bars,
 * scatter plots, and a token view (text with each token coloured).
 *
 * Every helper builds a plotly figure and returns it as a `Figure`. Inside a
 * kernel it is also shown as ONE display bundle with three representations:
 *   - application/vnd.plotly.v1+json — JupyterLab/VS Code with a plotly renderer;
 *   - text/html — a <div> plus a small script; plotly.js is not in the output: the
 *     script loads it once per page from the Jupyter server (`npm start` serves the npm
 *     package's copy; never a CDN), so every plot draws after a reload or reopening;
 *   - text/plain — a one-line summary, for terminals and text-only front ends.
 * Outside a kernel (tests, scripts) the figure's summary is printed instead.
 */
import * as fs from "fs";
import { displayBundle, escapeHtml, inKernel, MimeBundle, newDisplayId, quietInKernel, showHtml } from "./display";

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
  /** One-line text description (the text/plain representation). */
  summary: string;
}

export interface AxisOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
  /** Don't display, only return the figure (default false). */
  silent?: boolean;
}

function plotlySource(): string {
  const file = require.resolve("plotly.js-dist-min/plotly.min.js");
  return fs.readFileSync(file, "utf8");
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Where a plot's loader looks for plotly.js (relative to the Jupyter server's base URL; exported for tests). */
export const PLOTLY_STATIC_PATH = "static/plotly.min.js";

/**
 * The tiny script every plot carries instead of plotly.js itself. When the page has no
 * `window.Plotly` yet (a new page on a running kernel, a reopened saved notebook, cleared
 * earlier outputs) it loads plotly.js ONCE per page, offline, from the Jupyter server that
 * serves the notebook — `npm start` serves the npm package's copy at <base>/static/plotly.min.js —
 * or from a `plotly.min.js` next to an exported HTML file. It finds the base URL the way
 * JupyterLab (the jupyter-config-data element) and Notebook 6 (body data-base-url) publish it.
 */
const PLOTLY_LOADER =
  `function(){var w=window;if(w.Plotly)return Promise.resolve();if(w.__tinyLlmPlotly)return w.__tinyLlmPlotly;` +
  `var base="/";try{var c=document.getElementById("jupyter-config-data");var b=document.body&&document.body.getAttribute("data-base-url");` +
  `if(c)base=JSON.parse(c.textContent).baseUrl||base;else if(b)base=b;}catch(e){}` +
  `var urls=[base.replace(/\\/?$/,"/")+${JSON.stringify(PLOTLY_STATIC_PATH)},"plotly.min.js"];` +
  `var p=new Promise(function(ok,no){(function next(i){if(w.Plotly)return ok();if(i>=urls.length)return no(new Error("plotly.js not found"));` +
  `fetch(urls[i],{credentials:"same-origin"}).then(function(r){if(!r.ok)throw new Error(String(r.status));return r.text();}).then(function(t){` +
  `if(t.indexOf("window.Plotly")<0)throw new Error("not plotly.js");(new Function("module","exports","define",t)).call(w);if(!w.Plotly)throw new Error("no Plotly");ok();` +
  `}).catch(function(){next(i+1);});})(0);});w.__tinyLlmPlotly=p;p.catch(function(){w.__tinyLlmPlotly=null;});return p;}`;

/**
 * The text/html representation of a figure (exported for tests): a <div> and a small script
 * that draws it, loading plotly.js first when the page lacks it (see PLOTLY_LOADER).
 * `includePlotly` inlines plotly.js itself (≈4.8 MB) for a file that must work with no server.
 */
export function figureHtml(fig: Figure, includePlotly = false): string {
  const id = "tiny-llm-plot-" + newDisplayId();
  const config = { responsive: true, displaylogo: false };
  const inline = includePlotly ? `<script type="text/javascript">${plotlySource()}</script>\n` : "";
  const height = (fig.layout.height as number | undefined) ?? 420;
  const failed =
    "Plot not drawn: plotly.js could not be loaded. Open the notebook through npm start (its Jupyter serves plotly.js), " +
    "or install the plotly JupyterLab extension (pip install plotly), then rerun this cell.";
  return (
    inline +
    `<div id="${id}" class="tiny-llm-plot" style="width:100%;height:${height}px"></div>\n` +
    `<script type="text/javascript">(function(){var id=${JSON.stringify(id)};` +
    `function draw(){var el=document.getElementById(id);if(el)window.Plotly.newPlot(el,${scriptJson(fig.data)},${scriptJson(fig.layout)},${scriptJson(config)});}` +
    `(${PLOTLY_LOADER})().then(draw,function(){var el=document.getElementById(id);if(el)el.textContent=${scriptJson(failed)};});})();</script>`
  );
}

/** The full mime bundle for a figure (exported for tests). */
export function figureBundle(fig: Figure, includePlotly = false): MimeBundle {
  return {
    "application/vnd.plotly.v1+json": { data: fig.data, layout: fig.layout, config: { responsive: true } },
    "text/html": figureHtml(fig, includePlotly),
    "text/plain": fig.summary,
  };
}

/** Display a figure (in a kernel) or print its summary (elsewhere). Returns the figure. */
export function show(fig: Figure): Figure {
  if (inKernel()) {
    displayBundle(figureBundle(fig));
  } else {
    console.log(fig.summary);
  }
  return quietInKernel(fig);
}

function baseLayout(opts: AxisOptions): Record<string, unknown> {
  return {
    title: opts.title ? { text: opts.title } : undefined,
    xaxis: { title: { text: opts.xLabel ?? "" }, type: opts.logX ? "log" : undefined },
    yaxis: { title: { text: opts.yLabel ?? "" }, type: opts.logY ? "log" : undefined },
    height: opts.height ?? 420,
    width: opts.width,
    margin: { t: opts.title ? 50 : 20, r: 20, b: 60, l: 70 },
  };
}

function finish(fig: Figure, opts: AxisOptions): Figure {
  return opts.silent ? fig : show(fig);
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
  return String(+v.toPrecision(4));
}

/** A bar label: 3 significant digits, with k / M / B for large counts (867k, 124M, 175B). */
export function shortNumber(v: number): string {
  const a = Math.abs(v);
  for (const [threshold, unit, suffix] of [[1e9, 1e9, "B"], [1e6, 1e6, "M"], [1e4, 1e3, "k"]] as const) {
    if (a >= threshold) return `${+(v / unit).toPrecision(3)}${suffix}`;
  }
  return Number.isInteger(v) ? String(v) : String(+v.toPrecision(3));
}

function checkFinite(name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== "number" || Number.isNaN(values[i])) {
      throw new Error(`${name}: value ${i} is ${values[i]} — pass numbers (did a loss become NaN?)`);
    }
  }
}

export interface LineSeries {
  name: string;
  x?: number[];
  y: number[];
  /** Draw the line dashed or dotted (e.g. a baseline beside measured curves). */
  dash?: "dash" | "dot";
}

/** One or more lines, e.g. train and validation loss against step. */
export function lineChart(series: LineSeries[], opts: AxisOptions = {}): Figure {
  if (series.length === 0) throw new Error("lineChart: give at least one series");
  const data = series.map((s) => {
    checkFinite(`lineChart series "${s.name}"`, s.y);
    if (s.x && s.x.length !== s.y.length) {
      throw new Error(`lineChart series "${s.name}": x has ${s.x.length} values but y has ${s.y.length}`);
    }
    return { type: "scatter", mode: "lines", name: s.name, x: s.x ?? s.y.map((_, i) => i), y: s.y, ...(s.dash ? { line: { dash: s.dash } } : {}) };
  });
  const parts = series.map((s) =>
    s.y.length ? `${s.name}: ${s.y.length} points, ${fmt(s.y[0])} → ${fmt(s.y[s.y.length - 1])}` : `${s.name}: empty`,
  );
  return finish({ data, layout: baseLayout(opts), summary: `Line chart${opts.title ? ` "${opts.title}"` : ""} — ${parts.join("; ")}` }, opts);
}

export interface HeatmapOptions extends AxisOptions {
  xLabels?: string[];
  yLabels?: string[];
  zmin?: number;
  zmax?: number;
  colorscale?: string;
  /** Write each value in its cell (default: when the grid is at most 16×16). */
  annotate?: boolean;
}

/** A labelled grid, e.g. attention weights: rows = queries, columns = keys. */
export function heatmap(z: number[][], opts: HeatmapOptions = {}): Figure {
  const rows = z.length;
  const cols = rows ? z[0].length : 0;
  z.forEach((row, i) => {
    if (row.length !== cols) throw new Error(`heatmap: row ${i} has ${row.length} values, row 0 has ${cols}`);
    checkFinite(`heatmap row ${i}`, row);
  });
  const xLabels = opts.xLabels ?? Array.from({ length: cols }, (_, i) => String(i));
  const yLabels = opts.yLabels ?? Array.from({ length: rows }, (_, i) => String(i));
  if (xLabels.length !== cols) throw new Error(`heatmap: ${xLabels.length} xLabels for ${cols} columns`);
  if (yLabels.length !== rows) throw new Error(`heatmap: ${yLabels.length} yLabels for ${rows} rows`);
  // Numeric axes with tick text, so repeated labels (two "the" tokens) stay separate columns.
  const xs = xLabels.map((_, i) => i);
  const ys = yLabels.map((_, i) => i);
  const annotate = opts.annotate ?? (rows <= 16 && cols <= 16);
  const trace: Record<string, unknown> = {
    type: "heatmap",
    z,
    x: xs,
    y: ys,
    zmin: opts.zmin,
    zmax: opts.zmax,
    colorscale: opts.colorscale ?? "Blues",
    hovertemplate: "%{customdata}<extra></extra>",
    customdata: z.map((row, i) => row.map((v, j) => `${yLabels[i]} → ${xLabels[j]}: ${fmt(v)}`)),
  };
  if (annotate) {
    trace.text = z.map((row) => row.map((v) => fmt(Math.round(v * 100) / 100)));
    trace.texttemplate = "%{text}";
  }
  const layout = baseLayout(opts);
  layout.xaxis = { ...(layout.xaxis as object), tickvals: xs, ticktext: xLabels, side: "bottom" };
  layout.yaxis = { ...(layout.yaxis as object), tickvals: ys, ticktext: yLabels, autorange: "reversed" };
  let max = -Infinity;
  let argmax = "";
  z.forEach((row, i) => row.forEach((v, j) => { if (v > max) { max = v; argmax = `${yLabels[i]} → ${xLabels[j]}`; } }));
  const summary = `Heatmap${opts.title ? ` "${opts.title}"` : ""} — ${rows}×${cols}${rows && cols ? `, largest ${fmt(max)} at ${argmax}` : ""}`;
  return finish({ data: [trace], layout, summary }, opts);
}

export interface BarGroup {
  name: string;
  labels: string[];
  values: number[];
}

/** Bars; several groups are drawn side by side (grouped bars). */
export function barChart(groups: BarGroup[], opts: AxisOptions = {}): Figure {
  if (groups.length === 0) throw new Error("barChart: give at least one group");
  const data = groups.map((g) => {
    if (g.labels.length !== g.values.length) {
      throw new Error(`barChart group "${g.name}": ${g.labels.length} labels but ${g.values.length} values`);
    }
    checkFinite(`barChart group "${g.name}"`, g.values);
    return { type: "bar", name: g.name, x: g.labels, y: g.values, text: g.values.map(shortNumber), textposition: "auto" };
  });
  const layout = { ...baseLayout(opts), barmode: "group", showlegend: groups.length > 1 };
  const summary =
    `Bar chart${opts.title ? ` "${opts.title}"` : ""} — ` +
    groups.map((g) => `${g.name}: ${g.labels.map((l, i) => `${l}=${fmt(g.values[i])}`).join(", ")}`).join("; ");
  return finish({ data, layout, summary }, opts);
}

export interface ScatterSeries {
  name: string;
  x: number[];
  y: number[];
  text?: string[];
}

/** Points, optionally labelled (e.g. token embeddings in 2-D). */
export function scatter(series: ScatterSeries[], opts: AxisOptions = {}): Figure {
  if (series.length === 0) throw new Error("scatter: give at least one series");
  const data = series.map((s) => {
    if (s.x.length !== s.y.length) throw new Error(`scatter series "${s.name}": ${s.x.length} x values but ${s.y.length} y values`);
    checkFinite(`scatter series "${s.name}" x`, s.x);
    checkFinite(`scatter series "${s.name}" y`, s.y);
    return {
      type: "scatter",
      mode: s.text ? "markers+text" : "markers",
      name: s.name,
      x: s.x,
      y: s.y,
      text: s.text,
      textposition: "top center",
    };
  });
  const summary = `Scatter${opts.title ? ` "${opts.title}"` : ""} — ` + series.map((s) => `${s.name}: ${s.x.length} points`).join("; ");
  return finish({ data, layout: baseLayout(opts), summary }, opts);
}

const TOKEN_COLORS = ["#fde68a", "#bfdbfe", "#bbf7d0", "#fecaca", "#ddd6fe", "#fed7aa", "#a5f3fc", "#f5d0fe"];

export interface TokenViewOptions {
  ids?: number[];
  title?: string;
  silent?: boolean;
}

export interface TokenView {
  html: string;
  summary: string;
}

/**
 * Text with each token on its own coloured background (hover shows the id).
 * Spaces are kept; newlines show as ↵. This is HTML, not a plotly chart.
 */
export function tokenView(tokens: string[], opts: TokenViewOptions = {}): TokenView {
  if (opts.ids && opts.ids.length !== tokens.length) {
    throw new Error(`tokenView: ${tokens.length} tokens but ${opts.ids.length} ids`);
  }
  const spans = tokens
    .map((t, i) => {
      const shown = escapeHtml(t.replace(/\n/g, "↵\n"));
      const tip = opts.ids ? ` title="id ${opts.ids[i]}"` : "";
      return `<span${tip} style="background:${TOKEN_COLORS[i % TOKEN_COLORS.length]};border-radius:3px;padding:1px 0;margin-right:1px">${shown}</span>`;
    })
    .join("");
  const title = opts.title ? `<div style="font-weight:bold;margin-bottom:4px">${escapeHtml(opts.title)}</div>` : "";
  const html = `<div style="font-family:monospace;white-space:pre-wrap;line-height:1.9">${title}${spans}</div>`;
  const summary =
    (opts.title ? opts.title + ": " : "") +
    `${tokens.length} tokens: ` +
    tokens.map((t) => JSON.stringify(t)).join(" ") +
    (opts.ids ? `\nids: [${opts.ids.join(", ")}]` : "");
  const view = quietInKernel({ html, summary });
  if (!opts.silent) showHtml(html, summary);
  return view;
}
