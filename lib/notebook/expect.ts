/**
 * Expected-range checks for a chapter's measurements ("What you should see").
 *
 *   expectRange("final validation loss", finalVal, { min: 1.8, max: 2.6 }, {
 *     knobs, defaults: { steps: 400, nHeads: 4 },
 *     hint: "fewer steps or a smaller model leave the loss higher",
 *   });
 *
 * - Inside the range: one line, "✔ final validation loss = 2.21 (expected 1.8 – 2.6)", so
 *   every number the prose cites is printed by the notebook next to its range.
 * - Outside the range with the DEFAULT knobs: an error (Run All stops there, and the
 *   course's tests catch the regression).
 * - Outside the range after the learner CHANGED a knob: an amber box — what was
 *   expected, what came out, which knobs differ from the defaults, the likely reason —
 *   and the notebook goes on. The result's `ok` is false, so later cells can adapt.
 *
 * `defaults` are the knob values the range was measured with. Only the keys listed
 * there are compared, so one knobs object can hold more settings than a check uses.
 */
import { escapeHtml, quietInKernel, showHtml } from "./display";

export type Knobs = Record<string, unknown>;

export interface ExpectOptions {
  /** The knobs as the learner has them now (several objects are merged). */
  knobs?: Knobs | Knobs[];
  /** The knob values the expected range holds for. Omit for checks that hold for every setting. */
  defaults?: Knobs;
  /** The likely reason the value can leave the range when knobs change. */
  hint?: string;
  /** Digits after the point when printing (default: 3 significant digits). */
  digits?: number;
  /** Units appended to numbers, e.g. " ms" or "×". */
  unit?: string;
  /** Print nothing when the check passes (default false). */
  quiet?: boolean;
}

/** What a check returns: `ok` is whether the value was as expected (shows nothing when it is a cell's last value). */
export interface Outcome {
  ok: boolean;
}

function outcome(ok: boolean): Outcome {
  return quietInKernel({ ok });
}

export interface Range {
  min?: number;
  max?: number;
}

/** Knobs whose value differs from its default: "steps 400 → 150". */
export function changedKnobs(knobs: Knobs | Knobs[] | undefined, defaults: Knobs | undefined): string[] {
  if (!defaults) return [];
  const merged: Knobs = Object.assign({}, ...(Array.isArray(knobs) ? knobs : knobs ? [knobs] : []));
  const out: string[] = [];
  for (const key of Object.keys(defaults)) {
    // A function knob (e.g. a labelling rule) is changed when it is another function.
    if (typeof defaults[key] === "function" || typeof merged[key] === "function") {
      if (defaults[key] !== merged[key]) out.push(`${key}: another function`);
      continue;
    }
    const a = JSON.stringify(defaults[key]);
    const b = JSON.stringify(merged[key]);
    if (a !== b) out.push(`${key} ${a} → ${b === undefined ? "(missing)" : b}`);
  }
  return out;
}

function num(v: number, opts: ExpectOptions): string {
  if (!Number.isFinite(v)) return String(v);
  const s = opts.digits !== undefined ? v.toFixed(opts.digits) : Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en-US") : String(+v.toPrecision(3));
  return s + (opts.unit ?? "");
}

/** "1.8 – 2.6", "≥ 1.5", "≤ 3.47". */
export function rangeText(range: Range, opts: ExpectOptions = {}): string {
  const { min, max } = range;
  if (min !== undefined && max !== undefined) return `${num(min, opts)} – ${num(max, opts)}`;
  if (min !== undefined) return `≥ ${num(min, opts)}`;
  if (max !== undefined) return `≤ ${num(max, opts)}`;
  return "any value";
}

/** Thrown when a check fails under the default knobs. */
export class ExpectationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExpectationError";
  }
}

/**
 * The general form: `ok` says whether the measurement is as expected; `expected` and
 * `got` are the texts shown. Returns `ok`. Throws when it fails under the default knobs.
 */
export function expectThat(what: string, ok: boolean, expected: string, got: string, opts: ExpectOptions = {}): Outcome {
  if (ok) {
    if (!opts.quiet) {
      const text = `✔ ${what}: ${got} (expected ${expected})`;
      showHtml(`<div style="font-family:monospace;font-size:12px;color:#15803d">${escapeHtml(text)}</div>`, text);
    }
    return outcome(true);
  }
  const changed = changedKnobs(opts.knobs, opts.defaults);
  const hint = opts.hint ? ` Likely reason: ${opts.hint}` : "";
  if (changed.length === 0) {
    throw new ExpectationError(`${what}: expected ${expected}, got ${got}.${hint}`);
  }
  const text = [
    `⚠ ${what}: outside the range measured with the default knobs — the notebook goes on.`,
    `  expected (default knobs): ${expected}`,
    `  got (your knobs):         ${got}`,
    `  you changed:              ${changed.join(", ")}`,
    ...(opts.hint ? [`  likely reason:            ${opts.hint}`] : []),
    `  The cells below use your numbers; the prose describes the defaults.`,
  ].join("\n");
  const row = (k: string, v: string) => `<tr><td style="padding-right:12px;color:#92400e;vertical-align:top">${k}</td><td>${v}</td></tr>`;
  const html =
    `<div style="border-left:5px solid #d97706;background:#fffbeb;color:#1f2937;padding:8px 12px;font-family:sans-serif;font-size:13px">` +
    `<b>⚠ ${escapeHtml(what)}</b> — outside the range measured with the default knobs; the notebook goes on.` +
    `<table style="margin-top:6px;font-size:13px">` +
    row("expected (default knobs)", escapeHtml(expected)) +
    row("got (your knobs)", `<b>${escapeHtml(got)}</b>`) +
    row("you changed", escapeHtml(changed.join(", "))) +
    (opts.hint ? row("likely reason", escapeHtml(opts.hint)) : "") +
    `</table><small>The cells below use your numbers; the prose describes the defaults.</small></div>`;
  showHtml(html, text);
  return outcome(false);
}

/** `got` should lie in `range` (inclusive). See the file comment. */
export function expectRange(what: string, got: number, range: Range, opts: ExpectOptions = {}): Outcome {
  const ok = Number.isFinite(got) && (range.min === undefined || got >= range.min) && (range.max === undefined || got <= range.max);
  return expectThat(what, ok, rangeText(range, opts), num(got, opts), opts);
}

/** `got` should equal `expected` exactly (integers, strings, small arrays). */
export function expectEqual(what: string, got: unknown, expected: unknown, opts: ExpectOptions = {}): Outcome {
  const g = typeof got === "number" ? num(got, opts) : JSON.stringify(got);
  const e = typeof expected === "number" ? num(expected, opts) : JSON.stringify(expected);
  return expectThat(what, JSON.stringify(got) === JSON.stringify(expected), e, g, opts);
}
