/**
 * The class report: DIR/report.html beside grades.csv/json and the feedback files — one page,
 * offline (plotly.js inlined once), to look at a class's results:
 *   - the score distribution per notebook (each student a point, with the box of quartiles);
 *   - the pass rate per exercise;
 *   - per exercise, the case that failed most often (hidden tests by their number only; a fault by its status);
 *   - who timed out, crashed or ran out of memory where, and notebooks that could not be graded.
 * Same grades → the same bytes (no timestamps, fixed element ids).
 */
import * as fs from "fs";
import { NotebookGrade } from "./report";

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** JSON for a <script> block: no "</script>" can end it early. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, "\\u003c");

export interface ClassSummary {
  notebooks: { notebook: string; scores: { student: string; percent: number }[] }[];
  exercises: { notebook: string; id: string; title: string; submitted: number; passed: number; topFailure: { label: string; count: number } | null }[];
  faults: { student: string; notebook: string; exercise: string; where: string; status: string; message: string }[];
}

/** The numbers the report shows (also what its tests check). */
export function classSummary(grades: NotebookGrade[]): ClassSummary {
  const byNotebook = new Map<string, NotebookGrade[]>();
  for (const g of grades) byNotebook.set(g.notebook, [...(byNotebook.get(g.notebook) ?? []), g]);
  const names = [...byNotebook.keys()].sort(cmp);
  const notebooks = names.map((notebook) => ({
    notebook,
    scores: (byNotebook.get(notebook) ?? [])
      .filter((g) => g.maxPoints > 0)
      .map((g) => ({ student: g.student, percent: (100 * g.points) / g.maxPoints }))
      .sort((a, b) => cmp(a.student, b.student)),
  }));
  const exercises: ClassSummary["exercises"] = [];
  for (const notebook of names) {
    const gs = byNotebook.get(notebook) ?? [];
    const ids = [...new Set(gs.flatMap((g) => g.exercises.map((e) => e.id)))].sort(cmp);
    for (const id of ids) {
      const es = gs.flatMap((g) => g.exercises.filter((e) => e.id === id && e.status !== "missing" && e.status !== "unreadable" && e.status !== "unknown notebook"));
      const counts = new Map<string, number>();
      for (const e of es) {
        const first = e.cases.find((c) => !c.passed);
        // A fault (timeout, crash, out of memory) fails the exercise with no case run: it counts by its status.
        const what = first ? first.label : `(${e.status})`;
        if (e.status !== "passed") counts.set(what, (counts.get(what) ?? 0) + 1);
      }
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))[0];
      exercises.push({
        notebook,
        id,
        title: gs.flatMap((g) => g.exercises).find((e) => e.id === id)?.title ?? id,
        submitted: es.length,
        passed: es.filter((e) => e.status === "passed").length,
        topFailure: top ? { label: top[0], count: top[1] } : null,
      });
    }
  }
  const faults: ClassSummary["faults"] = [];
  for (const g of [...grades].sort((a, b) => cmp(a.student, b.student) || cmp(a.notebook, b.notebook))) {
    for (const f of g.faults) faults.push({ student: g.student, notebook: g.notebook, exercise: f.exercise ?? "(setup)", where: f.cell === null ? "its answers" : `cell ${f.cell}`, status: f.status, message: f.message });
    if (g.status !== "graded") faults.push({ student: g.student, notebook: g.notebook, exercise: "(whole notebook)", where: g.file ?? "—", status: g.status, message: g.message });
  }
  return { notebooks, exercises, faults };
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

/** The whole page; `plotlyJs` is plotly.min.js's text (inlined once). */
export function classReportHtml(grades: NotebookGrade[], plotlyJs: string): string {
  const s = classSummary(grades);
  const students = new Set(grades.map((g) => g.student)).size;
  const scoreTraces = s.notebooks.map((n) => ({ type: "box", name: n.notebook, y: n.scores.map((x) => x.percent), text: n.scores.map((x) => x.student), boxpoints: "all", jitter: 0.4, pointpos: 0, hovertemplate: "%{text}: %{y:.0f}%<extra></extra>" }));
  const passTrace = [{ type: "bar", x: s.exercises.map((e) => e.id), y: s.exercises.map((e) => (e.submitted ? (100 * e.passed) / e.submitted : 0)), text: s.exercises.map((e) => `${e.passed}/${e.submitted}`), textposition: "auto", hovertemplate: "%{x}: %{text} passed<extra></extra>" }];
  const layout = (title: string, y: string) => ({ title: { text: title }, yaxis: { title: { text: y }, range: [0, 105] }, margin: { t: 50, b: 120 }, showlegend: false, height: 420 });
  const plots = [
    { id: "scores", data: scoreTraces, layout: layout("Score per notebook (each point a student)", "% of the notebook's points") },
    { id: "pass-rates", data: passTrace, layout: layout("Pass rate per exercise", "% of submissions passing") },
  ];
  const failing = table(
    ["notebook", "exercise", "passed", "most common failing case", "students"],
    s.exercises.map((e) => [e.notebook, `${e.id} — ${e.title}`, `${e.passed}/${e.submitted}`, e.topFailure ? e.topFailure.label : "—", e.topFailure ? String(e.topFailure.count) : "0"]),
  );
  const faults = s.faults.length
    ? table(["student", "notebook", "exercise", "where", "status", "message"], s.faults.map((f) => [f.student, f.notebook, f.exercise, f.where, f.status, f.message.length > 300 ? f.message.slice(0, 300) + " …" : f.message]))
    : "<p>None: every notebook was graded without a hang, crash or out-of-memory.</p>";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Class report</title>
<style>body{font-family:"Noto Sans CJK KR","Noto Sans KR",system-ui,sans-serif;margin:24px;color:#1e293b;max-width:1200px}table{border-collapse:collapse;margin:8px 0 24px;font-size:13px}th,td{border:1px solid #cbd5e1;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f1f5f9}.plot{min-height:420px}</style>
<script>${plotlyJs.replace(/<\/script/gi, "<\\/script")}</script>
</head><body>
<h1>Class report</h1>
<p>${students} student${students === 1 ? "" : "s"}, ${s.notebooks.length} notebook${s.notebooks.length === 1 ? "" : "s"}, ${s.exercises.length} exercise${s.exercises.length === 1 ? "" : "s"}. Per-student feedback is in <code>feedback/</code>; every row is in <code>grades.csv</code>.</p>
<h2>Scores</h2>
<div class="plot" id="scores"></div>
<h2>Exercises</h2>
<div class="plot" id="pass-rates"></div>
<h3>The case that failed most often</h3>
${failing}
<h2>Timeouts, crashes, out of memory, ungraded notebooks</h2>
<div id="faults">${faults}</div>
<script>var plots=${scriptJson(plots)};plots.forEach(function(p){Plotly.newPlot(p.id,p.data,p.layout,{displaylogo:false,responsive:true});});</script>
</body></html>
`;
}

/** plotly.min.js from the course's node_modules (the same file the notebooks and the site use). */
export function plotlySource(): string {
  return fs.readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8");
}
