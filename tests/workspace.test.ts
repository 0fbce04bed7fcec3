/**
 * The learner's workspace: student versions on first start, new chapters added later, and
 * nothing the learner wrote ever overwritten — even when the course's copy of that chapter
 * changed (the new version is offered beside it). Runs on a temporary copy of the course.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { parseNotebook, notebookText, cellSource } from "../lib/tools/grader/notebook";
import { makeStudentNotebook } from "../lib/tools/grader/student";
import { compareChapter, MANIFEST, resetChapter, syncWorkspace, UPDATE_SUFFIX, WorkspaceError } from "../lib/tools/cli/workspace";

const root = path.resolve(__dirname, "..");
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

/** A course copy: its own notebooks/ (copies of 00 and 01) and lib/ linked to the real lib. */
function courseCopy(chapters = ["00-introduction", "01-tokens"]): { course: string; ws: string } {
  const course = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-ws-course-"));
  temps.push(course);
  fs.mkdirSync(path.join(course, "notebooks"));
  fs.symlinkSync(path.join(root, "lib"), path.join(course, "lib"));
  for (const c of chapters) fs.copyFileSync(path.join(root, "notebooks", `${c}.ipynb`), path.join(course, "notebooks", `${c}.ipynb`));
  fs.writeFileSync(path.join(course, "notebooks", "glossary.md"), "# Glossary\n");
  return { course, ws: path.join(course, "workspace") };
}

const quiet = { log: () => undefined };

function editCell(file: string, find: (src: string) => boolean, change: (src: string) => string): void {
  const nb = parseNotebook(fs.readFileSync(file, "utf8"));
  const cell = nb.cells.find((c) => find(cellSource(c)));
  if (!cell) throw new Error(`no matching cell in ${file}`);
  cell.source = change(cellSource(cell));
  fs.writeFileSync(file, notebookText(nb));
}

