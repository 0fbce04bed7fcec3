/**
 * `npm run grade -- <submissions folder> [--out DIR] [--timeout S] [--notebook-timeout S] [--jobs N] [--memory MB]
 *                   [--notebooks 00,01] [--user NAME] [--unsandboxed]`
 *
 * Grades every student's notebooks (layout: <submissions>/<student>/NN-name.ipynb; files
 * may sit in sub-folders and be renamed, e.g. "00-introduction (1).ipynb") and writes
 * DIR/grades.csv, DIR/grades.json, DIR/report.html (the class report: lib/tools/grader/classReport.ts)
 * and DIR/feedback/<student>.md (default DIR: dist/grades).
 *
 *   --timeout S   wall-clock seconds per cell and per exercise's answers (default 120): a cell
 *                 past it is stopped and skipped, and costs only its exercise → status "timeout"
 *   --notebook-timeout S  wall-clock seconds per notebook, restarts after faults included
 *                 (default 600); what has not run by then → status "timeout"
 *   --jobs N      submissions graded at the same time, each in its own kernel (default: the
 *                 number of CPU cores, at most 4; every kernel may use --memory MB)
 *   --memory MB   memory per kernel (default 2048) → status "out of memory" (of that exercise)
 *   --notebooks   the notebooks every student must hand in (default: all that anyone handed in);
 *                 a student without one gets status "missing"
 *   --user NAME   as root, the unprivileged user kernels run as (default nobody)
 *   --unsandboxed grade even where kernels cannot be sandboxed (not root and no Landlock):
 *                 submissions then run with all of your rights — only for trusted notebooks
 *   --hidden FILE private hidden tests, keyed by exercise id (lib/tools/grader/hidden.ts), added
 *                 to the course's cases; keep the file out of the repository and the students' reach
 *
 * Exits 1 if the course itself is inconsistent or was changed while grading.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setupBackend } from "../../backend";
import { CourseError, courseNotebookFiles, readCourseNotebook } from "../grader/course";
import { hiddenTestsTemplate } from "../grader/hidden";
import { CourseModified, GradeError, gradeSubmissions } from "../grader/grade";
import { rows, writeReport } from "../grader/report";
import { repoRoot } from "../paths";
import { findPython } from "./python";
import { setupOrExit } from "./setup";

interface Options {
  submissions: string | null;
  out: string | null;
  timeout: number;
  notebookTimeout: number;
  jobs: number;
  memory: number;
  notebooks: string[];
  user: string;
  unsandboxed: boolean;
  hidden: string | null;
  hiddenTemplate: string | null;
}

function usage(msg: string): never {
  console.error(
    `grade: ${msg}\nusage: npm run grade -- <submissions folder> [--out DIR] [--timeout SECONDS] [--notebook-timeout SECONDS] [--jobs N] [--memory MB] [--notebooks 00,01] [--user NAME] [--unsandboxed] [--hidden FILE]\n       npm run grade -- --hidden-template FILE`,
  );
  process.exit(2);
}

function parseArgs(argv: string[], cwd: string): Options {
  const o: Options = { submissions: null, out: null, timeout: 120, notebookTimeout: 600, jobs: Math.max(1, Math.min(os.cpus().length, 4)), memory: 2048, notebooks: [], user: "nobody", unsandboxed: false, hidden: null, hiddenTemplate: null };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v: string | undefined;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const value = (): string => {
      if (v !== undefined) return v;
      const next = argv[++i];
      if (next === undefined) usage(`${a} needs a value`);
      return next;
    };
    if (a === "--out") o.out = path.resolve(cwd, value());
    else if (a === "--timeout") o.timeout = Number(value());
    else if (a === "--notebook-timeout") o.notebookTimeout = Number(value());
    else if (a === "--memory") o.memory = Number(value());
    else if (a === "--jobs") o.jobs = Number(value());
    else if (a === "--notebooks") o.notebooks.push(...value().split(",").filter(Boolean));
    else if (a === "--user") o.user = value();
    else if (a === "--unsandboxed") o.unsandboxed = true;
    else if (a === "--hidden") o.hidden = path.resolve(cwd, value());
    else if (a === "--hidden-template") o.hiddenTemplate = path.resolve(cwd, value());
    else if (a === "--help" || a === "-h") usage("help");
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else if (o.submissions === null) o.submissions = path.resolve(cwd, a);
    else usage(`one submissions folder only (got ${o.submissions} and ${a})`);
  }
  if (o.hiddenTemplate) return o;
  if (!o.submissions) usage("which folder holds the submissions?");
  if (!(o.timeout > 0)) usage("--timeout must be a positive number of seconds");
  if (!(o.notebookTimeout > 0)) usage("--notebook-timeout must be a positive number of seconds");
  if (!(Number.isInteger(o.jobs) && o.jobs >= 1)) usage("--jobs must be a whole number ≥ 1");
  if (!(o.memory >= 256)) usage("--memory must be at least 256 (MB)");
  return o;
}

async function main(argv: string[]): Promise<void> {
  const root = repoRoot();
  const cwd = process.env.INIT_CWD || process.cwd();
  const o = parseArgs(argv, cwd);
  if (o.hiddenTemplate) {
    if (fs.existsSync(o.hiddenTemplate)) {
      console.error(`grade: ${o.hiddenTemplate} exists; not overwriting it (your hidden tests may be in it). Name another file.`);
      process.exit(1);
    }
    await setupBackend({ verbose: false });
    const courses = courseNotebookFiles(path.join(root, "notebooks")).map(readCourseNotebook);
    const template = hiddenTestsTemplate(courses);
    fs.writeFileSync(o.hiddenTemplate, JSON.stringify(template, null, 1) + "\n");
    console.log(`grade: wrote ${o.hiddenTemplate} (${Object.keys(template.exercises).length} exercises, no private case yet; see "about" inside)`);
    return;
  }
  const out = o.out ?? path.join(root, "dist", "grades");
  // A Python with jupyter_client: found as `npm run setup` finds it; installed by setup if none.
  const search = findPython(root, "run");
  const python = search.found ? search.found.executable : setupOrExit({ root, need: "run", quiet: true }).python.executable;
  try {
    const run = await gradeSubmissions({
      root,
      submissions: o.submissions as string,
      timeout: o.timeout,
      notebookTimeout: o.notebookTimeout,
      jobs: o.jobs,
      memoryMb: o.memory,
      notebooks: o.notebooks,
      user: o.user,
      unsandboxed: o.unsandboxed,
      hiddenTests: o.hidden ?? undefined,
      python,
      log: (line) => console.log(`grade: ${line}`),
    });
    if (run.interrupted) {
      console.error("grade: interrupted — no report written");
      process.exit(130);
    }
    const files = writeReport(out, run.grades);
    const list = rows(run.grades);
    const students = new Set(run.grades.map((g) => g.student)).size;
    console.log(`grade: ${students} student${students === 1 ? "" : "s"}, ${list.length} rows`);
    console.log(`grade: wrote ${files.csv}, ${files.json}, ${files.html} (the class report) and ${files.feedback}/`);
  } catch (err) {
    if (err instanceof CourseError || err instanceof CourseModified || err instanceof GradeError) {
      console.error(`grade: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
  });
}
