/**
 * `npm run bench -- <name> [<name> …]` runs lib/bench/<name>.ts and prints one JSON
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

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
