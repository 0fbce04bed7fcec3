/**
 * `npm run student [-- name…] [--out DIR]`
 *
 * Writes the student version of every course notebook (or of the ones named: `00`,
 * `00-introduction`, a path) to DIR (default dist/student/): solutions replaced by a stub
 * that throws "Exercise <id>: not implemented yet", hidden tests removed, outputs cleared,
 * nbgrader metadata kept. DIR also gets a `lib` symlink so the notebooks run from the checkout.
 * Each course notebook is checked against lib/exercises first; an inconsistency stops with
 * a message that says what to fix.
 */
import * as path from "path";
import { CourseError } from "../grader/course";
import { writeStudentVersions } from "../grader/student";
import { notebooksDir, repoRoot } from "../paths";
import { resolveNotebooks } from "./notebooks";

function usage(msg: string): never {
  console.error(`student: ${msg}\nusage: npm run student -- [name…] [--out DIR]`);
  process.exit(2);
}

function main(argv: string[]): void {
  const root = repoRoot();
  const cwd = process.env.INIT_CWD || process.cwd();
  const names: string[] = [];
  let out = path.join(root, "dist", "student");
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") {
      if (argv[i + 1] === undefined) usage("--out needs a folder");
      out = path.resolve(cwd, argv[++i]);
    } else if (a.startsWith("--out=")) out = path.resolve(cwd, a.slice(6));
    else if (a === "--help" || a === "-h") usage("help");
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else names.push(a);
  }
  const notebooks = notebooksDir();
  if (path.resolve(out) === path.resolve(notebooks)) usage("--out must not be notebooks/ (that would overwrite the course's solutions)");
  const files = resolveNotebooks(names, notebooks, cwd);
  if (files.length === 0) usage(`no course notebooks in ${notebooks}`);
  try {
    const built = writeStudentVersions(files, out, path.join(root, "lib"));
    for (const b of built) console.log(`student: ${path.relative(cwd, b.out).startsWith("..") ? b.out : path.relative(cwd, b.out)}  (${b.exercises} exercise${b.exercises === 1 ? "" : "s"})`);
    console.log(`student: ${built.length} notebook${built.length === 1 ? "" : "s"} in ${out}`);
  } catch (err) {
    if (err instanceof CourseError) {
      console.error(`student: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

if (require.main === module) main(process.argv.slice(2));
