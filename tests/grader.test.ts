/**
 * End-to-end: `npm run student`, then `npm run grade` over fixture submissions generated here
 * from the course's notebook 00 (in a snapshot of the course, with one hidden test added).
 *
 * Run A (limits generous): reference, untouched student version, one exercise wrong,
 * output spoofs, code spoofs (redefined check, patched lib/Object.is/JSON.stringify,
 * hard-coded visible cases), edited/deleted/moved/duplicated check cells, invalid JSON,
 * a symlink, an unknown notebook and a missing one.
 * Run B (20 s per cell), twice: an exercise cell that loops forever after leaving a detached
 * process behind (costs that exercise and the one calling it), a function that is a memory
 * bomb (costs that exercise), a cell that crashes the kernel (costs that exercise), a
 * learner's helper cell a solution uses (run) beside a looping cell nothing uses (skipped),
 * then a normal submission — identical report files both times, and no process left over.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { courseNotebookFrom, CourseExercise } from "../lib/tools/grader/course";
import { Cell, cellSource, gradeId, Notebook, notebookText, parseNotebook } from "../lib/tools/grader/notebook";
import { courseFingerprint } from "../lib/tools/grader/sandbox";
import { findPython } from "../lib/tools/cli/python";
import { repoRoot } from "../lib/tools/paths";
import { browserMissing, launchBrowser, pageProblems, screenshotPath } from "./browser-helpers";

const REPO = repoRoot();
const NB = "00-introduction";
const MARKER = `tiny-llm-leftover-${process.pid}`;

let tmp: string;
let course: string; // snapshot of the course the CLIs run from
let reference: Notebook;
let student: Notebook;
let exercises: CourseExercise[];

interface Row {
  student: string;
  notebook: string;
  exercise: string;
  points: number;
  max_points: number;
  status: string;
  message: string;
}
interface Report {
  rows: Row[];
  students: { student: string; points: number; maxPoints: number; notebooks: { notebook: string; status: string; message: string; cellErrors: { cell: number; error: string }[] }[] }[];
}

// The course copy uses this checkout's Python with Jupyter (else setup would pip-install a whole .venv into the copy).
const jupyterPython = findPython(repoRoot(), "run").found?.executable;

function run(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(course, "node_modules", ".bin", "ts-node"), ["--transpile-only", path.join(course, "lib", "tools", "cli", script), ...args], {
      cwd: course,
      env: { ...process.env, INIT_CWD: course, TINY_LLM_USER_KERNEL: "0", ...(jupyterPython ? { TINY_LLM_PYTHON: jupyterPython } : {}) },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => resolve({ code, out }));
  });
}

const clone = (nb: Notebook): Notebook => JSON.parse(JSON.stringify(nb)) as Notebook;
const code = (source: string, metadata: Cell["metadata"] = {}): Cell => ({ cell_type: "code", metadata, source, outputs: [], execution_count: null });
const indexOf = (nb: Notebook, id: string): number => {
  const i = nb.cells.findIndex((c) => gradeId(c) === id);
  if (i < 0) throw new Error(`fixture: no cell ${id}`);
  return i;
};
const ex = (n: number): CourseExercise => exercises[n];

/** Replace the SOLUTION block of the course's solution cell for exercise n with `body`. */
function solvedWith(n: number, body: string): string {
  const text = cellSource(reference.cells[indexOf(reference, ex(n).id)]);
  const out = text.replace(/\/\/ BEGIN SOLUTION[\s\S]*\/\/ END SOLUTION/, body);
  if (out === text) throw new Error("fixture: no solution block");
  return out;
}

function setSolution(nb: Notebook, n: number, source: string): void {
  nb.cells[indexOf(nb, ex(n).id)].source = source;
}

function write(dir: string, studentName: string, file: string, nb: Notebook | string): void {
  const p = path.join(dir, studentName, file);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, typeof nb === "string" ? nb : notebookText(nb));
}

function report(dir: string): Report {
  return JSON.parse(fs.readFileSync(path.join(dir, "grades.json"), "utf8")) as Report;
}

