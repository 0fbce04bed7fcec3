/**
 * `npm start [-- --port 8890 --no-browser …]` — runs setup, then JupyterLab (or Jupyter
 * Notebook when JupyterLab is not installed) on notebooks/, listening on localhost, with the
 * course's `tiny-llm-ts` kernel as the default. Other options are passed to Jupyter as given.
 * Prints the URL to open. Ctrl-C stops it.
 */
import { spawn } from "child_process";
import * as path from "path";
import { KERNEL_NAME } from "./kernel";
import { isRoot } from "./python";
import { setupOrExit } from "./setup";

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
  const passThrough = process.argv.slice(2);
  const { python, env, root } = setupOrExit({ need: "serve" });
  const app = python.jupyterlab ? "jupyterlab" : "notebook";
  const args = jupyterArgs(app, passThrough);
  const cwd = path.join(root, "notebooks");
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