describe("the learner's workspace", () => {
  it("starts with the student version of every chapter and a working lib link", () => {
    const { course, ws } = courseCopy();
    const { events } = syncWorkspace({ root: course, dir: ws, ...quiet });
    expect(events.map((e) => [e.chapter, e.kind])).toEqual([["00-introduction.ipynb", "added"], ["01-tokens.ipynb", "added"]]);
    const mine = fs.readFileSync(path.join(ws, "00-introduction.ipynb"), "utf8");
    const course00 = parseNotebook(fs.readFileSync(path.join(course, "notebooks", "00-introduction.ipynb"), "utf8"));
    // Exactly what `npm run student` makes.
    expect(mine).toBe(notebookText(makeStudentNotebook(course00, "00-introduction")));
    expect(mine).toContain("not implemented yet");
    const codeCells = parseNotebook(mine).cells.filter((c) => c.cell_type === "code").map(cellSource);
    expect(codeCells.some((src) => src.includes("// BEGIN SOLUTION"))).toBe(false);
    // lib is importable from the workspace as from notebooks/.
    expect(fs.existsSync(path.join(ws, "lib", "notebook.ts"))).toBe(true);
    expect(fs.realpathSync(path.join(ws, "lib"))).toBe(fs.realpathSync(path.join(root, "lib")));
    expect(fs.existsSync(path.join(ws, MANIFEST))).toBe(true);
    // The course's other pages the chapters link to come along.
    expect(fs.readFileSync(path.join(ws, "glossary.md"), "utf8")).toBe("# Glossary\n");
    // A second start changes nothing.
    const again = syncWorkspace({ root: course, dir: ws, ...quiet });
    expect(again.events.every((e) => e.kind === "unchanged")).toBe(true);
    expect(fs.readFileSync(path.join(ws, "00-introduction.ipynb"), "utf8")).toBe(mine);
  });

  it("adds new chapters later, updates untouched ones, and never overwrites a chapter the learner changed", () => {
    const { course, ws } = courseCopy(["00-introduction"]);
    syncWorkspace({ root: course, dir: ws, ...quiet });
    const mineFile = path.join(ws, "00-introduction.ipynb");

    // The learner solves an exercise (the stub becomes their code) and runs the notebook.
    const solved = "  return 42; // my own answer\n";
    editCell(mineFile, (s) => s.includes("not implemented yet"), (s) => s.replace(/ *\/\/ Your code here\.\n *throw new Error\([^\n]*\);/, solved.trimEnd()));
    const myText = fs.readFileSync(mineFile, "utf8");
    expect(myText).toContain("my own answer");

    // The course changes that chapter (a new sentence in the first markdown cell) and adds chapter 01.
    const courseFile = path.join(course, "notebooks", "00-introduction.ipynb");
    editCell(courseFile, () => true, (s) => s + "\n\nA sentence the course added later.");
    fs.copyFileSync(path.join(root, "notebooks", "01-tokens.ipynb"), path.join(course, "notebooks", "01-tokens.ipynb"));

    const lines: string[] = [];
    const { events } = syncWorkspace({ root: course, dir: ws, log: (l) => lines.push(l) });
    expect(events.find((e) => e.chapter === "01-tokens.ipynb")?.kind).toBe("added");
    expect(events.find((e) => e.chapter === "00-introduction.ipynb")?.kind).toBe("offered");
    // The learner's file is byte for byte what they saved.
    expect(fs.readFileSync(mineFile, "utf8")).toBe(myText);
    // The new version is beside it, and the message says so.
    const offered = path.join(ws, `00-introduction${UPDATE_SUFFIX}.ipynb`);
    expect(fs.readFileSync(offered, "utf8")).toContain("A sentence the course added later.");
    expect(lines.join("\n")).toMatch(/00-introduction\.ipynb has your changes .* your file is untouched; the new version is beside it as 00-introduction\.course-update\.ipynb/);

    // Starting again changes nothing and writes no second copy.
    const third = syncWorkspace({ root: course, dir: ws, ...quiet });
    expect(third.events.map((e) => e.kind)).toEqual(["kept", "unchanged"]);
    expect(fs.readdirSync(ws).filter((f) => f.startsWith("00-")).sort()).toEqual(["00-introduction.course-update.ipynb", "00-introduction.ipynb"]);
    expect(fs.readFileSync(mineFile, "utf8")).toBe(myText);

    // Comparing shows the learner's answer next to the reference solution.
    const cmp = compareChapter(mineFile, courseFile);
    const mineCmp = cmp.find((c) => c.mine?.includes("my own answer"));
    expect(mineCmp?.reference).toContain("BEGIN SOLUTION");
  });

  it("updates a chapter the learner only ran (outputs do not count as changes)", () => {
    const { course, ws } = courseCopy(["00-introduction"]);
    syncWorkspace({ root: course, dir: ws, ...quiet });
    const mineFile = path.join(ws, "00-introduction.ipynb");
    const nb = parseNotebook(fs.readFileSync(mineFile, "utf8"));
    const code = nb.cells.find((c) => c.cell_type === "code")!;
    code.outputs = [{ output_type: "stream", name: "stdout", text: ["ran it\n"] }];
    code.execution_count = 1;
    fs.writeFileSync(mineFile, notebookText(nb));
    editCell(path.join(course, "notebooks", "00-introduction.ipynb"), () => true, (s) => s + "\n\nNew text.");
    const { events } = syncWorkspace({ root: course, dir: ws, ...quiet });
    expect(events[0].kind).toBe("updated");
    expect(fs.readFileSync(mineFile, "utf8")).toContain("New text.");
  });

  it("restores a deleted chapter, and reset moves the learner's copy aside instead of deleting it", () => {
    const { course, ws } = courseCopy(["00-introduction"]);
    syncWorkspace({ root: course, dir: ws, ...quiet });
    const mineFile = path.join(ws, "00-introduction.ipynb");
    fs.rmSync(mineFile);
    expect(syncWorkspace({ root: course, dir: ws, ...quiet }).events[0].kind).toBe("restored");

    editCell(mineFile, (s) => s.includes("not implemented yet"), (s) => s + "\n// my notes");
    const mine = fs.readFileSync(mineFile, "utf8");
    const { backup } = resetChapter("00-introduction.ipynb", { root: course, dir: ws, ...quiet });
    expect(backup).toMatch(/^00-introduction\.before-reset-\d{8}-\d{6}\.ipynb$/);
    expect(fs.readFileSync(path.join(ws, backup!), "utf8")).toBe(mine);
    expect(fs.readFileSync(mineFile, "utf8")).not.toContain("// my notes");
  });

  it("refuses a real folder where the lib link belongs, and notebooks/ as the workspace", () => {
    const { course, ws } = courseCopy(["00-introduction"]);
    fs.mkdirSync(path.join(ws, "lib"), { recursive: true });
    fs.writeFileSync(path.join(ws, "lib", "mine.ts"), "export const x = 1;\n");
    expect(() => syncWorkspace({ root: course, dir: ws, ...quiet })).toThrow(WorkspaceError);
    expect(() => syncWorkspace({ root: course, dir: ws, ...quiet })).toThrow(/not the link to the course's lib/);
    expect(fs.existsSync(path.join(ws, "lib", "mine.ts"))).toBe(true);
    expect(() => syncWorkspace({ root: course, dir: path.join(course, "notebooks"), ...quiet })).toThrow(/must not be notebooks/);
  });

  it("npm run workspace -- compare prints the learner's answer next to the reference", () => {
    const { course, ws } = courseCopy(["00-introduction"]);
    syncWorkspace({ root: course, dir: ws, ...quiet });
    const tsNode = path.join(root, "node_modules", "ts-node", "dist", "bin.js");
    const res = spawnSync(process.execPath, [tsNode, "--transpile-only", path.join(root, "lib", "tools", "cli", "workspace.ts"), "compare", "00"], {
      cwd: root,
      env: { ...process.env, TINY_LLM_WORKSPACE: ws },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/=== 00-[\w-]+: yours ===\n[\s\S]*not implemented yet[\s\S]*=== 00-[\w-]+: reference ===\n[\s\S]*BEGIN SOLUTION/);
  });
});
