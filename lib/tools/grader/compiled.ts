/**
 * The course's lib/ as JavaScript plus declarations, for grading kernels.
 *
 * A tslab kernel that imports `./lib/notebook` from TypeScript sources type-checks the whole
 * lib graph inside the kernel: 15–20 s per kernel on a busy 2-core machine, more than the
 * exercises themselves. Compiled once per grading run (with tslab's own TypeScript, so the
 * declarations parse in the kernel) the same import takes about 2 s: the kernel checks the
 * learner's cells against the `.d.ts` files and runs the `.js` files. Behaviour is the same
 * code; only the place where it is compiled changes.
 *
 * The tree mirrors lib/ (same folders, same non-TypeScript files), so paths such as
 * `../datasets` relative to a lib file still resolve in the submission's folder.
 */
import * as fs from "fs";
import * as path from "path";
import type * as TS from "typescript";

function tslabTypeScript(root: string): typeof TS {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require(require.resolve("@tslab/typescript-for-tslab", { paths: [root] })) as typeof TS;
}

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

function copyNonTs(src: string, dst: string): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    if (e.isDirectory()) copyNonTs(s, d);
    else if (e.isFile() && !(e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))) fs.copyFileSync(s, d);
  }
}

/**
 * Compile `<root>/lib` into `<outDir>/lib` (.js + .d.ts, other files copied). Returns the
 * folder, or throws with the reason (the caller then grades with the TypeScript sources).
 */
export function compileLibForKernels(root: string, outDir: string): string {
  const ts = tslabTypeScript(root);
  const libDir = path.join(root, "lib");
  const target = path.join(outDir, "lib");
  fs.rmSync(target, { recursive: true, force: true });
  copyNonTs(libDir, target);
  const configFile = path.join(root, "tsconfig.json");
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  if (read.error) throw new Error(`cannot read ${configFile}: ${ts.flattenDiagnosticMessageText(read.error.messageText, "\n")}`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
  const options: TS.CompilerOptions = {
    ...parsed.options,
    noEmit: false,
    declaration: true,
    sourceMap: false,
    noEmitOnError: false,
    rootDir: libDir,
    outDir: target,
    typeRoots: [path.join(root, "node_modules", "@types")],
  };
  const program = ts.createProgram(tsFiles(libDir), options);
  const emitted = program.emit();
  if (emitted.emitSkipped) throw new Error("TypeScript skipped the emit of lib/");
  for (const f of tsFiles(libDir)) {
    const rel = path.relative(libDir, f).replace(/\.ts$/, ".js");
    if (!fs.existsSync(path.join(target, rel))) throw new Error(`no compiled ${rel}`);
  }
  return target;
}
