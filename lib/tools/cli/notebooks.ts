/**
 * `npm run notebooks [-- name…] [--save DIR] [--timeout S] [--json FILE] [--verbose]`
 *
 * Executes notebooks top to bottom through Jupyter and the course's `tiny-llm-ts` kernel, as
 * "Run All" would, in memory (the notebook files are never written; --save DIR writes the
 * executed copies there). Each notebook stops at its first failing cell, and the runner prints
 * the notebook, the cell, its first lines and the error (tslab writes TypeScript errors to the
 * cell's stderr, so that is shown too). Prints each notebook's wall time and finally one line
 * `notebooks: N passed, M failed`; exits non-zero if any failed.
 *
 * Names: `01-tokens`, `01-tokens.ipynb`, `01` (unique prefix) or a path. No names: every
 * notebooks/NN-*.ipynb in order. The kernel's working folder is the notebook's folder.
 * Environment: TINY_LLM_CELL_TIMEOUT (seconds per cell, default 600).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { courseNotebookFiles, notebooksDir, repoRoot } from "../paths";
import { KERNEL_NAME } from "./kernel";
import { setupOrExit } from "./setup";

export interface Failure {
  kind: "error" | "timeout" | "dead" | "startup" | "invalid";
  ename?: string;
  evalue?: string;
  traceback?: string[];
  cellIndex?: number;
  codeCellNumber?: number | null;
  source?: string;
  stderr?: string;
  stdout?: string;
  /** The kernel process's own stderr (where Node prints a crash), shown when the kernel died or the error came without a message. */
  kernelStderr?: string;
}

export interface RunResult {
  ok: boolean;
  executed: number;
  cells?: number;
  codeCells?: number;
  seconds: number;
  /** Peak resident memory of the kernel process (VmHWM, Linux), when the runner could read it. */
  peakMB?: number;
  warning?: string;
  /** Errors thrown outside a cell's own flow (tslab prints them; the kernel lives on). */
  strayErrors?: { cellIndex: number; codeCellNumber: number; text: string }[];
  failure?: Failure;
}

interface Options {
  names: string[];
  save: string | null;
  /** Write one JSON line per notebook (seconds, kernel peak, threads) and one for the total here. */
  json: string | null;
  timeout: number;
  verbose: boolean;
}

/** A learner's laptop gives a kernel about 2 GB; say when a notebook's kernel went past it. */
export const KERNEL_MEMORY_BUDGET_MB = 2048;

/** ", kernel peak 612 MB" (and a warning past the budget), or "" when the peak is unknown. */
export function peakText(r: Pick<RunResult, "peakMB">): string {
  if (r.peakMB === undefined) return "";
  const over = r.peakMB > KERNEL_MEMORY_BUDGET_MB ? ` — over the ${KERNEL_MEMORY_BUDGET_MB} MB a learner's laptop gives a kernel` : "";
  return `, kernel peak ${Math.round(r.peakMB).toLocaleString("en-US")} MB${over}`;
}

