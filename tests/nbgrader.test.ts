/**
 * nbgrader itself (the pinned version of lib/tools/cli/requirements-nbgrader.txt, in .venv) on the
 * course's chapter 00, against our own grader on the very same files:
 *
 *   npm run nbgrader -- init DIR 00                       (nbgrader_config.py + source/00-introduction/)
 *   + a hidden test written into the source's first check cell (and the same case in a --hidden file for ours)
 *   npm run nbgrader -- --course DIR generate_assignment 00-introduction
 *   three submissions in DIR/submitted/<student>/00-introduction/:
 *     alice  the release with every reference solution pasted in;
 *     bob    the release as nbgrader made it (nothing solved);
 *     carol  partly solved: exercise 1 hard-codes its visible cases (the hidden test catches it),
 *            exercise 2 does not type-check (tslab aborts the next request: TslabExecute must rerun it),
 *            exercise 3 right, exercise 4 wrong and its function hides the check's stderr line;
 *   npm run nbgrader -- --course DIR autograde 00-introduction, then export (grades.csv)
 *   npm run grade -- DIR/submitted --hidden FILE            (ours, on the same files)
 *
 * Points are compared per exercise (nbgrader's gradebook: one grade per check cell). The one known
 * difference, asserted as such: nbgrader scores what the student's kernel printed — a check cell
 * without an error or stderr output earns full points — so carol's exercise 4, whose function
 * swallows stderr while the check runs, gets full points from nbgrader and 0 from ours (our grader
 * calls the function itself and compares the answers in its own process).
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { setupBackend } from "../lib/backend";
import { check } from "../lib/exercises/check";
import { courseNotebookFrom, CourseExercise } from "../lib/tools/grader/course";
import { Cell, cellSource, gradeId, isSolutionCell, Notebook, notebookText, parseNotebook } from "../lib/tools/grader/notebook";
import { makeStudentNotebook, stripHiddenTests } from "../lib/tools/grader/student";
import { nbgraderPython } from "../lib/tools/cli/nbgrader";
import { nbgraderPin, venvPython } from "../lib/tools/cli/python";
import { repoRoot } from "../lib/tools/paths";

const REPO = repoRoot();
const NB = "00-introduction";
const HIDDEN = { label: "d = 3", args: [3], expected: 12 * 3 * 3 + 13 * 3 };

const found = nbgraderPython(REPO);
// setup installs nbgrader into this checkout's .venv; with a Python of the user's own (or Debian's) it
// only says how. Skip there, never in CI or with the course's .venv.
const skip = "error" in found && !process.env.CI && !fs.existsSync(venvPython(REPO));
if (skip) console.warn(`tests/nbgrader.test.ts skipped: ${(found as { error: string }).error}`);

describe("check() under nbgrader", () => {
  beforeAll(async () => {
    await setupBackend({ verbose: false });
  });

  it("writes a failure to stderr only while nbgrader runs the notebook (NBGRADER_EXECUTION)", async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const saved = process.env.NBGRADER_EXECUTION;
    try {
      delete process.env.NBGRADER_EXECUTION;
      await check("00-block-params", () => 0, { quiet: true });
      expect(writes).toEqual([]);
      process.env.NBGRADER_EXECUTION = "autograde";
      await check("00-block-params", (d: number) => 12 * d * d + 13 * d, { quiet: true });
      expect(writes).toEqual([]);
      await check("00-block-params", () => 0, { quiet: true });
      expect(writes.join("")).toMatch(/^✘ 00-block-params .*\(0\/1 points\)/);
    } finally {
      spy.mockRestore();
      if (saved === undefined) delete process.env.NBGRADER_EXECUTION;
      else process.env.NBGRADER_EXECUTION = saved;
    }
  });
});

interface Row {
  student: string;
  exercise: string;
  points: number;
  max_points: number;
  status: string;
  message: string;
}

/**
 * Run a CLI of the checkout `root` with ts-node (asynchronously, so vitest's timeouts hold), with
 * this checkout's Python (a copy has no .venv) and no user-level kernel registration.
 */
