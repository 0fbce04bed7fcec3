/**
 * Chapters 04 and 05 exercises: a learner-style solution earns the points; typical mistakes
 * fail with the hint that names them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { check } from "../lib/notebook";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const hintOf = (r: { cases: { hint?: string; passed: boolean }[] }) => r.cases.find((c) => !c.passed && c.hint)?.hint ?? "";

describe("chapter 04", () => {
  it("the loss mask: right earns the points; starting after <sep> or dropping </s> gets the hint", async () => {
    const right = (s: number, t: number) => [...Array(s).fill(0), ...Array(t + 1).fill(1)];
    expect((await check("04-decoder-only-mask", right, { quiet: true })).passed).toBe(true);
    const late = (s: number, t: number) => [...Array(s + 1).fill(0), ...Array(t).fill(1)];
    expect(hintOf(await check("04-decoder-only-mask", late, { quiet: true }))).toMatch(/<sep> position counts/);
    const noEnd = (s: number, t: number) => [...Array(s).fill(0), ...Array(t).fill(1), 0];
    expect(hintOf(await check("04-decoder-only-mask", noEnd, { quiet: true }))).toMatch(/keep the loss on <\/s>/);
  });

  it("teacher forcing: a target without the end token gets the hint", async () => {
    expect((await check("04-teacher-forcing", (t: number[], s: number, e: number) => ({ input: [s, ...t], target: [...t, e] }), { quiet: true })).passed).toBe(true);
    const r = await check("04-teacher-forcing", (t: number[], s: number) => ({ input: [s, ...t], target: [...t, s] }), { quiet: true });
    expect(r.passed).toBe(false);
    expect(hintOf(r)).toMatch(/ends with the end token/);
  });

  it("counting parameters: forgetting cross-attention gets the hint", async () => {
    type C = { vocabSize: number; dModel: number; dFF: number; nEncoderLayers: number; nDecoderLayers: number; sourceLength: number; targetLength: number };
    const block = (C: number, dFF: number) => 2 * C + (3 * C * C + 3 * C + C * C + C) + 2 * C + (C * dFF + dFF + dFF * C + C);
    const noCross = (c: C) => c.vocabSize * c.dModel + (c.sourceLength + c.targetLength) * c.dModel + (c.nEncoderLayers + c.nDecoderLayers) * block(c.dModel, c.dFF) + 4 * c.dModel;
    expect(hintOf(await check("04-count-params", noCross, { quiet: true }))).toMatch(/cross-attention/);
  });
});

describe("chapter 05", () => {
  it("temperature: multiplying instead of dividing gets the hint", async () => {
    const wrong = (z: number[], t: number) => {
      const s = z.map((x) => x * t);
      const m = Math.max(...s);
      const e = s.map((x) => Math.exp(x - m));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / sum);
    };
    expect(hintOf(await check("05-temperature", wrong, { quiet: true }))).toMatch(/divide the logits by T/);
  });

  it("top-p: stopping before the token that crosses p gets the hint", async () => {
    const short = (probs: number[], p: number) => {
      const order = probs.map((q, i) => ({ q, i })).sort((a, b) => b.q - a.q);
      const keep = new Set<number>();
      let sum = 0;
      for (const { q, i } of order) {
        if (sum + q >= p && keep.size > 0) break;
        keep.add(i);
        sum += q;
      }
      const kept = probs.map((q, i) => (keep.has(i) ? q : 0));
      const total = kept.reduce((a, b) => a + b, 0);
      return kept.map((q) => q / total);
    };
    expect(hintOf(await check("05-top-p", short, { quiet: true }))).toMatch(/takes the sum \*to\* p/);
  });

  it("speculative step: resampling from p instead of the residual gets the hint", async () => {
    const wrong = (x: number, p: number[], q: number[], u: number) => (u < Math.min(1, p[x] / q[x]) ? { accepted: true, resample: null } : { accepted: false, resample: p });
    expect(hintOf(await check("05-speculative-accept", wrong, { quiet: true }))).toMatch(/norm\(max\(0, p − q\)\)/);
    const right = (x: number, p: number[], q: number[], u: number) => {
      if (u < Math.min(1, p[x] / q[x])) return { accepted: true, resample: null };
      const r = p.map((pi, i) => Math.max(0, pi - q[i]));
      const s = r.reduce((a, b) => a + b, 0);
      return { accepted: false, resample: r.map((v) => v / s) };
    };
    expect((await check("05-speculative-accept", right, { quiet: true })).passed).toBe(true);
  });
});
