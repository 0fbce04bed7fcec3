/**
 * Finding (or installing) a Python that has Jupyter, for `npm run setup`.
 *
 * A candidate is accepted only after running it: `python3` on PATH is often a
 * pyenv shim or a Python without Jupyter, so existence alone means nothing.
 * Nothing is cached: probing the candidates takes a few hundred milliseconds.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** "run": execute notebooks (nbclient). "serve": also JupyterLab or Notebook to start a server. */
export type PythonNeed = "run" | "serve";

export interface PythonInfo {
  /** Absolute path of the interpreter (sys.executable, so never a shim). */
  executable: string;
  /** How we found it, e.g. "/usr/bin/python3" or "$TINY_LLM_PYTHON". */
  source: string;
  version: string;
  nbclient?: string;
  jupyterClient?: string;
  jupyterlab?: string;
  notebook?: string;
  /** nbgrader's version, if installed (npm run nbgrader). */
  nbgrader?: string;
  /** The user's Jupyter data dir as this Python's jupyter_core sees it (honours JUPYTER_DATA_DIR). */
  dataDir?: string;
  /** Why it cannot run notebooks (missing modules), if so. */
  error?: string;
}

/** Packages installed by each route. The pip route installs the pinned lock file (exact versions). */
export const PIP_PACKAGES = ["jupyterlab", "nbclient", "nbconvert", "plotly"];
/** The pinned requirements of the pip route, relative to the checkout. */
export const REQUIREMENTS_FILE = "lib/tools/cli/requirements-jupyter.txt";
/** nbgrader and what it adds to the pins above (npm run nbgrader), relative to the checkout. */
export const NBGRADER_REQUIREMENTS_FILE = "lib/tools/cli/requirements-nbgrader.txt";
/** A tiny pinned package (from the lock file) that `pip download` fetches to see whether an index answers. */
export const PROBE_PACKAGE = "webencodings==0.6.1";
export const APT_PACKAGES = ["jupyter-notebook", "jupyter-nbconvert", "python3-nbclient"];

const PROBE = `
import json, sys
r = {"executable": sys.executable, "version": sys.version.split()[0]}
try:
    import jupyter_client, nbclient, nbformat
    r["jupyterClient"] = jupyter_client.__version__
    r["nbclient"] = nbclient.__version__
    from jupyter_core.paths import jupyter_data_dir
    r["dataDir"] = jupyter_data_dir()
except Exception as e:
    r["error"] = "%s: %s" % (type(e).__name__, e)
import importlib.util
def version(mod, dist):
    try:
        if importlib.util.find_spec(mod) is None:
            return None
    except Exception:
        return None
    try:
        from importlib.metadata import version as v
        return v(dist)
    except Exception:
        return "?"
for key, mod in (("jupyterlab", "jupyterlab"), ("notebook", "notebook"), ("nbgrader", "nbgrader")):
    got = version(mod, mod)
    if got:
        r[key] = got
print("@@probe@@" + json.dumps(r))
`;

