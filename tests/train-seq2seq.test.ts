import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { generate } from "../lib/generate";
import { EncoderDecoder } from "../lib/model";
import { Rng } from "../lib/random";
import { seq2seqTask, train } from "../lib/train";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

describe("encoder–decoder training", () => {
  it("learns to reverse sequences through the shared training loop (the decoder must read the encoder through cross-attention)", async () => {
    const V = 12;
    const L = 6;
    const START = 1; // ids 2..11 are data; 0 is padding
    const model = new EncoderDecoder({ vocabSize: V, sourceLength: L, targetLength: L, dModel: 32, nHeads: 4, nEncoderLayers: 1, nDecoderLayers: 1, positional: "learned" }, { seed: 1 });
    const before = tf.memory().numTensors;
    const r = new Rng(2);
    const example = () => {
      const source = Array.from({ length: L }, () => r.int(2, V));
      return { source, target: source.slice().reverse() };
    };
    const pairs = Array.from({ length: 2000 }, example);
    const result = await train(seq2seqTask(model, pairs, { padId: 0, startId: START, batchSize: 32, val: pairs.slice(0, 64) }), { steps: 300, lr: 3e-3, warmupSteps: 20, weightDecay: 0, seed: 3 });
    expect(tf.memory().numTensors).toBe(before);
    const loss = result.losses[result.losses.length - 1];
    expect(loss).toBeLessThan(0.3); // from ln(10) ≈ 2.3
    expect(result.valLosses[result.valLosses.length - 1].loss).toBeLessThan(0.3);
    let exact = 0;
    for (let i = 0; i < 20; i++) {
      const { source, target } = example();
      const g = generate(model, [START], { source, maxNewTokens: L, greedy: true });
      if (g.newTokens.join() === target.join()) exact++;
    }
    expect(exact).toBeGreaterThanOrEqual(17);
    model.dispose();
  });
});
