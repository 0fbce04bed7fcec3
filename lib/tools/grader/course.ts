/**
 * What the course's own notebooks say about their exercises — the grader's source of truth.
 *
 * For every check cell (nbgrader `grade: true`, grade_id "<id>-check") the course notebook has
 *   await check("<id>", <function expression>[, { cases: [ …hidden tests… ] }]);
 * From it we take the exercise id, which learner function to call (the expression, never
 * the submission's), the points, and the extra cases. Hidden tests sit between
 * `// BEGIN HIDDEN TESTS` and `// END HIDDEN TESTS` inside that `cases` array; they are
 * evaluated here, in the grader's process, so their expected values never reach a kernel.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { findExercise } from "../../exercises/registry";
import { Exercise, ExerciseCase } from "../../exercises/types";
import { Cell, cellSource, gradeId, isSolutionCell, nbgrader, Notebook, parseNotebook } from "./notebook";

export { courseNotebookFiles } from "../paths";

/** The course's notebooks or exercise definitions are inconsistent; the message says how to fix it. */
export class CourseError extends Error {}

export const BEGIN_SOLUTION = /^\s*\/\/\s*BEGIN SOLUTION\s*$/;
export const END_SOLUTION = /^\s*\/\/\s*END SOLUTION\s*$/;
export const BEGIN_HIDDEN = /^\s*\/\/\s*BEGIN HIDDEN TESTS\s*$/;
export const END_HIDDEN = /^\s*\/\/\s*END HIDDEN TESTS\s*$/;

/** Line ranges [begin, end] (0-based, inclusive of the marker lines) of BEGIN/END blocks. */
export function markerBlocks(source: string, begin: RegExp, end: RegExp, what: string): [number, number][] {
  const lines = source.split("\n");
  const blocks: [number, number][] = [];
  let open: number | null = null;
  lines.forEach((line, i) => {
    if (begin.test(line)) {
      if (open !== null) throw new CourseError(`${what}: a second BEGIN on line ${i + 1} before the END of the one on line ${open + 1}`);
      open = i;
    } else if (end.test(line)) {
      if (open === null) throw new CourseError(`${what}: END on line ${i + 1} without a BEGIN`);
      blocks.push([open, i]);
      open = null;
    }
  });
  if (open !== null) throw new CourseError(`${what}: BEGIN on line ${(open as number) + 1} has no END`);
  return blocks;
}

export interface CourseExercise {
  id: string;
  /** Notebook name without .ipynb, e.g. "00-introduction". */
  notebook: string;
  /** Points of the check cell (nbgrader metadata); equal to the lib definition's. */
  points: number;
  /** The learner function to call, as written in the course's check cell, e.g. "blockParams". */
  fnExpr: string;
  checkCellIndex: number;
  solutionCellIndex: number;
  /** Source text of the `cases: [...]` array of the check call, if any. */
  extraCasesText: string | null;
  /** For each element of that array: is it inside a HIDDEN TESTS block? */
  extraCaseHidden: boolean[];
  exercise: Exercise;
}

export interface CourseNotebook {
  name: string;
  file: string;
  notebook: Notebook;
  exercises: CourseExercise[];
}

interface CheckCall {
  id: string;
  fnExpr: string;
  casesArray: ts.ArrayLiteralExpression | null;
  source: ts.SourceFile;
}