/** Run the probe in one interpreter; null when it does not run at all. */
export function probePython(command: string, source: string): PythonInfo | { failed: string } {
  const res = spawnSync(command, ["-c", PROBE], { encoding: "utf8", timeout: 30_000, env: process.env });
  if (res.error) return { failed: (res.error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : res.error.message };
  const line = (res.stdout ?? "").split("\n").find((l) => l.startsWith("@@probe@@"));
  if (!line) {
    const why = (res.stderr ?? "").trim().split("\n").pop() || `exit code ${res.status}`;
    return { failed: why };
  }
  const info = JSON.parse(line.slice("@@probe@@".length)) as PythonInfo;
  info.source = source;
  return info;
}

/** Why this Python is not good enough for `need`, or null if it is. */
export function shortcoming(info: PythonInfo, need: PythonNeed): string | null {
  if (info.error) return `no Jupyter (${info.error})`;
  if (need === "serve" && !info.jupyterlab && !info.notebook) return "has nbclient but neither JupyterLab nor Notebook";
  return null;
}

export function venvPython(root: string): string {
  return process.platform === "win32" ? path.join(root, ".venv", "Scripts", "python.exe") : path.join(root, ".venv", "bin", "python");
}

/** The candidates, in order: [command, label]. */
export function candidates(root: string): [string, string][] {
  const list: [string, string][] = [];
  const env = process.env.TINY_LLM_PYTHON;
  if (env) list.push([env, "$TINY_LLM_PYTHON"]);
  list.push([venvPython(root), ".venv (project virtual environment)"]);
  if (process.platform !== "win32") list.push(["/usr/bin/python3", "/usr/bin/python3"]);
  list.push(["python3", "python3 on PATH"]);
  list.push(["python", "python on PATH"]);
  if (process.platform === "win32") list.push(["py", "py launcher"]);
  return list;
}

export interface FindResult {
  found: PythonInfo | null;
  /** Every candidate tried, with why it was rejected (for the error message). */
  rejected: string[];
  /** The first interpreter that runs at all (a base to create a venv from). */
  base: PythonInfo | null;
}

export function findPython(root: string, need: PythonNeed): FindResult {
  const rejected: string[] = [];
  const seen = new Set<string>();
  let base: PythonInfo | null = null;
  for (const [command, label] of candidates(root)) {
    if (command.includes(path.sep) && !fs.existsSync(command)) {
      rejected.push(`${label}: ${command} does not exist`);
      continue;
    }
    const info = probePython(command, label);
    if ("failed" in info) {
      rejected.push(`${label}: ${info.failed}`);
      continue;
    }
    if (seen.has(info.executable)) continue;
    seen.add(info.executable);
    if (!base && !info.executable.startsWith(path.join(root, ".venv"))) base = info;
    const why = shortcoming(info, need);
    if (why === null) return { found: info, rejected, base };
    rejected.push(`${label} (${info.executable}, Python ${info.version}): ${why}`);
  }
  return { found: null, rejected, base };
}

export type InstallPlan =
  | { kind: "venv"; commands: string[][] }
  | { kind: "apt"; commands: string[][] }
  | { kind: "manual"; message: string };

export interface InstallFacts {
  platform: NodeJS.Platform;
  isRoot: boolean;
  /** Debian or Ubuntu with apt-get. */
  hasApt: boolean;
  /** A Python that can create a virtual environment (null if none). */
  venvBase: string | null;
  /** A package index answered within a few seconds. */
  indexReachable: boolean;
  root: string;
}

/**
 * What to do when no Python has Jupyter: pip into .venv where an index is reachable,
 * else Debian packages when root, else the exact command for the user.
 */
export function planInstall(f: InstallFacts): InstallPlan {
  const venv = f.platform === "win32" ? ".venv\\Scripts\\python.exe" : ".venv/bin/python";
  if (f.venvBase && f.indexReachable) {
    return {
      kind: "venv",
      commands: [
        [f.venvBase, "-m", "venv", path.join(f.root, ".venv")],
        [path.join(f.root, venv), "-m", "pip", "install", "--disable-pip-version-check", "-r", path.join(f.root, REQUIREMENTS_FILE), "-r", path.join(f.root, NBGRADER_REQUIREMENTS_FILE)],
      ],
    };
  }
  if (f.hasApt && f.isRoot) {
    return { kind: "apt", commands: [["apt-get", "install", "-y", ...APT_PACKAGES]] };
  }
  const why = [
    f.venvBase ? null : "no Python here can create a virtual environment",
    f.venvBase && !f.indexReachable ? "no Python package index is reachable" : null,
    f.hasApt ? (f.isRoot ? null : "Debian packages need root") : "no apt-get",
  ].filter((w) => w !== null);
  const lines = [`No Python with Jupyter was found, and setup cannot install one here (${why.join("; ")}).`];
  if (f.hasApt) {
    lines.push("Install the Debian/Ubuntu packages, then run setup again:", "", `  sudo apt-get install -y ${APT_PACKAGES.join(" ")} && npm run setup`);
  } else {
    lines.push(
      "Create the course's virtual environment with pip (needs network access to a package index), then run setup again:",
      "",
      f.platform === "win32"
        ? `  py -m venv .venv && ${venv} -m pip install -r ${REQUIREMENTS_FILE.replace(/\//g, "\\")} && npm run setup`
        : `  python3 -m venv .venv && ${venv} -m pip install -r ${REQUIREMENTS_FILE} && npm run setup`,
    );
  }
  lines.push("", "Or point setup at a Python that already has Jupyter: TINY_LLM_PYTHON=/path/to/python npm run setup");
  return { kind: "manual", message: lines.join("\n") };
}

/** Debian/Ubuntu with apt-get. */
export function hasApt(): boolean {
  return process.platform === "linux" && fs.existsSync("/etc/debian_version") && spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
}

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** Can this Python create a virtual environment with pip in it? */
export function canMakeVenv(python: string): boolean {
  return spawnSync(python, ["-c", "import venv, ensurepip"], { stdio: "ignore", timeout: 20_000 }).status === 0;
}

/**
 * Does a package index answer, as pip itself would reach it? Asks `pip download` for one tiny
 * pinned package through pip's own configuration (pip.conf, PIP_INDEX_URL, PIP_EXTRA_INDEX_URL,
 * proxies, certificates), with no cache, so a mirror-only machine counts as reachable and a
 * machine whose pip cannot reach any index does not. `python` must have pip (the venv's does).
 */
export function indexReachable(python: string, timeoutMs = 30_000, env: NodeJS.ProcessEnv = process.env): boolean {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-pip-probe-"));
  try {
    const args = ["-m", "pip", "download", "--no-deps", "--no-cache-dir", "--disable-pip-version-check", "--timeout", "8", "--retries", "0", "--dest", dest, PROBE_PACKAGE];
    const res = spawnSync(python, args, { stdio: "ignore", timeout: timeoutMs, env });
    return res.status === 0;
  } finally {
    fs.rmSync(dest, { recursive: true, force: true });
  }
}

/** Run a command with its output shown; throws with the command line when it fails. */
export function runShown(cmd: string[], log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): void {
  log(`$ ${cmd.join(" ")}`);
  const res = spawnSync(cmd[0], cmd.slice(1), { stdio: ["ignore", "inherit", "inherit"], env });
  if (res.error) throw new SetupError(`Could not run ${cmd[0]}: ${res.error.message}`);
  if (res.status !== 0) throw new SetupError(`This command failed (exit code ${res.status}): ${cmd.join(" ")}`);
}

/** True when apt has no package lists yet (fresh container): apt-get update is needed first. */
export function aptListsEmpty(): boolean {
  try {
    return fs.readdirSync("/var/lib/apt/lists").filter((f) => f.endsWith("_Packages") || f.endsWith("_Packages.lz4")).length === 0;
  } catch {
    return true;
  }
}

/** Thrown for problems the user must fix; the message says how. Printed without a stack. */
export class SetupError extends Error {}

/**
 * Install Jupyter by the first route that can work here (see planInstall), showing
 * every command it runs. Throws SetupError with the exact command when none can.
 */
export function installJupyter(root: string, search: FindResult, log: (line: string) => void): void {
  const t0 = Date.now();
  const base = search.base ? search.base.executable : null;
  const venvBase = base && canMakeVenv(base) ? base : null;
  const venvPy = venvPython(root);
  let reachable = false;
  let createdVenv = false;
  if (venvBase) {
    // pip's own view of the index needs a pip: the venv's (the base Python may have none).
    if (!fs.existsSync(venvPy)) {
      runShown([venvBase, "-m", "venv", path.join(root, ".venv")], log);
      createdVenv = true;
    }
    log(`checking whether pip reaches a package index (pip download ${PROBE_PACKAGE}, through pip's own configuration)…`);
    reachable = indexReachable(venvPy);
    log(reachable ? `package index reachable: installing JupyterLab into .venv with pip from ${REQUIREMENTS_FILE} (pinned versions)` : "no package index reachable through pip");
    if (!reachable && createdVenv) fs.rmSync(path.join(root, ".venv"), { recursive: true, force: true });
  }
  const plan = planInstall({ platform: process.platform, isRoot: isRoot(), hasApt: hasApt(), venvBase, indexReachable: reachable, root });
  if (plan.kind === "manual") throw new SetupError(plan.message);
  if (plan.kind === "venv") {
    for (const cmd of plan.commands) {
      if (cmd.includes("venv") && cmd[1] === "-m" && cmd[2] === "venv" && fs.existsSync(venvPy)) continue; // made above
      runShown(cmd, log);
    }
    log(`installed ${PIP_PACKAGES.join(", ")} (and their pinned dependencies) into .venv in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return;
  }
  log(`installing Jupyter from Debian packages (${APT_PACKAGES.join(" ")})`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (aptListsEmpty()) runShown(["apt-get", "update"], log, env);
  try {
    runShown(plan.commands[0], log, env);
  } catch {
    // Stale package lists are the usual cause: refresh once and retry.
    runShown(["apt-get", "update"], log, env);
    runShown(plan.commands[0], log, env);
  }
  log(`installed ${APT_PACKAGES.join(" ")} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** The nbgrader version the course pins (requirements-nbgrader.txt). */
export function nbgraderPin(root: string): string {
  const text = fs.readFileSync(path.join(root, NBGRADER_REQUIREMENTS_FILE), "utf8");
  const m = text.match(/^nbgrader==([\w.]+)\s*$/m);
  if (!m) throw new SetupError(`${NBGRADER_REQUIREMENTS_FILE} has no line nbgrader==<version>`);
  return m[1];
}

/** The pip command that installs the pinned nbgrader into `python`. */
export function nbgraderInstallCommand(root: string, python: string): string[] {
  return [python, "-m", "pip", "install", "--disable-pip-version-check", "-r", path.join(root, NBGRADER_REQUIREMENTS_FILE)];
}

/**
 * Make sure the course's .venv has the pinned nbgrader (for `npm run nbgrader` and its test).
 * Installs it only into this checkout's .venv (never into a Python of the user's own); elsewhere,
 * or when pip fails (no index), it says what to run and goes on: nbgrader is optional for the course.
 * Returns what changed, or null.
 */
export function ensureNbgrader(root: string, python: PythonInfo, log: (line: string) => void, info: (line: string) => void): string | null {
  const pin = nbgraderPin(root);
  if (python.nbgrader === pin) {
    info(`nbgrader ${pin}: installed`);
    return null;
  }
  const cmd = nbgraderInstallCommand(root, python.executable);
  const have = python.nbgrader ? `nbgrader ${python.nbgrader} (the course pins ${pin})` : "no nbgrader";
  if (!path.resolve(python.executable).startsWith(path.join(root, ".venv") + path.sep)) {
    info(`nbgrader: ${python.executable} has ${have}; npm run nbgrader needs it: ${cmd.join(" ")}`);
    return null;
  }
  log(`.venv has ${have}: installing nbgrader ${pin} from ${NBGRADER_REQUIREMENTS_FILE}`);
  try {
    runShown(cmd, log);
  } catch (err) {
    log(`warning: could not install nbgrader (${(err as Error).message}); everything but npm run nbgrader works without it. Later: ${cmd.join(" ")}`);
    return null;
  }
  return `installed nbgrader ${pin} into .venv`;
}
