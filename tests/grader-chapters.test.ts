/**
 * The hostile-submission tests of tests/grader.test.ts, compacted, for the later chapters:
 * 04 (the first that trains for minutes) and the newest, 08 and 09. (05–07 are graded from
 * their setup and solution cells by tests/grading-rule.test.ts; running the whole hostile set
 * for every chapter costs minutes of CI each — add a chapter to HOSTILE_CHAPTERS to cover it.)
 * the reference gets full marks; the untouched student version 0; saved fake passes plus a
 * solution cell that patches Object.is and JSON.stringify and returns wrong answers 0; edited
 * and deleted check cells are restored; an infinite loop in one exercise's cell costs that
 * exercise, a memory bomb in another's function that one, and the rest still pass; a damaged
 * file is unreadable. Graded twice: identical report files.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CourseExercise, courseNotebookFrom } from "../lib/tools/grader/course";
import { Cell, cellSource, gradeId, Notebook, notebookText, parseNotebook } from "../lib/tools/grader/notebook";
import { hasSetupTags } from "../lib/tools/grader/plan";
import { makeStudentNotebook } from "../lib/tools/grader/student";
import { findPython } from "../lib/tools/cli/python";
import { courseNotebookFiles, repoRoot } from "../lib/tools/paths";

const REPO = repoRoot();
const jupyterPython = findPython(REPO, "run").found?.executable;

interface Row {
  student: string;
  notebook: string;
  exercise: string;
  points: number;
  max_points: number;
  status: string;
  message: string;
}

interface Chapter {
  name: string;
  reference: Notebook;
  student: Notebook;
  exercises: CourseExercise[];
  /** Exercise (index) whose cell loops forever, and one whose function is a memory bomb. */
  hang: number;
  bomb: number;
}

const HOSTILE_CHAPTERS = ["04", "08", "09"];

const chapters: Chapter[] = courseNotebookFiles(path.join(REPO, "notebooks"))
  .filter((f) => HOSTILE_CHAPTERS.includes(path.basename(f).slice(0, 2)))
  .map((file) => {
    const name = path.basename(file, ".ipynb");
    const reference = parseNotebook(fs.readFileSync(file, "utf8"));
    const exercises = courseNotebookFrom(name, file, reference).exercises;
    return { name, reference, exercises, student: reference, hang: exercises.length - 1, bomb: 0 };
  })
  .filter((c) => c.exercises.length >= 3 && hasSetupTags(c.reference))
  .map((c) => ({ ...c, student: makeStudentNotebook(c.reference, c.name) }));

const clone = (nb: Notebook): Notebook => JSON.parse(JSON.stringify(nb)) as Notebook;
const at = (nb: Notebook, id: string): number => {
  const i = nb.cells.findIndex((c) => gradeId(c) === id);
  if (i < 0) throw new Error(`fixture: no cell ${id}`);
  return i;
};
const source = (c: Chapter, n: number): string => cellSource(c.reference.cells[at(c.reference, c.exercises[n].id)]);
const replaceSolution = (text: string, body: string): string => {
  const out = text.replace(/\/\/ BEGIN SOLUTION[\s\S]*?\/\/ END SOLUTION/, `// BEGIN SOLUTION\n${body}\n  // END SOLUTION`);
  if (out === text) throw new Error("fixture: no solution block");
  return out;
};
/** Exercises whose solutions do not mention exercise n's function (they must still pass when n faults). */
const independentOf = (c: Chapter, n: number): number[] =>
  c.exercises.map((_, i) => i).filter((i) => i !== n && !source(c, i).includes(`${c.exercises[n].fnExpr}(`));

let tmp: string;
let course: string;

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(course, "node_modules", ".bin", "ts-node"), ["--transpile-only", path.join(course, "lib", "tools", "cli", "grade.ts"), ...args], {
      cwd: course,
      env: { ...process.env, INIT_CWD: course, TINY_LLM_USER_KERNEL: "0", ...(jupyterPython ? { TINY_LLM_PYTHON: jupyterPython } : {}) },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => resolve({ code, out }));
  });
}

it("covers the chapters it names (each tagged, with at least 3 exercises)", () => {
  expect(chapters.map((c) => c.name.slice(0, 2))).toEqual(HOSTILE_CHAPTERS);
});