function usage(msg: string): never {
  console.error(`notebooks: ${msg}\nusage: npm run notebooks -- [name…] [--save DIR] [--timeout SECONDS] [--json FILE] [--verbose]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const envTimeout = process.env.TINY_LLM_CELL_TIMEOUT;
  const opts: Options = { names: [], save: null, json: null, timeout: envTimeout ? Number(envTimeout) : 600, verbose: false };
  let timeoutFrom = envTimeout ? `TINY_LLM_CELL_TIMEOUT=${envTimeout}` : "";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === "--save") opts.save = value();
    else if (a.startsWith("--save=")) opts.save = a.slice(7);
    else if (a === "--json") opts.json = value();
    else if (a.startsWith("--json=")) opts.json = a.slice(7);
    else if (a === "--timeout" || a.startsWith("--timeout=")) {
      const v = a === "--timeout" ? value() : a.slice(10);
      opts.timeout = Number(v);
      timeoutFrom = `--timeout ${v}`;
    } else if (a === "--verbose" || a === "-v") opts.verbose = true;
    else if (a === "--help" || a === "-h") usage("help");
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else opts.names.push(a);
  }
  if (!(opts.timeout > 0)) usage(`the cell timeout must be a positive number of seconds (got ${timeoutFrom}), e.g. --timeout 600`);
  return opts;
}

/** Resolve the names given on the command line to notebook files (exits with a clear message if one is unknown). */
export function resolveNotebooks(names: string[], notebooksDir: string, cwd: string): string[] {
  const all = courseNotebookFiles(notebooksDir).map((f) => path.basename(f));
  if (names.length === 0) return all.map((f) => path.join(notebooksDir, f));
  return names.map((name) => {
    const asPath = path.resolve(cwd, name);
    if (fs.existsSync(asPath) && fs.statSync(asPath).isFile()) return asPath;
    const base = path.basename(name);
    for (const f of [base, `${base}.ipynb`]) {
      if (fs.existsSync(path.join(notebooksDir, f))) return path.join(notebooksDir, f);
    }
    const prefixed = all.filter((f) => f.startsWith(base));
    if (prefixed.length === 1) return path.join(notebooksDir, prefixed[0]);
    const hint = prefixed.length > 1 ? `"${name}" matches several: ${prefixed.join(", ")}` : `no notebook "${name}" (looked for ${asPath} and in ${notebooksDir})`;
    console.error(`notebooks: ${hint}. Available: ${all.join(", ") || "(none)"}`);
    process.exit(2);
  });
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

function indent(text: string, prefix = "    "): string {
  return text
    .replace(ANSI, "")
    .replace(/\s+$/, "")
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");
}

function firstLines(text: string, n: number): string {
  const lines = text.split("\n");
  return lines.slice(0, n).join("\n") + (lines.length > n ? `\n… (${lines.length - n} more lines)` : "");
}

function lastChars(text: string, n: number): string {
  return text.length > n ? "…" + text.slice(text.length - n) : text;
}

/** Drop stack frames inside tslab and Node's vm (they say nothing about the cell). */
function hideKernelFrames(text: string): string {
  const lines = text.split("\n");
  const kept = lines.filter((l) => !/^\s+at .*(node_modules[\\/](tslab|commander)[\\/]|\(node:|^\s+at node:)/.test(l));
  const hidden = lines.length - kept.length;
  return kept.join("\n").replace(/\s+$/, "") + (hidden ? `\n    … (${hidden} kernel frames hidden)` : "");
}

/** The failure report for one notebook, as printed. */
export function formatFailure(name: string, r: RunResult): string {
  const f = r.failure;
  if (!f) return `${name}: the runner stopped after ${r.executed} code cells without saying why`;
  const out: string[] = [];
  if (f.kind === "invalid") {
    out.push(`${name}: not a readable notebook: ${f.ename}: ${f.evalue}`);
    return out.join("\n");
  }
  if (f.cellIndex === undefined || f.cellIndex === null) {
    out.push(`${name}: ${f.kind === "startup" ? "the kernel did not start" : "failed"}: ${f.ename}: ${f.evalue}`);
    if (f.kind === "startup") out.push(`    Is the ${KERNEL_NAME} kernel registered? Run npm run setup.`);
    return out.join("\n");
  }
  const what = { error: "failed", timeout: "timed out", dead: "killed the kernel", startup: "failed", invalid: "failed" }[f.kind];
  const codeNo = f.codeCellNumber ? `, code cell ${f.codeCellNumber} of ${r.codeCells}` : "";
  out.push(`${name}: cell ${f.cellIndex + 1} (of ${r.cells} cells${codeNo}) ${what}:`);
  out.push(indent(firstLines(f.source ?? "", 6), "    | "));
  if (f.stderr && f.stderr.trim()) {
    out.push("  stderr:");
    out.push(indent(lastChars(hideKernelFrames(f.stderr), 4000)));
  }
  const tb = (f.traceback ?? []).join("\n").replace(ANSI, "").trim();
  const head = `${f.ename ?? "Error"}${f.evalue ? `: ${f.evalue}` : ""}`;
  out.push(`  error: ${head}`);
  if (tb && tb !== head && f.kind !== "timeout" && !(f.stderr ?? "").includes(tb)) out.push(indent(lastChars(hideKernelFrames(tb), 3000)));
  // a dead kernel, or an error without a message (tslab's bare "<Error>"): what the kernel process printed may say why
  if ((f.kind === "dead" || !(f.evalue ?? "").trim()) && f.kernelStderr && f.kernelStderr.trim()) {
    out.push("  the kernel process printed, last:");
    out.push(indent(lastChars(f.kernelStderr.trim(), 3000)));
  }
  return out.join("\n");
}

/** The runner's stderr without its own progress lines (--verbose), i.e. what the kernel printed. */
export function kernelLines(stderr: string): string {
  return stderr
    .split("\n")
    .filter((l) => !/^  cell \d+ (\(code cell|done in)/.test(l))
    .join("\n");
}

function runOne(python: string, env: NodeJS.ProcessEnv, file: string, opts: Options, tmp: string): Promise<RunResult> {
  const resultFile = path.join(tmp, `${path.basename(file)}.result.json`);
  const args = [path.join(__dirname, "run_notebook.py"), file, resultFile, "--kernel", KERNEL_NAME, "--cwd", path.dirname(file), "--timeout", String(Math.ceil(opts.timeout))];
  if (opts.save) args.push("--save", path.join(opts.save, path.basename(file)));
  if (opts.verbose) args.push("--verbose");
  return new Promise((resolve) => {
    const child = spawn(python, args, { env, stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      const s = d.toString();
      stderr += s;
      if (opts.verbose) process.stderr.write(s);
    });
    child.on("close", (code, signal) => {
      let result: RunResult;
      try {
        result = JSON.parse(fs.readFileSync(resultFile, "utf8")) as RunResult;
      } catch {
        result = {
          ok: false,
          executed: 0,
          seconds: 0,
          failure: { kind: "startup", ename: "RunnerError", evalue: `run_notebook.py exited with ${signal ?? code} and no result:\n${stderr.trim()}` },
        };
      }
      // The kernel inherits this runner's stderr: when it dies (or fails without a message), what it printed last says why.
      if (result.failure) result.failure.kernelStderr = kernelLines(stderr);
      resolve(result);
    });
  });
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const cwd = process.env.INIT_CWD || process.cwd();
  const files = resolveNotebooks(opts.names, notebooksDir(), cwd);
  if (files.length === 0) {
    console.log("notebooks: no notebooks yet (nothing matches notebooks/NN-*.ipynb)");
    console.log("notebooks: 0 passed, 0 failed");
    return;
  }
  const { python, env } = setupOrExit({ root, need: "run", quiet: true });
  if (opts.save) fs.mkdirSync(path.resolve(cwd, opts.save), { recursive: true });
  if (opts.save) opts.save = path.resolve(cwd, opts.save);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-notebooks-"));
  if (opts.json) opts.json = path.resolve(cwd, opts.json);
  const threads = process.env.TINY_LLM_THREADS || "default (every core, up to 4)";
  const record = (r: Record<string, unknown>) => {
    if (opts.json) fs.appendFileSync(opts.json, JSON.stringify({ bench: "course", threads, ...r }) + "\n");
  };

  let interrupted = false;
  // Ctrl-C reaches the Python runner too (same process group); it shuts its kernel down. Wait for it.
  process.on("SIGINT", () => {
    interrupted = true;
  });

  let passed = 0;
  let failed = 0;
  const t0 = Date.now();
  try {
    for (const file of files) {
      if (interrupted) break;
      const name = path.relative(cwd, file).startsWith("..") ? file : path.relative(cwd, file);
      console.log(`notebooks: running ${name} …`);
      const r = await runOne(python.executable, env, file, opts, tmp);
      if (r.warning) console.log(`  warning: ${r.warning}`);
      if (interrupted) {
        failed++;
        console.log(`  INTERRUPTED ${name} after ${r.seconds.toFixed(1)} s (Ctrl-C), at code cell ${r.executed + 1} of ${r.codeCells ?? "?"}`);
      } else if (r.ok) {
        passed++;
        console.log(`  ok   ${name}  ${r.codeCells} code cells in ${r.seconds.toFixed(1)} s${peakText(r)}`);
      } else {
        failed++;
        console.log(`  FAIL ${name}  after ${r.seconds.toFixed(1)} s${peakText(r)}`);
        console.log(formatFailure(name, r));
      }
      for (const e of r.strayErrors ?? []) {
        console.log(`  warning: cell ${e.cellIndex + 1} (code cell ${e.codeCellNumber}) printed an error thrown outside its own code path (a timer, an unawaited promise); the kernel lived on:`);
        console.log(indent(hideKernelFrames(e.text)));
      }
      if (opts.save) console.log(`  saved the executed copy to ${path.join(opts.save, path.basename(file))}`);
      record({ notebook: path.basename(file, ".ipynb"), ok: r.ok && !interrupted, seconds: +r.seconds.toFixed(1), ...(r.peakMB === undefined ? {} : { kernelPeakMB: Math.round(r.peakMB) }) });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (interrupted) console.log(`notebooks: interrupted (${files.length - passed - failed} not run)`);
  console.log(`notebooks: total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  record({ notebook: "total", notebooks: passed + failed, passed, seconds: +((Date.now() - t0) / 1000).toFixed(1) });
  console.log(`notebooks: ${passed} passed, ${failed} failed`);
  if (failed > 0 || interrupted) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
  });
}