function run(root: string, script: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; seconds: number }> {
  const t0 = Date.now();
  const python = "python" in found ? found.python : undefined;
  return new Promise((resolve) => {
    const child = spawn(path.join(root, "node_modules", ".bin", "ts-node"), ["--transpile-only", path.join(root, "lib", "tools", "cli", script), ...args], {
      cwd: root,
      env: { ...process.env, INIT_CWD: root, TINY_LLM_USER_KERNEL: "0", ...(python ? { TINY_LLM_PYTHON: python } : {}) },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

describe.skipIf(skip)(`nbgrader ${nbgraderPin(REPO)} on chapter ${NB}, against npm run grade`, () => {
  let tmp: string;
  let checkout: string; // a snapshot of the course both graders run from
  let course: string;
  let source: Notebook;
  let release: Notebook;
  let exercises: CourseExercise[];
  let autogradeLog: string;
  let nbgraderPoints: Record<string, Record<string, number>>; // student → exercise → points
  let csv: Record<string, { score: number; max: number }>;
  let ours: Row[];
  const students = ["alice", "bob", "carol"];
  const seconds: Record<string, number> = {};

  const nbgrader = async (args: string[], timeoutMs = 600_000): Promise<string> => {
    const r = await run(checkout, "nbgrader.ts", ["--course", course, ...args], timeoutMs);
    seconds[args[0]] = r.seconds;
    expect(r.code, r.out).toBe(0);
    return r.out;
  };
  const cellOf = (nb: Notebook, id: string): Cell => {
    const c = nb.cells.find((x) => gradeId(x) === id);
    if (!c) throw new Error(`fixture: no cell ${id}`);
    return c;
  };
  const submit = (who: string, nb: Notebook): void => {
    const file = path.join(course, "submitted", who, NB, `${NB}.ipynb`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, notebookText(nb));
  };
  /** The release with exercise n's solution block replaced by `body` (null: the reference solution). */
  const solve = (nb: Notebook, n: number, body: string | null): void => {
    const reference = cellSource(cellOf(source, exercises[n].id));
    const text = body === null ? reference : reference.replace(/\/\/ BEGIN SOLUTION[\s\S]*\/\/ END SOLUTION/, body);
    cellOf(nb, exercises[n].id).source = text;
  };
  const clone = (nb: Notebook): Notebook => JSON.parse(JSON.stringify(nb)) as Notebook;

  beforeAll(async () => {
    const t0 = Date.now();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-nbgrader-test-"));
    fs.chmodSync(tmp, 0o755); // our grader's kernels run as nobody when root
    course = path.join(tmp, "course");
    // A snapshot of the checkout (lib, datasets, chapter 00; node_modules linked), so that both graders
    // see one course even while someone edits the real checkout (our grader stops if the course changes).
    checkout = path.join(tmp, "checkout");
    fs.mkdirSync(path.join(checkout, "notebooks"), { recursive: true });
    for (const d of ["lib", "datasets"]) fs.cpSync(path.join(REPO, d), path.join(checkout, d), { recursive: true });
    for (const f of ["package.json", "tsconfig.json", `notebooks/${NB}.ipynb`]) fs.copyFileSync(path.join(REPO, f), path.join(checkout, f));
    fs.symlinkSync(fs.realpathSync(path.join(REPO, "node_modules")), path.join(checkout, "node_modules"));
    const setup = await run(checkout, "setup.ts", ["--quiet"], 120_000); // notebooks/lib, and the kernel nbgrader starts
    expect(setup.code, setup.out).toBe(0);

    const init = await run(checkout, "nbgrader.ts", ["init", course, NB], 120_000);
    expect(init.code, init.out).toBe(0);
    seconds.init = init.seconds;
    const sourceFile = path.join(course, "source", NB, `${NB}.ipynb`);
    expect(fs.readFileSync(sourceFile, "utf8")).toBe(fs.readFileSync(path.join(checkout, "notebooks", `${NB}.ipynb`), "utf8"));
    expect(fs.readFileSync(path.join(course, "nbgrader_config.py"), "utf8")).toContain(JSON.stringify(checkout));

    // A hidden test in the source's first check cell (nbgrader removes it from the release and restores it to grade).
    const nb = parseNotebook(fs.readFileSync(sourceFile, "utf8"));
    exercises = courseNotebookFrom(NB, NB, nb).exercises;
    expect(exercises.length).toBe(4);
    const checkCell = nb.cells[exercises[0].checkCellIndex];
    const withHidden = cellSource(checkCell).replace(
      /check\(([^)]*)\);/,
      `check($1, {\n  cases: [\n    // BEGIN HIDDEN TESTS\n    { label: ${JSON.stringify(HIDDEN.label)}, args: [3], expected: 12 * 3 * 3 + 13 * 3 },\n    // END HIDDEN TESTS\n  ],\n});`,
    );
    expect(withHidden).toContain("BEGIN HIDDEN TESTS");
    checkCell.source = withHidden;
    fs.writeFileSync(sourceFile, notebookText(nb));
    source = nb;
    // The same case for our grader, as a private hidden-tests file.
    const hiddenFile = path.join(tmp, "hidden.json");
    fs.writeFileSync(hiddenFile, JSON.stringify({ format: "tiny-llm-hidden-tests/1", exercises: { [exercises[0].id]: [HIDDEN] } }));

    await nbgrader(["generate_assignment", NB]);
    release = parseNotebook(fs.readFileSync(path.join(course, "release", NB, `${NB}.ipynb`), "utf8"));

    const alice = clone(release);
    for (let n = 0; n < exercises.length; n++) solve(alice, n, null);
    submit("alice", alice);
    submit("bob", release);
    const carol = clone(release);
    solve(carol, 0, `const table: Record<number, number> = { 2: 74, 64: 49984, 768: 7087872, 12288: 1812099072 };\n  return table[d];`);
    solve(carol, 1, `return "two";`); // a TypeScript error: string is not a number
    solve(carol, 2, null);
    solve(carol, 3, `process.stderr.write = (() => true) as typeof process.stderr.write; // the check's failure line never reaches nbgrader\n  return "";`);
    submit("carol", carol);

    autogradeLog = await nbgrader(["autograde", NB], 900_000);
    await nbgrader(["export"]);

    // nbgrader's gradebook, one grade per check cell.
    const query = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("""select st.id, bc.name, coalesce(g.manual_score, g.auto_score) from grade g
  join grade_cells gc on g.cell_id = gc.id join base_cell bc on bc.id = gc.id
  join submitted_notebook sn on g.notebook_id = sn.id join submitted_assignment sa on sn.assignment_id = sa.id
  join student st on sa.student_id = st.id""").fetchall()
print(json.dumps(rows))`;
    const q = spawnSync((found as { python: string }).python ?? venvPython(REPO), ["-c", query, path.join(course, "gradebook.db")], { encoding: "utf8" });
    expect(q.status, q.stderr).toBe(0);
    nbgraderPoints = {};
    for (const [who, cell, score] of JSON.parse(q.stdout) as [string, string, number | null][]) {
      expect(cell.endsWith("-check"), cell).toBe(true);
      (nbgraderPoints[who] ??= {})[cell.slice(0, -"-check".length)] = score ?? NaN;
    }
    csv = {};
    const lines = fs.readFileSync(path.join(course, "grades.csv"), "utf8").trim().split("\n");
    const head = lines[0].split(",");
    for (const line of lines.slice(1)) {
      const f = line.split(",");
      csv[f[head.indexOf("student_id")]] = { score: Number(f[head.indexOf("score")]), max: Number(f[head.indexOf("max_score")]) };
    }

    // Ours, on the same files (sub-folders are found; one job keeps the machine quiet).
    const outDir = path.join(tmp, "ours");
    const g = await run(checkout, "grade.ts", [path.join(course, "submitted"), "--out", outDir, "--hidden", hiddenFile, "--jobs", "1", "--memory", "1024"], 600_000);
    seconds.grade = g.seconds;
    expect(g.code, g.out).toBe(0);
    ours = (JSON.parse(fs.readFileSync(path.join(outDir, "grades.json"), "utf8")) as { rows: Row[] }).rows;
    seconds.all = (Date.now() - t0) / 1000;
  }, 1_500_000);

  afterAll(() => {
    if (process.env.TINY_LLM_KEEP_NBGRADER) console.log(`kept ${tmp}`);
    else if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("generate_assignment makes a student version: solutions stubbed, hidden test gone, course kernel kept, check cells locked", () => {
    expect(release.metadata.kernelspec).toEqual(source.metadata.kernelspec);
    expect((release.metadata.kernelspec as { name: string; language: string }).name).toBe("tiny-llm-ts");
    const code = release.cells.filter((c) => c.cell_type === "code");
    const text = code.map(cellSource).join("\n");
    expect(text).not.toMatch(/^\s*\/\/ (BEGIN|END) SOLUTION\s*$/m);
    expect(text).not.toContain("HIDDEN TESTS");
    expect(text).not.toContain("12 * 3 * 3");
    for (const e of exercises) {
      const sol = cellOf(release, e.id);
      const ref = cellSource(cellOf(source, e.id));
      expect(cellSource(sol)).toBe(ref.replace(/( *)\/\/ BEGIN SOLUTION[\s\S]*\/\/ END SOLUTION/, '$1// Your code here.\n$1throw new Error("Exercise not implemented yet");'));
      expect(isSolutionCell(sol)).toBe(true);
      const chk = cellOf(release, `${e.id}-check`);
      expect(chk.metadata.nbgrader).toMatchObject({ grade: true, locked: true, points: e.points });
      expect(chk.metadata).toMatchObject({ editable: false, deletable: false });
      expect(cellSource(chk)).toBe(stripHiddenTests(cellSource(cellOf(source, `${e.id}-check`))));
    }
    // Prose that mentions the markers is left as it is (nbgrader's own ClearSolutions stops on it).
    const prose = (nb: Notebook): string[] => nb.cells.filter((c) => c.cell_type === "markdown").map(cellSource);
    expect(prose(release)).toEqual(prose(source));
    expect(prose(release).join("\n")).toContain("`// BEGIN SOLUTION` and `// END SOLUTION`");
    expect(code.every((c) => (c.outputs ?? []).length === 0 && c.execution_count === null)).toBe(true);
    // Cell for cell what `npm run student` makes from the same source, but for the stub's message.
    const stubless = (nb: Notebook): string[] => nb.cells.map((c) => cellSource(c).replace(/throw new Error\("Exercise [^"]*not implemented yet"\);/g, "<stub>"));
    expect(stubless(release)).toEqual(stubless(makeStudentNotebook(source, NB)));
  });

  it("the student version runs under nbgrader top to bottom like the reference: only the check cells fail", () => {
    const graded = (who: string): Cell[] =>
      parseNotebook(fs.readFileSync(path.join(course, "autograded", who, NB, `${NB}.ipynb`), "utf8")).cells.filter((c) => c.cell_type === "code");
    const failed = (c: Cell): boolean => (c.outputs as { output_type: string; name?: string }[]).some((o) => o.output_type === "error" || o.name === "stderr");
    const bob = graded("bob");
    const alice = graded("alice");
    expect(bob.filter(failed).map((c) => gradeId(c))).toEqual(exercises.map((e) => `${e.id}-check`));
    for (const c of bob.filter(failed)) expect(JSON.stringify(c.outputs)).toContain("Exercise not implemented yet");
    expect(alice.filter(failed).map((c) => gradeId(c))).toEqual([]);
    // The same cells show output in both (the experiments ran in the student version too; none was skipped).
    const shown = (cells: Cell[]): number[] => cells.flatMap((c, i) => ((c.outputs ?? []).length > 0 ? [i] : []));
    expect(shown(bob).length).toBeGreaterThan(exercises.length);
    expect(shown(bob)).toEqual(shown(alice));
  });

  it("autograde gives the same points as npm run grade on the same files, but for one known difference", () => {
    const table: string[] = [];
    for (const who of students) {
      for (const e of exercises) {
        const row = ours.find((r) => r.student === who && r.exercise === e.id);
        expect(row, `${who} ${e.id} in our grades`).toBeDefined();
        const nbg = nbgraderPoints[who]?.[e.id];
        table.push(`${who} ${e.id}: ours ${row?.points}/${e.points} (${row?.status}), nbgrader ${nbg}/${e.points}`);
        // The known difference: carol's last function hides the check's stderr line from nbgrader.
        const known = who === "carol" && e === exercises[3];
        if (known) {
          expect(row?.points).toBe(0);
          expect(nbg).toBe(e.points);
        } else {
          expect(nbg, `${who} ${e.id}`).toBe(row?.points);
        }
      }
    }
    console.log(`nbgrader ${nbgraderPin(REPO)} vs npm run grade, ${NB}:\n  ${table.join("\n  ")}\n  seconds: ${JSON.stringify(seconds)}`);
    const total = exercises.reduce((a, e) => a + e.points, 0);
    const sum = (who: string): number => ours.filter((r) => r.student === who).reduce((a, r) => a + r.points, 0);
    // What the submissions were built to earn (from our grader; nbgrader agrees above).
    expect(sum("alice")).toBe(total);
    expect(sum("bob")).toBe(0);
    expect(ours.filter((r) => r.student === "carol").map((r) => r.status)).toEqual(["failed", "failed", "passed", "failed"]);
    expect(ours.find((r) => r.student === "carol" && r.exercise === exercises[0].id)?.message).toMatch(/hidden test 1 failed/);
  });

  it("nbgrader export's grades.csv has the gradebook's totals", () => {
    const total = exercises.reduce((a, e) => a + e.points, 0);
    for (const who of students) {
      const sum = Object.values(nbgraderPoints[who] ?? {}).reduce((a, p) => a + p, 0);
      expect(csv[who], who).toEqual({ score: sum, max: total });
    }
  });

  it("reruns the cells tslab aborts after an error, so the next exercise still counts", () => {
    // carol's exercise 2 does not compile: without the rerun, its check cell (and the cell after that) would get
    // tslab's "abort" reply and no output — which nbgrader scores as full points.
    expect(autogradeLog).toMatch(/tslab aborted cell \d+/);
    const graded = parseNotebook(fs.readFileSync(path.join(course, "autograded", "carol", NB, `${NB}.ipynb`), "utf8"));
    // Every check cell ran (an aborted cell has no output at all).
    for (const e of exercises) expect((cellOf(graded, `${e.id}-check`).outputs ?? []).length, `${e.id}-check`).toBeGreaterThan(0);
    expect(nbgraderPoints.carol[exercises[1].id]).toBe(0);
    expect(nbgraderPoints.carol[exercises[2].id]).toBe(exercises[2].points);
  });
});