describe.skipIf(chapters.length === 0)("hostile submissions in the later chapters (20 s per cell)", () => {
  let rows: Row[] = [];
  let out1 = "";
  let out2 = "";

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-grader-chapters-"));
    fs.chmodSync(tmp, 0o755);
    course = path.join(tmp, "course");
    fs.mkdirSync(path.join(course, "notebooks"), { recursive: true });
    for (const d of ["lib", "datasets"]) fs.cpSync(path.join(REPO, d), path.join(course, d), { recursive: true });
    for (const f of ["package.json", "tsconfig.json"]) fs.copyFileSync(path.join(REPO, f), path.join(course, f));
    for (const f of courseNotebookFiles(path.join(REPO, "notebooks"))) fs.copyFileSync(f, path.join(course, "notebooks", path.basename(f)));
    fs.symlinkSync("../lib", path.join(course, "notebooks", "lib"));
    fs.symlinkSync(fs.realpathSync(path.join(REPO, "node_modules")), path.join(course, "node_modules"));

    const subs = path.join(tmp, "submissions");
    const put = (who: string, c: Chapter, nb: Notebook | string): void => {
      fs.mkdirSync(path.join(subs, who), { recursive: true });
      fs.writeFileSync(path.join(subs, who, `${c.name}.ipynb`), typeof nb === "string" ? nb : notebookText(nb));
    };
    for (const c of chapters) {
      put("ref", c, c.reference);
      put("stub", c, c.student);
      // spoof: saved fake passes on every check cell; exercise 1 patches Object.is and JSON.stringify and answers wrong.
      const spoof = clone(c.student);
      for (const e of c.exercises) {
        const pass = `✔ ${e.id} — all cases pass (${e.points}/${e.points} points)`;
        spoof.cells[at(spoof, `${e.id}-check`)].outputs = [{ output_type: "stream", name: "stdout", text: pass + "\n" }];
      }
      const first = at(spoof, c.exercises[0].id);
      spoof.cells[first].source = `${replaceSolution(source(c, 0), "  return undefined as any;")}
(Object as any).is = () => true;
const realStringify = JSON.stringify;
(JSON as any).stringify = (v: any, ...rest: any[]) => (v && typeof v === "object" && "passed" in v ? '{"passed":true}' : realStringify(v, ...rest));`;
      put("spoof", c, spoof);
      // edits: the reference with the first check cell edited and the second deleted.
      const edits = clone(c.reference);
      edits.cells[at(edits, `${c.exercises[0].id}-check`)].source = `console.log("✔ all cases pass");`;
      edits.cells.splice(at(edits, `${c.exercises[1].id}-check`), 1);
      put("edits", c, edits);
      // hang: the last exercise's cell loops forever; bomb: the first exercise's function allocates without end.
      const hang = clone(c.reference);
      hang.cells[at(hang, c.exercises[c.hang].id)].source = `${source(c, c.hang)}\nwhile (true) {}`;
      put("hang", c, hang);
      const bomb = clone(c.reference);
      bomb.cells[at(bomb, c.exercises[c.bomb].id)].source = replaceSolution(source(c, c.bomb), "  const hog: number[][] = [];\n  while (true) hog.push(new Array(1_000_000).fill(1.5));");
      put("bomb", c, bomb);
      put("broken", c, notebookText(c.reference).slice(0, 3000));
    }
    const args = (o: string): string[] => [subs, "--out", o, "--timeout", "20", "--memory", "1024", "--notebooks", chapters.map((c) => c.name).join(",")];
    out1 = path.join(tmp, "grades-1");
    out2 = path.join(tmp, "grades-2");
    const r1 = await run(args(out1));
    expect(r1.code, r1.out).toBe(0);
    if (process.env.TINY_LLM_GRADE_DEBUG) console.log(r1.out);
    const r2 = await run(args(out2));
    expect(r2.code, r2.out).toBe(0);
    rows = (JSON.parse(fs.readFileSync(path.join(out1, "grades.json"), "utf8")) as { rows: Row[] }).rows;
  }, 1_800_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const of = (who: string, c: Chapter): Row[] => rows.filter((r) => r.student === who && r.notebook === c.name);

  for (const c of chapters) {
    describe(c.name, () => {
      it("gives the reference full marks and the untouched student version 0 ('not implemented')", () => {
        expect(of("ref", c).map((r) => r.status)).toEqual(c.exercises.map(() => "passed"));
        expect(of("stub", c).every((r) => r.status === "failed" && r.message.includes("not implemented yet"))).toBe(true);
      });

      it("ignores saved fake passes and patched Object.is / JSON.stringify", () => {
        expect(of("spoof", c).reduce((a, r) => a + r.points, 0)).toBe(0);
        expect(of("spoof", c)[0].status).toBe("failed");
      });

      it("restores edited and deleted check cells", () => {
        expect(of("edits", c).map((r) => r.status)).toEqual(c.exercises.map(() => "passed"));
      });

      it("pins an infinite loop and a memory bomb on their exercises; the others pass", () => {
        const hang = of("hang", c);
        expect(hang[c.hang].status).toBe("timeout");
        expect(hang[c.hang].message).toMatch(/^cell \d+ \(.*did not finish within 20 s/);
        for (const i of independentOf(c, c.hang)) expect(hang[i].status, hang[i].exercise).toBe("passed");
        const bomb = of("bomb", c);
        expect(bomb[c.bomb].status).toBe("out of memory");
        for (const i of independentOf(c, c.bomb)) expect(bomb[i].status, bomb[i].exercise).toBe("passed");
      });

      it("reports a damaged file as unreadable", () => {
        expect(of("broken", c).every((r) => r.status === "unreadable" && r.message.includes("not valid JSON"))).toBe(true);
      });
    });
  }

  it("gives identical report files when run again", () => {
    for (const f of ["grades.csv", "grades.json", ...fs.readdirSync(path.join(out1, "feedback")).map((n) => `feedback/${n}`)]) {
      expect(fs.readFileSync(path.join(out2, f), "utf8"), f).toBe(fs.readFileSync(path.join(out1, f), "utf8"));
    }
  });
});
