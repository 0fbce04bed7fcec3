/**
 * `npm run datasets` regenerates every file in datasets/ from the fixed seed.
 *
 *   npm run datasets                 write into datasets/
 *   npm run datasets -- --out DIR    write into DIR instead
 *   npm run datasets -- --check      write nothing; exit 1 if datasets/ differs from a fresh build
 *
 * Prints a JSON summary (sizes, language shares, fact mention counts, time) on stdout.
 */
import * as fs from "fs";
import * as path from "path";
import { DATASET_FILES, generateDatasets, writeDatasets } from "../datagen/generate";
import { datasetsDir } from "../paths";

function main(): void {
  const args = process.argv.slice(2);
  let out = datasetsDir();
  let check = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--out") {
      if (!args[i + 1]) throw new Error("--out needs a folder: npm run datasets -- --out DIR");
      out = path.resolve(args[++i]);
    } else if (args[i] === "--check") {
      check = true;
    } else {
      throw new Error(`Unknown option "${args[i]}". Usage: npm run datasets [-- --out DIR | --check]`);
    }
  }
  const t0 = process.hrtime.bigint();
  if (check) {
    const { files } = generateDatasets();
    const stale = DATASET_FILES.filter((f) => {
      const p = datasetsDir(f);
      return !fs.existsSync(p) || fs.readFileSync(p, "utf8") !== files[f];
    });
    if (stale.length > 0) {
      console.error(`datasets/ is out of date: ${stale.join(", ")}. Run \`npm run datasets\` and commit the result.`);
      process.exitCode = 1;
    } else {
      console.error("datasets/ matches a fresh build.");
    }
    return;
  }
  const stats = writeDatasets(out);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.error(`wrote ${DATASET_FILES.length} files to ${out} in ${seconds.toFixed(2)} s`);
  process.stdout.write(JSON.stringify({ ...stats, seconds: Math.round(seconds * 100) / 100 }, null, 2) + "\n");
}

try {
  main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
