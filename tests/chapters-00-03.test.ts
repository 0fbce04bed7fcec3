/**
 * Course rules for chapters 00–03 and 06–10, checked on the committed notebooks (no kernel needed):
 * every "What you should see" block has a check next to it (expectRange / expectThat /
 * expectEqual print each number with its range), no such block types in a timing, and each
 * chapter has its prerequisites and time, references, discussion questions and the glossary link.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { diagramNames } from "../lib/notebook";

const dir = path.resolve(__dirname, "..", "notebooks");
const chapters = ["00-introduction", "01-tokens", "02-self-attention", "03-transformer", "06-pretraining", "07-fine-tuning", "08-rlhf", "09-hallucination", "10-summary"];
type Cell = { cell_type: string; source: string | string[] };
const load = (name: string): Cell[] => JSON.parse(fs.readFileSync(path.join(dir, `${name}.ipynb`), "utf8")).cells;
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);
const CHECK = /\bexpect(Range|That|Equal)\(/;

describe.each(chapters)("%s", (name) => {
  const cells = load(name);

  it("checks every 'What you should see' block in code (within two code cells before or three after)", () => {
    const missing: number[] = [];
    cells.forEach((c, i) => {
      if (c.cell_type !== "markdown" || !text(c).includes("What you should see")) return;
      const code = (from: number, step: number, n: number) => {
        const out: Cell[] = [];
        for (let j = from; j >= 0 && j < cells.length && out.length < n; j += step) if (cells[j].cell_type === "code") out.push(cells[j]);
        return out;
      };
      if (![...code(i - 1, -1, 2), ...code(i + 1, 1, 3)].some((cc) => CHECK.test(text(cc)))) missing.push(i);
    });
    expect(missing, `markdown cells ${missing.join(", ")} describe results with no expect… check nearby`).toEqual([]);
  });

  it("types no timings into 'What you should see' blocks (timings are printed from measurement)", () => {
    const typed = cells
      .filter((c) => c.cell_type === "markdown" && text(c).includes("What you should see"))
      .flatMap((c) => text(c).match(/\b\d+(\.\d+)?\s?(ms|µs|seconds?)\b/g) ?? []);
    expect(typed).toEqual([]);
  });

  it("has prerequisites and a time estimate, references, discussion questions and the glossary link", () => {
    const md = cells.filter((c) => c.cell_type === "markdown").map(text).join("\n");
    expect(md).toMatch(/Before you start\.\*\* Prerequisites/);
    expect(md).toMatch(/\*\*Time:\*\*/);
    expect(md).toMatch(/## 참고 자료 — References/);
    expect(md).toMatch(/## 토론 — Discussion questions/);
    expect(md).toContain("(glossary.md)");
  });

  it("uses one thousands-separator style (1,024, not 1 024)", () => {
    const md = cells.filter((c) => c.cell_type === "markdown").map(text).join("\n");
    expect(md.match(/\b\d{1,3}[  ]\d{3}\b(?![BMk])/g) ?? []).toEqual([]);
  });

  it("only shows diagrams the lib has", () => {
    const used = cells.flatMap((c) => Array.from(text(c).matchAll(/diagram\("([a-z-]+)"\)/g), (m) => m[1]));
    for (const d of used) expect(diagramNames()).toContain(d);
    expect(used.length).toBeGreaterThan(0);
  });
});

describe("glossary", () => {
  it("exists and holds the source's key terms", () => {
    const g = fs.readFileSync(path.join(dir, "glossary.md"), "utf8");
    for (const term of ["토큰", "매개변수", "자기 지도 학습", "셀프 어텐션", "인코더 / 디코더", "자기회귀", "사전 학습", "미세 조정", "강화 학습", "환각"]) expect(g).toContain(term);
  });
});
