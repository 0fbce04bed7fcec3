import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { generateSeq2Seq } from "../lib/generate";
import { EncoderDecoder } from "../lib/model";
import { Rng } from "../lib/random";
import { Trainer, learningRate } from "../lib/train";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

describe("encoder–decoder training", () => {
  it("learns to reverse sequences (the decoder must read the encoder through cross-attention)", () => {
    const V = 12;
    const L = 6;
    const START = 1; // ids 2..11 are data
    const model = new EncoderDecoder({ vocabSize: V, sourceLength: L, targetLength: L, dModel: 32, nHeads: 4, nEncoderLayers: 1, nDecoderLayers: 1, positional: "learned" }, { seed: 1 });
    const before = tf.memory().numTensors;
    const trainer = new Trainer(model.params.variables(), { weightDecay: 0 });
    const r = new Rng(2);
    const example = () => {
      const src = Array.from({ length: L }, () => r.int(2, V));
      return { src, out: src.slice().reverse() };
    };
    const steps = 300;
    let loss = Infinity;
    for (let i = 0; i < steps; i++) {
      const ex = Array.from({ length: 32 }, example);
      const src = ex.map((e) => e.src);
      const inp = ex.map((e) => [START, ...e.out.slice(0, L - 1)]);
      const out = ex.map((e) => e.out);
      loss = trainer.step(() => model.loss(src, inp, out), learningRate(i, { lr: 3e-3, warmupSteps: 20, totalSteps: steps }));
    }
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(loss).toBeLessThan(0.3); // from ln(10) ≈ 2.3
    let exact = 0;
    for (let i = 0; i < 20; i++) {
      const { src, out } = example();
      const g = generateSeq2Seq(model, src, { startToken: START, maxNewTokens: L, greedy: true });
      if (g.newTokens.join() === out.join()) exact++;
    }
    expect(exact).toBeGreaterThanOrEqual(17);
    model.dispose();
  });
});
