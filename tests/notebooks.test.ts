/**
 * Notebooks: committed ones are clean (no outputs, course kernel), and `npm run notebooks`
 * executes through the real Jupyter + tslab kernel, reporting the failing cell with its error
 * text. Fixture notebooks live only in a temp dir that has its own `lib` symlink.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearFile, clearNotebook, notebookProblems } from "../lib/tools/cli/clearOutputs";
import { peakText, resolveNotebooks } from "../lib/tools/cli/notebooks";

const root = path.resolve(__dirname, "..");
const tsNode = path.join(root, "node_modules", "ts-node", "dist", "bin.js");
const hasPlots = fs.existsSync(path.join(root, "lib", "plots.ts"));

type Cell = { cell_type: string; source: string; metadata: Record<string, unknown>; outputs?: Output[]; execution_count?: number | null };
type Output = { output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown> };

/** A notebook as the course commits it. Sources starting with "#" become markdown cells. */
function notebook(sources: string[]): object {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "tiny-llm-ts", display_name: "TypeScript (tiny-llm course)", language: "typescript" },
      language_info: { name: "typescript" },
    },
    cells: sources.map((source, i) =>
      source.startsWith("#")
        ? { cell_type: "markdown", id: `c${i}`, metadata: {}, source }
        : { cell_type: "code", id: `c${i}`, metadata: {}, source, outputs: [], execution_count: null },
    ),
  };
}

function runNotebooks(args: string[]): { status: number | null; out: string } {
  const res = spawnSync(process.execPath, [tsNode, "--transpile-only", path.join(root, "lib", "tools", "cli", "notebooks.ts"), ...args], {
    cwd: root,
    env: { ...process.env, INIT_CWD: root },
    encoding: "utf8",
    timeout: 300_000,
  });
  return { status: res.status, out: `${res.stdout}${res.stderr}` };
}

