/**
 * The course's Jupyter kernel: tslab from THIS checkout, registered as `tiny-llm-ts`.
 *
 * Two registrations, both rewritten only when their content differs:
 *  - project-local, in <checkout>/.jupyter-course/share/jupyter/kernels/tiny-llm-ts, which
 *    `npm start` and `npm run notebooks` put first on JUPYTER_PATH, so they always use this
 *    checkout's tslab whatever else is installed;
 *  - the user's Jupyter data dir (like `jupyter kernelspec install --user`), so JupyterLab
 *    or VS Code started by hand list it too. No other kernel is touched.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SetupError } from "./python";

export const KERNEL_NAME = "tiny-llm-ts";
export const KERNEL_DISPLAY_NAME = "TypeScript (tiny-llm course)";

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
}

/** The folder our own commands put first on JUPYTER_PATH. */
export function projectJupyterDir(root: string): string {
  return path.join(root, ".jupyter-course", "share", "jupyter");
}

export function tslabBin(root: string): string {
  return path.join(root, "node_modules", "tslab", "bin", "tslab");
}

export function kernelSpec(root: string, node: string = process.execPath): KernelSpec {
  return {
    argv: [node, tslabBin(root), "kernel", "--config-path", "{connection_file}"],
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
  };
}

export function kernelJsonText(spec: KernelSpec): string {
  return JSON.stringify(spec, null, 2) + "\n";
}

/** Environment for Jupyter processes we start: this checkout's kernel first on JUPYTER_PATH. */
export function courseEnv(root: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const dirs = [projectJupyterDir(root), ...(base.JUPYTER_PATH ?? "").split(path.delimiter).filter((d) => d && d !== projectJupyterDir(root))];
  return { ...base, JUPYTER_PATH: dirs.join(path.delimiter) };
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/** Where an existing kernel.json points (its tslab path), for messages. */
function pointsAt(text: string | null): string | null {
  if (!text) return null;
  try {
    const argv = (JSON.parse(text) as KernelSpec).argv;
    return Array.isArray(argv) && argv.length > 1 ? String(argv[1]) : null;
  } catch {
    return "an unreadable kernel.json";
  }
}

export type Change = "created" | "updated" | "unchanged";

/** Write the project-local kernelspec if missing or different. Returns what happened. */
export function registerProjectKernel(root: string, spec: KernelSpec = kernelSpec(root)): { dir: string; change: Change } {
  const dir = path.join(projectJupyterDir(root), "kernels", KERNEL_NAME);
  const file = path.join(dir, "kernel.json");
  const want = kernelJsonText(spec);
  const have = readText(file);
  if (have === want) return { dir, change: "unchanged" };
  fs.mkdirSync(dir, { recursive: true });
  // Write then rename: a Jupyter reading the spec concurrently never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, want);
  fs.renameSync(tmp, file);
  return { dir, change: have === null ? "created" : "updated" };
}

/**
 * Install the same spec into the user's Jupyter data dir (as `jupyter kernelspec install
 * --user --name tiny-llm-ts` does, through the chosen Python's jupyter_client) when missing
 * or different. `dataDir` is that Python's jupyter_data_dir().
 */
export function registerUserKernel(
  python: string,
  dataDir: string,
  sourceDir: string,
  spec: KernelSpec,
): { dir: string; change: Change; previous: string | null } {
  const dir = path.join(dataDir, "kernels", KERNEL_NAME);
  const have = readText(path.join(dir, "kernel.json"));
  const want = kernelJsonText(spec);
  if (have === want) return { dir, change: "unchanged", previous: null };
  // What `jupyter kernelspec install --user --name tiny-llm-ts DIR` does (it always replaces
  // an existing spec of that name), called through the API: Debian ships no `jupyter kernelspec`.
  const code = "import sys\nfrom jupyter_client.kernelspec import KernelSpecManager\nKernelSpecManager().install_kernel_spec(sys.argv[1], kernel_name=sys.argv[2], user=True)";
  const res = spawnSync(python, ["-c", code, sourceDir, KERNEL_NAME], { encoding: "utf8", timeout: 60_000 });
  if (res.status !== 0) {
    throw new SetupError(
      `Could not register the kernel for your user (${dir}):\n${(res.stderr || res.error?.message || "").trim()}\n` +
        `Run it by hand: jupyter kernelspec install --user --name ${KERNEL_NAME} ${sourceDir}\n` +
        `(or skip this step with TINY_LLM_USER_KERNEL=0; npm start and npm run notebooks do not need it).`,
    );
  }
  const now = readText(path.join(dir, "kernel.json"));
  if (now !== want) {
    throw new SetupError(`Registered the kernel, but ${dir}/kernel.json does not hold what was installed. Is JUPYTER_DATA_DIR set differently for Jupyter? Check with: jupyter kernelspec list`);
  }
  return { dir, change: have === null ? "created" : "updated", previous: pointsAt(have) };
}
