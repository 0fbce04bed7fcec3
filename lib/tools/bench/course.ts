/**
 * `npm run bench -- course [--threads=N] [--notebooks=05,06]`: the wall time of every notebook and of the
 * whole course, as the headless runner measures it (`npm run notebooks -- --json FILE`), one
 * JSON line per notebook and one for the total. `--threads=1` runs the kernels on one thread
 * (TINY_LLM_THREADS), to compare with every core.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Emit, benchOption } from "../cli/bench";

export async function bench(emit: Emit, args: string[]): Promise<void> {
  const threads = benchOption(args, "threads");
  const names = (benchOption(args, "notebooks") ?? "").split(",").filter(Boolean);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-course-bench-")), "course.jsonl");
  const cli = path.join(__dirname, "..", "cli", "notebooks.ts");
  console.error(`course bench: every notebook top to bottom${threads ? ` on ${threads} thread(s)` : ""} (this takes as long as the course)…`);
  const r = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", cli, ...names, "--json", file], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...(threads ? { TINY_LLM_THREADS: threads } : {}) },
  });
  const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  if (lines.length === 0) throw new Error(`the notebook runner wrote no timings (exit ${r.status}); run npm run notebooks to see why.`);
  for (const line of lines) {
    const { bench: _bench, ...rest } = JSON.parse(line) as Record<string, unknown>;
    emit(rest);
  }
  if (r.status !== 0) process.exitCode = 1;
}
