/**
 * Live training progress: a bar, the step, the loss, elapsed/remaining time and
 * a small loss curve, all in ONE output that is updated in place (so a long run
 * does not flood the notebook). Outside a kernel it prints a plain line every
 * tenth of the run instead.
 *
 *   const progress = new TrainingProgress({ totalSteps: 500, title: "pre-training" });
 *   for (…) { …; await progress.update({ step, loss }); }
 *   progress.finish();
 */
import { displayBundle, escapeHtml, inKernel, newDisplayId } from "./display";

export interface ProgressOptions {
  totalSteps: number;
  title?: string;
  /** Minimum milliseconds between redraws in a kernel (default 400). */
  redrawMs?: number;
  /** Outside a kernel: print every N steps (default: a tenth of the run). */
  printEvery?: number;
  /** Force plain-text mode even in a kernel (default false). */
  plain?: boolean;
  /** Tokens per step: shows the speed in tokens/s. */
  tokensPerStep?: number;
  /** Also show the perplexity e^loss of the train and validation loss (default false). */
  perplexity?: boolean;
}

export interface ProgressPoint {
  step: number;
  loss: number;
  valLoss?: number;
  lr?: number;
  /** Training time so far (the loop's StepInfo has it; it leaves out checkpoint pauses). */
  elapsedMs?: number;
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

function fmtLoss(v: number | undefined): string {
  return v === undefined ? "–" : Number.isFinite(v) ? v.toFixed(4) : String(v);
}

function fmtPpl(loss: number): string {
  const p = Math.exp(loss);
  return Number.isFinite(p) ? (p < 100 ? p.toFixed(1) : Math.round(p).toLocaleString("en-US")) : String(p);
}

function fmtRate(v: number): string {
  return !Number.isFinite(v) ? "?" : v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0);
}

/** A polyline SVG of train (and validation) loss. */
export function lossCurveSvg(points: ProgressPoint[], width = 360, height = 120): string {
  const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);
  // At most ~300 training points are drawn (every validation point is kept), so a long
  // run's redraw stays small and fast.
  const stride = Math.max(1, Math.ceil(points.length / 300));
  points = points.filter((p, i) => i % stride === 0 || i === points.length - 1 || p.valLoss !== undefined);
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    for (const v of [p.loss, p.valLoss]) {
      if (finite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  if (points.length < 2 || lo > hi) return "";
  const span = hi - lo || 1;
  const x0 = points[0].step;
  const x1 = points[points.length - 1].step;
  const sx = (s: number) => 30 + ((s - x0) / (x1 - x0 || 1)) * (width - 40);
  const sy = (v: number) => 8 + (1 - (v - lo) / span) * (height - 24);
  const line = (pick: (p: ProgressPoint) => number | undefined, colour: string) => {
    const pts = points.filter((p) => finite(pick(p))).map((p) => `${sx(p.step).toFixed(1)},${sy(pick(p) as number).toFixed(1)}`);
    return pts.length > 1 ? `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${pts.join(" ")}"/>` : "";
  };
  return (
    `<svg width="${width}" height="${height}" style="background:#fafafa;border:1px solid #ddd">` +
    `<text x="2" y="12" font-size="10">${hi.toFixed(2)}</text><text x="2" y="${height - 12}" font-size="10">${lo.toFixed(2)}</text>` +
    line((p) => p.loss, "#2563eb") +
    line((p) => p.valLoss, "#ea580c") +
    `<text x="${width - 120}" y="${height - 3}" font-size="10" fill="#2563eb">train</text>` +
    `<text x="${width - 80}" y="${height - 3}" font-size="10" fill="#ea580c">validation</text></svg>`
  );
}

export class TrainingProgress {
  readonly history: ProgressPoint[] = [];
  private readonly id = newDisplayId();
  private readonly start = Date.now();
  private lastDraw = 0;
  private shown = false;
  private finished = false;
  private readonly live: boolean;
  private readonly printEvery: number;

  constructor(private readonly options: ProgressOptions) {
    if (!(options.totalSteps > 0)) throw new Error(`TrainingProgress: totalSteps must be positive, got ${options.totalSteps}`);
    this.live = !options.plain && inKernel();
    this.printEvery = Math.max(1, options.printEvery ?? Math.round(options.totalSteps / 10));
  }

  /** The one-line status, e.g. "step 120/500 (24%) · loss 2.3100 · 12.3 s elapsed · ~38.9 s left". */
  statusLine(): string {
    const last = this.history[this.history.length - 1];
    if (!last) return `${this.options.title ?? "training"}: starting`;
    const elapsed = Date.now() - this.start;
    const done = Math.min(last.step, this.options.totalSteps);
    const remaining = done > 0 ? (elapsed / done) * (this.options.totalSteps - done) : NaN;
    const lastVal = [...this.history].reverse().find((p) => p.valLoss !== undefined)?.valLoss;
    return (
      `${this.options.title ? this.options.title + ": " : ""}step ${done}/${this.options.totalSteps} ` +
      `(${Math.round((100 * done) / this.options.totalSteps)}%) · loss ${fmtLoss(last.loss)}` +
      (lastVal !== undefined ? ` · val ${fmtLoss(lastVal)}` : "") +
      (this.options.perplexity ? ` · perplexity ${fmtPpl(last.loss)}${lastVal !== undefined ? ` (val ${fmtPpl(lastVal)})` : ""}` : "") +
      (this.options.tokensPerStep ? ` · ${fmtRate((done * this.options.tokensPerStep * 1000) / (last.elapsedMs ?? elapsed))} tokens/s` : "") +
      (last.lr !== undefined ? ` · lr ${last.lr.toExponential(2)}` : "") +
      ` · ${formatSeconds(elapsed)} elapsed` +
      (this.finished ? "" : ` · ~${formatSeconds(remaining)} left`)
    );
  }

  private html(): string {
    const last = this.history[this.history.length - 1];
    const frac = last ? Math.min(1, last.step / this.options.totalSteps) : 0;
    return (
      `<div style="font-family:sans-serif;font-size:13px">` +
      `<div style="width:360px;height:10px;background:#e5e7eb;border-radius:5px;overflow:hidden">` +
      `<div style="width:${(frac * 100).toFixed(1)}%;height:100%;background:${this.finished ? "#16a34a" : "#2563eb"}"></div></div>` +
      `<div style="margin:4px 0">${escapeHtml(this.statusLine())}</div>` +
      lossCurveSvg(this.history) +
      `</div>`
    );
  }

  private draw(): void {
    displayBundle({ "text/html": this.html(), "text/plain": this.statusLine() }, { id: this.id, update: this.shown });
    this.shown = true;
    this.lastDraw = Date.now();
  }

  /**
   * Record one step. In a kernel, redraws at most every `redrawMs` and then
   * yields to the event loop so the front end receives the update — so `await` it.
   */
  async update(point: ProgressPoint): Promise<void> {
    this.history.push(point);
    const isLast = point.step >= this.options.totalSteps;
    if (this.live) {
      if (!this.shown || isLast || Date.now() - this.lastDraw >= (this.options.redrawMs ?? 400)) {
        this.draw();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } else if (point.step % this.printEvery === 0 || point.step === 1 || isLast) {
      console.log(this.statusLine());
    }
  }

  /** Mark the run as done and draw the final state. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.live) this.draw();
    else console.log(this.statusLine() + " · done");
  }
}
