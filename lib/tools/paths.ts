/**
 * Where things live. Notebooks reach the lib through the symlink notebooks/lib,
 * so `__dirname` may be either lib/… or notebooks/lib/…; walking up to the
 * folder holding the course's package.json works from both.
 */
import * as fs from "fs";
import * as path from "path";

const PACKAGE_NAME = "tiny-llm-course";
let cachedRoot: string | null = null;

/** The checkout's top folder (the one with the course's package.json). */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  for (const start of [__dirname, process.cwd()]) {
    let dir = path.resolve(start);
    for (;;) {
      const pkg = path.join(dir, "package.json");
      if (fs.existsSync(pkg)) {
        try {
          if (JSON.parse(fs.readFileSync(pkg, "utf8")).name === PACKAGE_NAME) {
            cachedRoot = dir;
            return dir;
          }
        } catch {
          /* not ours; keep walking */
        }
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(`Cannot find the course folder (a package.json named "${PACKAGE_NAME}") above ${__dirname}. Run from inside the checkout.`);
}

/** datasets/ (or a file in it). */
export function datasetsDir(...parts: string[]): string {
  return path.join(repoRoot(), "datasets", ...parts);
}

/** notebooks/ (or a file in it). */
export function notebooksDir(...parts: string[]): string {
  return path.join(repoRoot(), "notebooks", ...parts);
}

/** The course's notebooks (NN-name.ipynb) in `dir` (default notebooks/), sorted; none when the folder is missing. */
export function courseNotebookFiles(dir: string = notebooksDir()): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}
