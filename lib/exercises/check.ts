/**
 * `check(id, fn)`: run an exercise's cases against the learner's function and
 * show a pass/fail box with what failed (input, expected, got).
 *
 * Two steps that can run in different processes (the grader uses that):
 *   collectAnswers(cases, fn)          → plain answers (runs learner code)
 *   scoreAnswers(exercise, cases, ans) → CheckResult   (pure comparison)
 */
import { escapeHtml, quietInKernel, showHtml } from "../notebook/display";
import { firstDifference, preview, toPlain } from "./compare";
import { findExercise } from "./registry";
import { CaseOutcome, CheckResult, Exercise, ExerciseCase } from "./types";

export interface Answer {
  got?: unknown;
  error?: string;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as PromiseLike<unknown>).then === "function";
}

function disposeTensors(values: unknown[]): void {
  for (const v of values) {
    const t = v as { dispose?: () => void; isDisposed?: boolean; trainable?: boolean };
    if (t && typeof t === "object" && typeof t.dispose === "function" && t.isDisposed === false && t.trainable === undefined) {
      t.dispose();
    }
  }
}

/** Run the learner's function on every case; errors become answers too. */
export async function collectAnswers(cases: ExerciseCase[], fn: (...args: never[]) => unknown): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const c of cases) {
    try {
      let got = (fn as (...args: unknown[]) => unknown)(...c.args);
      if (isThenable(got)) got = await got;
      answers.push({ got: toPlain(got) });
    } catch (err) {
      answers.push({ error: err instanceof Error ? `${err.name === "Error" ? "" : err.name + ": "}${err.message}` : String(err) });
    } finally {
      disposeTensors(c.args);
    }
  }
  return answers;
}

/** Compare answers with the expected values. */
export function scoreAnswers(exercise: Exercise, cases: ExerciseCase[], answers: Answer[], inputs?: string[]): CheckResult {
  const outcomes: CaseOutcome[] = cases.map((c, i) => {
    const answer = answers[i] ?? { error: "no answer recorded" };
    const expected = toPlain(c.expected);
    const base = { label: c.label ?? `case ${i + 1}`, input: inputs?.[i] ?? c.args.map((a) => preview(a, 80)).join(", "), expected };
    if (answer.error !== undefined) return { ...base, error: answer.error, passed: false, message: answer.error };
    const message = exercise.compare ? exercise.compare(answer.got, expected) : firstDifference(answer.got, expected, exercise.tolerance ?? 1e-6);
    const outcome: CaseOutcome = { ...base, got: answer.got, passed: message === null, message: message ?? undefined };
    if (message !== null && exercise.hint) {
      let hint: string | undefined;
      try {
        hint = exercise.hint(answer.got, expected, c.args.map((a) => toPlain(a)));
      } catch {
        hint = undefined; // a hint must never break scoring
      }
      if (hint) outcome.hint = hint;
    }
    return outcome;
  });
  const passed = outcomes.length > 0 && outcomes.every((o) => o.passed);
  return { id: exercise.id, title: exercise.title, passed, points: passed ? exercise.points : 0, maxPoints: exercise.points, cases: outcomes };
}

/** Text version of a result (also the text/plain of the box). */
export function formatResult(result: CheckResult): string {
  const n = result.cases.length;
  const ok = result.cases.filter((c) => c.passed).length;
  if (result.passed) return `✔ ${result.id} — ${result.title}: all ${n} cases pass (${result.points}/${result.maxPoints} points)`;
  const first = result.cases.find((c) => !c.passed) as CaseOutcome;
  const lines = [`✘ ${result.id} — ${result.title}: ${ok}/${n} cases pass (0/${result.maxPoints} points)`, `  first failure (${first.label}):`, `    input:    ${first.input}`];
  lines.push(`    expected: ${preview(first.expected)}`);
  if (first.error !== undefined) lines.push(`    error:    ${first.error}`);
  else lines.push(`    got:      ${preview(first.got)}`, `    why:      ${first.message}`);
  if (first.hint) lines.push(`    hint:     ${first.hint}`);
  return lines.join("\n");
}