describe("committed notebooks", () => {
  const dir = path.join(root, "notebooks");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb"));

  it.each(files.length ? files : ["(none yet)"])("%s is valid, uses the course kernel and has no outputs", (file) => {
    if (file === "(none yet)") return;
    const problems = notebookProblems(fs.readFileSync(path.join(dir, file), "utf8"));
    expect(problems, `${file}: ${problems.join("; ")} — run npm run clear-outputs`).toEqual([]);
  });

  it("the check catches outputs, execution counts, a foreign kernel and invalid JSON", () => {
    const nb = notebook(["const a = 1;", "a"]) as { cells: Cell[]; metadata: { kernelspec: { name: string } } };
    expect(notebookProblems(JSON.stringify(nb))).toEqual([]);
    nb.cells[1].outputs = [{ output_type: "execute_result", data: { "text/plain": "1" } }];
    nb.cells[1].execution_count = 2;
    nb.metadata.kernelspec.name = "tslab";
    expect(notebookProblems(JSON.stringify(nb))).toEqual(['kernelspec name is "tslab", expected "tiny-llm-ts"', "cell 2 has outputs", "cell 2 has execution_count 2"]);
    expect(notebookProblems("{ not json")[0]).toMatch(/^invalid JSON/);
  });

  it("clear-outputs clears outputs, counts and timing metadata, keeping the file's layout", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-clear-"));
    try {
      const nb = notebook(["# 제목", "const a = 1;", "a"]) as { cells: Cell[] };
      nb.cells[2].outputs = [{ output_type: "stream", name: "stdout", text: ["1\n"] }];
      nb.cells[2].execution_count = 7;
      nb.cells[1].metadata = { execution: { "iopub.status.busy": "2024-01-01" }, tags: ["keep"] };
      const file = path.join(tmp, "x.ipynb");
      fs.writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
      expect(clearFile(file)).toBe(2);
      const text = fs.readFileSync(file, "utf8");
      expect(notebookProblems(text)).toEqual([]);
      expect(text).toContain('"# 제목"');
      expect(text.startsWith('{\n "nbformat"')).toBe(true);
      expect(JSON.parse(text).cells[1].metadata).toEqual({ tags: ["keep"] });
      const before = fs.statSync(file).mtimeMs;
      expect(clearFile(file)).toBe(0); // already clean: not rewritten
      expect(fs.statSync(file).mtimeMs).toBe(before);
      expect(clearNotebook({ cells: [] })).toBe(0);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe("resolving notebook names", () => {
  it("accepts 01-tokens, 01-tokens.ipynb, a unique prefix or a path; none = every NN-*.ipynb in order", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-names-"));
    try {
      expect(resolveNotebooks([], tmp, tmp)).toEqual([]); // no notebooks yet
      for (const f of ["01-tokens.ipynb", "00-introduction.ipynb", "scratch.ipynb"]) fs.writeFileSync(path.join(tmp, f), "{}");
      expect(resolveNotebooks([], tmp, "/")).toEqual([path.join(tmp, "00-introduction.ipynb"), path.join(tmp, "01-tokens.ipynb")]);
      const want = [path.join(tmp, "01-tokens.ipynb")];
      expect(resolveNotebooks(["01-tokens"], tmp, "/")).toEqual(want);
      expect(resolveNotebooks(["01-tokens.ipynb"], tmp, "/")).toEqual(want);
      expect(resolveNotebooks(["01"], tmp, "/")).toEqual(want);
      expect(resolveNotebooks([path.join(tmp, "scratch.ipynb")], tmp, "/")).toEqual([path.join(tmp, "scratch.ipynb")]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("an unknown name is an error that lists the notebooks", () => {
    const res = runNotebooks(["99-no-such-notebook"]);
    expect(res.status).toBe(2);
    expect(res.out).toContain('no notebook "99-no-such-notebook"');
  });
});

/** Processes whose working folder is inside `dir` (leftover kernels). Linux only; [] elsewhere. */
function processesIn(dir: string): string[] {
  if (!fs.existsSync("/proc")) return [];
  const real = fs.realpathSync(dir);
  const found: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/cwd`).startsWith(real)) found.push(`${pid}: ${fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ")}`);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

describe("npm run notebooks (real Jupyter + tslab kernel)", () => {
  let tmp = "";
  let res: { status: number | null; out: string };
  const originals = new Map<string, string>();
  let fixtureNames: string[] = [];
  const saved = (name: string): { cells: Cell[] } => JSON.parse(fs.readFileSync(path.join(tmp, "saved", name), "utf8"));

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-run-"));
    // The same layout as notebooks/: ./lib for imports, and node_modules above lib's files
    // (lib/display.ts finds the kernel's tslab module from there).
    fs.symlinkSync(path.join(root, "lib"), path.join(tmp, "lib"));
    fs.symlinkSync(path.join(root, "node_modules"), path.join(tmp, "node_modules"));
    const ok = [
      "# A notebook that works",
      'import { seed, rng } from "./lib/random";\nseed(7);\nconst first: number = rng().next();\nconsole.log("first draw", first.toFixed(6));',
      'if (!(first >= 0 && first < 1)) throw new Error("rng out of range");\nconsole.log("cwd", process.cwd());',
    ];
    if (hasPlots) ok.push('import { lineChart } from "./lib/notebook";\nconst fig = lineChart([{ name: "loss", y: [3, 2, 1.5, 1.2] }], { title: "fixture loss" });');
    const fixtures: Record<string, object> = {
      "10-ok.ipynb": notebook(ok),
      "11-type-error.ipynb": notebook(["# Type error in the second code cell", "const a = 1;", 'const y: number = "oops";\nconsole.log(y);', 'console.log("after the error");']),
      "12-throws.ipynb": notebook(["const b = 2;", 'console.log("before the throw");\nthrow new Error("boom-marker " + b);']),
      // With the wasm backend loaded, a stray error (a timer's throw, an unawaited rejection) is
      // printed and the kernel lives on: lib/backend.ts removes Emscripten's re-throwing handlers.
      "14-stray.ipynb": notebook([
        'import { setupBackend } from "./lib/backend";\nawait setupBackend();',
        'setTimeout(() => { throw new Error("stray-marker"); }, 0);\nawait new Promise((r) => setTimeout(r, 500));',
        'Promise.reject(new Error("rejected-marker"));\nawait new Promise((r) => setTimeout(r, 500));',
        'console.log("still-alive-marker");',
      ]),
      // The kernel process's own stderr (fd 2, not the cell's stream) is where Node prints a crash.
      "15-dies.ipynb": notebook(['require("fs").writeSync(2, "last-words-marker\\n");\nprocess.exit(3);']),
      // An error without a message (once seen as tslab's bare "<Error>"): the kernel's own stderr is shown too.
      "16-quiet.ipynb": notebook(['require("fs").writeSync(2, "quiet-words-marker\\n");\nthrow new Error("");']),
    };
    fixtureNames = Object.keys(fixtures);
    for (const [name, nb] of Object.entries(fixtures)) {
      const text = JSON.stringify(nb, null, 1) + "\n";
      fs.writeFileSync(path.join(tmp, name), text);
      originals.set(name, text);
    }
    res = runNotebooks([...Object.keys(fixtures).map((n) => path.join(tmp, n)), "--save", path.join(tmp, "saved"), "--json", path.join(tmp, "times.jsonl")]);
  }, 240_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("leaves no kernel running", () => {
    expect(processesIn(tmp)).toEqual([]);
  });

  it("reports a cell that exceeds the timeout, and stops its kernel", () => {
    const file = path.join(tmp, "13-slow.ipynb");
    fs.writeFileSync(file, JSON.stringify(notebook(['console.log("waiting");\nawait new Promise((r) => setTimeout(r, 120_000));'])));
    const slow = runNotebooks([file, "--timeout", "2"]);
    expect(slow.status, slow.out).toBe(1);
    expect(slow.out).toMatch(/13-slow\.ipynb: cell 1 \(of 1 cells, code cell 1 of 1\) timed out:/);
    expect(slow.out).toContain("cell did not finish within 2 s (raise it with --timeout)");
    expect(slow.out).toMatch(/^notebooks: 0 passed, 1 failed$/m);
    expect(processesIn(tmp)).toEqual([]);
  }, 120_000);

  it("--json writes one line per notebook (ok, seconds, kernel peak) and one for the total", () => {
    const lines = fs.readFileSync(path.join(tmp, "times.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { bench: string; notebook: string; ok?: boolean; seconds: number; kernelPeakMB?: number; passed?: number; notebooks?: number });
    expect(lines.map((l) => l.notebook).sort()).toEqual([...fixtureNames.map((n) => n.replace(/\.ipynb$/, "")), "total"].sort());
    expect(lines[lines.length - 1].notebook).toBe("total");
    expect(lines.every((l) => l.bench === "course" && l.seconds >= 0)).toBe(true);
    const ok = lines.find((l) => l.notebook === "10-ok")!;
    expect(ok.ok).toBe(true);
    expect(ok.kernelPeakMB).toBeGreaterThan(10);
    expect(lines.find((l) => l.notebook === "15-dies")?.ok).toBe(false);
    expect(lines[lines.length - 1]).toMatchObject({ notebooks: 6, passed: 2 });
  });

  it("exits non-zero and ends with the summary line CI reads", () => {
    expect(res.status, res.out).toBe(1);
    expect(res.out).toMatch(/^notebooks: 2 passed, 4 failed$/m);
    expect(res.out).toMatch(/ok +\S*10-ok\.ipynb +\d+ code cells in [\d.]+ s/);
  });

  it("reports each kernel's peak memory (a node kernel holds tens of MB at least, far under 2 GB here)", () => {
    const m = res.out.match(/10-ok\.ipynb +\d+ code cells in [\d.]+ s, kernel peak ([\d,]+) MB/);
    expect(m, res.out).not.toBeNull();
    const mb = Number((m as RegExpMatchArray)[1].replace(/,/g, ""));
    expect(mb).toBeGreaterThan(20);
    expect(mb).toBeLessThan(2048);
    expect(peakText({ peakMB: 3000 })).toMatch(/over the 2048 MB a learner's laptop gives a kernel/);
    expect(peakText({})).toBe("");
  });

  it("reports a TypeScript error with the notebook, the cell, its first lines and the compiler's message", () => {
    expect(res.out).toMatch(/11-type-error\.ipynb: cell 3 \(of 4 cells, code cell 2 of 3\) failed:/);
    expect(res.out).toContain('| const y: number = "oops";');
    expect(res.out).toContain("Type 'string' is not assignable to type 'number'");
    // It stopped at the first error: the next cell never ran.
    const copy = saved("11-type-error.ipynb");
    expect(JSON.stringify(copy.cells[3].outputs)).not.toContain("after the error");
  });

  it("reports a runtime throw with its message", () => {
    expect(res.out).toMatch(/12-throws\.ipynb: cell 2 \(of 2 cells, code cell 2 of 2\) failed:/);
    expect(res.out).toContain('| throw new Error("boom-marker " + b);');
    expect(res.out).toContain("Error: boom-marker 2");
  });

  it("a stray error after the wasm backend loaded is shown as a warning, and the kernel lives on", () => {
    expect(res.out).toMatch(/ok +\S*14-stray\.ipynb +4 code cells/);
    expect(res.out).toMatch(/warning: cell 2 \(code cell 2\) printed an error thrown outside its own code path[^\n]*\n +UncaughtException: Error: stray-marker/);
    expect(res.out).toMatch(/warning: cell 3 \(code cell 3\) [^\n]*\n +UnhandledPromiseRejection: Error: rejected-marker/);
    const copy = saved("14-stray.ipynb");
    expect(JSON.stringify(copy.cells[3].outputs)).toContain("still-alive-marker");
  });

  it("a dead kernel is reported with its exit code and the last lines it printed", () => {
    expect(res.out).toMatch(/15-dies\.ipynb: cell 1 \(of 1 cells, code cell 1 of 1\) killed the kernel:/);
    expect(res.out).toMatch(/the kernel died[^\n]*\(exit code 3\)/);
    expect(res.out).toMatch(/the kernel process printed, last:\n[\s\S]*last-words-marker/);
  });

  it("an error without a message comes with what the kernel process printed; one with a message does not", () => {
    expect(res.out).toMatch(/16-quiet\.ipynb: cell 1 \(of 1 cells, code cell 1 of 1\) failed:/);
    expect(res.out).toMatch(/16-quiet[\s\S]*the kernel process printed, last:\n[\s\S]*quiet-words-marker/);
    const header = "12-throws.ipynb: cell";
    const start = res.out.indexOf(header);
    const next = res.out.indexOf(".ipynb: cell", start + header.length); // the next notebook's report
    const throws = res.out.slice(start, next === -1 ? undefined : next);
    expect(throws).toContain("boom-marker");
    expect(throws).not.toContain("the kernel process printed");
  });

  it("runs in memory: the notebooks themselves are untouched; --save writes executed copies", () => {
    for (const [name, text] of originals) expect(fs.readFileSync(path.join(tmp, name), "utf8")).toBe(text);
    const copy = saved("10-ok.ipynb");
    const stdout = copy.cells[1].outputs!.filter((o) => o.name === "stdout").map((o) => [o.text].flat().join("")).join("");
    expect(stdout).toMatch(/^first draw 0\.\d{6}$/m);
    // The kernel's working folder is the notebook's folder (so ./lib resolves there).
    const cwdOut = copy.cells[2].outputs!.map((o) => [o.text].flat().join("")).join("");
    expect(cwdOut).toContain(`cwd ${fs.realpathSync(tmp)}`);
  });

  it.skipIf(!hasPlots)("a plot cell's output carries plotly JSON, offline HTML and a plain-text summary", () => {
    const copy = saved("10-ok.ipynb");
    const bundles = copy.cells[3].outputs!.filter((o) => o.data && "application/vnd.plotly.v1+json" in o.data);
    expect(bundles.length, JSON.stringify(copy.cells[3].outputs).slice(0, 500)).toBe(1);
    const data = bundles[0].data!;
    expect(Object.keys(data)).toEqual(expect.arrayContaining(["application/vnd.plotly.v1+json", "text/html", "text/plain"]));
    const html = [data["text/html"]].flat().join("");
    expect(html).not.toMatch(/<script[^>]*src=["']?https?:/i);
    expect(html).toContain("<script");
    expect([data["text/plain"]].flat().join("")).not.toBe("");
  });
});
