/**
 * Notebook helpers: what a chapter uses to show and check its work.
 *
 *   showTable, showHtml        tables and HTML in the notebook (plain text outside a kernel)
 *   lineChart, barChart, …     plotly charts that work offline
 *   TrainingProgress           a live progress display that updates in place
 *   timeMedian                 honest timings (warm-up, median of several runs)
 *   check                      the exercise check box
 *   expectRange, expectThat    "What you should see" checks: strict with the default knobs,
 *                              a warning box (and the notebook goes on) after a knob changed
 *   diagram                    the course's SVG diagrams
 *   attentionView              an interactive view of every head's attention
 *   attentionToKeys, wordLogProbs, headMaskWithout   probing and ablating a trained model's heads
 *   showFigure, weightsHeatmap readable ticks on log axes; heatmaps where large values stand out
 *   displayWidth, padDisplay   text width with Hangul counted as two columns
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
export { expectRange, expectThat, expectEqual, changedKnobs, ExpectationError } from "./notebook/expect";
export type { ExpectOptions, Knobs, Range, Outcome } from "./notebook/expect";
export { diagram, diagramSvg, diagramNames, courseMap, courseMapSvg, courseMapText, courseMapLines } from "./notebook/diagrams";
export type { CourseMapNumbers } from "./notebook/diagrams";
export { attentionView, attentionText } from "./notebook/attentionView";
export type { AttentionViewOptions } from "./notebook/attentionView";
export { attentionToKeys, probabilitiesOfNext, wordLogProbs, headMaskWithout, headNames, attentionMaps } from "./notebook/attentionProbe";
export type { KeyAttention } from "./notebook/attentionProbe";
export { showFigure, weightsHeatmap, tickLabel, decades, WEIGHT_COLORSCALE } from "./notebook/figures";
export type { FigureFixes } from "./notebook/figures";
export { displayWidth, padDisplay } from "./notebook/textWidth";
