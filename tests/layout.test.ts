/**
 * The lib's shape: notebooks import only the curated entry files, in one style that works
 * under tslab's runtime require; entry files list their exports (no `export *` of internals);
 * the learner's areas and the tooling stay apart.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const lib = path.join(root, "lib");

/** The entry file of each area a notebook may import (lib/<entry>.ts). */
const ENTRIES = ["backend", "random", "tokenizer", "model", "train", "generate", "align", "eval", "datasets", "notebook"];
/** Folders of lib/: each area's implementation files, the exercise definitions, and the tooling. */
const FOLDERS = ["backend", "tokenizer", "model", "training", "generation", "notebook", "exercises", "tools"];

function notebookImports(): { notebook: string; cell: number; spec: string }[] {
  const out: { notebook: string; cell: number; spec: string }[] = [];
  for (const f of fs.readdirSync(path.join(root, "notebooks")).filter((f) => f.endsWith(".ipynb"))) {
    const nb = JSON.parse(fs.readFileSync(path.join(root, "notebooks", f), "utf8"));
    nb.cells.forEach((c: { cell_type: string; source: string[] | string }, i: number) => {
      if (c.cell_type !== "code") return;
      const src = Array.isArray(c.source) ? c.source.join("") : c.source;
      for (const m of src.matchAll(/(?:from\s+|require\(\s*|import\s*\(\s*)["'](\.\/lib[^"']*)["']/g)) out.push({ notebook: f, cell: i, spec: m[1] });
    });
  }
  return out;
}

describe("the lib's layout", () => {
  it("notebooks import only entry files, as ./lib/<entry>", () => {
    const imports = notebookImports();
    expect(imports.length).toBeGreaterThan(10);
    const around = imports.filter((i) => !ENTRIES.map((e) => `./lib/${e}`).includes(i.spec));
    expect(around.map((i) => `${i.notebook} cell ${i.cell}: ${i.spec} — import from one of ./lib/${ENTRIES.join(", ./lib/")} instead`)).toEqual([]);
  });

  it("the checker itself fails on an import around an entry file", () => {
    const spec = "./lib/model/gpt";
    expect(ENTRIES.map((e) => `./lib/${e}`).includes(spec)).toBe(false);
  });

  it("every entry file exists, with an explicit export list (no export * of internals)", () => {
    for (const e of ENTRIES) {
      const file = path.join(lib, `${e}.ts`);
      expect(fs.existsSync(file), file).toBe(true);
      expect(fs.readFileSync(file, "utf8"), file).not.toMatch(/export \*/);
    }
  });

  it("lib/ holds the entry files, one folder per area, and the tooling in lib/tools", () => {
    const files = fs.readdirSync(lib).filter((f) => fs.statSync(path.join(lib, f)).isFile()).map((f) => f.replace(/\.ts$/, ""));
    const folders = fs.readdirSync(lib).filter((f) => fs.statSync(path.join(lib, f)).isDirectory());
    expect(files.sort()).toEqual([...ENTRIES].sort());
    expect(folders.sort()).toEqual([...FOLDERS].sort());
    for (const tool of ["cli", "grader", "bench", "datagen"]) expect(fs.existsSync(path.join(lib, "tools", tool)), tool).toBe(true);
  });

  it("the learner's lib does not import the teachers' and maintainers' tools (except finding the checkout)", () => {
    const offenders: string[] = [];
    const walk = (dir: string): string[] => fs.readdirSync(dir).flatMap((f) => (fs.statSync(path.join(dir, f)).isDirectory() ? (f === "tools" ? [] : walk(path.join(dir, f))) : [path.join(dir, f)]));
    for (const file of walk(lib).filter((f) => f.endsWith(".ts"))) {
      for (const m of fs.readFileSync(file, "utf8").matchAll(/^import (?!type)[^;]*from "([^"]+)"/gm)) {
        const target = path.resolve(path.dirname(file), m[1]);
        if (target.startsWith(path.join(lib, "tools")) && !/tools\/(paths|datagen\/text)$/.test(target)) offenders.push(`${path.relative(root, file)} imports ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
