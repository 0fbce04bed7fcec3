/**
 * Notebook helpers: what a chapter uses to show and check its work.
 *
 *   showTable, showHtml        tables and HTML in the notebook (plain text outside a kernel)
 *   lineChart, barChart, …     plotly charts that work offline
 *   TrainingProgress           a live progress display that updates in place
 *   timeMedian                 honest timings (warm-up, median of several runs)
 *   check                      the exercise check box
 *
 * Notebooks: `import { check, lineChart, showTable } from "./lib/notebook";`
 */
export { showHtml, showTable, formatTable, escapeHtml, displayBundle, inKernel, newDisplayId, quietInKernel } from "./notebook/display";
export type { MimeBundle, DisplayOptions } from "./notebook/display";
export { lineChart, heatmap, barChart, scatter, tokenView, show, figureBundle, figureHtml, shortNumber } from "./notebook/plots";
export type { Figure, AxisOptions, LineSeries, HeatmapOptions, BarGroup, ScatterSeries, TokenView, TokenViewOptions } from "./notebook/plots";
export { TrainingProgress, lossCurveSvg } from "./notebook/progress";
export type { ProgressOptions, ProgressPoint } from "./notebook/progress";
export { timeMedian, median } from "./notebook/timing";
export type { TimeOptions, Timing } from "./notebook/timing";
export { check } from "./exercises/check";
export type { CheckOptions } from "./exercises/check";
export type { CheckResult } from "./exercises/types";
