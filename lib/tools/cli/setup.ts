/**
 * `npm run setup` — the step `npm start`, `npm test` and `npm run notebooks` share.
 * Idempotent and fast when nothing is missing; says what it checked or changed, one line each:
 *
 *  1. this checkout's tslab is installed (else: run npm install);
 *  2. notebooks/lib is the symlink to ../lib the notebooks import through (repaired if missing,
 *     dangling, or a plain file left by a checkout without symlink support);
 *  3. a Python with Jupyter (nbclient; for `npm start` also JupyterLab or Notebook) —
 *     installed into .venv with pip, or from Debian packages as root, when none is found;
 *     3b. the pinned nbgrader (requirements-nbgrader.txt) in .venv, for `npm run nbgrader`
 *     (added to an existing .venv that lacks it; never installed into a Python of the user's own);
 *  4. the `tiny-llm-ts` kernel registered for this checkout (see kernel.ts).
 *
 * Options: --root DIR (another checkout; used by tests), --serve (require a Jupyter server too),
 * --quiet (print only changes). TINY_LLM_PYTHON=/path/to/python picks the Python;
 * TINY_LLM_USER_KERNEL=0 skips the user-level kernel registration.
 */
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../paths";
import { courseEnv, kernelSpec, KERNEL_NAME, registerProjectKernel, registerUserKernel, tslabBin } from "./kernel";
import { ensureNbgrader, findPython, nbgraderPin, installJupyter, PythonInfo, PythonNeed, SetupError, shortcoming } from "./python";

export { SetupError } from "./python";

export interface SetupOptions {
  root?: string;
  need?: PythonNeed;
  /** Print only lines that report a change (the summary line always). */
  quiet?: boolean;
  log?: (line: string) => void;
}

export interface SetupResult {
  root: string;
  python: PythonInfo;
  /** Environment for Jupyter processes: this checkout's kernel first on JUPYTER_PATH. */
  env: NodeJS.ProcessEnv;
  /** One entry per thing that was changed (empty when nothing was). */
  changed: string[];
  seconds: number;
}

const LINK_TARGET = "../lib";

/** Make notebooks/lib the symlink to ../lib. Returns null when it already was, else what was done. */
export function ensureLibLink(root: string): string | null {
  const link = path.join(root, "notebooks", "lib");
  let stat: fs.Stats | null = null;
  try {
    stat = fs.lstatSync(link);
  } catch {
    stat = null;
  }
  let was: string;
  if (stat === null) {
    was = "was missing";
  } else if (stat.isSymbolicLink()) {
    const target = fs.readlinkSync(link);
    const ok = fs.existsSync(path.join(link, "random.ts")) && fs.realpathSync(link) === fs.realpathSync(path.join(root, "lib"));
    if (ok) return null;
    was = `pointed at ${target}${fs.existsSync(link) ? "" : " (dangling)"}`;
  } else if (stat.isFile()) {
    // git with core.symlinks=false checks a symlink out as a text file holding its target.
    was = `was a plain file (a checkout without symlink support; content "${fs.readFileSync(link, "utf8").trim().slice(0, 40)}")`;
  } else if (stat.isDirectory()) {
    throw new SetupError(
      `notebooks/lib is a real folder, not the symlink to ../lib the notebooks import through. ` +
        `Move anything you need out of it, delete it, and run npm run setup again.`,
    );
  } else {
    was = "was not a symlink";
  }
  fs.mkdirSync(path.dirname(link), { recursive: true });
  if (stat !== null) fs.unlinkSync(link);
  try {
    // "junction" lets Windows users without symlink rights get a working link too.
    fs.symlinkSync(LINK_TARGET, link, process.platform === "win32" ? "junction" : "dir");
  } catch (err) {
    throw new SetupError(`Could not create the symlink notebooks/lib → ../lib (${(err as Error).message}). Create it by hand: cd notebooks && ln -s ../lib lib`);
  }
  return `notebooks/lib ${was}: now a symlink to ../lib`;
}

function describePython(p: PythonInfo): string {
  const server = p.jupyterlab ? `JupyterLab ${p.jupyterlab}` : p.notebook ? `Notebook ${p.notebook} (no JupyterLab)` : "no JupyterLab/Notebook server";
  return `${p.executable} (Python ${p.version}; nbclient ${p.nbclient}, ${server}) [${p.source}]`;
}

