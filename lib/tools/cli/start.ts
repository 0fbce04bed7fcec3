/**
 * `npm start [-- --solutions] [-- --port 8890 --no-browser …]` — runs setup, syncs the learner's
 * workspace (workspace.ts: student versions, nothing of the learner's overwritten), then
 * JupyterLab (or Jupyter Notebook when JupyterLab is not installed) on that workspace, listening
 * on localhost, with the course's `tiny-llm-ts` kernel as the default. `--solutions` opens the
 * reference notebooks in notebooks/ instead; `--workspace DIR` another workspace. Other options
 * are passed to Jupyter as given. The server also serves plotly.js (the npm package's copy) at
 * <base>/static/plotly.min.js, where every plot's loader finds it offline.
 * Prints the URL to open. Ctrl-C stops it.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { KERNEL_NAME } from "./kernel";
import { isRoot } from "./python";
import { setupOrExit } from "./setup";
import { defaultWorkspace, syncWorkspace, WorkspaceError } from "./workspace";

/** The folder holding plotly.min.js, served as Jupyter's extra static path. */
export function plotlyStaticDir(root: string): string {
  return path.dirname(require.resolve("plotly.js-dist-min/plotly.min.js", { paths: [root] }));
}

/** The Jupyter option that serves plotly.min.js at <base>/static/plotly.min.js (NotebookApp for Notebook 6). */
export function staticPathArg(app: "jupyterlab" | "notebook", notebookVersion: string | undefined, dir: string): string {
  const cls = app === "notebook" && /^[0-6]\./.test(notebookVersion ?? "") ? "NotebookApp" : "ServerApp";
  return `--${cls}.extra_static_paths=${JSON.stringify([dir])}`;
}

export interface StartArgs {
  solutions: boolean;
  workspace: string | null;
  passThrough: string[];
}

/** Split our own options from Jupyter's (exported for tests). */
export function parseStartArgs(argv: string[]): StartArgs {
  const out: StartArgs = { solutions: false, workspace: null, passThrough: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--solutions") out.solutions = true;
    else if (a === "--workspace") {
      if (!argv[i + 1]) throw new WorkspaceError("--workspace needs a folder");
      out.workspace = argv[++i];
    } else if (a.startsWith("--workspace=")) out.workspace = a.slice("--workspace=".length);
    else out.passThrough.push(a);
  }
  return out;
}

/** Jupyter's command line for this Python (exported for tests). */
export function jupyterArgs(app: "jupyterlab" | "notebook", passThrough: string[], asRoot = isRoot()): string[] {
  // --ip, --ip=…, --ServerApp.ip=…, --NotebookApp.ip …: the user chose the address.
  const ipGiven = passThrough.some((a) => /^--(?:[A-Za-z]+\.)?ip(?:=|$)/.test(a));
  return [
    "-m",
    app,
    ...(ipGiven ? [] : ["--ip=127.0.0.1"]),
    // Jupyter refuses to run as root without it (containers, CI); we only listen on localhost by default.
    ...(asRoot && !passThrough.includes("--allow-root") ? ["--allow-root"] : []),
    `--MultiKernelManager.default_kernel_name=${KERNEL_NAME}`,
    ...passThrough,
  ];
}

/** The first http(s) URL Jupyter prints with a token or on localhost. */
export function findServerUrl(text: string): string | null {
  const m = text.match(/https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\])[^\s]*/);
  return m ? m[0] : null;
}

function main(): void {
  let opts: StartArgs;
  try {
    opts = parseStartArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`start: ${(err as Error).message}`);
    process.exit(2);
  }
  const { python, env, root } = setupOrExit({ need: "serve" });
  const app = python.jupyterlab ? "jupyterlab" : "notebook";
  let cwd: string;
  if (opts.solutions) {
    cwd = path.join(root, "notebooks");
    console.log("start: opening the reference notebooks (with the solutions) in notebooks/; your own work is in the workspace (npm start without --solutions)");
  } else {
    try {
      const dir = opts.workspace ? path.resolve(process.env.INIT_CWD || process.cwd(), opts.workspace) : defaultWorkspace(root);
      cwd = syncWorkspace({ root, dir }).dir;
    } catch (err) {
      console.error(`start: ${(err as Error).message}`);
      process.exit(1);
    }
  }
  const passThrough = [...opts.passThrough];
  if (!passThrough.some((a) => /extra_static_paths/.test(a)) && fs.existsSync(path.join(root, "node_modules", "plotly.js-dist-min"))) {
    passThrough.unshift(staticPathArg(app, python.notebook, plotlyStaticDir(root)));
  }
  const args = jupyterArgs(app, passThrough);
  console.log(`start: ${app === "jupyterlab" ? `JupyterLab ${python.jupyterlab}` : `Jupyter Notebook ${python.notebook} (JupyterLab is not installed)`} on ${cwd}, kernel ${KERNEL_NAME}`);
  console.log(`start: ${python.executable} ${args.join(" ")}`);

  // (PYDEVD_…: silences a debugger warning Python 3.11 prints each time Jupyter lists the kernels.)
  const child = spawn(python.executable, args, { cwd, env: { PYDEVD_DISABLE_FILE_VALIDATION: "1", ...env }, stdio: ["inherit", "pipe", "pipe"] });
  let announced = false;
  let seen = "";
  const relay = (out: NodeJS.WriteStream) => (chunk: Buffer) => {
    out.write(chunk);
    if (announced) return;
    seen = (seen + chunk.toString()).slice(-4000);
    let url = findServerUrl(seen);
    if (url && /\n/.test(seen.slice(seen.indexOf(url)))) {
      // With JUPYTER_TOKEN set, Jupyter prints "token=..." instead of the token.
      if (env.JUPYTER_TOKEN) url = url.replace("token=...", `token=${encodeURIComponent(env.JUPYTER_TOKEN)}`);
      announced = true;
      console.log(`\nstart: the course is running at ${url}\nstart: open it in a browser; choose the kernel "${KERNEL_NAME}" if asked. Ctrl-C stops the server.\n`);
    }
  };
  child.stdout.on("data", relay(process.stdout));
  child.stderr.on("data", relay(process.stderr));

  // Ctrl-C in the terminal reaches Jupyter directly (same process group); it handles it.
  process.on("SIGINT", () => undefined);
  for (const sig of ["SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      child.kill(sig);
    });
  }
  child.on("error", (err) => {
    console.error(`start: could not run ${python.executable}: ${err.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    process.exit(code ?? (signal ? 0 : 1));
  });
}

if (require.main === module) main();
