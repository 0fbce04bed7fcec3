/**
 * `npm run clear-outputs [-- file.ipynb …] [--check]`
 *
 * Clears outputs and execution counts (and nbclient's timing metadata) in place, so notebooks
 * are committed clean. No files: every notebooks/*.ipynb. Files already clean are not rewritten;
 * the file's indentation and final newline are kept so the diff shows only what was cleared.
 * --check: change nothing, exit 1 if any notebook has outputs (for pre-commit hooks).
 */
import * as fs from "fs";
import * as path from "path";
import { notebooksDir } from "../paths";

interface Cell {
  cell_type?: string;
  outputs?: unknown[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}

/** Clear one notebook object in place; returns how many cells changed. */
export function clearNotebook(nb: { cells?: Cell[] }): number {
  let changed = 0;
  for (const cell of nb.cells ?? []) {
    let touched = false;
    if (cell.cell_type === "code") {
      if (!Array.isArray(cell.outputs) || cell.outputs.length > 0) {
        cell.outputs = [];
        touched = true;
      }
      if (cell.execution_count !== null) {
        cell.execution_count = null;
        touched = true;
      }
    }
    if (cell.metadata && "execution" in cell.metadata) {
      delete cell.metadata.execution;
      touched = true;
    }
    if (touched) changed++;
  }
  return changed;
}

/** What is wrong with a committed notebook's text (empty list = clean). */
export function notebookProblems(text: string, kernelName = "tiny-llm-ts"): string[] {
  let nb: { nbformat?: number; cells?: Cell[]; metadata?: { kernelspec?: { name?: string } } };
  try {
    nb = JSON.parse(text);
  } catch (err) {
    return [`invalid JSON: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  if (nb.nbformat !== 4) problems.push(`nbformat is ${nb.nbformat}, expected 4`);
  if (!Array.isArray(nb.cells)) return [...problems, "no cells array"];
  const spec = nb.metadata?.kernelspec?.name;
  if (spec !== kernelName) problems.push(`kernelspec name is ${JSON.stringify(spec)}, expected "${kernelName}"`);
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    if (Array.isArray(cell.outputs) && cell.outputs.length > 0) problems.push(`cell ${i + 1} has outputs`);
    if (cell.execution_count !== null && cell.execution_count !== undefined) problems.push(`cell ${i + 1} has execution_count ${cell.execution_count}`);
  });
  return problems;
}

function indentOf(text: string): number {
  const m = text.match(/^\{\r?\n( +)/);
  return m ? m[1].length : 1;
}

/** Clear a file in place. Returns the number of cells cleared (0 = file untouched). */
export function clearFile(file: string, write = true): number {
  const text = fs.readFileSync(file, "utf8");
  let nb: { cells?: Cell[] };
  try {
    nb = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); fix it in an editor before clearing outputs.`);
  }
  const n = clearNotebook(nb);
  if (n > 0 && write) {
    const out = JSON.stringify(nb, null, indentOf(text)) + (text.endsWith("\n") ? "\n" : "");
    fs.writeFileSync(file, out);
  }
  return n;
}

function main(argv: string[]): void {
  const check = argv.includes("--check");
  const names = argv.filter((a) => a !== "--check");
  const bad = names.find((a) => a.startsWith("-"));
  if (bad) {
    console.error(`clear-outputs: unknown option ${bad}. usage: npm run clear-outputs -- [file.ipynb …] [--check]`);
    process.exit(2);
  }
  const cwd = process.env.INIT_CWD || process.cwd();
  const dir = notebooksDir();
  const files = names.length
    ? names.map((n) => path.resolve(cwd, n))
    : fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort().map((f) => path.join(dir, f));
  let dirty = 0;
  for (const file of files) {
    if (!fs.existsSync(file)) {
      console.error(`clear-outputs: no such file ${file}`);
      process.exit(2);
    }
    const n = clearFile(file, !check);
    const rel = path.relative(cwd, file).startsWith("..") ? file : path.relative(cwd, file);
    if (n > 0) dirty++;
    if (check) console.log(n > 0 ? `${rel}: ${n} cells have outputs (run npm run clear-outputs)` : `${rel}: clean`);
    else console.log(n > 0 ? `${rel}: cleared ${n} cells` : `${rel}: already clean`);
  }
  if (files.length === 0) console.log("clear-outputs: no notebooks in notebooks/");
  if (check && dirty > 0) process.exitCode = 1;
}

if (require.main === module) main(process.argv.slice(2));
