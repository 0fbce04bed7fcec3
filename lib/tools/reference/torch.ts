/**
 * The PyTorch reference (tests/reference/gpt_reference.py), when PyTorch is
 * installed: used by the parity test and the training benchmark, never at
 * runtime. Debian: `apt-get install python3-torch libopenblas0-pthread`.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { repoRoot } from "../paths";

/** The system Python (Debian's python3-torch installs there, not in a pyenv shim). */
export const TORCH_PYTHON = process.env.TINY_LLM_TORCH_PYTHON ?? "/usr/bin/python3";

let cached: string | null | undefined;

/** null if `python3 -c "import torch"` works, else why not. */
export function torchUnavailableReason(): string | null {
  if (cached !== undefined) return cached;
  const r = spawnSync(TORCH_PYTHON, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8", timeout: 60_000 });
  cached =
    r.status === 0
      ? null
      : `PyTorch is not importable by ${TORCH_PYTHON} (${(r.stderr || String(r.error ?? "")).trim().split("\n").pop()}). ` +
        "Install it with: apt-get install -y python3-torch libopenblas0-pthread";
  return cached;
}

/** Path of the reference script. */
export function referenceScript(): string {
  return path.join(repoRoot(), "tests", "reference", "gpt_reference.py");
}

/** Run the reference script with arguments; returns stdout or throws with its stderr. */
export function runReference(args: string[], timeoutMs = 300_000): string {
  const r = spawnSync(TORCH_PYTHON, [referenceScript(), ...args], { encoding: "utf8", timeout: timeoutMs, env: { ...process.env, OMP_NUM_THREADS: "1" } });
  if (r.status !== 0) throw new Error(`gpt_reference.py ${args[0]} failed: ${r.stderr || r.error}`);
  return r.stdout;
}
