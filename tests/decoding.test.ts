/**
 * Decoding rules beyond sampling: min-p, the repetition penalty, beam search (= brute force
 * on a tiny model; width 1 = greedy), speculative decoding (exactly the target's
 * distribution, statistically, with a fixed seed), and the text-quality metrics.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { distinctN, repeatedNgramRate } from "../lib/eval";
import { applyRepetitionPenalty, beamSearch, expectedTokensPerCall, generate, nextTokenProbabilities, speculativeAccept, speculativeGenerate } from "../lib/generate";
import { GPT } from "../lib/model";
import { Rng } from "../lib/random";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

/** A tiny GPT with its weights scaled up, so its distributions are far from uniform. */
function peaky(seed: number, vocabSize = 5, scale = 6): GPT {
  const m = new GPT({ vocabSize, contextLength: 12, dModel: 8, nHeads: 2, nLayers: 1 }, { seed });
  tf.tidy(() => {
    for (const [, v] of m.params.entries()) v.assign(tf.mul(v, scale));
  });
  return m;
}

/** log p(seq | prompt) under the model, by one forward pass. */
function seqLogProb(m: GPT, prompt: number[], seq: number[]): number {
  const ids = [...prompt, ...seq];
  const { logits } = m.forward([ids]);
  const lp = tf.tidy(() => tf.logSoftmax(logits).arraySync() as number[][][])[0];
  logits.dispose();
  return seq.reduce((s, t, i) => s + lp[prompt.length - 1 + i][t], 0);
}

describe("sampling rules", () => {
  it("min-p keeps tokens with probability ≥ minP × the top one, renormalised", () => {
    // softmax([2, 1, 0, −3]) = [0.6652, 0.2447, 0.0900, 0.0045]; minP 0.2 → threshold 0.1330: keep the first two.
    const p = nextTokenProbabilities([2, 1, 0, -3], { minP: 0.2 });
    const e = [Math.exp(2), Math.exp(1)];
    expect(Array.from(p)).toEqual([e[0] / (e[0] + e[1]), e[1] / (e[0] + e[1]), 0, 0].map((x) => expect.closeTo(x, 12)));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(() => nextTokenProbabilities([1, 2], { minP: 1.5 })).toThrow(/minP must be in \[0, 1\]/);
  });

  it("the repetition penalty divides positive and multiplies negative logits of tokens already seen, once each", () => {
    expect(Array.from(applyRepetitionPenalty([2, -2, 1, 3], [0, 1, 1, 1], 2))).toEqual([1, -4, 1, 3]);
    expect(() => applyRepetitionPenalty([1], [0], 0)).toThrow(/repetitionPenalty must be > 0/);
  });
});

describe("beam search", () => {
  it("with a wide enough beam it finds the most likely sequence (brute force over all 125); width 1 is greedy", () => {
    const m = peaky(3);
    const prompt = [1, 2];
    let best = { seq: [] as number[], lp: -Infinity };
    for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) for (let c = 0; c < 5; c++) {
      const lp = seqLogProb(m, prompt, [a, b, c]);
      if (lp > best.lp) best = { seq: [a, b, c], lp };
    }
    const beams = beamSearch(m, prompt, { beamWidth: 25, maxNewTokens: 3, lengthPenalty: 0 });
    expect(beams[0].tokens).toEqual(best.seq);
    expect(beams[0].logProb).toBeCloseTo(best.lp, 4);
    const greedy = generate(m, prompt, { maxNewTokens: 3, greedy: true }).newTokens;
    expect(beamSearch(m, prompt, { beamWidth: 1, maxNewTokens: 3 })[0].tokens).toEqual(greedy);
    // A beam never scores below greedy's sequence.
    expect(beams[0].logProb).toBeGreaterThanOrEqual(seqLogProb(m, prompt, greedy) - 1e-6);
    m.dispose();
  });

  it("stops beams at a stop token and ranks them by length-normalised score", () => {
    const m = peaky(4);
    const beams = beamSearch(m, [1], { beamWidth: 4, maxNewTokens: 5, stopTokens: [0], lengthPenalty: 1 });
    expect(beams.length).toBeGreaterThan(0);
    for (const b of beams) {
      expect(b.tokens.length === 5 || b.tokens[b.tokens.length - 1] === 0).toBe(true);
      expect(b.score).toBeCloseTo(b.logProb / b.tokens.length, 10);
    }
    for (let i = 1; i < beams.length; i++) expect(beams[i - 1].score).toBeGreaterThanOrEqual(beams[i].score);
    m.dispose();
  });
});

