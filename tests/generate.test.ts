import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { generate, nextTokenProbabilities, sampleToken } from "../lib/generate";
import { EncoderDecoder, GPT } from "../lib/model";
import { Rng } from "../lib/random";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

describe("choosing the next token", () => {
  const logits = [1, 3, 2, 0];
  it("greedy and temperature 0 take the most likely token", () => {
    expect(sampleToken(logits, { greedy: true })).toBe(1);
    expect(sampleToken(logits, { temperature: 0 })).toBe(1);
  });
  it("applies temperature as softmax(logits / T)", () => {
    const p = nextTokenProbabilities(logits, { temperature: 2 });
    const e = logits.map((l) => Math.exp(l / 2));
    const z = e.reduce((a, b) => a + b, 0);
    p.forEach((x, i) => expect(x).toBeCloseTo(e[i] / z, 12));
  });
  it("top-k keeps the k most likely tokens", () => {
    const p = nextTokenProbabilities(logits, { topK: 2 });
    expect(p[0]).toBe(0);
    expect(p[3]).toBe(0);
    expect(p[1] + p[2]).toBeCloseTo(1, 12);
    expect(p[1] / p[2]).toBeCloseTo(Math.E, 10);
  });
  it("top-p keeps the smallest set reaching probability p", () => {
    const full = nextTokenProbabilities(logits); // ≈ [0.087, 0.644, 0.237, 0.032]
    const p = nextTokenProbabilities(logits, { topP: 0.7 });
    expect(p[1]).toBeGreaterThan(0);
    expect(p[2]).toBeGreaterThan(0); // 0.644 < 0.7, so the second one is needed
    expect(p[0]).toBe(0);
    expect(p[1]).toBeCloseTo(full[1] / (full[1] + full[2]), 12);
    expect(nextTokenProbabilities(logits, { topP: 0.5 })[2]).toBe(0);
  });
  it("samples reproducibly with a seed, following the probabilities", () => {
    const a = Array.from({ length: 50 }, (_, i) => sampleToken(logits, {}, new Rng(i)));
    const b = Array.from({ length: 50 }, (_, i) => sampleToken(logits, {}, new Rng(i)));
    expect(a).toEqual(b);
    const r = new Rng(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[sampleToken(logits, {}, r)]++;
    expect(counts[1] / 4000).toBeCloseTo(0.644, 1);
  });
  it.each([[0.7, undefined], [1, undefined], [1.3, 0.05]])("without top-k or top-p (T = %f, min-p %s) no ranking is needed: the same probabilities as with topK = the vocabulary", (temperature, minP) => {
    const r = new Rng(3);
    const wide = Float32Array.from({ length: 1024 }, () => r.normal(0, 3)); // a model's row of logits
    wide[7] = wide[9] = Math.max(...wide) + 1; // a tie for the top
    const plain = nextTokenProbabilities(wide, { temperature, minP });
    const ranked = nextTokenProbabilities(wide, { temperature, minP, topK: wide.length });
    plain.forEach((p, i) => expect(Math.abs(p - ranked[i])).toBeLessThan(1e-15));
    expect(plain.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
  it("rejects bad options", () => {
    expect(() => nextTokenProbabilities(logits, { topK: 0 })).toThrow(/topK must be a positive integer/);
    expect(() => nextTokenProbabilities(logits, { topP: 1.5 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => nextTokenProbabilities(logits, { temperature: -1 })).toThrow(/temperature must be ≥ 0/);
  });
});

describe("generate with a KV cache", () => {
  const config = { vocabSize: 17, contextLength: 12, dModel: 16, nHeads: 4, nLayers: 2 };

  it.each([
    ["greedy", { greedy: true }],
    ["sampling with top-k and top-p", { temperature: 0.9, topK: 8, topP: 0.95 }],
  ])("gives exactly the same tokens and logits (≤ 1e-5) as without it (%s), also past the context", (_, sampling) => {
    const model = new GPT(config, { seed: 3, ...{} });
    // Larger weights than at init, so that the distributions are far from uniform.
    tf.tidy(() => {
      for (const [, v] of model.params.entries()) v.assign(tf.mul(v, 4));
    });
    const before = tf.memory().numTensors;
    const opts = { maxNewTokens: 20, seed: 5, returnLogits: true, ...sampling };
    const cached = generate(model, [1, 2, 3], { ...opts, useCache: true }); // 3 + 20 > 12: the window slides
    const plain = generate(model, [1, 2, 3], { ...opts, useCache: false });
    expect(tf.memory().numTensors).toBe(before);
    expect(cached.newTokens).toEqual(plain.newTokens);
    expect(cached.tokens).toEqual([1, 2, 3, ...cached.newTokens]);
    expect(new Set(cached.newTokens).size).toBeGreaterThan(1);
    let worst = 0;
    cached.logits!.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - plain.logits![i][j])))));
    expect(worst).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it("stops at a stop token and calls onToken", () => {
    const model = new GPT(config, { seed: 1 });
    const first = generate(model, [4], { maxNewTokens: 1, greedy: true }).newTokens[0];
    const streamed: number[] = [];
    const r = generate(model, [4], { maxNewTokens: 10, greedy: true, stopTokens: [first], onToken: (id) => streamed.push(id) });
    expect(r.newTokens).toEqual([first]);
    expect(streamed).toEqual([first]);
    expect(() => generate(model, [], { maxNewTokens: 3 })).toThrow(/prompt is empty/);
    expect(() => generate(model, [99], { maxNewTokens: 3 })).toThrow(/Token id 99 .* outside the vocabulary \[0, 17\)/);
    model.dispose();
  });

  it("the cache also matches for an encoder–decoder", () => {
    const model = new EncoderDecoder({ vocabSize: 13, sourceLength: 6, targetLength: 8, dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 2 }, { seed: 2 });
    tf.tidy(() => {
      for (const [, v] of model.params.entries()) v.assign(tf.mul(v, 4));
    });
    const before = tf.memory().numTensors;
    const opts = { maxNewTokens: 8, source: [5, 6, 7, 8], seed: 3, temperature: 1, returnLogits: true };
    const a = generate(model, [1], { ...opts, useCache: true });
    const b = generate(model, [1], { ...opts, useCache: false });
    expect(a.newTokens).toEqual(b.newTokens);
    a.logits!.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - b.logits![i][j])).toBeLessThan(1e-5)));
    expect(tf.memory().numTensors).toBe(before);
    // No silent cap: more tokens than the decoder can see is an error that names the limit.
    expect(() => generate(model, [1], { ...opts, maxNewTokens: 9 })).toThrow(/at most 8 tokens \(targetLength\).*Lower maxNewTokens to ≤ 8/);
    expect(() => generate(model, [1], { maxNewTokens: 3 })).toThrow(/needs `source`/);
    model.dispose();
  });
});
