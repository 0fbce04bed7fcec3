/**
 * `npm run nbgrader -- init DIR [chapter…]`
 * `npm run nbgrader -- --course DIR <nbgrader command and options…>`
 *
 * Grading with nbgrader itself (the pinned version in .venv, requirements-nbgrader.txt) instead of
 * `npm run grade`:
 *
 *   init DIR      makes DIR an nbgrader course folder: DIR/nbgrader_config.py (the course's settings,
 *                 lib/tools/grader/tslab_nbgrader.py: the TypeScript stub, tslab's aborts, lib/ and
 *                 node_modules/ linked in while a notebook runs) and, per chapter (default: all),
 *                 DIR/source/<chapter>/<chapter>.ipynb — the course notebook with its solutions.
 *                 An existing file is never overwritten.
 *   --course DIR  runs `nbgrader <command…>` in DIR with this checkout's .venv and kernel
 *                 (generate_assignment, autograde, export, db student add, …; see nbgrader --help).
 *
 * Each assignment is one chapter, named like it ("00-introduction"). Exits with nbgrader's code.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { courseNotebookFrom, CourseError, readNotebookFile } from "../grader/course";
import { notebooksDir, repoRoot } from "../paths";
import { courseEnv } from "./kernel";
import { resolveNotebooks } from "./notebooks";
import { findPython, nbgraderInstallCommand, nbgraderPin } from "./python";

function usage(msg: string): never {
  console.error(`nbgrader: ${msg}\nusage: npm run nbgrader -- init DIR [chapter…]\n       npm run nbgrader -- --course DIR <nbgrader command> [options…]`);
  process.exit(2);
}

/** nbgrader_config.py of a course folder made by `init`. */
export function nbgraderConfigText(root: string): string {
  const helper = path.join(root, "lib", "tools", "grader");
  return [
    "# nbgrader settings for the tiny-llm course, written by `npm run nbgrader -- init`.",
    "# The course's TypeScript notebooks need lib/tools/grader/tslab_nbgrader.py of this checkout:",
    `#   ${root}`,
    "# (a TypeScript code stub for generate_assignment; tslab's aborted cells rerun; lib/ linked in).",
    "import sys",
    "sys.dont_write_bytecode = True  # no __pycache__ in the checkout's lib/",
    `sys.path.insert(0, ${JSON.stringify(helper)})`,
    "from tslab_nbgrader import configure",
    "",
    "c = get_config()  # noqa: F821 (nbgrader defines it)",
    `configure(c, checkout=${JSON.stringify(root)})`,
    'c.CourseDirectory.course_id = "tiny-llm"',
    "",
  ].join("\n");
}

export interface InitResult {
  config: string;
  sources: string[];
  skipped: string[];
}

/** Make `dir` an nbgrader course folder with the given course notebooks as assignments. */
export function initCourse(root: string, dir: string, files: string[]): InitResult {
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(dir, "nbgrader_config.py");
  const skipped: string[] = [];
  if (fs.existsSync(config)) skipped.push(config);
  else fs.writeFileSync(config, nbgraderConfigText(root));
  const sources: string[] = [];
  for (const file of files) {
    const { name, notebook } = readNotebookFile(file);
    courseNotebookFrom(name, file, notebook); // refuse an inconsistent course notebook, naming the fix
    const out = path.join(dir, "source", name, `${name}.ipynb`);
    if (fs.existsSync(out)) {
      skipped.push(out);
      continue;
    }
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.copyFileSync(file, out);
    sources.push(out);
  }
  return { config, sources, skipped };
}

/** The Python that has the pinned nbgrader, or a message saying how to get it. */
export function nbgraderPython(root: string): { python: string } | { error: string } {
  const found = findPython(root, "run").found;
  const pin = nbgraderPin(root);
  if (!found) return { error: "no Python with Jupyter found: run npm run setup" };
  if (!found.nbgrader) return { error: `${found.executable} has no nbgrader: run npm run setup (it installs nbgrader ${pin} into .venv), or ${nbgraderInstallCommand(root, found.executable).join(" ")}` };
  return { python: found.executable };
}

/** Run `nbgrader args…` in the course folder `dir`; returns its exit code. */
export function runNbgrader(root: string, dir: string, args: string[], python: string, stdio: "inherit" | "pipe" = "inherit"): { status: number; out: string } {
  // nbgrader runs `alembic` (its database migrations) from PATH: the venv's bin folder goes first.
  const env = courseEnv(root);
  env.PATH = [path.dirname(python), ...(env.PATH ?? "").split(path.delimiter).filter(Boolean)].join(path.delimiter);
  const res = spawnSync(python, ["-m", "nbgrader", ...args], { cwd: dir, env, stdio: stdio === "inherit" ? "inherit" : "pipe", encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (res.error) throw res.error;
  return { status: res.status ?? 1, out: `${res.stdout ?? ""}${res.stderr ?? ""}` };
}

function main(argv: string[]): void {
  const root = repoRoot();
  const cwd = process.env.INIT_CWD || process.cwd();
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h") usage("help");
  if (argv[0] === "init") {
    const rest = argv.slice(1);
    if (rest.length === 0 || rest[0].startsWith("-")) usage("init needs a folder");
    const dir = path.resolve(cwd, rest[0]);
    try {
      const files = resolveNotebooks(rest.slice(1), notebooksDir(), cwd);
      const r = initCourse(root, dir, files);
      for (const s of r.sources) console.log(`nbgrader: ${s}`);
      for (const s of r.skipped) console.log(`nbgrader: ${s} exists, kept`);
      console.log(`nbgrader: course folder ${dir} (${r.sources.length} new assignment${r.sources.length === 1 ? "" : "s"}); next: npm run nbgrader -- --course ${dir} generate_assignment <chapter>`);
    } catch (err) {
      if (err instanceof CourseError) {
        console.error(`nbgrader: ${err.message}`);
        process.exit(1);
      }
      throw err;
    }
    return;
  }
  let dir = cwd;
  let args = argv;
  if (argv[0] === "--course" || argv[0].startsWith("--course=")) {
    const value = argv[0].includes("=") ? argv[0].slice("--course=".length) : argv[1];
    if (!value) usage("--course needs a folder");
    dir = path.resolve(cwd, value);
    args = argv.slice(argv[0].includes("=") ? 1 : 2);
  }
  if (!fs.existsSync(path.join(dir, "nbgrader_config.py"))) usage(`${dir} has no nbgrader_config.py: make the course folder with npm run nbgrader -- init ${dir}`);
  const py = nbgraderPython(root);
  if ("error" in py) {
    console.error(`nbgrader: ${py.error}`);
    process.exit(1);
  }
  process.exit(runNbgrader(root, dir, args, py.python).status);
}

if (require.main === module) main(process.argv.slice(2));
