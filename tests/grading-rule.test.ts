/**
 * The course rule behind fast grading (lib/tools/grader/plan.ts), for every chapter:
 * an exercise depends only on the chapter's setup cells (`"tags": ["setup"]`) and earlier
 * exercise cells.
 *
 * 1. Statically: in the course's notebook, the grader's plan adds no other cell (no
 *    untagged cell declares a name an exercise or setup cell uses), setup tags sit on code
 *    cells only, and every chapter with exercises tags at least its setupBackend() cell.
 * 2. In real kernels: the reference notebooks, graded by the grader itself (which runs only
 *    the planned cells), pass every exercise with no fault.
 *
 * A chapter that tags no setup cell yet is reported as skipped, with the fix in its name.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCourseNotebook } from "../lib/tools/grader/course";
import { gradeSubmissions } from "../lib/tools/grader/grade";
import { cellSource, Notebook } from "../lib/tools/grader/notebook";
import { cellTags, hasSetupTags, planCells, SETUP_TAG, untaggedNeeds } from "../lib/tools/grader/plan";
import { NotebookGrade } from "../lib/tools/grader/report";
import { findPython } from "../lib/tools/cli/python";
import { courseNotebookFiles, repoRoot } from "../lib/tools/paths";

const REPO = repoRoot();
const chapters = courseNotebookFiles(path.join(REPO, "notebooks"))
  .map((f) => readCourseNotebook(f))
  .filter((c) => c.exercises.length > 0);
const tagged = chapters.filter((c) => hasSetupTags(c.notebook));
const untagged = chapters.filter((c) => !hasSetupTags(c.notebook));

function setupBackendCell(nb: Notebook): number {
  return nb.cells.findIndex((c) => c.cell_type === "code" && /\bsetupBackend\(/.test(cellSource(c)));
}

describe("the fast-grading rule, statically", () => {
  it("covers the chapters", () => {
    expect(chapters.length).toBeGreaterThanOrEqual(8);
    expect(tagged.map((c) => c.name)).toEqual(expect.arrayContaining(["00-introduction", "03-transformer", "07-fine-tuning"]));
  });

  for (const c of tagged) {
    it(`${c.name}: exercises need no untagged cell; the setupBackend() cell is tagged; tags only on code cells`, () => {
      expect(untaggedNeeds(c.notebook, c.name)).toEqual([]);
      const sb = setupBackendCell(c.notebook);
      expect(sb, `${c.name}: no setupBackend() cell`).toBeGreaterThanOrEqual(0);
      expect(cellTags(c.notebook.cells[sb]), `${c.name}, cell ${sb + 1}: add "tags": ["${SETUP_TAG}"] to the setupBackend() cell`).toContain(SETUP_TAG);
      for (const [i, cell] of c.notebook.cells.entries()) {
        if (cellTags(cell).includes(SETUP_TAG)) expect(cell.cell_type, `${c.name}, cell ${i + 1}: a "${SETUP_TAG}" tag on a ${cell.cell_type} cell`).toBe("code");
      }
      // The plan: setup cells and solution cells, nothing of the experiments.
      const plan = planCells(c.notebook);
      expect(plan.filter((p) => p.reason === "exercise").length).toBe(c.exercises.length);
      expect(plan.every((p) => p.reason !== "needed")).toBe(true);
    });
  }

  for (const c of untagged) {
    const sb = setupBackendCell(c.notebook);
    const needs = untaggedNeeds(c.notebook, c.name).map((l) => l.replace(/^.*?, cell (\d+).*$/, "$1"));
    it.skip(`${c.name}: tags no setup cell yet — add "tags": ["${SETUP_TAG}"] to cell${needs.length ? "s" : ""} ${[sb + 1, ...needs].join(", ")}`, () => undefined);
  }
});

describe("the fast-grading rule, in kernels: each reference notebook graded from its setup and exercise cells only", () => {
  let tmp: string;
  let grades: NotebookGrade[] = [];
  const python = findPython(REPO, "run").found?.executable;

  beforeAll(async () => {
    if (!python) throw new Error("no Python with Jupyter: run npm run setup");
    // A snapshot of the course: others may edit lib/ while this runs, and the grader checks the course stays unchanged.
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-grading-rule-"));
    fs.chmodSync(tmp, 0o755);
    const course = path.join(tmp, "course");
    fs.mkdirSync(path.join(course, "notebooks"), { recursive: true });
    for (const d of ["lib", "datasets"]) fs.cpSync(path.join(REPO, d), path.join(course, d), { recursive: true });
    for (const f of ["package.json", "tsconfig.json"]) fs.copyFileSync(path.join(REPO, f), path.join(course, f));
    fs.symlinkSync("../lib", path.join(course, "notebooks", "lib"));
    fs.symlinkSync(fs.realpathSync(path.join(REPO, "node_modules")), path.join(course, "node_modules"));
    const subs = path.join(tmp, "submissions", "reference");
    fs.mkdirSync(subs, { recursive: true });
    for (const c of chapters) {
      fs.copyFileSync(c.file, path.join(course, "notebooks", `${c.name}.ipynb`));
      if (hasSetupTags(c.notebook)) fs.copyFileSync(c.file, path.join(subs, `${c.name}.ipynb`));
    }
    const run = await gradeSubmissions({
      root: course,
      submissions: path.join(tmp, "submissions"),
      timeout: 300,
      notebookTimeout: 900,
      memoryMb: 2048,
      jobs: 2,
      notebooks: tagged.map((c) => c.name),
      python,
      log: process.env.TINY_LLM_GRADE_DEBUG ? (l) => console.log(l) : undefined,
    });
    grades = run.grades;
  }, 1_800_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const c of tagged) {
    it(`${c.name}: every exercise passes, nothing faulted`, () => {
      const g = grades.find((x) => x.notebook === c.name);
      expect(g, `${c.name} was not graded`).toBeDefined();
      const failed = (g as NotebookGrade).exercises.filter((e) => e.status !== "passed").map((e) => `${e.id}: ${e.status}: ${e.message}`);
      expect(failed, `${c.name}: with only its setup cells and exercise cells run — tag what these need "${SETUP_TAG}" (cell errors: ${JSON.stringify(g?.cellErrors)})`).toEqual([]);
      expect(g?.faults).toEqual([]);
      expect(g?.cellErrors).toEqual([]);
      expect(g?.points).toBe(g?.maxPoints);
    });
  }
});
