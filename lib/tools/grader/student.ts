/**
 * Student versions of the course notebooks (like nbgrader's "generate assignment"):
 *  - in solution cells, the lines from `// BEGIN SOLUTION` to `// END SOLUTION` become
 *        // Your code here.
 *        throw new Error("Exercise <id>: not implemented yet");
 *    at the same indentation, so the function keeps its signature and later cells still
 *    type-check (a function whose body only throws satisfies any return type);
 *  - `// BEGIN HIDDEN TESTS` … `// END HIDDEN TESTS` blocks are removed;
 *  - outputs and execution counts are cleared; nbgrader metadata is kept.
 * The course notebook is validated first (see course.ts), so a student version is never
 * made from a notebook the grader could not grade.
 */
import * as fs from "fs";
import * as path from "path";
import { BEGIN_HIDDEN, BEGIN_SOLUTION, courseNotebookFrom, CourseError, END_HIDDEN, END_SOLUTION, markerBlocks, readNotebookFile } from "./course";
import { Cell, cellSource, cloneNotebook, gradeId, isSolutionCell, Notebook, notebookText } from "./notebook";

/** The stub a learner sees in place of the solution. */
export function stubLines(id: string, indent: string): string[] {
  return [`${indent}// Your code here.`, `${indent}throw new Error(${JSON.stringify(`Exercise ${id}: not implemented yet`)});`];
}

/** Replace every SOLUTION block of a cell's text with the stub. */
export function stripSolutions(text: string, id: string, where = "cell"): string {
  const blocks = markerBlocks(text, BEGIN_SOLUTION, END_SOLUTION, where);
  if (blocks.length === 0) return text;
  const lines = text.split("\n");
  const out: string[] = [];
  let i = 0;
  for (const [b, e] of blocks) {
    out.push(...lines.slice(i, b));
    const indent = (lines[b].match(/^\s*/) as RegExpMatchArray)[0];
    if (indent === "") {
      throw new CourseError(
        `${where}: // BEGIN SOLUTION must be inside a function body (indented); at the top level of a cell the stub would throw when the student runs the cell and stop "Run All"`,
      );
    }
    out.push(...stubLines(id, indent));
    i = e + 1;
  }
  out.push(...lines.slice(i));
  return out.join("\n");
}

/** Remove every HIDDEN TESTS block (marker lines included). */
export function stripHiddenTests(text: string, where = "cell"): string {
  const blocks = markerBlocks(text, BEGIN_HIDDEN, END_HIDDEN, where);
  if (blocks.length === 0) return text;
  const lines = text.split("\n");
  return lines.filter((_l, i) => !blocks.some(([b, e]) => i >= b && i <= e)).join("\n");
}

function clearCell(cell: Cell): Cell {
  if (cell.cell_type !== "code") return cell;
  return { ...cell, outputs: [], execution_count: null };
}

/** The student version of a course notebook (validated against lib/exercises first). */
export function makeStudentNotebook(course: Notebook, name = "notebook"): Notebook {
  courseNotebookFrom(name, name, course); // throws CourseError if the course notebook is inconsistent
  const nb = cloneNotebook(course);
  nb.cells = nb.cells.map((cell, i) => {
    const where = `${name}, cell ${i + 1}`;
    let text = cellSource(cell);
    if (isSolutionCell(cell)) text = stripSolutions(text, gradeId(cell) as string, where);
    text = stripHiddenTests(text, where);
    return clearCell({ ...cell, source: text });
  });
  return nb;
}

export interface StudentBuild {
  name: string;
  out: string;
  exercises: number;
}

/**
 * Write the student versions of `files` into `outDir`, and a `lib` symlink next to them
 * (as notebooks/lib) so they open and run from the checkout.
 */
export function writeStudentVersions(files: string[], outDir: string, libDir: string): StudentBuild[] {
  fs.mkdirSync(outDir, { recursive: true });
  const built: StudentBuild[] = [];
  for (const file of files) {
    const { name, notebook: course } = readNotebookFile(file);
    const student = makeStudentNotebook(course, name);
    const out = path.join(outDir, `${name}.ipynb`);
    fs.writeFileSync(out, notebookText(student));
    built.push({ name, out, exercises: student.cells.filter(isSolutionCell).length });
  }
  const link = path.join(outDir, "lib");
  let present = false;
  try {
    fs.lstatSync(link);
    present = true;
  } catch {
    present = false;
  }
  if (!present) fs.symlinkSync(path.relative(outDir, libDir), link, process.platform === "win32" ? "junction" : "dir");
  return built;
}
