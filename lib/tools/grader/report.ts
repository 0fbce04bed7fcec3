/**
 * The grader's output: grades.csv and grades.json (one row per student × notebook × exercise,
 * sorted, no timestamps — grading the same submissions twice gives identical files) and one
 * feedback/<student>.md per student to hand back. Hidden tests show as "hidden test N",
 * never with their arguments or expected values.
 */
import { classReportHtml, plotlySource } from "./classReport";
import * as fs from "fs";
import * as path from "path";
import { RestoreReport } from "./restore";

export type NotebookStatus = "graded" | "timeout" | "out of memory" | "crashed" | "unreadable" | "missing" | "unknown notebook" | "error";
export type RowStatus = "passed" | "failed" | Exclude<NotebookStatus, "graded">;

export interface CaseReport {
  label: string;
  hidden: boolean;
  passed: boolean;
  input?: string;
  expected?: string;
  got?: string;
  error?: string;
  why?: string;
}

/** A cell or an exercise's answers that hung, crashed or ran out of memory; it was skipped and grading went on. */
export interface Fault {
  /** The cell (1-based, in the restored notebook), or null for an exercise's answers. */
  cell: number | null;
  /** The exercise whose cell or answers it was; null for a setup or helper cell. */
  exercise: string | null;
  status: "timeout" | "crashed" | "out of memory";
  message: string;
}

export interface ExerciseGrade {
  id: string;
  title: string;
  points: number;
  maxPoints: number;
  status: RowStatus;
  message: string;
  cases: CaseReport[];
}

export interface NotebookGrade {
  student: string;
  notebook: string;
  /** The submitted file, relative to the student's folder (null when missing). */
  file: string | null;
  status: NotebookStatus;
  message: string;
  points: number;
  maxPoints: number;
  exercises: ExerciseGrade[];
  cellErrors: { cell: number; error: string }[];
  /** Faults (hang, crash, out of memory) the grader recovered from, in the order they happened. */
  faults: Fault[];
  restored: RestoreReport | null;
}

export interface GradeRow {
  student: string;
  notebook: string;
  exercise: string;
  points: number;
  max_points: number;
  status: RowStatus;
  message: string;
}

const COLUMNS: (keyof GradeRow)[] = ["student", "notebook", "exercise", "points", "max_points", "status", "message"];

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortGrades(grades: NotebookGrade[]): NotebookGrade[] {
  return [...grades].sort((a, b) => cmp(a.student, b.student) || cmp(a.notebook, b.notebook) || cmp(a.file ?? "", b.file ?? ""));
}

/** One row per exercise (in course order within a notebook); one row for a notebook without exercises to show. */
export function rows(grades: NotebookGrade[]): GradeRow[] {
  const out: GradeRow[] = [];
  for (const g of sortGrades(grades)) {
    if (g.exercises.length === 0) {
      out.push({ student: g.student, notebook: g.notebook, exercise: "", points: 0, max_points: g.maxPoints, status: g.status as RowStatus, message: g.message });
      continue;
    }
    for (const e of g.exercises) {
      out.push({ student: g.student, notebook: g.notebook, exercise: e.id, points: e.points, max_points: e.maxPoints, status: e.status, message: e.message });
    }
  }
  return out;
}

