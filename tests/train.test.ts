import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { GPT } from "../lib/model";
import { Rng } from "../lib/random";
import { StepInfo, AdamW, Trainer, TrainingDivergedError, clipByGlobalNorm, estimateLoss, learningRate, nextTokenTask, sampleBatch, train } from "../lib/train";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const TEXT = "the quick brown fox jumps over the lazy dog. ".repeat(8);
const chars = [...new Set(TEXT)].sort();
const encode = (s: string) => [...s].map((c) => chars.indexOf(c));
const tokens = encode(TEXT);
const smallConfig = { vocabSize: chars.length, contextLength: 16, dModel: 32, nHeads: 4, nLayers: 2 };

describe("learning-rate schedule", () => {
  const o = { lr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 110 };
  it("warms up linearly, then follows a cosine down to minLr", () => {
    expect(learningRate(0, o)).toBeCloseTo(1e-4, 12);
    expect(learningRate(4, o)).toBeCloseTo(5e-4, 12);
    expect(learningRate(10, o)).toBeCloseTo(1e-3, 12);
    expect(learningRate(60, o)).toBeCloseTo(1e-4 + 0.5 * 9e-4, 12); // halfway: cos(π/2) = 0
    expect(learningRate(110, o)).toBeCloseTo(1e-4, 12);
    expect(learningRate(50, { ...o, schedule: "constant" })).toBe(1e-3);
  });
});

describe("gradient clipping", () => {
  it("scales to the global norm only when above it", () => {
    tf.tidy(() => {
      const g = [tf.tensor1d([3, 0]), tf.tensor1d([0, 4])]; // global norm 5
      const { grads, norm } = clipByGlobalNorm(g, 1);
      expect(norm.dataSync()[0]).toBeCloseTo(5, 5);
      expect(Array.from(grads[0].dataSync())).toEqual([expect.closeTo(0.6, 6), 0]);
      expect(Array.from(grads[1].dataSync())).toEqual([0, expect.closeTo(0.8, 6)]);
      expect(Array.from(clipByGlobalNorm(g, 10).grads[1].dataSync())).toEqual([0, 4]);
    });
  });
});

describe("AdamW", () => {
  it("matches the update rule computed by hand", () => {
    const w = tf.variable(tf.tensor2d([[1, -2]]));
    const b = tf.variable(tf.tensor1d([0.5]));
    const opt = new AdamW([w, b], { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 });
    const grads = [[[0.5, -1]], [[0.25, 2]]];
    const byHand = { w: [1, -2], b: 0.5, mw: [0, 0], vw: [0, 0], mb: 0, vb: 0 };
    const lr = 0.01;
    for (let t = 1; t <= 2; t++) {
      const gw = grads[t - 1][0];
      const gb = 0.3 * t;
      tf.tidy(() => opt.step([tf.tensor2d([gw]), tf.tensor1d([gb])], lr));
      for (let i = 0; i < 2; i++) {
        byHand.mw[i] = 0.9 * byHand.mw[i] + 0.1 * gw[i];
        byHand.vw[i] = 0.99 * byHand.vw[i] + 0.01 * gw[i] ** 2;
        const mh = byHand.mw[i] / (1 - 0.9 ** t);
        const vh = byHand.vw[i] / (1 - 0.99 ** t);
        byHand.w[i] = byHand.w[i] * (1 - lr * 0.1) - lr * (mh / (Math.sqrt(vh) + 1e-8)); // matrices decay
      }
      byHand.mb = 0.9 * byHand.mb + 0.1 * gb;
      byHand.vb = 0.99 * byHand.vb + 0.01 * gb ** 2;
      byHand.b -= lr * ((byHand.mb / (1 - 0.9 ** t)) / (Math.sqrt(byHand.vb / (1 - 0.99 ** t)) + 1e-8)); // biases do not
    }
    const got = w.dataSync();
    expect(got[0]).toBeCloseTo(byHand.w[0], 6);
    expect(got[1]).toBeCloseTo(byHand.w[1], 6);
    expect(b.dataSync()[0]).toBeCloseTo(byHand.b, 6);
    opt.dispose();
    tf.dispose([w, b]);
  });
});