function resultHtml(result: CheckResult): string {
  const colour = result.passed ? "#16a34a" : "#dc2626";
  const bg = result.passed ? "#f0fdf4" : "#fef2f2";
  const rows = result.cases
    .filter((c) => !c.passed)
    .slice(0, 5)
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.label)}</td><td><code>${escapeHtml(c.input)}</code></td><td><code>${escapeHtml(preview(c.expected))}</code></td>` +
        `<td><code>${escapeHtml(c.error !== undefined ? "error: " + c.error : preview(c.got))}</code>${c.message && c.error === undefined ? `<br><small>${escapeHtml(c.message)}</small>` : ""}${c.hint ? `<br><small><b>hint:</b> ${escapeHtml(c.hint)}</small>` : ""}</td></tr>`,
    )
    .join("");
  const ok = result.cases.filter((c) => c.passed).length;
  const head = result.passed
    ? `✔ <b>${escapeHtml(result.title)}</b> — all ${result.cases.length} cases pass (${result.points}/${result.maxPoints} points)`
    : `✘ <b>${escapeHtml(result.title)}</b> — ${ok}/${result.cases.length} cases pass (0/${result.maxPoints} points)`;
  const table = rows
    ? `<table style="margin-top:6px;font-size:12px"><thead><tr><th>case</th><th>input</th><th>expected</th><th>got</th></tr></thead><tbody>${rows}</tbody></table>`
    : "";
  return `<div style="border-left:5px solid ${colour};background:${bg};padding:8px 12px;font-family:sans-serif;font-size:13px"><span style="color:${colour}">${head}</span> <small style="color:#666">[${escapeHtml(result.id)}]</small>${table}</div>`;
}

type CheckListener = (result: CheckResult) => void;
const listeners: CheckListener[] = [];

/** Be told of every check result (used by tests and tools). Returns an unsubscribe function. */
export function onCheck(listener: CheckListener): () => void {
  listeners.push(listener);
  return () => {
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  };
}

export interface CheckOptions {
  /** Extra cases (e.g. hidden tests a teacher adds in the check cell). */
  cases?: ExerciseCase[];
  /** Don't display the box (default false). */
  quiet?: boolean;
}

/**
 * True while nbgrader runs the notebook (`nbgrader autograde` or `validate` set NBGRADER_EXECUTION).
 * nbgrader scores a grade cell 0 when its output holds an error or a stderr stream, so a failed
 * check then also writes its text to stderr. It does not throw: tslab refuses every request for
 * 200 ms after a failed cell, which would skip the next cell (see lib/tools/grader/tslab_nbgrader.py).
 */
function nbgraderRunning(): boolean {
  return typeof process !== "undefined" && !!process.env && !!process.env.NBGRADER_EXECUTION;
}

/**
 * Check the learner's `fn` against exercise `id`; shows the result and returns it.
 * Under nbgrader a failure is also written to stderr (see nbgraderRunning).
 */
export async function check(id: string, fn: unknown, options: CheckOptions = {}): Promise<CheckResult> {
  const exercise = findExercise(id);
  if (typeof fn !== "function") {
    throw new Error(`check("${id}", …): the second argument must be your function, got ${fn === null ? "null" : typeof fn}.`);
  }
  const cases = [...exercise.cases(), ...(options.cases ?? [])];
  const inputs = cases.map((c) => c.args.map((a) => preview(a, 80)).join(", "));
  const answers = await collectAnswers(cases, fn as (...args: never[]) => unknown);
  const result = scoreAnswers(exercise, cases, answers, inputs);
  if (!options.quiet) showHtml(resultHtml(result), formatResult(result));
  if (!result.passed && nbgraderRunning()) process.stderr.write(`${formatResult(result)}\n`);
  for (const l of listeners) l(result);
  return quietInKernel(result);
}
