/**
 * Chapter 09 exercises: a learner-style solution earns the points; typical mistakes fail
 * with the hint that names them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { check } from "../lib/notebook";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const hintOf = (r: { cases: { hint?: string; passed: boolean }[] }) => r.cases.find((c) => !c.passed && c.hint)?.hint ?? "";

/** A learner's ECE; `mistake` breaks it the way learners do. */
function ece(conf: number[], right: boolean[], mistake?: "unweighted" | "one-bin" | "last-bin"): number {
  const bins = mistake === "one-bin" ? 1 : 10;
  const sums = Array.from({ length: mistake === "last-bin" ? 11 : bins }, () => ({ c: 0, a: 0, n: 0 }));
  conf.forEach((c, i) => {
    const b = mistake === "last-bin" ? Math.floor(c * 10) : Math.min(bins - 1, Math.floor(c * bins));
    sums[b].c += c;
    sums[b].a += right[i] ? 1 : 0;
    sums[b].n++;
  });
  const used = sums.filter((s) => s.n > 0);
  if (mistake === "unweighted") return used.reduce((x, s) => x + Math.abs(s.a / s.n - s.c / s.n), 0) / used.length;
  if (mistake === "last-bin") return sums.slice(0, 10).reduce((x, s) => x + (s.n ? (s.n / conf.length) * Math.abs(s.a / s.n - s.c / s.n) : 0), 0) + (sums[10].n ? NaN : 0);
  return used.reduce((x, s) => x + (s.n / conf.length) * Math.abs(s.a / s.n - s.c / s.n), 0);
}

function auroc(scores: number[], pos: boolean[], tie = 0.5): number {
  let s = 0;
  let n = 0;
  scores.forEach((a, i) => {
    if (!pos[i]) return;
    scores.forEach((b, j) => {
      if (pos[j]) return;
      s += a > b ? 1 : a === b ? tie : 0;
      n++;
    });
  });
  return s / n;
}

type O = "correct" | "abstain" | "wrong";
function score(o: O[], t: number, mistake?: "penalty-t" | "sum" | "answered"): number {
  const pen = mistake === "penalty-t" ? t : t / (1 - t);
  const total = o.reduce((s, x) => s + (x === "correct" ? 1 : x === "wrong" ? -pen : 0), 0);
  if (mistake === "sum") return total;
  if (mistake === "answered") return total / Math.max(1, o.filter((x) => x !== "abstain").length);
  return total / o.length;
}

describe("chapter 09", () => {
  it("ECE: right earns the points; unweighted bins, one bin, or confidence 1 outside the bins get the hint", async () => {
    expect((await check("09-ece", (c: number[], r: boolean[]) => ece(c, r), { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("09-ece", (c: number[], r: boolean[]) => ece(c, r, "unweighted"), { quiet: true }))).toMatch(/weight each bin/);
    expect(hintOf(await check("09-ece", (c: number[], r: boolean[]) => ece(c, r, "one-bin"), { quiet: true }))).toMatch(/one bin/);
    expect(hintOf(await check("09-ece", (c: number[], r: boolean[]) => ece(c, r, "last-bin"), { quiet: true }))).toMatch(/last bin/);
  });

  it("AUROC: right earns the points; ties as 0 or 1, or the labels swapped, get the hint", async () => {
    expect((await check("09-auroc", (s: number[], p: boolean[]) => auroc(s, p), { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("09-auroc", (s: number[], p: boolean[]) => auroc(s, p, 0), { quiet: true }))).toMatch(/counts ½, not 0/);
    expect(hintOf(await check("09-auroc", (s: number[], p: boolean[]) => auroc(s, p, 1), { quiet: true }))).toMatch(/counts ½, not 1/);
    expect(hintOf(await check("09-auroc", (s: number[], p: boolean[]) => auroc(s, p.map((x) => !x)), { quiet: true }))).toMatch(/positives are the right answers/);
  });

  it("the monofact rate: right earns the point; dividing by the number of facts gets the hint", async () => {
    expect((await check("09-monofact", (c: number[]) => c.filter((x) => x === 1).length / c.reduce((a, b) => a + b, 0), { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("09-monofact", (c: number[]) => c.filter((x) => x === 1).length / c.length, { quiet: true }))).toMatch(/number of statements/);
    expect(hintOf(await check("09-monofact", (c: number[]) => c.filter((x) => x === 1).length / c.filter((x) => x > 0).length, { quiet: true }))).toMatch(/number of statements/);
  });

  it("the abstention score: right earns the point; penalty t, a sum, or only the answered ones get the hint", async () => {
    expect((await check("09-abstention-score", (o: O[], t: number) => score(o, t), { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("09-abstention-score", (o: O[], t: number) => score(o, t, "penalty-t"), { quiet: true }))).toMatch(/t\/\(1 − t\), not t/);
    expect(hintOf(await check("09-abstention-score", (o: O[], t: number) => score(o, t, "sum"), { quiet: true }))).toMatch(/mean over all outcomes/);
    expect(hintOf(await check("09-abstention-score", (o: O[], t: number) => score(o, t, "answered"), { quiet: true }))).toMatch(/abstentions count too/);
  });
});
