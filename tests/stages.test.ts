/**
 * What stages 2 and 3 need from the model and the one training loop (issue: the lib's shape):
 * masked prompt+response batches, padding masks, per-sequence log-probabilities, hidden states
 * and a scalar head, clone and freeze — and SFT, a pairwise reward model and DPO as tasks of train().
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { bradleyTerryLoss, dpoLoss, dpoTask, pairLogProbs, PreferencePair, rankingToPairs, referenceModel, rewardModelTask, scoreAnswers } from "../lib/align";
import { setupBackend } from "../lib/backend";
import { generate } from "../lib/generate";
import { GPT, RewardModel } from "../lib/model";
import { Rng } from "../lib/random";
import { instructionTask, nextTokenTask, padSequences, promptResponseBatch, promptResponseLoss, train } from "../lib/train";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const tiny = { vocabSize: 12, contextLength: 10, dModel: 16, nHeads: 2, nLayers: 2 };
const PAD = 0;
const END = 1;

const bytes = (v: tf.Tensor) => Buffer.from((v.dataSync() as Float32Array).buffer).toString("hex");

describe("batches for fine-tuning", () => {
  it("prompt + response: loss only on the response and its end token, never on the prompt or padding", () => {
    const b = promptResponseBatch([{ prompt: [5, 6, 7], response: [8, END] }, { prompt: [9], response: [10, 11, END] }], { padId: PAD });
    expect([b.batchSize, b.length]).toEqual([2, 4]);
    expect(Array.from(b.ids)).toEqual([5, 6, 7, 8, 9, 10, 11, PAD]);
    // Row 0 predicts 6, 7 (prompt: masked), then 8 and END. Row 1 predicts 10, 11, END, then padding.
    expect(Array.from(b.targets)).toEqual([-1, -1, 8, END, 10, 11, END, -1]);
    expect(Array.from(b.attentionMask!)).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);
    const all = promptResponseBatch([{ prompt: [5, 6, 7], response: [8, END] }], { padId: PAD, maskPrompt: false });
    expect(Array.from(all.targets)).toEqual([6, 7, 8, END]);
    expect(() => padSequences([[1, 2, 3]], PAD, 2)).toThrow(/row 0 has 3 tokens but the batch length is 2/);
    expect(() => promptResponseBatch([{ prompt: [], response: [1] }], { padId: PAD })).toThrow(/empty prompt/);
  });

  it("padding gets no attention, and padded rows give the same logits and loss as unpadded ones", () => {
    const model = new GPT(tiny, { seed: 1 });
    const b = padSequences([[3, 4, 5, 6], [7, 8]], PAD);
    const out = model.forward(b.ids, { shape: [2, 4], attentionMask: b.attentionMask, returnAttention: true });
    for (const layer of out.attention!) {
      const w = layer.arraySync() as number[][][][];
      for (const head of w[1]) for (const row of head) expect(row.slice(2)).toEqual([0, 0]); // nothing looks at row 1's padding
    }
    const alone = model.forward([[7, 8]]);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.slice(out.logits, [1, 0, 0], [1, 2, 12]), alone.logits))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([out.logits, ...out.attention!, alone.logits]);
    model.dispose();
  });
});

describe("log-probabilities, hidden states and a scalar head", () => {
  it("sequenceLogProbs is the sum of the response tokens' log-softmax, computed by hand from the logits", () => {
    const model = new GPT(tiny, { seed: 2 });
    const b = promptResponseBatch([{ prompt: [2, 3], response: [4, 5, END] }, { prompt: [6], response: [7, END] }], { padId: PAD });
    const lp = model.sequenceLogProbs(b.ids, b.targets, { shape: [b.batchSize, b.length], attentionMask: b.attentionMask });
    const logits = model.forward(b.ids, { shape: [b.batchSize, b.length], attentionMask: b.attentionMask }).logits;
    const z = logits.arraySync() as number[][][];
    const byHand = [0, 1].map((r) => {
      let sum = 0;
      for (let t = 0; t < b.length; t++) {
        const target = b.targets[r * b.length + t];
        if (target < 0) continue;
        const row = z[r][t];
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
        sum += row[target] - lse;
      }
      return sum;
    });
    const got = Array.from(lp.dataSync());
    got.forEach((v, i) => expect(Math.abs(v - byHand[i])).toBeLessThan(1e-4));
    expect(got.every((v) => v < 0)).toBe(true);
    tf.dispose([lp, logits]);
    model.dispose();
  });

  it("returns the final hidden states (the tied output layer is hidden · wteᵀ) and a reward head reads the last real token", () => {
    const model = new GPT(tiny, { seed: 3 });
    const out = model.forward([[2, 3, 4]], { returnHidden: true });
    expect(out.hidden!.shape).toEqual([1, 3, 16]);
    const diff = tf.tidy(() => {
      const byHand = tf.matMul(out.hidden!.reshape([3, 16]), model.params.get("wte.weight"), false, true);
      return tf.max(tf.abs(tf.sub(byHand, out.logits.reshape([3, 12])))).dataSync()[0];
    });
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([out.logits, out.hidden!]);

    const rm = RewardModel.fromGPT(model, { seed: 1 });
    const before = tf.memory().numTensors;
    const score = (rows: number[][]) => {
      const b = padSequences(rows, PAD, 6);
      const r = rm.score(b.ids, b.attentionMask, { shape: [b.batchSize, b.length] });
      const v = Array.from(r.dataSync());
      r.dispose();
      return v;
    };
    const [a, samePadded, otherLast] = score([[2, 3, 4], [2, 3, 4], [2, 3, 5]]);
    expect(Math.abs(a - samePadded)).toBe(0);
    expect(Math.abs(a - otherLast)).toBeGreaterThan(1e-6); // the last real token matters
    expect(tf.memory().numTensors).toBe(before);
    rm.dispose();
    model.dispose();
  });
});

describe("clone and freeze", () => {
  const data = Array.from({ length: 200 }, (_, i) => 2 + (i % 7));

  it("clone() is independent: training the copy leaves the original byte-identical", async () => {
    const model = new GPT(tiny, { seed: 4 });
    const copy = model.clone();
    const original = model.params.entries().map(([n, v]) => [n, bytes(v)]);
    expect(copy.params.entries().map(([n, v]) => [n, bytes(v)])).toEqual(original);
    await train(nextTokenTask(copy, { train: data }, { batchSize: 4, length: 8 }), { steps: 3, lr: 1e-2, seed: 1 });
    expect(model.params.entries().map(([n, v]) => [n, bytes(v)])).toEqual(original);
    expect(bytes(copy.params.get("h.0.attn.c_attn.weight"))).not.toBe(bytes(model.params.get("h.0.attn.c_attn.weight")));
    copy.dispose();
    model.dispose();
  });

  it("frozen weights are byte-identical after training; the rest moved", async () => {
    const model = new GPT(tiny, { seed: 5 });
    const frozen = model.freeze((n) => !n.startsWith("h.1."));
    expect(frozen.length).toBeGreaterThan(0);
    expect(model.trainableParams().length).toBe(model.params.names().length - frozen.length);
    const snapshot = new Map(model.params.entries().map(([n, v]) => [n, bytes(v)]));
    await train(nextTokenTask(model, { train: data }, { batchSize: 4, length: 8 }), { steps: 3, lr: 1e-2, seed: 1 });
    for (const [n, v] of model.params.entries()) {
      if (frozen.includes(n)) expect(bytes(v), n).toBe(snapshot.get(n));
      else if (n.endsWith(".weight") && !n.includes("ln_")) expect(bytes(v), n).not.toBe(snapshot.get(n));
    }
    expect(() => model.freeze(["h.9.nope"])).toThrow(/no weight named "h.9.nope"/);
    model.unfreeze();
    // trainOnlyLastBlocks(1): exactly the last block and the final LayerNorm train
    const frozenBelow = model.trainOnlyLastBlocks(1);
    const last = `h.${tiny.nLayers - 1}.`;
    expect(model.params.names().filter((n) => !frozenBelow.includes(n)).every((n) => n.startsWith(last) || n.startsWith("ln_f"))).toBe(true);
    expect(frozenBelow.some((n) => n.startsWith("h.0."))).toBe(true);
    expect(frozenBelow).toContain("wte.weight");
    expect(() => model.trainOnlyLastBlocks(tiny.nLayers + 1)).toThrow(/blocks must be a whole number from 1 to nLayers/);
    model.freeze();
    await expect(train(nextTokenTask(model, { train: data }, { length: 8 }), { steps: 1 })).rejects.toThrow(/no parameters to update — is everything frozen\?/);
    model.dispose();
  });
});

describe("objectives as tasks of the one training loop", () => {
  it("supervised fine-tuning with the prompt masked learns to answer (and to stop)", async () => {
    // Prompt [q, 2]: the answer is q + 4, then END. Only the answer is in the loss.
    const examples = [3, 4, 5, 6, 7].map((q) => ({ prompt: [q, 2], response: [q + 4, END] }));
    const model = new GPT(tiny, { seed: 6 });
    const before = promptResponseLoss(model, examples, { padId: PAD });
    const start = tf.memory().numTensors;
    const result = await train(instructionTask(model, examples, { padId: PAD, batchSize: 8, val: examples }), { steps: 120, lr: 1e-2, seed: 2, weightDecay: 0 });
    expect(tf.memory().numTensors).toBe(start);
    const after = result.valLosses[result.valLosses.length - 1].loss;
    expect(before).toBeGreaterThan(1.5);
    expect(after).toBeLessThan(0.1);
    // Greedy answers: q + 4, then the end token — the model learned to stop.
    for (const q of [3, 5, 7]) expect(generate(model, [q, 2], { maxNewTokens: 4, greedy: true, stopTokens: [END] }).newTokens).toEqual([q + 4, END]);
    model.dispose();
  });

  it("a reward model learns pairwise preferences with the Bradley–Terry loss", async () => {
    expect(rankingToPairs(["a", "b", "c"])).toEqual([{ chosen: "a", rejected: "b" }, { chosen: "a", rejected: "c" }, { chosen: "b", rejected: "c" }]);
    // Hand-computed: −log σ(2 − 0) = log(1 + e^−2) = 0.126928; −log σ(0 − 1) = log(1 + e) = 1.313262.
    const bt = bradleyTerryLoss(tf.tensor1d([2, 0]), tf.tensor1d([0, 1]));
    expect(bt.dataSync()[0]).toBeCloseTo((0.126928 + 1.313262) / 2, 5);
    bt.dispose();
    // Answers that contain token 9 are preferred.
    const r = new Rng(3);
    const pairs: PreferencePair[] = Array.from({ length: 40 }, () => {
      const prompt = [2 + r.int(0, 4)];
      const other = [3 + r.int(0, 5), 3 + r.int(0, 5), END];
      return { prompt, chosen: [other[0], 9, END], rejected: other };
    });
    const rm = RewardModel.create(tiny, { seed: 7 });
    const accuracy = () => {
      const c = scoreAnswers(rm, pairs.map((p) => p.prompt), pairs.map((p) => p.chosen), PAD);
      const w = scoreAnswers(rm, pairs.map((p) => p.prompt), pairs.map((p) => p.rejected), PAD);
      const [a, b] = [c.dataSync(), w.dataSync()];
      tf.dispose([c, w]);
      return pairs.filter((_, i) => a[i] > b[i]).length / pairs.length;
    };
    const result = await train(rewardModelTask(rm, pairs, { padId: PAD, batchSize: 8 }), { steps: 60, lr: 3e-3, seed: 4 });
    expect(result.losses[0]).toBeGreaterThan(0.5); // ≈ ln 2 at the start
    expect(result.losses[result.losses.length - 1]).toBeLessThan(0.2);
    expect(accuracy()).toBeGreaterThanOrEqual(0.95);
    rm.dispose();
  });

  it("DPO starts at ln 2 with margin 0, raises the chosen answers' margin, and never changes the reference", async () => {
    const policy = new GPT(tiny, { seed: 8 });
    const reference = referenceModel(policy);
    const refBytes = reference.params.entries().map(([n, v]) => [n, bytes(v)]);
    const pairs: PreferencePair[] = [3, 4, 5, 6].map((q) => ({ prompt: [q, 2], chosen: [9, END], rejected: [10, END] }));
    const first = pairLogProbs(policy, pairs, PAD);
    const ref = pairLogProbs(reference, pairs, PAD);
    const start = dpoLoss(first.chosen, first.rejected, ref.chosen, ref.rejected, 0.1);
    expect(Math.abs(start.loss.dataSync()[0] - Math.log(2))).toBeLessThan(1e-3);
    expect(Math.abs(start.margin.dataSync()[0])).toBeLessThan(1e-5);
    tf.dispose([first.chosen, first.rejected, ref.chosen, ref.rejected, start.loss, start.margin]);
    const result = await train(dpoTask(policy, reference, pairs, { padId: PAD, beta: 0.1, batchSize: 4 }), { steps: 40, lr: 3e-3, seed: 5 });
    expect(Math.abs(result.losses[0] - Math.log(2))).toBeLessThan(1e-3);
    expect(result.losses[result.losses.length - 1]).toBeLessThan(0.5);
    expect(reference.params.entries().map(([n, v]) => [n, bytes(v)])).toEqual(refBytes);
    const after = pairLogProbs(policy, pairs, PAD);
    expect(Array.from(after.chosen.dataSync()).every((c, i) => c > after.rejected.dataSync()[i])).toBe(true);
    tf.dispose([after.chosen, after.rejected]);
    policy.dispose();
    reference.dispose();
  });
});

describe("token ids", () => {
  it("fractional, NaN and negative ids are errors naming the position", () => {
    const model = new GPT(tiny, { seed: 9 });
    expect(() => model.forward([[1, 2.5]])).toThrow(/Token id 2.5 at position 1 of sequence 0 is not a whole number/);
    expect(() => model.forward([[1, 2], [3, NaN]])).toThrow(/Token id NaN at position 1 of sequence 1 is not a number/);
    expect(() => model.forward([-1])).toThrow(/Token id -1 at position 0 of sequence 0 is outside the vocabulary \[0, 12\)/);
    expect(() => model.forward(tf.tensor2d([[1, 0.5]]))).toThrow(/is not a whole number/);
    model.dispose();
  });
});

describe("prefix LM", () => {
  it("every position sees the whole prefix; after it attention is causal; padding stays unseen", () => {
    const model = new GPT(tiny, { seed: 10 });
    const b = padSequences([[3, 4, 5, 6, 7], [8, 9, 10]], PAD);
    const out = model.forward(b.ids, { shape: [2, 5], attentionMask: b.attentionMask, prefixLengths: [3, 2], returnAttention: true });
    const w = out.attention![0].arraySync() as number[][][][];
    for (const head of w[0]) {
      expect(head[0][1]).toBeGreaterThan(0); // inside the prefix: looks ahead
      expect(head[0][2]).toBeGreaterThan(0);
      expect(head[0][3]).toBe(0); // but not past the prefix
      expect(head[3][4]).toBe(0); // after the prefix: causal
      expect(head[4][3]).toBeGreaterThan(0);
    }
    for (const head of w[1]) {
      expect(head[0][1]).toBeGreaterThan(0);
      expect(head[0][2]).toBe(0);
      expect(head[2].slice(3)).toEqual([0, 0]); // padding
    }
    tf.dispose([out.logits, ...out.attention!]);
    // Generation as a prefix LM: the cache gives the same tokens as recomputing with the prefix each step.
    const withCache = generate(model, [3, 4, 5], { maxNewTokens: 5, prefixLength: 3, seed: 1, temperature: 1 });
    const without = generate(model, [3, 4, 5], { maxNewTokens: 5, prefixLength: 3, seed: 1, temperature: 1, useCache: false });
    expect(withCache.newTokens).toEqual(without.newTokens);
    expect(() => generate(model, [3, 4], { maxNewTokens: 2, prefixLength: 3 })).toThrow(/prefixLength must be a whole number from 0 to the prompt's length 2/);
    model.dispose();
  });
});
