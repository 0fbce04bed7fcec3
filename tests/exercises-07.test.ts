/**
 * Chapter 07 exercises: a learner-style solution earns the points; typical mistakes fail
 * with the hint that names them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { words } from "../lib/eval";
import { check } from "../lib/notebook";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const hintOf = (r: { cases: { hint?: string; passed: boolean }[] }) => r.cases.find((c) => !c.passed && c.hint)?.hint ?? "";
const END = "\u0004";

type Ex = { prompt: number[]; response: number[] };
/** A learner's padded batch; `mistake` breaks it the way learners do. */
function batch(examples: Ex[], padId: number, mistake?: "end" | "late" | "pad") {
  const rows = examples.map((e) => [...e.prompt, ...e.response]);
  const T = Math.max(...rows.map((r) => r.length)) - 1;
  const ids = rows.map((r) => [...r.slice(0, -1), ...Array(T - (r.length - 1)).fill(padId)]);
  const targets = rows.map((r, b) =>
    Array.from({ length: T }, (_, t) => {
      if (t >= r.length - 1) return mistake === "pad" ? padId : -1;
      const first = examples[b].prompt.length - (mistake === "late" ? 0 : 1);
      if (t < first) return -1;
      if (mistake === "end" && r[t + 1] === 4) return -1;
      return r[t + 1];
    }),
  );
  return { ids, targets };
}

function matMul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}
const add = (a: number[][], b: number[][], s = 1) => a.map((r, i) => r.map((v, j) => v + s * b[i][j]));

function lcs(a: string[], b: string[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) dp[i][j] = a[i - 1] === b[j - 1] ? dp[i - 1][j - 1] + 1 : Math.max(dp[i - 1][j], dp[i][j - 1]);
  return dp[a.length][b.length];
}

describe("chapter 07", () => {
  it("the prompt template: right earns the point; forgetting the end token or the space gets the hint", async () => {
    expect((await check("07-prompt-template", (q: string, a: string) => ({ prompt: `Q: ${q}\nA:`, response: ` ${a}${END}` }), { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("07-prompt-template", (q: string, a: string) => ({ prompt: `Q: ${q}\nA:`, response: ` ${a}` }), { quiet: true }))).toMatch(/end token/);
    expect(hintOf(await check("07-prompt-template", (q: string, a: string) => ({ prompt: `Q: ${q}\nA:`, response: `${a}${END}` }), { quiet: true }))).toMatch(/start the response with a space/);
  });

  it("the loss mask: right earns the points; masking the end token, the last prompt position or not the padding gets the hint", async () => {
    expect((await check("07-loss-mask", (e: Ex[], p: number) => batch(e, p), { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("07-loss-mask", (e: Ex[], p: number) => batch(e, p, "end"), { quiet: true }))).toMatch(/end token is masked out/);
    expect(hintOf(await check("07-loss-mask", (e: Ex[], p: number) => batch(e, p, "late"), { quiet: true }))).toMatch(/last prompt position predicts the first answer token/);
    expect(hintOf(await check("07-loss-mask", (e: Ex[], p: number) => batch(e, p, "pad"), { quiet: true }))).toMatch(/padding get −1/);
  });

  it("the LoRA layer: right earns the points; a missing or inverted α/r gets the hint", async () => {
    const lora = (s: (a: number, r: number) => number) => (x: number[][], W: number[][], A: number[][], B: number[][], alpha: number, rank: number) => add(matMul(x, W), matMul(matMul(x, A), B), s(alpha, rank));
    expect((await check("07-lora-forward", lora((a, r) => a / r), { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("07-lora-forward", lora(() => 1), { quiet: true }))).toMatch(/scale the low-rank part by α\/r/);
    expect(hintOf(await check("07-lora-forward", lora((a, r) => r / a), { quiet: true }))).toMatch(/α\/r, not r\/α/);
  });

  it("LoRA's parameter count: right earns the point; counting the full matrix gets the hint", async () => {
    expect((await check("07-lora-params", (s: number[][], r: number) => s.reduce((n, [i, o]) => n + r * (i + o), 0), { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("07-lora-params", (s: number[][]) => s.reduce((n, [i, o]) => n + i * o, 0), { quiet: true }))).toMatch(/full matrices' size/);
    expect(hintOf(await check("07-lora-params", (s: number[][], r: number) => s.reduce((n, [i, o]) => n + r * i * o, 0), { quiet: true }))).toMatch(/not r·in·out/);
  });

  it("ROUGE-L: right earns the points; a bag of words gets the hint", async () => {
    const rouge = (p: string, r: string) => {
      const a = words(p);
      const b = words(r);
      const l = lcs(a, b);
      return l === 0 ? 0 : (2 * (l / a.length) * (l / b.length)) / (l / a.length + l / b.length);
    };
    expect((await check("07-rouge-l", rouge, { quiet: true })).passed).toBe(true);
    const bag = (p: string, r: string) => {
      const a = words(p);
      const b = new Set(words(r));
      const common = a.filter((w) => b.has(w)).length;
      return common === 0 ? 0 : (2 * common) / (a.length + words(r).length);
    };
    expect(hintOf(await check("07-rouge-l", bag, { quiet: true }))).toMatch(/order matters/);
  });
});