/** A CSV field, quoted when needed; text that a spreadsheet would run as a formula is defused. */
export function csvField(v: string | number): string {
  if (typeof v === "number") return String(v);
  let s = v.replace(/\r?\n/g, " ");
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvText(list: GradeRow[]): string {
  return [COLUMNS.join(","), ...list.map((r) => COLUMNS.map((c) => csvField(r[c])).join(","))].join("\n") + "\n";
}

export interface StudentTotal {
  student: string;
  points: number;
  maxPoints: number;
  notebooks: {
    notebook: string;
    file: string | null;
    status: NotebookStatus;
    message: string;
    points: number;
    maxPoints: number;
    cellErrors: { cell: number; error: string }[];
    faults: Fault[];
  }[];
}

export function totals(grades: NotebookGrade[]): StudentTotal[] {
  const by = new Map<string, StudentTotal>();
  for (const g of sortGrades(grades)) {
    let t = by.get(g.student);
    if (!t) {
      t = { student: g.student, points: 0, maxPoints: 0, notebooks: [] };
      by.set(g.student, t);
    }
    t.points += g.points;
    t.maxPoints += g.maxPoints;
    t.notebooks.push({ notebook: g.notebook, file: g.file, status: g.status, message: g.message, points: g.points, maxPoints: g.maxPoints, cellErrors: g.cellErrors, faults: g.faults ?? [] });
  }
  return [...by.values()];
}

export function jsonText(grades: NotebookGrade[]): string {
  return JSON.stringify({ rows: rows(grades), students: totals(grades) }, null, 2) + "\n";
}

/** A file name for a student's feedback (folder names are arbitrary text). */
export function feedbackName(student: string): string {
  const safe = student.replace(/[^\p{L}\p{N}._-]+/gu, "_").replace(/^\.+/, "_").slice(0, 100);
  return (safe || "student") + ".md";
}

function md(s: string): string {
  return s.replace(/([\\`*_[\]<>|])/g, "\\$1");
}

function code(s: string): string {
  const t = s.length > 300 ? s.slice(0, 299) + "…" : s;
  return "`` " + t.replace(/`/g, "ˋ") + " ``";
}

export function feedbackText(student: string, grades: NotebookGrade[]): string {
  const mine = sortGrades(grades.filter((g) => g.student === student));
  const pts = mine.reduce((s, g) => s + g.points, 0);
  const max = mine.reduce((s, g) => s + g.maxPoints, 0);
  const out: string[] = [`# Feedback for ${md(student)}`, "", `**Total: ${pts} / ${max} points**`, ""];
  for (const g of mine) {
    out.push(`## ${md(g.notebook)} — ${g.points} / ${g.maxPoints} points`, "");
    if (g.file) out.push(`File: ${code(g.file)}`, "");
    if (g.status !== "graded") out.push(`**${g.status}**: ${md(g.message)}`, "");
    if (g.restored && (g.restored.edited.length || g.restored.reinserted.length)) {
      const parts = [];
      if (g.restored.edited.length) parts.push(`restored the original of edited locked cells (${g.restored.edited.join(", ")})`);
      if (g.restored.reinserted.length) parts.push(`put back deleted cells (${g.restored.reinserted.join(", ")})`);
      out.push(`Note: before grading, the grader ${parts.join(" and ")}.`, "");
    }
    for (const e of g.exercises) {
      const mark = e.status === "passed" ? "✔" : "✘";
      out.push(`- ${mark} **${md(e.id)}** — ${md(e.title)}: ${e.points} / ${e.maxPoints}${e.status === "passed" || e.status === "failed" ? "" : ` (${e.status})`}`);
      if (e.status === "failed") {
        const failed = e.cases.filter((c) => !c.passed);
        const shown = failed[0];
        if (shown) {
          if (shown.hidden) out.push(`  - ${md(shown.label)} failed${shown.error ? `: ${code(shown.error)}` : ""}`);
          else {
            out.push(`  - first failing case, ${md(shown.label)}: input ${code(shown.input ?? "")}`);
            out.push(`    expected ${code(shown.expected ?? "")}, ${shown.error !== undefined ? `error ${code(shown.error)}` : `got ${code(shown.got ?? "")}`}`);
            // The first difference, when it is deeper than the whole value ("at [1].target: …").
            if (shown.why && shown.error === undefined && !/^expected /.test(shown.why)) out.push(`    ${code(shown.why)}`);
          }
          const passed = e.cases.length - failed.length;
          out.push(`  - ${passed} of ${e.cases.length} cases pass`);
        } else if (e.message) out.push(`  - ${md(e.message)}`);
      } else if (e.status !== "passed" && e.message && e.message !== g.message) out.push(`  - ${md(e.message)}`);
    }
    if (g.faults && g.faults.length) {
      out.push("", "Stopped and skipped while grading (the rest of the notebook was still graded):");
      for (const f of g.faults.slice(0, 10)) out.push(`- **${f.status}**${f.exercise ? ` (exercise ${md(f.exercise)})` : ""}: ${md(f.cell ? f.message : `computing the answers: ${f.message}`)}`);
    }
    if (g.cellErrors.length) {
      out.push("", "Cells that failed when the notebook ran:");
      for (const c of g.cellErrors.slice(0, 10)) out.push(`- cell ${c.cell}: ${code(c.error)}`);
    }
    out.push("");
  }
  return out.join("\n");
}

/** Write grades.csv, grades.json, report.html (the class report) and feedback/<student>.md into `outDir`. */
export function writeReport(outDir: string, grades: NotebookGrade[]): { csv: string; json: string; html: string; feedback: string } {
  fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const csv = path.join(outDir, "grades.csv");
  const json = path.join(outDir, "grades.json");
  const feedback = path.join(outDir, "feedback");
  fs.writeFileSync(csv, csvText(rows(grades)));
  fs.writeFileSync(json, jsonText(grades));
  const html = path.join(outDir, "report.html");
  fs.writeFileSync(html, classReportHtml(grades, plotlySource()));
  fs.rmSync(feedback, { recursive: true, force: true });
  fs.mkdirSync(feedback, { recursive: true });
  const used = new Set<string>();
  for (const student of [...new Set(grades.map((g) => g.student))].sort(cmp)) {
    let name = feedbackName(student);
    for (let k = 2; used.has(name); k++) name = feedbackName(student).replace(/\.md$/, `-${k}.md`);
    used.add(name);
    fs.writeFileSync(path.join(feedback, name), feedbackText(student, grades));
  }
  return { csv, json, html, feedback };
}
