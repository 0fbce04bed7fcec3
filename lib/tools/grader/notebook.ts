/**
 * Reading and writing .ipynb files (nbformat 4) with nbgrader cell metadata.
 *
 * Submissions are untrusted: `parseNotebook` accepts only the shape the grader needs and
 * turns anything else into an `UnreadableNotebook` error whose message says what is wrong.
 */

export interface NbgraderMeta {
  grade?: boolean;
  grade_id?: string;
  locked?: boolean;
  solution?: boolean;
  points?: number;
  schema_version?: number;
  [key: string]: unknown;
}

export interface Cell {
  cell_type: string;
  id?: string;
  metadata: { nbgrader?: NbgraderMeta; [key: string]: unknown };
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
  [key: string]: unknown;
}

export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
  [key: string]: unknown;
}

/** The file is not a notebook the grader can run. */
export class UnreadableNotebook extends Error {}

/** Largest notebook file the grader reads (outputs of plots make notebooks big, not this big). */
export const MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024;

/** A cell's source as one string. */
export function cellSource(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** nbformat's on-disk form: a list of lines, each but the last ending in "\n". */
export function sourceLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  return lines.map((l, i) => (i < lines.length - 1 ? l + "\n" : l)).filter((l) => l !== "");
}

export function nbgrader(cell: Cell): NbgraderMeta | undefined {
  const m = cell.metadata && typeof cell.metadata === "object" ? cell.metadata.nbgrader : undefined;
  return m && typeof m === "object" && !Array.isArray(m) ? m : undefined;
}

export function gradeId(cell: Cell): string | undefined {
  const id = nbgrader(cell)?.grade_id;
  return typeof id === "string" && id !== "" ? id : undefined;
}

export function isSolutionCell(cell: Cell): boolean {
  return cell.cell_type === "code" && nbgrader(cell)?.solution === true;
}

export function isLockedCell(cell: Cell): boolean {
  return nbgrader(cell)?.locked === true;
}

/** Parse and validate a notebook. Throws UnreadableNotebook with the reason. */
export function parseNotebook(text: string): Notebook {
  if (text.length > MAX_NOTEBOOK_BYTES) throw new UnreadableNotebook(`the file is larger than ${MAX_NOTEBOOK_BYTES / 1024 / 1024} MB`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UnreadableNotebook(`not valid JSON (${(err as Error).message}); the file is damaged — download the notebook again from Jupyter (File → Download)`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new UnreadableNotebook("not a Jupyter notebook: the file is JSON but not an object");
  const nb = raw as Record<string, unknown>;
  if (nb.nbformat !== 4) throw new UnreadableNotebook(`not a Jupyter notebook in format 4 (nbformat is ${JSON.stringify(nb.nbformat)})`);
  if (!Array.isArray(nb.cells)) throw new UnreadableNotebook('not a Jupyter notebook: no "cells" list');
  const cells: Cell[] = [];
  nb.cells.forEach((c: unknown, i: number) => {
    if (!c || typeof c !== "object" || Array.isArray(c)) throw new UnreadableNotebook(`cell ${i + 1} is not an object`);
    const cell = c as Record<string, unknown>;
    const type = cell.cell_type;
    if (typeof type !== "string") throw new UnreadableNotebook(`cell ${i + 1} has no cell_type`);
    let source = cell.source;
    if (Array.isArray(source)) {
      if (!source.every((s) => typeof s === "string")) throw new UnreadableNotebook(`cell ${i + 1}: source is not text`);
      source = (source as string[]).join("");
    }
    if (typeof source !== "string") throw new UnreadableNotebook(`cell ${i + 1}: source is not text`);
    const metadata = cell.metadata && typeof cell.metadata === "object" && !Array.isArray(cell.metadata) ? (cell.metadata as Cell["metadata"]) : {};
    const out: Cell = { ...cell, cell_type: type, metadata, source: source as string };
    cells.push(out);
  });
  const metadata = nb.metadata && typeof nb.metadata === "object" && !Array.isArray(nb.metadata) ? (nb.metadata as Record<string, unknown>) : {};
  return { ...nb, cells, metadata, nbformat: 4, nbformat_minor: typeof nb.nbformat_minor === "number" ? nb.nbformat_minor : 5 };
}

/** The notebook as the course commits it: one space indent, trailing newline, lines as lists. */
export function notebookText(nb: Notebook): string {
  const cells = nb.cells.map((c) => ({ ...c, source: sourceLines(cellSource(c)) }));
  return JSON.stringify({ ...nb, cells }, null, 1) + "\n";
}

/** A deep copy (notebooks are plain JSON). */
export function cloneNotebook(nb: Notebook): Notebook {
  return JSON.parse(JSON.stringify(nb)) as Notebook;
}
