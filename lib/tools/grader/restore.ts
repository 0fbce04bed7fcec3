/**
 * Put a submission back into the shape the course gave it, before it runs (nbgrader's
 * "overwrite cells" step, matched by nbgrader grade_id):
 *  - every locked cell of the course (check cells, read-only cells) gets the course's source
 *    and metadata, whatever the submission did to it (edited, emptied, turned into markdown);
 *    duplicates of a locked cell are dropped; locked cells the submission deleted are put back
 *    after the nearest cell that precedes them in the course;
 *  - solution cells keep the learner's code but get the course's metadata; a deleted solution
 *    cell comes back as the student stub — unless the learner defines that function elsewhere;
 *  - cells that claim nbgrader metadata the course does not have lose it (they are plain code);
 *  - outputs are dropped (the grader never reads a submission's outputs).
 *
 * The locked cells come from the *student* version, i.e. without hidden tests: code run in
 * a submission's kernel must never see the hidden tests' expected values. Hidden tests are
 * graded by the grader itself (grade.ts), with the expected values kept in its own process.
 */
import { Cell, cellSource, gradeId, isLockedCell, isSolutionCell, nbgrader, Notebook } from "./notebook";

export interface RestoreReport {
  /** Locked cells whose source the submission had changed (grade ids). */
  edited: string[];
  /** Locked or solution cells the submission had deleted, put back (grade ids). */
  reinserted: string[];
  /** Duplicated locked cells dropped (grade ids). */
  droppedDuplicates: string[];
}

function copyCell(cell: Cell): Cell {
  return JSON.parse(JSON.stringify(cell)) as Cell;
}

function cleared(cell: Cell): Cell {
  const c = copyCell(cell);
  if (c.cell_type === "code") {
    c.outputs = [];
    c.execution_count = null;
  } else {
    delete c.outputs;
    delete c.execution_count;
  }
  return c;
}

/** Does some code cell declare `name` (function, const, let, var or class)? */
function declares(cells: Cell[], name: string): boolean {
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) return false;
  const re = new RegExp(`(^|[^\\w$.])(function\\s*\\*?\\s*|const\\s+|let\\s+|var\\s+|class\\s+)${name.replace(/\$/g, "\\$")}(?![\\w$])`);
  return cells.some((c) => c.cell_type === "code" && re.test(cellSource(c)));
}

/**
 * `student` is the student version of the course notebook; `fnNames` maps a solution
 * grade_id to the function its check cell calls (to spot solutions moved to another cell).
 */
export function restoreSubmission(submission: Notebook, student: Notebook, fnNames: Record<string, string> = {}): { notebook: Notebook; report: RestoreReport } {
  const report: RestoreReport = { edited: [], reinserted: [], droppedDuplicates: [] };
  const courseById = new Map<string, { cell: Cell; index: number }>();
  student.cells.forEach((cell, index) => {
    const id = gradeId(cell);
    if (id && (isLockedCell(cell) || isSolutionCell(cell))) courseById.set(id, { cell, index });
  });

  const out: Cell[] = [];
  const placed = new Set<string>();
  for (const raw of submission.cells) {
    const id = gradeId(raw);
    const course = id ? courseById.get(id) : undefined;
    if (course && isLockedCell(course.cell)) {
      if (placed.has(id as string)) {
        report.droppedDuplicates.push(id as string);
        continue;
      }
      if (cellSource(raw) !== cellSource(course.cell) || raw.cell_type !== course.cell.cell_type) report.edited.push(id as string);
      out.push(cleared(course.cell));
      placed.add(id as string);
    } else if (course && isSolutionCell(course.cell)) {
      const cell = cleared({ ...raw, cell_type: "code" }); // a solution turned into markdown runs again
      cell.metadata = { ...cell.metadata, nbgrader: { ...(nbgrader(course.cell) as object) } };
      out.push(cell);
      placed.add(id as string);
    } else {
      const cell = cleared(raw);
      if (nbgrader(cell)) {
        const meta = { ...cell.metadata };
        delete meta.nbgrader;
        cell.metadata = meta;
      }
      out.push(cell);
    }
  }

  // Put back what was deleted, in course order, after the nearest course cell already present.
  const where = (cell: Cell): string | undefined => gradeId(cell) ?? (typeof cell.id === "string" ? `id:${cell.id}` : undefined);
  student.cells.forEach((cell, index) => {
    const id = gradeId(cell);
    if (!id || placed.has(id) || !(isLockedCell(cell) || isSolutionCell(cell))) return;
    if (isSolutionCell(cell) && fnNames[id] && declares(out, fnNames[id])) return; // solution moved to an untagged cell
    let at = out.length;
    for (let j = index - 1; j >= 0; j--) {
      const key = where(student.cells[j]);
      if (!key) continue;
      const k = out.findIndex((c) => where(c) === key);
      if (k >= 0) {
        at = k + 1;
        break;
      }
    }
    out.splice(at, 0, cleared(cell));
    placed.add(id);
    report.reinserted.push(id);
  });

  const notebook: Notebook = { ...submission, cells: out, metadata: { ...student.metadata }, nbformat: 4, nbformat_minor: student.nbformat_minor };
  return { notebook, report };
}
