/**
 * LoRA (lib/model/lora.ts): B = 0 gives the base model's logits exactly; training changes
 * only the adapters; the parameter count follows r·(in + out); merge gives the logits of
 * the unmerged adapters and unmerge gives the base back; the layer equals x·W + (α/r)·x·A·B.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { addLoRA, GPT, loraForward, loraParamCount, saveModel } from "../lib/model";
import { instructionTask, train } from "../lib/train";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const tiny = { vocabSize: 12, contextLength: 10, dModel: 16, nHeads: 2, nLayers: 2 };
const bytes = (v: tf.Tensor) => Buffer.from((v.dataSync() as Float32Array).buffer).toString("hex");
const ids = [[3, 4, 5, 6, 7, 8]];
const logitsOf = (m: GPT) => {
  const out = m.forward(ids).logits;
  const v = out.dataSync() as Float32Array;
  out.dispose();
  return Float32Array.from(v);
};
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const examples = [3, 4, 5, 6, 7].map((q) => ({ prompt: [q, 2], response: [q + 4, 1] }));

describe("LoRA adapters", () => {
  it("start as the base model exactly (B = 0) and freeze every base weight", () => {
    const model = new GPT(tiny, { seed: 1 });
    const base = logitsOf(model);
    const before = tf.memory().numTensors;
    const lora = addLoRA(model, { rank: 2, seed: 1 });
    expect([...lora.pairs.values()].every((p) => p.B.dataSync().every((x) => x === 0))).toBe(true);
    expect([...lora.pairs.values()].some((p) => p.A.dataSync().some((x) => x !== 0))).toBe(true);
    expect(Array.from(logitsOf(model))).toEqual(Array.from(base)); // bit for bit
    expect(model.trainableParams()).toEqual(lora.params());
    lora.remove();
    expect(tf.memory().numTensors).toBe(before);
    expect(model.trainableParams().length).toBe(model.params.names().length); // unfrozen again
    model.dispose();
  });

  it("counts r·(in + out) per adapted matrix: attention (C→3C, C→C) and feed-forward (C→4C, 4C→C) of every block", () => {
    const model = new GPT(tiny, { seed: 2 });
    const C = tiny.dModel;
    for (const rank of [1, 4]) {
      const lora = addLoRA(model, { rank });
      expect(lora.pairs.size).toBe(4 * tiny.nLayers);
      const byHand = tiny.nLayers * rank * (C + 3 * C + (C + C) + (C + 4 * C) + (4 * C + C));
      expect(lora.numParams()).toBe(byHand);
      expect(loraParamCount(lora.shapes(), rank)).toBe(byHand);
      lora.remove();
    }
    const attnOnly = addLoRA(model, { rank: 2, targets: ["attn.c_attn"] });
    expect(attnOnly.numParams()).toBe(tiny.nLayers * 2 * (C + 3 * C));
    attnOnly.remove();
    expect(() => addLoRA(model, { targets: ["nope"] })).toThrow(/no weight matches the targets/);
    expect(() => addLoRA(model, { rank: 17 })).toThrow(/use rank ≤ 16/);
    model.dispose();
  });

  it("training changes only the adapters; the model's output then differs from the base", async () => {
    const model = new GPT(tiny, { seed: 3 });
    const base = logitsOf(model);
    const snapshot = new Map(model.params.entries().map(([n, v]) => [n, bytes(v)]));
    const lora = addLoRA(model, { rank: 2, seed: 2 });
    const adapters = new Map(lora.params().map((v) => [v.name, bytes(v)]));
    const before = tf.memory().numTensors;
    await train(instructionTask(model, examples, { padId: 0, batchSize: 4 }), { steps: 5, lr: 1e-2, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    for (const [n, v] of model.params.entries()) expect(bytes(v), n).toBe(snapshot.get(n));
    for (const v of lora.params()) if (v.name.endsWith(".B")) expect(bytes(v), v.name).not.toBe(adapters.get(v.name));
    expect(maxDiff(logitsOf(model), base)).toBeGreaterThan(1e-4);
    lora.remove();
    expect(Array.from(logitsOf(model))).toEqual(Array.from(base)); // removing unmerged adapters gives the base back
    model.dispose();
  });

  it("merge gives the same logits as the unmerged adapters; unmerge gives the base weights back", async () => {
    const model = new GPT(tiny, { seed: 4 });
    const base = logitsOf(model);
    const w0 = Float32Array.from(model.params.get("h.0.mlp.c_fc.weight").dataSync());
    const lora = addLoRA(model, { rank: 2, alpha: 4, seed: 3 });
    await train(instructionTask(model, examples, { padId: 0, batchSize: 4 }), { steps: 5, lr: 1e-2, seed: 1 });
    const adapted = logitsOf(model);
    expect(maxDiff(adapted, base)).toBeGreaterThan(1e-4);
    lora.merge();
    expect(lora.merged).toBe(true);
    expect(model.params.adapted()).toEqual([]);
    expect(maxDiff(logitsOf(model), adapted)).toBeLessThan(1e-5);
    expect(maxDiff(Float32Array.from(model.params.get("h.0.mlp.c_fc.weight").dataSync()), w0)).toBeGreaterThan(0);
    lora.unmerge();
    expect(maxDiff(Float32Array.from(model.params.get("h.0.mlp.c_fc.weight").dataSync()), w0)).toBeLessThan(1e-6);
    expect(maxDiff(logitsOf(model), adapted)).toBeLessThan(1e-5);
    expect(() => saveModel(model, "/tmp/never-written.safetensors")).toThrow(/lora\.merge\(\) first/);
    lora.merge();
    lora.remove(); // merged: the weights keep the adapters
    expect(maxDiff(logitsOf(model), adapted)).toBeLessThan(1e-5);
    model.dispose();
  });

  it("one adapted layer is x·W + (α/r)·x·A·B", () => {
    const model = new GPT({ ...tiny, nLayers: 1 }, { seed: 5 });
    const lora = addLoRA(model, { rank: 3, alpha: 6, seed: 4, targets: ["mlp.c_fc"] });
    const pair = lora.pairs.get("h.0.mlp.c_fc.weight")!;
    pair.B.assign(tf.randomNormal([3, 4 * tiny.dModel], 0, 0.1, "float32", 7));
    const x = tf.randomNormal([5, tiny.dModel], 0, 1, "float32", 8) as tf.Tensor2D;
    const W = model.params.get("h.0.mlp.c_fc.weight") as unknown as tf.Tensor2D;
    const byFormula = loraForward(x, W, pair.A as unknown as tf.Tensor2D, pair.B as unknown as tf.Tensor2D, 6, 3);
    const used = tf.tidy(() => tf.matMul(x, model.params.effective("h.0.mlp.c_fc.weight") as tf.Tensor2D));
    const byHand = tf.tidy(() => tf.add(tf.matMul(x, W), tf.mul(tf.matMul(tf.matMul(x, pair.A), pair.B), 2)));
    expect(tf.max(tf.abs(tf.sub(byFormula, byHand))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(tf.sub(used, byHand))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(tf.sub(used, tf.matMul(x, W)))).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([x, byFormula, used, byHand]);
    lora.remove();
    model.dispose();
  });
});