export function setup(opts: SetupOptions = {}): SetupResult {
  const t0 = Date.now();
  const root = path.resolve(opts.root ?? repoRoot());
  const need = opts.need ?? "run";
  const log = opts.log ?? ((line: string) => console.log(`setup: ${line}`));
  const info = (line: string): void => {
    if (!opts.quiet) log(line);
  };
  const changed: string[] = [];
  const change = (line: string): void => {
    changed.push(line);
    log(line);
  };

  // 1. tslab from this checkout.
  const tslab = tslabBin(root);
  if (!fs.existsSync(tslab)) {
    throw new SetupError(`${path.relative(root, tslab)} is missing: run npm install in ${root} first.`);
  }
  info(`tslab: ${path.relative(root, tslab)} found`);

  // 2. notebooks/lib symlink.
  const linkChange = ensureLibLink(root);
  if (linkChange) change(linkChange);
  else info("notebooks/lib: symlink to ../lib ok");

  // 3. Python with Jupyter.
  let search = findPython(root, need);
  if (!search.found) {
    log(`no Python with Jupyter found${need === "serve" ? " (and JupyterLab or Notebook)" : ""}; tried:`);
    for (const r of search.rejected) log(`  - ${r}`);
    installJupyter(root, search, log);
    search = findPython(root, need);
    if (!search.found) {
      throw new SetupError(`Installed Jupyter, but still no usable Python:\n  ${search.rejected.join("\n  ")}\nSet TINY_LLM_PYTHON=/path/to/python to choose one.`);
    }
    change(`installed Jupyter: using ${describePython(search.found)}`);
  } else {
    info(`Python with Jupyter: ${describePython(search.found)}`);
  }
  const python = search.found;
  if (process.env.TINY_LLM_PYTHON && python.source !== "$TINY_LLM_PYTHON") {
    log(`warning: TINY_LLM_PYTHON=${process.env.TINY_LLM_PYTHON} was not usable; using ${python.executable} instead`);
  }
  const why = shortcoming(python, need);
  if (why) throw new SetupError(`${python.executable}: ${why}`); // cannot happen: findPython checked

  // 3b. nbgrader (optional, for teachers: npm run nbgrader), pinned, into .venv only.
  const nbgraderChange = ensureNbgrader(root, python, log, info);
  if (nbgraderChange) {
    change(nbgraderChange);
    python.nbgrader = nbgraderPin(root);
  }

  // 4. Kernel registrations.
  const spec = kernelSpec(root);
  const project = registerProjectKernel(root, spec);
  const projectRel = path.relative(root, project.dir);
  if (project.change === "unchanged") info(`kernel ${KERNEL_NAME} (project, ${projectRel}): unchanged`);
  else change(`kernel ${KERNEL_NAME} (project, ${projectRel}): ${project.change}`);

  if (process.env.TINY_LLM_USER_KERNEL === "0") {
    info(`kernel ${KERNEL_NAME} (user): skipped because TINY_LLM_USER_KERNEL=0 (JupyterLab/VS Code started by hand will not list it)`);
  } else if (!python.dataDir) {
    log(`kernel ${KERNEL_NAME} (user): skipped, ${python.executable} did not report a Jupyter data dir`);
  } else {
    const user = registerUserKernel(python.executable, python.dataDir, project.dir, spec);
    if (user.change === "unchanged") info(`kernel ${KERNEL_NAME} (user, ${user.dir}): unchanged`);
    else if (user.change === "created") change(`kernel ${KERNEL_NAME} (user, ${user.dir}): created`);
    else change(`kernel ${KERNEL_NAME} (user, ${user.dir}): updated to this checkout${user.previous ? ` (was ${user.previous})` : ""}`);
  }

  const seconds = (Date.now() - t0) / 1000;
  log(`ready in ${seconds.toFixed(1)} s, ${changed.length === 0 ? "nothing changed" : `${changed.length} change${changed.length > 1 ? "s" : ""}`}`);
  return { root, python, env: courseEnv(root), changed, seconds };
}

/** Run setup for a command-line tool; on a SetupError print its message and exit 1. */
export function setupOrExit(opts: SetupOptions): SetupResult {
  try {
    return setup(opts);
  } catch (err) {
    if (err instanceof SetupError) {
      console.error(`setup failed: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

function main(argv: string[]): void {
  const opts: SetupOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--root") opts.root = argv[++i];
    else if (a === "--serve") opts.need = "serve";
    else if (a === "--quiet" || a === "-q") opts.quiet = true;
    else {
      console.error(`setup: unknown option ${a}. Options: --serve, --quiet, --root DIR`);
      process.exit(2);
    }
  }
  setupOrExit(opts);
}

if (require.main === module) main(process.argv.slice(2));
