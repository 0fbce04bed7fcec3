/**
 * `npm run bench -- <name> [<name> …]` runs lib/tools/bench/<name>.ts and prints one JSON
 * line per figure on stdout (progress and notes go to stderr).
 * With no name it lists the benchmarks.
 */
import * as fs from "fs";
import * as path from "path";

export type Emit = (record: Record<string, unknown>) => void;
export interface BenchModule {
  /** Run the benchmark, calling emit once per figure. */
  bench(emit: Emit, args: string[]): Promise<void>;
}

/** A benchmark option: the value of `--name=value`, "true" for a bare `--name`, undefined when absent. */
export function benchOption(args: string[], name: string): string | undefined {
  const hit = args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (hit === undefined) return undefined;
  return hit.includes("=") ? hit.slice(hit.indexOf("=") + 1) : "true";
}

/** A whole-number benchmark option `--name=N` (N ≥ 1), or `fallback` when absent. */
export function benchCount(args: string[], name: string, fallback: number): number {
  const raw = benchOption(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, got "${raw}". Write it as --${name}=${fallback}.`);
  return n;
}

async function main(): Promise<void> {
  const dir = path.join(__dirname, "..", "bench");
  const available = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => f.replace(/\.ts$/, ""))
    .sort();
  const names = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const extra = process.argv.slice(2).filter((a) => a.startsWith("-"));
  if (names.length === 0) {
    console.error(`usage: npm run bench -- <${available.join("|")}> [more…]`);
    process.exitCode = 2;
    return;
  }
  for (const name of names) {
    if (!available.includes(name)) {
      console.error(`Unknown benchmark "${name}". Available: ${available.join(", ")}`);
      process.exitCode = 2;
      return;
    }
  }
  for (const name of names) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mod = require(path.join(dir, name)) as BenchModule;
    const emit: Emit = (record) => {
      process.stdout.write(JSON.stringify({ bench: name, ...record }) + "\n");
    };
    await mod.bench(emit, extra);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
  });
}
