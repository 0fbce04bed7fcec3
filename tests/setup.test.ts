/**
 * `npm run setup`: idempotent, registers this checkout's tslab, repairs notebooks/lib,
 * rejects Pythons without Jupyter, and knows what to do when there is none.
 *
 * Runs that could change the real checkout's user-level kernel use a temporary
 * JUPYTER_DATA_DIR; the broken-symlink cases run on a temporary copy of the checkout.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { kernelSpec, KERNEL_NAME, projectJupyterDir } from "../lib/tools/cli/kernel";
import { APT_PACKAGES, findPython, indexReachable, NBGRADER_REQUIREMENTS_FILE, nbgraderPin, planInstall, probePython, REQUIREMENTS_FILE } from "../lib/tools/cli/python";

const root = path.resolve(__dirname, "..");
const tsNode = path.join(root, "node_modules", "ts-node", "dist", "bin.js");
const temps: string[] = [];

function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}

afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function runSetup(args: string[], env: Record<string, string> = {}): { status: number | null; out: string; ms: number } {
  const t0 = Date.now();
  const res = spawnSync(process.execPath, [tsNode, "--transpile-only", path.join(root, "lib", "tools", "cli", "setup.ts"), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: res.status, out: `${res.stdout}${res.stderr}`, ms: Date.now() - t0 };
}

function readJson(file: string): { argv: string[]; display_name: string; language: string } {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

describe("npm run setup on this checkout", () => {
  it("is idempotent: the second run changes nothing, and the kernel points at this checkout's tslab", () => {
    const dataDir = tempDir("tiny-llm-jupyter-data-");
    const env = { JUPYTER_DATA_DIR: dataDir };
    const first = runSetup([], env);
    expect(first.status, first.out).toBe(0);
    expect(first.out).toMatch(/kernel tiny-llm-ts \(user, .*\): created/);
    const second = runSetup([], env);
    expect(second.status, second.out).toBe(0);
    expect(second.out).toMatch(/ready in [\d.]+ s, nothing changed/);
    expect(second.out).not.toMatch(/created|updated|repaired|now a symlink/);
    // Timings go to the log, not into assertions (speed is not a test result).
    console.log(`setup: first run ${first.ms} ms, second run ${second.ms} ms (wall, including ts-node start)`);

    for (const file of [path.join(projectJupyterDir(root), "kernels", KERNEL_NAME, "kernel.json"), path.join(dataDir, "kernels", KERNEL_NAME, "kernel.json")]) {
      const spec = readJson(file);
      expect(spec.argv[1]).toBe(path.join(root, "node_modules", "tslab", "bin", "tslab"));
      expect(path.isAbsolute(spec.argv[0]) && fs.existsSync(spec.argv[0])).toBe(true);
      expect(spec.argv.slice(2)).toEqual(["kernel", "--config-path", "{connection_file}"]);
      expect(spec.display_name).toBe("TypeScript (tiny-llm course)");
      expect(spec.language).toBe("typescript");
    }
    // No other kernel was written into the user's data dir.
    expect(fs.readdirSync(path.join(dataDir, "kernels"))).toEqual([KERNEL_NAME]);
    // The real notebooks/lib is (still) the symlink.
    expect(fs.readlinkSync(path.join(root, "notebooks", "lib"))).toBe("../lib");
  });

  it("rejects a Python without Jupyter (as a pyenv shim would be) and says so", () => {
    const dir = tempDir("tiny-llm-fake-python-");
    const shim = path.join(dir, "python3");
    fs.writeFileSync(shim, "#!/bin/sh\necho 'pyenv: python3: command not found' >&2\nexit 127\n", { mode: 0o755 });
    const probe = probePython(shim, "test shim");
    expect("failed" in probe && probe.failed).toContain("pyenv: python3: command not found");

    // A real interpreter, but without site-packages: it runs, yet has no Jupyter.
    const bare = path.join(dir, "bare-python");
    fs.writeFileSync(bare, `#!/bin/sh\nexec python3 -I -S "$@"\n`, { mode: 0o755 });
    const info = probePython(bare, "bare");
    if (!("failed" in info)) expect(info.error).toMatch(/ModuleNotFoundError/);

    const res = runSetup([], { TINY_LLM_PYTHON: shim, TINY_LLM_USER_KERNEL: "0" });
    expect(res.status, res.out).toBe(0);
    expect(res.out).toContain(`warning: TINY_LLM_PYTHON=${shim} was not usable`);
    expect(res.out).toContain("kernel tiny-llm-ts (user): skipped because TINY_LLM_USER_KERNEL=0");
  });
});

describe("npm run setup on a copy with a broken notebooks/lib", () => {
  // The copies use this checkout's Python with Jupyter (else setup would pip-install a whole .venv into each copy).
  const python = findPython(root, "run").found?.executable;
  const withPython = (env: Record<string, string>): Record<string, string> => (python ? { ...env, TINY_LLM_PYTHON: python } : env);

  function makeCopy(): string {
    const copy = tempDir("tiny-llm-copy-");
    fs.copyFileSync(path.join(root, "package.json"), path.join(copy, "package.json"));
    fs.symlinkSync(path.join(root, "lib"), path.join(copy, "lib"));
    fs.symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"));
    fs.mkdirSync(path.join(copy, "notebooks"));
    return copy;
  }

  const cases: [string, (link: string) => void, RegExp][] = [
    ["a plain file (core.symlinks=false)", (link) => fs.writeFileSync(link, "../lib"), /notebooks\/lib was a plain file .*: now a symlink to \.\.\/lib/],
    ["a dangling symlink", (link) => fs.symlinkSync("../no-such-lib", link), /notebooks\/lib pointed at \.\.\/no-such-lib \(dangling\): now a symlink to \.\.\/lib/],
    ["missing", () => undefined, /notebooks\/lib was missing: now a symlink to \.\.\/lib/],
  ];

  it.each(cases)("repairs notebooks/lib when it is %s", (_label, breakIt, message) => {
    const copy = makeCopy();
    const link = path.join(copy, "notebooks", "lib");
    breakIt(link);
    const env = { JUPYTER_DATA_DIR: path.join(copy, "jupyter-data") };
    const res = runSetup(["--root", copy], withPython(env));
    expect(res.status, res.out).toBe(0);
    expect(res.out).toMatch(message);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(link)).toBe("../lib");
    expect(fs.existsSync(path.join(link, "random.ts"))).toBe(true);

    // The copy's kernel points at the copy's tslab, not at the original checkout.
    const kernelJson = path.join(projectJupyterDir(copy), "kernels", KERNEL_NAME, "kernel.json");
    expect(readJson(kernelJson).argv[1]).toBe(path.join(copy, "node_modules", "tslab", "bin", "tslab"));

    const again = runSetup(["--root", copy], withPython(env));
    expect(again.out).toMatch(/nothing changed/);
  });

  it("rewrites a kernel.json that differs, and refuses to replace a real notebooks/lib folder", () => {
    const copy = makeCopy();
    fs.symlinkSync("../lib", path.join(copy, "notebooks", "lib"));
    const env = { JUPYTER_DATA_DIR: path.join(copy, "jupyter-data") };
    expect(runSetup(["--root", copy], withPython(env)).status).toBe(0);
    const kernelJson = path.join(projectJupyterDir(copy), "kernels", KERNEL_NAME, "kernel.json");
    const userJson = path.join(copy, "jupyter-data", "kernels", KERNEL_NAME, "kernel.json");
    fs.writeFileSync(kernelJson, JSON.stringify({ ...kernelSpec(copy), argv: ["/old/node", "/old/tslab"] }));
    fs.writeFileSync(userJson, JSON.stringify({ ...kernelSpec(copy), argv: ["/old/node", "/elsewhere/tslab"] }));
    const res = runSetup(["--root", copy], withPython(env));
    expect(res.out).toMatch(/kernel tiny-llm-ts \(project, .*\): updated/);
    expect(res.out).toMatch(/kernel tiny-llm-ts \(user, .*\): updated to this checkout \(was \/elsewhere\/tslab\)/);
    expect(readJson(kernelJson).argv[1]).toBe(path.join(copy, "node_modules", "tslab", "bin", "tslab"));
    expect(readJson(userJson).argv[1]).toBe(path.join(copy, "node_modules", "tslab", "bin", "tslab"));

    fs.unlinkSync(path.join(copy, "notebooks", "lib"));
    fs.mkdirSync(path.join(copy, "notebooks", "lib"));
    fs.writeFileSync(path.join(copy, "notebooks", "lib", "mine.ts"), "export const x = 1;\n");
    const refused = runSetup(["--root", copy], withPython(env));
    expect(refused.status).toBe(1);
    expect(refused.out).toContain("notebooks/lib is a real folder");
    expect(fs.existsSync(path.join(copy, "notebooks", "lib", "mine.ts"))).toBe(true);
  });

  it("stops with a clear message when the checkout has no node_modules", () => {
    const copy = tempDir("tiny-llm-empty-");
    fs.copyFileSync(path.join(root, "package.json"), path.join(copy, "package.json"));
    const res = runSetup(["--root", copy], withPython({ JUPYTER_DATA_DIR: path.join(copy, "jupyter-data") }));
    expect(res.status).toBe(1);
    expect(res.out).toContain("node_modules/tslab/bin/tslab is missing: run npm install");
  });
});

describe("installing Jupyter when no Python has it", () => {
  const base = { platform: "linux" as NodeJS.Platform, root: "/course" };

  it("uses pip into .venv when a package index is reachable", () => {
    const plan = planInstall({ ...base, isRoot: true, hasApt: true, venvBase: "/usr/bin/python3", indexReachable: true });
    expect(plan.kind).toBe("venv");
    if (plan.kind !== "venv") return;
    expect(plan.commands[0]).toEqual(["/usr/bin/python3", "-m", "venv", path.join("/course", ".venv")]);
    expect(plan.commands[1]).toEqual(expect.arrayContaining(["-m", "pip", "install", "-r", path.join("/course", REQUIREMENTS_FILE)]));
    expect(plan.commands[1].slice(-2)).toEqual(["-r", path.join("/course", NBGRADER_REQUIREMENTS_FILE)]);
  });

  it("pins nbgrader in a file of its own, on top of the Jupyter pins and changing none of them", () => {
    const text = fs.readFileSync(path.join(root, NBGRADER_REQUIREMENTS_FILE), "utf8");
    const lines = text.split("\n").filter((l) => l.trim() && !l.startsWith("#"));
    expect(lines[0]).toBe("-c requirements-jupyter.txt");
    for (const line of lines.slice(1)) expect(line, "every requirement is pinned with ==").toMatch(/^[A-Za-z0-9_.-]+==[\w.]+$/);
    expect(nbgraderPin(root)).toMatch(/^\d+\.\d+\.\d+$/);
    const jupyter = new Set(
      fs.readFileSync(path.join(root, REQUIREMENTS_FILE), "utf8").split("\n").filter((l) => l.includes("==")).map((l) => l.split("==")[0].toLowerCase()),
    );
    expect(lines.slice(1).map((l) => l.split("==")[0]).filter((n) => jupyter.has(n.toLowerCase()))).toEqual([]);
  });

  it("installs pinned versions: the lock file pins JupyterLab, nbclient, nbconvert and plotly exactly", () => {
    const lock = fs.readFileSync(path.join(root, REQUIREMENTS_FILE), "utf8");
    const pins = lock.split("\n").filter((l) => l.trim() && !l.startsWith("#"));
    expect(pins.length).toBeGreaterThan(20);
    for (const line of pins) expect(line, "every requirement is pinned with ==").toMatch(/^[A-Za-z0-9_.-]+==[\w.]+$/);
    for (const name of ["jupyterlab", "nbclient", "nbconvert", "plotly", "webencodings"]) expect(lock).toMatch(new RegExp(`^${name}==`, "m"));
  });

  it("decides reachability through pip's own configuration: an index pip cannot reach counts as unreachable", () => {
    // A closed localhost port as the only index; no find-links. Uses whatever Python has pip.
    const python = [path.join(root, ".venv", "bin", "python"), "/usr/bin/python3", "python3"].find(
      (p) => spawnSync(p, ["-m", "pip", "--version"], { stdio: "ignore" }).status === 0,
    );
    if (!python) return;
    const empty = tempDir("tiny-llm-no-wheels-");
    const env = { ...process.env, PIP_INDEX_URL: "http://127.0.0.1:9/simple/", PIP_EXTRA_INDEX_URL: "", PIP_FIND_LINKS: empty, PIP_CONFIG_FILE: "/dev/null" };
    expect(indexReachable(python, 60_000, env)).toBe(false);
  });

  it("uses Debian packages as root when no index is reachable", () => {
    const plan = planInstall({ ...base, isRoot: true, hasApt: true, venvBase: "/usr/bin/python3", indexReachable: false });
    expect(plan).toEqual({ kind: "apt", commands: [["apt-get", "install", "-y", ...APT_PACKAGES]] });
    expect(APT_PACKAGES).toEqual(["jupyter-notebook", "jupyter-nbconvert", "python3-nbclient"]);
  });

  it("otherwise stops with the exact command to run", () => {
    const notRoot = planInstall({ ...base, isRoot: false, hasApt: true, venvBase: null, indexReachable: false });
    expect(notRoot.kind).toBe("manual");
    if (notRoot.kind === "manual") expect(notRoot.message).toContain("sudo apt-get install -y jupyter-notebook jupyter-nbconvert python3-nbclient && npm run setup");
    const noApt = planInstall({ ...base, platform: "darwin", isRoot: false, hasApt: false, venvBase: "/usr/bin/python3", indexReachable: false });
    expect(noApt.kind).toBe("manual");
    if (noApt.kind === "manual") expect(noApt.message).toContain(`python3 -m venv .venv && .venv/bin/python -m pip install -r ${REQUIREMENTS_FILE} && npm run setup`);
  });
});
