import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { EncoderDecoder, GPT, attentionMask, causalMask, scaledDotProductAttention } from "../lib/model";
import { Rng } from "../lib/random";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const rand = (shape: number[], seed: number) => {
  const r = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()), shape);
};

describe("scaledDotProductAttention", () => {
  it("computes softmax(q kᵀ / √d) v, rows summing to 1", () => {
    tf.tidy(() => {
      const q = rand([2, 3, 4], 1);
      const k = rand([2, 5, 4], 2);
      const v = rand([2, 5, 6], 3);
      const { output, weights } = scaledDotProductAttention(q, k, v);
      expect(weights.shape).toEqual([2, 3, 5]);
      expect(output.shape).toEqual([2, 3, 6]);
      const sums = tf.sum(weights, -1).dataSync();
      for (const s of sums) expect(s).toBeCloseTo(1, 5);
      // By hand for one row: batch 1, query 2.
      const qa = q.arraySync() as number[][][];
      const ka = k.arraySync() as number[][][];
      const va = v.arraySync() as number[][][];
      const scores = ka[1].map((kr) => kr.reduce((s, x, i) => s + x * qa[1][2][i], 0) / 2);
      const m = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - m));
      const z = e.reduce((a, b) => a + b, 0);
      const expected = va[1][0].map((_, j) => e.reduce((s, w, i) => s + (w / z) * va[1][i][j], 0));
      const got = (output.arraySync() as number[][][])[1][2];
      got.forEach((g, j) => expect(g).toBeCloseTo(expected[j], 5));
    });
  });

  it("gives exactly zero weight to the future under the causal mask", () => {
    tf.tidy(() => {
      const T = 6;
      const { weights } = scaledDotProductAttention(rand([2, T, 4], 1), rand([2, T, 4], 2), rand([2, T, 4], 3), causalMask(T));
      const w = weights.arraySync() as number[][][];
      for (const b of w) {
        for (let i = 0; i < T; i++) {
          for (let j = i + 1; j < T; j++) expect(b[i][j]).toBe(0);
          expect(b[i].reduce((a, x) => a + x, 0)).toBeCloseTo(1, 5);
        }
        expect(b[0][0]).toBeCloseTo(1, 6); // the first token can only look at itself
      }
    });
  });

  it("builds causal masks with an offset and key-padding masks", () => {
    tf.tidy(() => {
      expect(causalMask(2, 4, 2).arraySync()).toEqual([[1, 1, 1, 0], [1, 1, 1, 1]]);
      const m = attentionMask({ keyMask: [1, 0, 1, 1], causal: false }, 2, 1, 2)!;
      expect(m.shape).toEqual([2, 1, 1, 2]);
      expect(m.arraySync()).toEqual([[[[1, 0]]], [[[1, 1]]]]);
      expect(attentionMask({}, 2, 3, 3)).toBeNull();
      expect(() => attentionMask({ keyMask: [1, 1] }, 2, 1, 2)).toThrow(/keyMask has 2 entries but the keys are 2 × 2/);
    });
  });
});

describe("attention weights from the models", () => {
  it("GPT returns (B, H, T, T) causal weights per layer, and the same logits either way", () => {
    const model = new GPT({ vocabSize: 11, contextLength: 8, dModel: 16, nHeads: 4, nLayers: 3 }, { seed: 2 });
    const before = tf.memory().numTensors;
    const ids = [[1, 2, 3, 4, 5], [5, 4, 3, 2, 1]];
    const withWeights = model.forward(ids, { returnAttention: true });
    const plain = model.forward(ids);
    expect(withWeights.attention!.length).toBe(3);
    for (const w of withWeights.attention!) {
      expect(w.shape).toEqual([2, 4, 5, 5]);
      const a = w.arraySync() as number[][][][];
      for (const b of a) for (const h of b) for (let i = 0; i < 5; i++) {
        expect(h[i].reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
        for (let j = i + 1; j < 5; j++) expect(h[i][j]).toBe(0);
      }
    }
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(withWeights.logits, plain.logits))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([withWeights.logits, ...withWeights.attention!, plain.logits]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it("the encoder–decoder returns encoder, decoder and cross-attention weights and ignores source padding", () => {
    const model = new EncoderDecoder({ vocabSize: 12, sourceLength: 6, targetLength: 5, dModel: 8, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 2 }, { seed: 1 });
    const src = [[3, 4, 5, 0, 0], [6, 7, 8, 9, 10]];
    const tgt = [[1, 2, 3], [1, 4, 5]];
    const out = model.forward(src, tgt, { returnAttention: true, sourceMask: src.flat().map((id) => (id === 0 ? 0 : 1)) });
    expect(out.logits.shape).toEqual([2, 3, 12]);
    expect(out.encoderAttention!.length).toBe(1);
    expect(out.selfAttention!.length).toBe(2);
    expect(out.crossAttention![0].shape).toEqual([2, 2, 3, 5]);
    const cross = out.crossAttention![0].arraySync() as number[][][][];
    for (const h of cross[0]) for (const row of h) expect(row.slice(3)).toEqual([0, 0]); // padding gets no attention
    // The padded row gives the same logits as the same source without padding.
    const again = model.forward([[3, 4, 5]], [[1, 2, 3]]);
    const fast = model.forward(src, tgt, { sourceMask: src.flat().map((id) => (id === 0 ? 0 : 1)) });
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.slice(fast.logits, [0, 0, 0], [1, 3, 12]), again.logits))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-5);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(fast.logits, out.logits))).dataSync()[0])).toBeLessThan(1e-5);
    tf.dispose([out.logits, ...out.encoderAttention!, ...out.selfAttention!, ...out.crossAttention!, again.logits, fast.logits]);
    model.dispose();
  });
});