function parseTs(text: string): ts.SourceFile {
  return ts.createSourceFile("cell.ts", text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** Every `check("<id>", fn, options?)` call in a cell. */
function findCheckCalls(text: string, where: string): CheckCall[] {
  const source = parseTs(text);
  const calls: CheckCall[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "check" && node.arguments.length >= 2) {
      const [idArg, fnArg, optArg] = node.arguments;
      if (ts.isStringLiteralLike(idArg)) {
        let casesArray: ts.ArrayLiteralExpression | null = null;
        if (optArg) {
          if (!ts.isObjectLiteralExpression(optArg)) throw new CourseError(`${where}: the third argument of check must be an object literal, e.g. { cases: [ … ] }`);
          for (const p of optArg.properties) {
            if (p.name && ts.isIdentifier(p.name) && p.name.text === "cases") {
              if (!ts.isPropertyAssignment(p) || !ts.isArrayLiteralExpression(p.initializer)) {
                throw new CourseError(`${where}: write extra and hidden tests as check(id, fn, { cases: [ { label, args: [...], expected }, … ] })`);
              }
              casesArray = p.initializer;
            }
          }
        }
        calls.push({ id: idArg.text, fnExpr: fnArg.getText(source), casesArray, source });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return calls;
}

function lineOf(source: ts.SourceFile, pos: number): number {
  return source.getLineAndCharacterOfPosition(pos).line;
}

/**
 * Read a course notebook's exercises and check them against lib/exercises
 * (ids known, points equal, one solution cell per exercise, markers balanced).
 */
export function readCourseNotebook(file: string): CourseNotebook {
  const { name, notebook } = readNotebookFile(file);
  return courseNotebookFrom(name, file, notebook);
}

/** A course notebook file, parsed but not yet checked; its name is the file name without .ipynb. */
export function readNotebookFile(file: string): { name: string; notebook: Notebook } {
  try {
    return { name: path.basename(file, ".ipynb"), notebook: parseNotebook(fs.readFileSync(file, "utf8")) };
  } catch (err) {
    throw new CourseError(`${file}: ${(err as Error).message}`);
  }
}

export function courseNotebookFrom(name: string, file: string, notebook: Notebook): CourseNotebook {
  const exercises: CourseExercise[] = [];
  const seen = new Set<string>();
  notebook.cells.forEach((cell, index) => {
    const where = `${name}, cell ${index + 1}`;
    const text = cellSource(cell);
    const sol = markerBlocks(text, BEGIN_SOLUTION, END_SOLUTION, `${where} (SOLUTION markers)`);
    const hid = markerBlocks(text, BEGIN_HIDDEN, END_HIDDEN, `${where} (HIDDEN TESTS markers)`);
    const meta = nbgrader(cell);
    if (sol.length && !isSolutionCell(cell)) {
      throw new CourseError(`${where} has // BEGIN SOLUTION but is not an nbgrader solution cell: give it metadata "nbgrader": {"solution": true, "grade_id": "<exercise id>", …}`);
    }
    if (isSolutionCell(cell) && sol.length === 0) throw new CourseError(`${where} is a solution cell without // BEGIN SOLUTION … // END SOLUTION`);
    if (hid.length && !(meta?.grade === true)) throw new CourseError(`${where} has HIDDEN TESTS markers outside a check cell (nbgrader "grade": true)`);
    if (cell.cell_type !== "code" || meta?.grade !== true) return;

    const gid = gradeId(cell);
    if (!gid || !gid.endsWith("-check")) throw new CourseError(`${where}: a check cell's grade_id must be "<exercise id>-check" (got ${JSON.stringify(gid)})`);
    const id = gid.slice(0, -"-check".length);
    if (meta.locked !== true) throw new CourseError(`${where}: check cell ${gid} must be locked ("locked": true)`);
    const calls = findCheckCalls(text, where).filter((c) => c.id === id);
    if (calls.length !== 1) throw new CourseError(`${where}: check cell ${gid} must call check("${id}", yourFunction) exactly once (found ${calls.length})`);
    const call = calls[0];
    if (seen.has(id)) throw new CourseError(`${where}: a second check cell for ${id}`);
    seen.add(id);

    let exercise: Exercise;
    try {
      exercise = findExercise(id);
    } catch (err) {
      throw new CourseError(`${where}: ${(err as Error).message} (add it to lib/exercises/<chapter>.ts and registry.ts)`);
    }
    const points = meta.points;
    if (typeof points !== "number" || points !== exercise.points) {
      throw new CourseError(`${where}: check cell ${gid} has "points": ${JSON.stringify(points)} but lib/exercises defines ${id} with points: ${exercise.points}; make them equal`);
    }
    const solutionCellIndex = notebook.cells.findIndex((c) => isSolutionCell(c) && gradeId(c) === id);
    if (solutionCellIndex < 0) throw new CourseError(`${name}: exercise ${id} has a check cell but no solution cell with grade_id "${id}"`);

    for (const [b, e] of hid) {
      const inside = call.casesArray && lineOf(call.source, call.casesArray.getStart(call.source)) < b && lineOf(call.source, call.casesArray.getEnd()) > e;
      if (!inside) throw new CourseError(`${where}: a HIDDEN TESTS block (lines ${b + 1}–${e + 1}) must sit inside the cases: [ … ] array of the check call`);
    }
    const extraCaseHidden = call.casesArray
      ? call.casesArray.elements.map((el) => {
          const line = lineOf(call.source, el.getStart(call.source));
          return hid.some(([b, e]) => line > b && line < e);
        })
      : [];
    exercises.push({
      id,
      notebook: name,
      points,
      fnExpr: call.fnExpr,
      checkCellIndex: index,
      solutionCellIndex,
      extraCasesText: call.casesArray ? call.casesArray.getText(call.source) : null,
      extraCaseHidden,
      exercise,
    });
  });
  for (const [i, c] of notebook.cells.entries()) {
    const id = isSolutionCell(c) ? gradeId(c) : undefined;
    if (isSolutionCell(c) && (!id || !seen.has(id))) {
      throw new CourseError(`${name}, cell ${i + 1}: solution cell ${JSON.stringify(id)} has no check cell (grade_id "${id}-check")`);
    }
  }
  return { name, file, notebook, exercises };
}

/** Import declarations of all code cells (they give hidden tests names such as `tf`). */
function notebookImports(cells: Cell[]): string[] {
  const out: string[] = [];
  for (const cell of cells) {
    if (cell.cell_type !== "code") continue;
    const sf = parseTs(cellSource(cell));
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st) || ts.isImportEqualsDeclaration(st)) out.push(st.getText(sf));
    }
  }
  return out;
}

function ensureTsRequire(): void {
  // The grader runs under ts-node (npm run grade); a plain Node process (tests) needs the hook.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  if (!require.extensions[".ts"]) (require("ts-node") as typeof import("ts-node")).register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
}

/**
 * Evaluate the extra `cases` array of a course check cell in this process. The code may use
 * literals and anything the notebook imports (e.g. `tf.tensor2d(…)`), not variables that
 * notebook cells compute.
 */
export function evaluateExtraCases(course: CourseNotebook, ex: CourseExercise): ExerciseCase[] {
  if (!ex.extraCasesText) return [];
  const dir = path.dirname(course.file);
  const code = [...notebookImports(course.notebook.cells), `export const cases = (${ex.extraCasesText});`].join("\n");
  const js = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
  }).outputText;
  ensureTsRequire();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const Module = require("module") as {
    new (id: string, parent: unknown): { filename: string; paths: string[]; exports: Record<string, unknown>; _compile(code: string, file: string): void };
    _nodeModulePaths(dir: string): string[];
  };
  const filename = path.join(dir, `__${ex.id}-hidden-tests__.js`);
  const m = new Module(filename, null);
  m.filename = filename;
  m.paths = Module._nodeModulePaths(dir);
  try {
    m._compile(js, filename);
  } catch (err) {
    throw new CourseError(
      `${course.name}: the extra/hidden tests of ${ex.id} could not be evaluated by the grader: ${(err as Error).message}. ` +
        `They may use literals and names imported in the notebook (import … from …), not variables computed in notebook cells.`,
    );
  }
  const cases = m.exports.cases;
  if (!Array.isArray(cases) || !cases.every((c) => c && typeof c === "object" && Array.isArray((c as ExerciseCase).args) && "expected" in (c as object))) {
    throw new CourseError(`${course.name}: the cases of ${ex.id} must be a list of { label?, args: [...], expected }`);
  }
  return cases as ExerciseCase[];
}