describe("speculative decoding", () => {
  it("the accept/reject step alone turns draws from q into draws from p", () => {
    const p = [0.5, 0.3, 0.2, 0];
    const q = [0.1, 0.2, 0.3, 0.4];
    const r = new Rng(7);
    const counts = [0, 0, 0, 0];
    const N = 40000;
    for (let i = 0; i < N; i++) counts[speculativeAccept(r.categorical(q), p, q, r).token]++;
    const tv = 0.5 * counts.reduce((s, c, i) => s + Math.abs(c / N - p[i]), 0);
    expect(tv).toBeLessThan(0.01);
  });

  it("samples exactly the target's distribution over two tokens (total variation vs the exact one), and tokens per call follow the formula", () => {
    const target = peaky(5, 5, 3);
    const draft = peaky(6, 5, 3);
    const prompt = [1, 2];
    const exact = new Map<string, number>();
    for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) exact.set(`${a},${b}`, Math.exp(seqLogProb(target, prompt, [a, b])));
    const counts = new Map<string, number>();
    const N = 1500;
    let proposed = 0;
    let accepted = 0;
    for (let i = 0; i < N; i++) {
      const r = speculativeGenerate(target, draft, prompt, { maxNewTokens: 2, gamma: 2, seed: 1000 + i });
      const key = r.newTokens.join();
      counts.set(key, (counts.get(key) ?? 0) + 1);
      proposed += r.proposed;
      accepted += r.accepted;
    }
    let tv = 0;
    for (const [key, p] of exact) tv += Math.abs((counts.get(key) ?? 0) / N - p);
    tv /= 2;
    // With 25 outcomes and 1,500 samples, sampling noise alone gives TV ≈ 0.05; a wrong rule (e.g. always keeping the draft's token) gives far more.
    expect(tv).toBeLessThan(0.08);
    const alpha = accepted / proposed;
    expect(alpha).toBeGreaterThan(0);
    expect(alpha).toBeLessThan(1);
    expect(expectedTokensPerCall(0.5, 2)).toBeCloseTo(1.75, 12);
    expect(expectedTokensPerCall(1, 3)).toBe(4);
    target.dispose();
    draft.dispose();
  });

  it("refuses what it cannot do with a fix", () => {
    const m = peaky(1);
    expect(() => speculativeGenerate(m, m, [1], { maxNewTokens: 3, temperature: 0 })).toThrow(/temperature must be > 0/);
    expect(() => speculativeGenerate(m, m, [1], { maxNewTokens: 20 })).toThrow(/must fit the context \(12\)/);
    m.dispose();
  });
});

describe("text-quality metrics", () => {
  it("distinct-n and the repeated n-gram rate", () => {
    expect(distinctN([1, 2, 1, 2, 1], 2)).toBeCloseTo(2 / 4, 12); // 12 21 12 21: 2 distinct of 4
    expect(repeatedNgramRate([1, 2, 1, 2, 1], 2)).toBeCloseTo(2 / 4, 12);
    expect(repeatedNgramRate([1, 2, 3, 4], 2)).toBe(0);
    expect(distinctN("abc".split(""), 4)).toBe(0);
    expect(() => distinctN([1], 0)).toThrow(/n must be a whole number ≥ 1/);
  });
});