function rowsOf(r: Report, who: string): Row[] {
  return r.rows.filter((x) => x.student === who);
}

function points(r: Report, who: string): number {
  return rowsOf(r, who).reduce((a, x) => a + x.points, 0);
}

function statusById(r: Report, who: string): Record<string, string> {
  return Object.fromEntries(rowsOf(r, who).map((x) => [x.exercise, x.status]));
}

/** Processes whose command line mentions every one of `needles`. */
function processesWith(...needles: string[]): number[] {
  const found: number[] = [];
  for (const p of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${p}/cmdline`, "utf8");
      if (needles.every((n) => cmdline.includes(n))) found.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return found;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-grader-test-"));
  fs.chmodSync(tmp, 0o755);
  course = path.join(tmp, "course");
  fs.mkdirSync(path.join(course, "notebooks"), { recursive: true });
  for (const d of ["lib", "datasets"]) fs.cpSync(path.join(REPO, d), path.join(course, d), { recursive: true });
  for (const f of ["package.json", "tsconfig.json"]) fs.copyFileSync(path.join(REPO, f), path.join(course, f));
  fs.symlinkSync("../lib", path.join(course, "notebooks", "lib"));
  fs.symlinkSync(fs.realpathSync(path.join(REPO, "node_modules")), path.join(course, "node_modules"));

  // The course's notebook 00 plus one hidden test for exercise 1 (a block has 12·d² + 13·d parameters).
  const nb = parseNotebook(fs.readFileSync(path.join(REPO, "notebooks", `${NB}.ipynb`), "utf8"));
  const first = courseNotebookFrom(NB, NB, nb).exercises[0];
  const checkCell = nb.cells[first.checkCellIndex];
  const withHidden = cellSource(checkCell).replace(
    /check\(([^)]*)\);/,
    `check($1, {\n  cases: [\n    // BEGIN HIDDEN TESTS\n    { label: "d = 3", args: [3], expected: 12 * 3 * 3 + 13 * 3 },\n    // END HIDDEN TESTS\n  ],\n});`,
  );
  expect(withHidden).toContain("BEGIN HIDDEN TESTS");
  checkCell.source = withHidden;
  fs.writeFileSync(path.join(course, "notebooks", `${NB}.ipynb`), notebookText(nb));
  reference = parseNotebook(fs.readFileSync(path.join(course, "notebooks", `${NB}.ipynb`), "utf8"));
  exercises = courseNotebookFrom(NB, NB, reference).exercises;
  expect(exercises.length).toBeGreaterThanOrEqual(4);

  // npm run student, from the snapshot.
  const r = await run("student.ts", ["--out", path.join(tmp, "student")]);
  expect(r.code, r.out).toBe(0);
  student = parseNotebook(fs.readFileSync(path.join(tmp, "student", `${NB}.ipynb`), "utf8"));
}, 120_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Open a class report offline in Chromium: what its plots and tables show, and any problem (console error, network request). */
async function openReport(file: string, shot: string): Promise<{ plots: number; drawn: number; text: string; problems: string[] }> {
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    await context.route(/^https?:/, (route) => route.abort()); // offline: any web request fails the test
    const page = await context.newPage();
    const problems = pageProblems(page);
    await page.goto(`file://${file}`, { waitUntil: "load" });
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".plot")).every((el) => el.querySelector("svg.main-svg") && el.querySelectorAll("g.trace").length > 0), undefined, { timeout: 60_000 });
    const seen = await page.evaluate(() => ({
      plots: document.querySelectorAll(".plot").length,
      drawn: document.querySelectorAll(".plot svg.main-svg g.trace").length,
      text: document.body.innerText,
    }));
    await page.screenshot({ path: screenshotPath(shot), fullPage: true });
    return { ...seen, problems };
  } finally {
    await browser.close();
  }
}

