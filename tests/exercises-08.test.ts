/**
 * Chapter 08 exercises: a learner-style solution earns the points; typical mistakes fail
 * with the hint that names them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { check } from "../lib/notebook";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const hintOf = (r: { cases: { hint?: string; passed: boolean }[] }) => r.cases.find((c) => !c.passed && c.hint)?.hint ?? "";
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

describe("chapter 08", () => {
  it("pairs from a ranking: right earns the point; adjacent pairs only, both orders or reversed get the hint", async () => {
    const pairs = (r: string[]) => r.flatMap((a, i) => r.slice(i + 1).map((b) => [a, b]));
    expect((await check("08-ranking-pairs", pairs, { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("08-ranking-pairs", (r: string[]) => r.slice(1).map((b, i) => [r[i], b]), { quiet: true }))).toMatch(/every answer beats/);
    expect(hintOf(await check("08-ranking-pairs", (r: string[]) => pairs(r).flatMap((p) => [p, [p[1], p[0]]]), { quiet: true }))).toMatch(/each unordered pair once/);
    expect(hintOf(await check("08-ranking-pairs", (r: string[]) => pairs(r).map((p) => [p[1], p[0]]), { quiet: true }))).toMatch(/ranked higher/);
  });

  it("Bradley–Terry: the stable mean earns the points; the sum, the flipped sign or an overflowing formula get the hint", async () => {
    const mean = (c: number[], r: number[]) => c.reduce((s, _, i) => s + softplus(-(c[i] - r[i])), 0) / c.length;
    expect((await check("08-bradley-terry", mean, { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("08-bradley-terry", (c: number[], r: number[]) => mean(c, r) * c.length, { quiet: true }))).toMatch(/mean over pairs/);
    expect(hintOf(await check("08-bradley-terry", (c: number[], r: number[]) => c.reduce((s, _, i) => s + Math.log(1 + Math.exp(c[i] - r[i])), 0) / c.length, { quiet: true }))).toMatch(/the sign|overflow/);
    expect(hintOf(await check("08-bradley-terry", (c: number[], r: number[]) => c.reduce((s, _, i) => s - Math.log(1 / (1 + Math.exp(-(c[i] - r[i])))), 0) / c.length, { quiet: true }))).toMatch(/overflow/);
  });

  it("the KL-penalised reward: right earns the point; adding the penalty or forgetting β gets the hint", async () => {
    expect((await check("08-kl-reward", (s: number, lp: number, ref: number, b: number) => s - b * (lp - ref), { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("08-kl-reward", (s: number, lp: number, ref: number, b: number) => s + b * (lp - ref), { quiet: true }))).toMatch(/subtract the penalty/);
    expect(hintOf(await check("08-kl-reward", (s: number, lp: number, ref: number) => s - (lp - ref), { quiet: true }))).toMatch(/by β/);
  });

  it("RLOO: leave-one-out earns the points; the plain group mean or the whole batch's mean gets the hint", async () => {
    const rloo = (r: number[], k: number) => r.map((v, i) => {
      const g = Math.floor(i / k) * k;
      return v - (r.slice(g, g + k).reduce((a, b) => a + b, 0) - v) / (k - 1);
    });
    expect((await check("08-rloo-advantage", rloo, { quiet: true })).passed).toBe(true);
    const groupMean = (r: number[], k: number) => r.map((v, i) => {
      const g = Math.floor(i / k) * k;
      return v - r.slice(g, g + k).reduce((a, b) => a + b, 0) / k;
    });
    expect(hintOf(await check("08-rloo-advantage", groupMean, { quiet: true }))).toMatch(/leave the sample itself out/);
    expect(hintOf(await check("08-rloo-advantage", (r: number[]) => r.map((v) => v - (r.reduce((a, b) => a + b, 0) - v) / (r.length - 1)), { quiet: true }))).toMatch(/same prompt/);
  });

  it("DPO: right earns the points; the flipped sign, no β or no reference gets the hint", async () => {
    const dpo = (pw: number, pl: number, rw: number, rl: number, b: number) => softplus(-b * (pw - rw - (pl - rl)));
    expect((await check("08-dpo-loss", dpo, { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("08-dpo-loss", (pw: number, pl: number, rw: number, rl: number, b: number) => softplus(b * (pw - rw - (pl - rl))), { quiet: true }))).toMatch(/the sign/);
    expect(hintOf(await check("08-dpo-loss", (pw: number, pl: number, rw: number, rl: number) => softplus(-(pw - rw - (pl - rl))), { quiet: true }))).toMatch(/by β/);
    expect(hintOf(await check("08-dpo-loss", (pw: number, pl: number, _rw: number, _rl: number, b: number) => softplus(-b * (pw - pl)), { quiet: true }))).toMatch(/reference/);
  });
});