describe("batches", () => {
  it("samples windows and their next tokens", () => {
    const data = Array.from({ length: 100 }, (_, i) => i);
    const b = sampleBatch(data, 4, 10, new Rng(1));
    for (let row = 0; row < 4; row++) {
      for (let t = 0; t < 10; t++) expect(b.targets[row * 10 + t]).toBe(b.ids[row * 10 + t] + 1);
    }
    expect(sampleBatch(data, 4, 10, new Rng(1))).toEqual(b);
    expect(() => sampleBatch([1, 2, 3], 2, 8)).toThrow(/has 3 tokens but a training window needs 9/);
  });
});

describe("train", () => {
  it("overfits a tiny text to near-zero loss, reporting progress", async () => {
    const model = new GPT(smallConfig, { seed: 1 });
    const initial = estimateLoss(model, tokens, { batches: 2 });
    expect(initial).toBeGreaterThan(Math.log(chars.length) - 0.5); // ≈ ln(vocab) at the start
    expect(initial).toBeLessThan(Math.log(chars.length) + 0.5);
    const seen: number[] = [];
    const result = await train(nextTokenTask(model, { train: tokens, val: tokens }, { batchSize: 16 }), {
      steps: 250, lr: 1e-2, warmupSteps: 20, weightDecay: 0, seed: 3, evalEvery: 125,
      onStep: (info: StepInfo) => {
        seen.push(info.step);
        expect(info.totalSteps).toBe(250);
        expect(info.lr).toBeGreaterThan(0);
      },
    });
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(result.losses.length).toBe(250);
    expect(result.valLosses.map((v) => v.step)).toEqual([125, 250]);
    const final = estimateLoss(model, tokens, { batches: 4 });
    expect(final).toBeLessThan(0.1);
    model.dispose();
  });

  it("is deterministic for a seed and leaks no tensors", async () => {
    const run = async () => {
      const model = new GPT(smallConfig, { seed: 4 });
      const before = tf.memory().numTensors;
      const perStep: number[] = [];
      const r = await train(nextTokenTask(model, { train: tokens }, { batchSize: 4 }), { steps: 6, seed: 9, onStep: () => { perStep.push(tf.memory().numTensors); } });
      expect(new Set(perStep).size).toBe(1); // constant from step to step
      expect(tf.memory().numTensors).toBe(before); // and the optimizer state is freed at the end
      model.dispose();
      return r.losses;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it("stops with a clear error when the loss becomes NaN, keeping the last good weights", async () => {
    const model = new GPT(smallConfig, { seed: 5 });
    let calls = 0;
    const bad = model.params.get("h.0.mlp.c_fc.weight");
    // Poison a weight after 3 steps: the 4th loss is NaN.
    const err = await train(nextTokenTask(model, { train: tokens }, { batchSize: 4 }), {
      steps: 10, seed: 1,
      onStep: () => {
        if (++calls === 3) tf.tidy(() => bad.assign(tf.fill(bad.shape, NaN)));
      },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(err.message).toMatch(/loss became NaN at step 3 — lower the learning rate/);
    expect(err.step).toBe(3);
    expect(err.result.losses.length).toBe(3);
    // The step that saw NaN applied no update: other weights are still finite.
    expect(Number.isFinite(model.params.get("wte.weight").dataSync()[0])).toBe(true);
    model.dispose();
  });

  it("Trainer works for any loss function", () => {
    const w = tf.variable(tf.tensor1d([3, -2]));
    const trainer = new Trainer([w], { weightDecay: 0, gradClip: 0 });
    let loss = Infinity;
    for (let i = 0; i < 200; i++) loss = trainer.step(() => tf.sum(tf.square(w)) as tf.Scalar, 0.1);
    expect(loss).toBeLessThan(1e-3);
    trainer.dispose();
    w.dispose();
  });

  it("rejects bad options with a fix", async () => {
    const model = new GPT(smallConfig, { seed: 1 });
    await expect(train(nextTokenTask(model, { train: tokens }), { steps: 0 })).rejects.toThrow(/steps must be a positive integer/);
    expect(() => nextTokenTask(model, { train: tokens }, { length: 99 })).toThrow(/length 99 is longer than the model's contextLength 16/);
    model.dispose();
  });
});