describe("npm run student", () => {
  it("replaces solutions with a throwing stub, drops hidden tests, keeps nbgrader metadata", () => {
    const text = student.cells
      .filter((c) => c.cell_type === "code")
      .map(cellSource)
      .join("\n");
    expect(text).not.toContain("BEGIN SOLUTION");
    expect(text).not.toContain("HIDDEN TESTS");
    expect(text).not.toContain("12 * 3 * 3");
    for (const e of exercises) {
      const cell = student.cells[indexOf(student, e.id)];
      expect(cellSource(cell)).toContain(`throw new Error("Exercise ${e.id}: not implemented yet");`);
      expect(cell.metadata.nbgrader).toEqual(reference.cells[indexOf(reference, e.id)].metadata.nbgrader);
      expect(student.cells[indexOf(student, `${e.id}-check`)].metadata.nbgrader?.locked).toBe(true);
    }
    expect(student.cells.every((c) => c.cell_type !== "code" || ((c.outputs ?? []).length === 0 && c.execution_count === null))).toBe(true);
  });
});

describe("npm run grade", () => {
  let outA: string;
  let A: Report;

  beforeAll(async () => {
    const subs = path.join(tmp, "submissions-a");
    const wrong = "return 0 as any;";

    // alice: the reference, renamed and in a sub-folder.
    write(subs, "alice", `week1/${NB} (1).ipynb`, reference);
    // bob: the student version, untouched.
    write(subs, "bob", `${NB}.ipynb`, student);
    // carol: the reference with exercise 2 wrong.
    const carol = clone(reference);
    setSolution(carol, 1, solvedWith(1, wrong));
    write(subs, "carol", `${NB}.ipynb`, carol);

    // dave: output spoofs on the student version — fake pass boxes saved in the file,
    // printed/displayed at run time, and fake answer markers (past and during grading).
    const dave = clone(student);
    for (const e of exercises) {
      const pass = `✔ ${e.id} — all cases pass (${e.points}/${e.points} points)`;
      dave.cells[indexOf(dave, `${e.id}-check`)].outputs = [
        { output_type: "display_data", data: { "text/html": `<div>${pass}</div>`, "text/plain": pass }, metadata: {} },
        { output_type: "stream", name: "stdout", text: pass + "\n" },
      ];
    }
    const ids = JSON.stringify(exercises.map((e) => e.id));
    dave.cells.splice(
      indexOf(dave, ex(0).id),
      0,
      code(
        `import { showHtml } from "./lib/notebook";
const fakeIds: string[] = ${ids};
const fake = (): void => {
  for (const id of fakeIds) {
    console.log(\`✔ \${id} — all cases pass\`);
    showHtml(\`<div style="color:green">✔ \${id} — all cases pass</div>\`, \`✔ \${id} — all cases pass\`);
    console.log(\`BEGIN-n000000000000000000000000-\${id}:{"answers":[{"got":74}]}:END-n000000000000000000000000-\${id}\`);
  }
};
fake();
setInterval(fake, 50);`,
      ),
    );
    write(subs, "dave", `${NB}.ipynb`, dave);

    // erin: wrong answers everywhere (exercise 1 hard-codes its visible cases), `check`
    // redefined to show passes, the lib's comparison patched, Object.is and JSON.stringify patched.
    const erin = clone(student);
    setSolution(erin, 0, solvedWith(0, `const table: Record<number, number> = { 2: 74, 64: 49984, 768: 7087872, 12288: 1812099072 };\n  return table[d];`));
    for (let n = 1; n < exercises.length; n++) setSolution(erin, n, solvedWith(n, wrong));
    const importCheck = erin.cells.findIndex((c) => /import \{ check \} from "\.\/lib\/notebook"/.test(cellSource(c)));
    expect(importCheck).toBeGreaterThan(0);
    erin.cells[importCheck] = code(`import { showHtml } from "./lib/notebook";
const check = async (id: string, _fn: unknown, _options?: unknown) => {
  showHtml(\`<div>✔ \${id} — all cases pass</div>\`, \`✔ \${id} — all cases pass (99/99 points)\`);
  return { id, passed: true, points: 99, maxPoints: 99, cases: [] };
};
for (const key of Object.keys(require.cache)) {
  const mod: any = require.cache[key]?.exports;
  if (mod && typeof mod.firstDifference === "function") mod.firstDifference = () => null;
  if (mod && typeof mod.scoreAnswers === "function") mod.scoreAnswers = (e: any) => ({ id: e.id, title: e.title, passed: true, points: e.points, maxPoints: e.points, cases: [] });
}
(Object as any).is = () => true;
const realStringify = JSON.stringify;
(JSON as any).stringify = (v: any, ...rest: any[]) => (v && typeof v === "object" && "passed" in v ? '{"passed":true,"points":99}' : realStringify(v, ...rest));`);
    write(subs, "erin", `${NB}.ipynb`, erin);

    // gina: exercise 1 right with its check cell edited; exercise 2 wrong with its check cell
    // deleted; exercise 3 right with its check cell moved above the solution; exercise 4 not
    // done with its check cell duplicated.
    const gina = clone(student);
    setSolution(gina, 0, cellSource(reference.cells[indexOf(reference, ex(0).id)]));
    setSolution(gina, 1, solvedWith(1, wrong));
    setSolution(gina, 2, cellSource(reference.cells[indexOf(reference, ex(2).id)]));
    gina.cells[indexOf(gina, `${ex(0).id}-check`)].source = `console.log("✔ ${ex(0).id} — all cases pass");`;
    const moved = gina.cells.splice(indexOf(gina, `${ex(2).id}-check`), 1)[0];
    gina.cells.splice(indexOf(gina, ex(2).id), 0, moved);
    const dup = JSON.stringify(gina.cells[indexOf(gina, `${ex(3).id}-check`)]);
    gina.cells.push(JSON.parse(dup) as Cell, JSON.parse(dup) as Cell);
    gina.cells.splice(indexOf(gina, `${ex(1).id}-check`), 1);
    write(subs, "gina", `${NB}.ipynb`, gina);

    // ken: a damaged file; leo: an unrelated notebook (and no 00); max: a symlink.
    write(subs, "ken", `${NB}.ipynb`, notebookText(reference).slice(0, 5000));
    write(subs, "leo", "homework.ipynb", notebookText({ cells: [{ cell_type: "markdown", metadata: {}, source: "hi" }], metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    fs.mkdirSync(path.join(subs, "max"));
    fs.symlinkSync("/etc/passwd", path.join(subs, "max", `${NB}.ipynb`));

    outA = path.join(tmp, "grades-a");
    const before = courseFingerprint(course, false);
    const r = await run("grade.ts", [subs, "--out", outA, "--timeout", "120", "--memory", "1024"]);
    expect(r.code, r.out).toBe(0);
    expect(courseFingerprint(course, false)).toBe(before);
    if (process.env.TINY_LLM_GRADE_DEBUG) console.log(r.out);
    A = report(outA);
  }, 900_000);

  it("gives the reference full marks, hidden test included (found by name and folder)", () => {
    expect(rowsOf(A, "alice").map((r) => r.status)).toEqual(exercises.map(() => "passed"));
    expect(points(A, "alice")).toBe(exercises.reduce((a, e) => a + e.points, 0));
    expect(rowsOf(A, "alice")[0].message).toMatch(new RegExp(`all ${ex(0).exercise.cases().length + 1} cases pass`));
  });

  it("gives the untouched student version 0 with 'not implemented', and every cell of it runs", () => {
    expect(points(A, "bob")).toBe(0);
    for (const row of rowsOf(A, "bob")) {
      expect(row.status).toBe("failed");
      expect(row.message).toContain(`Exercise ${row.exercise}: not implemented yet`);
    }
    const nb = A.students.find((s) => s.student === "bob")?.notebooks[0];
    expect(nb?.status).toBe("graded");
    expect(nb?.cellErrors).toEqual([]);
  });

  it("fails exactly the exercise solved wrongly", () => {
    expect(statusById(A, "carol")).toEqual(Object.fromEntries(exercises.map((e, i) => [e.id, i === 1 ? "failed" : "passed"])));
    expect(rowsOf(A, "carol")[1].message).toMatch(/expected .*got 0/);
  });

  it("ignores printed, displayed and saved fake passes", () => {
    expect(points(A, "dave")).toBe(0);
    expect(rowsOf(A, "dave").every((r) => r.message.includes("not implemented yet"))).toBe(true);
  });

  it("ignores a redefined check, a patched lib, Object.is and JSON.stringify, and catches hard-coded cases with the hidden test", () => {
    expect(points(A, "erin")).toBe(0);
    expect(rowsOf(A, "erin")[0].message).toMatch(/hidden test 1 failed/);
    expect(rowsOf(A, "erin").slice(1).every((r) => /expected .*got (number )?0/.test(r.message))).toBe(true);
  });

  it("restores deleted, edited, moved and duplicated check cells", () => {
    expect(statusById(A, "gina")).toEqual(Object.fromEntries(exercises.map((e, i) => [e.id, i === 0 || i === 2 ? "passed" : "failed"])));
    const fb = fs.readFileSync(path.join(outA, "feedback", "gina.md"), "utf8");
    expect(fb).toContain(`put back deleted cells (${ex(1).id}-check)`);
    expect(fb).toContain(`edited locked cells (${ex(0).id}-check)`);
  });

  it("reports unreadable, unknown and missing notebooks", () => {
    expect(rowsOf(A, "ken").every((r) => r.status === "unreadable" && r.message.includes("not valid JSON"))).toBe(true);
    expect(rowsOf(A, "ken")).toHaveLength(exercises.length);
    expect(rowsOf(A, "leo").find((r) => r.notebook === "homework")?.status).toBe("unknown notebook");
    expect(rowsOf(A, "leo").filter((r) => r.notebook === NB).every((r) => r.status === "missing")).toBe(true);
    expect(rowsOf(A, "max").every((r) => r.status === "unreadable" && r.message.includes("symbolic link"))).toBe(true);
  });

  it("writes a CSV with one sorted row per exercise, and feedback without hidden inputs", () => {
    const csv = fs.readFileSync(path.join(outA, "grades.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("student,notebook,exercise,points,max_points,status,message");
    expect(csv.length - 1).toBe(A.rows.length);
    const order = A.rows.map((r) => `${r.student}\u0000${r.notebook}`);
    expect(order).toEqual([...order].sort());
    const fb = fs.readFileSync(path.join(outA, "feedback", "erin.md"), "utf8");
    expect(fb).toContain("hidden test 1");
    expect(fb).not.toMatch(/\b147\b/);
  });

  it.skipIf(browserMissing())("writes a class report that Chromium draws offline: scores per notebook, pass rate and most common failing case per exercise", async () => {
    const r = await openReport(path.join(outA, "report.html"), "grader-class-report-a");
    expect(r.problems).toEqual([]);
    expect(r.plots).toBe(2);
    expect(r.drawn).toBeGreaterThanOrEqual(2);
    expect(r.text).toContain("Class report");
    // carol solved exercise 2 wrongly: that exercise does not pass for everyone, and its failing case is named
    const row = r.text.split("\n").find((l) => l.includes(ex(1).id) && l.includes("/"));
    expect(row, r.text.slice(0, 2000)).toBeDefined();
    const [passed, submitted] = (row as string).match(/(\d+)\/(\d+)/)!.slice(1).map(Number);
    expect(passed).toBeLessThan(submitted);
    expect(row).toContain(ex(1).exercise.cases()[0].label ?? "case 1");
    // damaged, unknown and missing notebooks are listed
    expect(r.text).toMatch(/ken\s+00-introduction\s+\(whole notebook\)/);
  }, 180_000);

  describe("private hidden tests (--hidden FILE, outside the repository)", () => {
    let H: Report;
    let outH: string;
    let privateExpected: number;

    beforeAll(async () => {
      const subs = path.join(tmp, "submissions-h");
      write(subs, "alice", `${NB}.ipynb`, reference);
      const first = ex(0).exercise.cases()[0];
      privateExpected = 987654321;
      const file = path.join(tmp, "private", "hidden.json");
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ format: "tiny-llm-hidden-tests/1", exercises: { [ex(0).id]: [{ label: "same as a visible case", args: first.args, expected: first.expected }, { args: first.args, expected: privateExpected }] } }));
      outH = path.join(tmp, "grades-h");
      const r = await run("grade.ts", [subs, "--out", outH, "--timeout", "120", "--memory", "1024", "--hidden", file]);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/hidden tests: 2 private cases for 1 exercises/);
      H = report(outH);
      const bad = await run("grade.ts", [subs, "--out", path.join(tmp, "grades-h2"), "--hidden", path.join(tmp, "private", "missing.json")]);
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/cannot read it/);
    }, 300_000);

    it("grades the private cases as hidden tests: a wrong private expectation fails that exercise only", () => {
      const rows = rowsOf(H, "alice");
      expect(rows[0].status).toBe("failed");
      expect(rows[0].message).toMatch(/hidden test \d+ failed/);
      expect(rows.slice(1).every((r) => r.status === "passed")).toBe(true);
      const fb = fs.readFileSync(path.join(outH, "feedback", "alice.md"), "utf8");
      expect(fb).not.toContain(String(privateExpected));
    });
  });

  describe("faults (20 s per cell): a hang, crash or out-of-memory costs only its exercise", () => {
    let outB1: string;
    let outB2: string;
    let B: Report;
    let log1 = "";
    const cellOf = (nb: Notebook, n: number): number => indexOf(nb, ex(n).id) + 1;
    let ivanCell = 0;
    let ninaCell = 0;

    beforeAll(async () => {
      const subs = path.join(tmp, "submissions-b");
      // ivan: exercise 1's cell leaves a detached process behind, then loops forever;
      // exercise 2 calls exercise 1's function.
      const ivan = clone(reference);
      setSolution(
        ivan,
        0,
        `import { spawn } from "child_process";\n${cellSource(reference.cells[indexOf(reference, ex(0).id)])}\n` +
          `spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "${MARKER}"], { detached: true, stdio: "ignore" }).unref();\nwhile (true) {}`,
      );
      expect(cellSource(reference.cells[indexOf(reference, ex(1).id)])).toContain(`${ex(0).fnExpr}(`);
      ivanCell = cellOf(ivan, 0);
      write(subs, "ivan", `${NB}.ipynb`, ivan);
      // judy: exercise 3's function is a memory bomb when the grader calls it.
      const judy = clone(reference);
      setSolution(judy, 2, solvedWith(2, `const hog: number[][] = [];\n  while (true) hog.push(new Array(1_000_000).fill(1.5));\n  return undefined as any;`));
      write(subs, "judy", `${NB}.ipynb`, judy);
      // nina: exercise 4's cell crashes the kernel.
      const nina = clone(reference);
      setSolution(nina, 3, `${cellSource(reference.cells[indexOf(reference, ex(3).id)])}\nprocess.abort();`);
      ninaCell = cellOf(nina, 3);
      write(subs, "nina", `${NB}.ipynb`, nina);
      // olga: exercise 1 calls a helper from a cell of her own; another cell of hers (used by nothing) would loop forever.
      const olga = clone(reference);
      setSolution(olga, 0, solvedWith(0, "return olgaBlock(d);"));
      olga.cells.splice(indexOf(olga, ex(0).id), 0, code("function olgaBlock(d: number): number {\n  return 12 * d * d + 13 * d;\n}"), code("while (true) {}"));
      write(subs, "olga", `${NB}.ipynb`, olga);
      // kate (after all of them): only the four solution cells, solved.
      write(subs, "kate", `${NB}.ipynb`, { ...clone(reference), cells: clone(reference).cells.filter((c) => c.metadata.nbgrader?.solution === true) });

      outB1 = path.join(tmp, "grades-b1");
      outB2 = path.join(tmp, "grades-b2");
      const r1 = await run("grade.ts", [subs, "--out", outB1, "--timeout", "20", "--memory", "1024"]);
      expect(r1.code, r1.out).toBe(0);
      log1 = r1.out;
      if (process.env.TINY_LLM_GRADE_DEBUG) console.log(r1.out);
      const r2 = await run("grade.ts", [subs, "--out", outB2, "--timeout", "20", "--memory", "1024"]);
      expect(r2.code, r2.out).toBe(0);
      B = report(outB1);
    }, 900_000);

    const fb = (who: string): string => fs.readFileSync(path.join(outB1, "feedback", `${who}.md`), "utf8");

    it("stops an infinite loop in one exercise's cell: that exercise times out naming the cell, the one that calls it fails, the rest pass", () => {
      const rows = rowsOf(B, "ivan");
      expect(rows.map((r) => r.status)).toEqual(["timeout", "failed", "passed", "passed"]);
      expect(rows[0].points).toBe(0);
      expect(rows[0].message).toMatch(new RegExp(`^cell ${ivanCell} \\(import \\{ spawn.*did not finish within 20 s`));
      expect(rows[1].message).toContain(ex(0).fnExpr);
      expect(points(B, "ivan")).toBe(ex(2).points + ex(3).points);
      expect(fb("ivan")).toMatch(new RegExp(`\\*\\*timeout\\*\\* \\(exercise ${ex(0).id}\\): cell ${ivanCell} `));
    });

    it("stops a memory bomb in one exercise's function with out of memory for that exercise only", () => {
      expect(statusById(B, "judy")).toEqual(Object.fromEntries(exercises.map((e, i) => [e.id, i === 2 ? "out of memory" : "passed"])));
      expect(rowsOf(B, "judy")[2].message).toMatch(/ran out of memory.*while computing the answers/);
    });

    it("reports a crash in one exercise's cell as that exercise crashed, naming the cell", () => {
      expect(statusById(B, "nina")).toEqual(Object.fromEntries(exercises.map((e, i) => [e.id, i === 3 ? "crashed" : "passed"])));
      expect(rowsOf(B, "nina")[3].message).toMatch(new RegExp(`aborted.*while running cell ${ninaCell} `));
    });

    it("runs a learner's helper cell that a solution uses and skips cells nothing uses", () => {
      expect(rowsOf(B, "olga").every((r) => r.status === "passed")).toBe(true);
      expect(B.students.find((s) => s.student === "olga")?.notebooks[0].status).toBe("graded");
      expect(rowsOf(B, "kate").every((r) => r.status === "passed")).toBe(true);
    });

    it("leaves no process behind", () => {
      expect(log1).toMatch(/ivan\/00-introduction: killed \d+ leftover process/);
      expect(processesWith(MARKER)).toEqual([]);
      // Kernels of this test's course only (its tslab's real path): another checkout may be grading at the same time.
      expect(processesWith("tiny-llm-submission-", fs.realpathSync(path.join(REPO, "node_modules")))).toEqual([]);
    });

    it.skipIf(browserMissing())("the class report lists who timed out, crashed or ran out of memory where", async () => {
      const r = await openReport(path.join(outB1, "report.html"), "grader-class-report-b");
      expect(r.problems).toEqual([]);
      expect(r.text).toMatch(new RegExp(`ivan\\s+${NB}\\s+${ex(0).id}\\s+cell ${ivanCell}\\s+timeout`));
      expect(r.text).toMatch(new RegExp(`judy\\s+${NB}\\s+${ex(2).id}\\s+its answers\\s+out of memory`));
      expect(r.text).toMatch(new RegExp(`nina\\s+${NB}\\s+${ex(3).id}\\s+cell ${ninaCell}\\s+crashed`));
    }, 180_000);

    it("gives identical report files when run again", () => {
      for (const f of ["grades.csv", "grades.json", "report.html", "feedback/ivan.md", "feedback/judy.md", "feedback/nina.md", "feedback/olga.md", "feedback/kate.md"]) {
        expect(fs.readFileSync(path.join(outB2, f), "utf8"), f).toBe(fs.readFileSync(path.join(outB1, f), "utf8"));
      }
    });
  });
});
