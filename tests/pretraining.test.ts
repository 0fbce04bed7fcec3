/**
 * Chapter 06's lib: checkpoints during training, the live recipe, per-token losses, the
 * compute-budget sweep and the in-context task; and the chapter's exercises (a right answer
 * earns the points, typical mistakes get the hint that names them).
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { GPT } from "../lib/model";
import { Rng } from "../lib/random";
import { LIVE_RECIPE, baseTokenizer, computeParams, estimateLoss, inContextAccuracy, inContextBatch, inContextSequence, inContextSpec, inContextTask, inContextVocabSize, nextTokenTask, runPretrainRecipe, sampleBatch, scalingRun, stepsForBudget, train, trainingFlops } from "../lib/train";
import { inContextScore, lossByCategory, lossByPosition, promptedLoss, tokenCategory, tokenLosses } from "../lib/eval";
import { TrainingProgress, check } from "../lib/notebook";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const tinyIds = Array.from({ length: 2000 }, (_, i) => (i * 7 + (i % 5)) % 17);

describe("checkpoints during training", () => {
  it("onCheckpoint runs before the first step and after the listed steps, and its time is not training time", async () => {
    const model = new GPT({ vocabSize: 17, contextLength: 8, dModel: 16, nHeads: 2, nLayers: 1 }, { seed: 1 });
    const seen: { step: number; loss: number }[] = [];
    const result = await train(nextTokenTask(model, { train: tinyIds }, { batchSize: 4 }), {
      steps: 6,
      seed: 3,
      checkpointAt: [0, 2, 6],
      onCheckpoint: async (step) => {
        seen.push({ step, loss: estimateLoss(model, tinyIds, { batches: 1, batchSize: 4 }) });
        await new Promise((r) => setTimeout(r, 150));
      },
    });
    expect(seen.map((s) => s.step)).toEqual([0, 2, 6]);
    expect(seen[2].loss).toBeLessThan(seen[0].loss);
    expect(result.elapsedMs).toBeLessThan(3 * 150); // three pauses of 150 ms are not counted
    model.dispose();
  });

  it("checkpoint steps outside the run, or without a callback, are errors that say so", async () => {
    const model = new GPT({ vocabSize: 17, contextLength: 8, dModel: 16, nHeads: 2, nLayers: 1 }, { seed: 1 });
    const task = nextTokenTask(model, { train: tinyIds }, { batchSize: 2 });
    await expect(train(task, { steps: 3, checkpointAt: [5], onCheckpoint: () => undefined })).rejects.toThrow(/checkpointAt must hold whole numbers from 0 to steps \(3\)/);
    await expect(train(task, { steps: 3, checkpointAt: [1] })).rejects.toThrow(/needs onCheckpoint/);
    model.dispose();
  });
});

describe("the live recipe", () => {
  it("is the base recipe's tokenizer and objective with a smaller model; same seed, same losses; no leaks", async () => {
    const data = baseTokenizer();
    expect(data.tokenizer.vocabSize).toBe(LIVE_RECIPE.tokenizer.vocabSize);
    const before = tf.memory().numTensors;
    const a = await runPretrainRecipe(LIVE_RECIPE, { data, stopAfter: 3 });
    const b = await runPretrainRecipe(LIVE_RECIPE, { data, stopAfter: 3 });
    expect(a.result.losses).toEqual(b.result.losses);
    expect(Math.abs(a.result.losses[0] - Math.log(data.tokenizer.vocabSize))).toBeLessThan(0.3); // the first loss ≈ ln V
    expect(a.model.config.contextLength).toBe(LIVE_RECIPE.model.contextLength);
    a.model.dispose();
    b.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("per-token losses", () => {
  const model = () => new GPT({ vocabSize: 17, contextLength: 8, dModel: 16, nHeads: 2, nLayers: 1 }, { seed: 4 });

  it("their mean over the windows is the model's loss on the same windows", () => {
    const m = model();
    const run = tokenLosses(m, tinyIds, { maxWindows: 5 });
    expect(run.losses.length).toBe(5 * 8);
    // rebuild the same windows (evenly spread starts) and ask model.loss
    const available = Math.floor((tinyIds.length - 1) / 8);
    const starts = Array.from({ length: 5 }, (_, w) => Math.floor((w * available) / 5) * 8);
    const x = starts.map((s) => tinyIds.slice(s, s + 8));
    const y = starts.map((s) => tinyIds.slice(s + 1, s + 9));
    const loss = m.loss(x, y);
    const mean = run.losses.reduce((a, b) => a + b, 0) / run.losses.length;
    expect(mean).toBeCloseTo(loss.dataSync()[0], 5);
    loss.dispose();
    expect(Array.from(run.targets.slice(0, 8))).toEqual(y[0]);
    expect(lossByPosition(run)).toHaveLength(8);
    const byCat = lossByCategory(run, (id) => (id % 2 ? "odd" : "even"));
    expect(byCat.reduce((a, c) => a + c.count, 0)).toBe(run.losses.length);
    m.dispose();
  });

  it("promptedLoss counts only the answer's tokens", () => {
    const m = model();
    const prompt = [1, 2, 3];
    const answer = [4, 5];
    const { logits } = m.forward([[1, 2, 3, 4]]);
    const logp = tf.tidy(() => tf.logSoftmax(logits).arraySync() as number[][][]);
    logits.dispose();
    const byHand = -(logp[0][2][4] + logp[0][3][5]) / 2;
    expect(promptedLoss(m, prompt, answer)).toBeCloseTo(byHand, 5);
    expect(() => promptedLoss(m, [], answer)).toThrow(/at least one token/);
    m.dispose();
  });

  it("the in-context score is late minus early loss; token categories", () => {
    const falling = Array.from({ length: 20 }, (_, p) => 3 - 0.1 * p);
    expect(inContextScore(falling)).toBeCloseTo(-0.1 * (18.5 - 2.5), 9);
    expect(inContextScore(falling.map(() => 2))).toBeCloseTo(0, 12);
    expect(() => inContextScore([1, 2])).toThrow(/too short/);
    expect(tokenCategory("는")).toBe("particle / function word");
    expect(tokenCategory(" the")).toBe("particle / function word");
    expect(tokenCategory(".")).toBe("punctuation");
    expect(tokenCategory(" 시장")).toBe("content");
    expect(tokenCategory(" bank")).toBe("content");
  });
});

describe("compute budgets", () => {
  it("N leaves out only the position embeddings; 6·N·D; steps from a budget", () => {
    const c = { vocabSize: 1024, contextLength: 64, dModel: 32, nHeads: 2, nLayers: 2 };
    const m = new GPT(c, { seed: 1 });
    expect(computeParams(c)).toBe(m.numParams() - 64 * 32);
    m.dispose();
    expect(trainingFlops(1000, 50)).toBe(300_000);
    expect(stepsForBudget(1000, 6 * 1000 * 1024 * 7, 1024)).toBe(7);
    expect(stepsForBudget(1e9, 1, 1024)).toBe(1);
    expect(() => stepsForBudget(0, 1, 1)).toThrow(/must be positive/);
  });

  it("a run spends its budget: steps × tokens per step × 6N ≈ C, and it is repeatable", async () => {
    const data = { train: tinyIds, val: tinyIds.slice(0, 400), vocabSize: 17 };
    const knobs = { contextLength: 8, batchSize: 4, evalBatches: 2 };
    const size = { dModel: 16, nHeads: 2, nLayers: 1 };
    const N = computeParams({ ...size, vocabSize: 17, contextLength: 8 });
    const budget = 6 * N * 32 * 10; // ten steps of 32 tokens
    const before = tf.memory().numTensors;
    const a = await scalingRun(size, budget, data, knobs);
    const b = await scalingRun(size, budget, data, knobs);
    expect(a.steps).toBe(10);
    expect(a.tokens).toBe(320);
    expect(a.params).toBe(N);
    expect(a.valLoss).toBe(b.valLoss);
    expect(a.curve[a.curve.length - 1].flops).toBeCloseTo(budget, 0);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("the in-context task", () => {
  it("every sequence is consistent: one label per key and one key per label, shots, the frequency and counting baselines as defined (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 4 }), (seed, kps, extraLabels) => {
        const labels = Math.max(2, kps + extraLabels);
        const spec = { keys: 8, labels, keysPerSequence: kps, pairs: 10 };
        const s = inContextSequence(new Rng(seed), spec);
        expect(s.ids).toHaveLength(20);
        const labelOf = new Map<number, number>();
        const seen = new Map<number, number>();
        const counts = new Map<number, number>();
        for (let p = 0; p < 10; p++) {
          const [k, l] = [s.ids[2 * p], s.ids[2 * p + 1]];
          expect(k).toBeGreaterThanOrEqual(0);
          expect(k).toBeLessThan(8);
          expect(l).toBeGreaterThanOrEqual(8);
          expect(l).toBeLessThan(8 + labels);
          if (labelOf.has(k)) expect(labelOf.get(k)).toBe(l);
          labelOf.set(k, l);
          expect(s.targets[2 * p]).toBe(l);
          expect(s.targets[2 * p + 1]).toBe(-1);
          expect(s.shots[2 * p]).toBe(seen.get(k) ?? 0);
          const top = Math.max(0, ...counts.values());
          if (top === 0) expect(s.mostFrequent[2 * p]).toBe(-1);
          else expect(counts.get(s.mostFrequent[2 * p])).toBe(top);
          // counting alone: the labels seen exactly as often as this key (or the unseen labels at 0 shots), one of them right
          const n = seen.get(k) ?? 0;
          const candidates = n === 0 ? labels - counts.size : [...counts.values()].filter((c) => c === n).length;
          expect(s.countMatch[2 * p]).toBeCloseTo(1 / candidates, 12);
          expect(s.countMatch[2 * p + 1]).toBeNaN();
          seen.set(k, (seen.get(k) ?? 0) + 1);
          counts.set(l, (counts.get(l) ?? 0) + 1);
        }
        expect(labelOf.size).toBeLessThanOrEqual(kps);
        expect(new Set(labelOf.values()).size).toBe(labelOf.size); // no two keys share a label
      }),
      { numRuns: 60 },
    );
  });

  it("bad specs and models too small for the task are errors that name the fix", () => {
    expect(() => inContextSpec({ keysPerSequence: 40 })).toThrow(/cannot exceed keys/);
    expect(() => inContextSpec({ labels: 1 })).toThrow(/at least 2/);
    expect(() => inContextSpec({ pairs: 0 })).toThrow(/positive whole number/);
    expect(() => inContextSpec({ labels: 4, keysPerSequence: 6 })).toThrow(/label of its own.*Raise labels/);
    const small = new GPT({ vocabSize: 10, contextLength: 32, dModel: 16, nHeads: 2, nLayers: 1 }, { seed: 1 });
    expect(() => inContextTask(small)).toThrow(/vocabSize: inContextVocabSize/);
    small.dispose();
    const short = new GPT({ vocabSize: inContextVocabSize(), contextLength: 8, dModel: 16, nHeads: 2, nLayers: 1 }, { seed: 1 });
    expect(() => inContextTask(short)).toThrow(new RegExp(`contextLength ≥ ${2 * inContextSpec().pairs}`));
    short.dispose();
  });

  it("accuracy by shots: a model that looks the key up scores 1 from one shot on; an untrained one is near chance", () => {
    const spec = inContextSpec();
    const V = inContextVocabSize(spec);
    // A model whose logits copy the label that followed the same key earlier (the induction rule, written out).
    const lookup = {
      config: { vocabSize: V },
      forward(ids: Int32Array, o: { shape: [number, number] }) {
        const [B, T] = o.shape;
        const out = new Float32Array(B * T * V);
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < T; t += 2) {
            for (let j = t - 2; j >= 0; j -= 2) {
              if (ids[b * T + j] === ids[b * T + t]) {
                out[(b * T + t) * V + ids[b * T + j + 1]] = 5;
                break;
              }
            }
          }
        }
        return { logits: tf.tensor3d(out, [B, T, V]) };
      },
    } as unknown as GPT;
    const rows = inContextAccuracy(lookup, spec, { sequences: 64 });
    expect(rows[0].shots).toBe(0);
    for (const r of rows.slice(1)) expect(r.accuracy).toBe(1);
    expect(rows[1].frequencyBaseline).toBeLessThan(0.6);
    // counting helps (above chance) but stops short of lookup at 1 shot
    expect(rows[1].countBaseline).toBeGreaterThan(rows[1].chance);
    expect(rows[1].countBaseline).toBeLessThan(0.9);
    const untrained = new GPT({ vocabSize: V, contextLength: 2 * spec.pairs, dModel: 16, nHeads: 2, nLayers: 1 }, { seed: 1 });
    const before = tf.memory().numTensors;
    const u = inContextAccuracy(untrained, spec, { sequences: 128 });
    expect(tf.memory().numTensors).toBe(before);
    const all = u.reduce((a, r) => a + r.accuracy * r.count, 0) / u.reduce((a, r) => a + r.count, 0);
    expect(all).toBeLessThan(0.3); // chance is 1/16
    untrained.dispose();
    const batch = inContextBatch(new Rng(1), 3, spec);
    expect(batch.ids.length).toBe(3 * 2 * spec.pairs);
    expect(batch.countMatch.length).toBe(batch.ids.length);
  });
});

const hintOf = (r: { cases: { hint?: string; passed: boolean }[] }) => r.cases.find((c) => !c.passed && c.hint)?.hint ?? "";

describe("chapter 06 exercises", () => {
  it("windows: right passes; a target that is not shifted gets the hint", async () => {
    const right = (ids: number[], s: number, T: number) => ({ input: ids.slice(s, s + T), target: ids.slice(s + 1, s + T + 1) });
    expect((await check("06-windows", right, { quiet: true })).passed).toBe(true);
    const unshifted = (ids: number[], s: number, T: number) => ({ input: ids.slice(s, s + T), target: ids.slice(s, s + T) });
    expect(hintOf(await check("06-windows", unshifted, { quiet: true }))).toMatch(/NEXT token/);
  });

  it("cross-entropy: right passes; no max-subtraction and dividing by every row get hints", async () => {
    const ce = (stable: boolean, byRows: boolean) => (logits: number[][], targets: number[]) => {
      let total = 0;
      let n = 0;
      logits.forEach((row, i) => {
        if (targets[i] < 0) return;
        const m = stable ? Math.max(...row) : 0;
        total += m + Math.log(row.reduce((a, z) => a + Math.exp(z - m), 0)) - row[targets[i]];
        n++;
      });
      return total / (byRows ? logits.length : n);
    };
    expect((await check("06-cross-entropy", ce(true, false), { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("06-cross-entropy", ce(false, false), { quiet: true }))).toMatch(/maximum/);
    expect(hintOf(await check("06-cross-entropy", ce(true, true), { quiet: true }))).toMatch(/targets that count/);
    expect(hintOf(await check("06-perplexity", (l: number) => 2 ** l, { quiet: true }))).toMatch(/Math.exp/);
  });

  it("flops: counting by formula passes; counting the position table or the head twice gets the hint", async () => {
    type C = { vocabSize: number; contextLength: number; dModel: number; nLayers: number };
    const N = (c: C) => c.nLayers * (4 * c.dModel + 3 * c.dModel * c.dModel + 3 * c.dModel + c.dModel * c.dModel + c.dModel + 8 * c.dModel * c.dModel + 5 * c.dModel) + 2 * c.dModel + c.vocabSize * c.dModel;
    expect((await check("06-flops", (c: C, D: number) => 6 * N(c) * D, { quiet: true })).passed).toBe(true);
    expect(hintOf(await check("06-flops", (c: C, D: number) => 6 * (N(c) + c.contextLength * c.dModel) * D, { quiet: true }))).toMatch(/position embeddings/);
    expect(hintOf(await check("06-flops", (c: C, D: number) => 6 * (N(c) + c.vocabSize * c.dModel) * D, { quiet: true }))).toMatch(/tied/);
    expect(hintOf(await check("06-flops", (c: C, D: number) => 2 * N(c) * D, { quiet: true }))).toMatch(/backward/);
  });

  it("optimal size: the parabola passes; returning the best measured point gets the hint", async () => {
    type P = { params: number; valLoss: number };
    const parabola = (pts: P[]) => {
      const p = [...pts].sort((a, b) => a.params - b.params);
      const i = p.reduce((best, q, j) => (q.valLoss < p[best].valLoss ? j : best), 0);
      if (i === 0 || i === p.length - 1) return p[i].params;
      const x = [p[i - 1], p[i], p[i + 1]].map((q) => Math.log(q.params));
      const y = [p[i - 1], p[i], p[i + 1]].map((q) => q.valLoss);
      // slopes of the two chords → the vertex of the parabola through the three points
      const s1 = (y[1] - y[0]) / (x[1] - x[0]);
      const s2 = (y[2] - y[1]) / (x[2] - x[1]);
      const a = (s2 - s1) / (x[2] - x[0]);
      return Math.exp((x[0] + x[1]) / 2 - s1 / (2 * a));
    };
    expect((await check("06-optimal-size", parabola, { quiet: true })).passed).toBe(true);
    const argmin = (pts: P[]) => pts.reduce((a, b) => (b.valLoss < a.valLoss ? b : a)).params;
    expect(hintOf(await check("06-optimal-size", argmin, { quiet: true }))).toMatch(/parabola/);
  });

  it("shots: counting earlier occurrences passes; counting the current one too gets the hint", async () => {
    const shots = (keys: number[]) => keys.map((k, i) => keys.slice(0, i).filter((x) => x === k).length);
    expect((await check("06-shots", shots, { quiet: true })).passed).toBe(true);
    const inclusive = (keys: number[]) => keys.map((k, i) => keys.slice(0, i + 1).filter((x) => x === k).length);
    expect(hintOf(await check("06-shots", inclusive, { quiet: true }))).toMatch(/EARLIER/);
  });
});

describe("sampleBatch windows", () => {
  it("the targets are the inputs shifted by one (what the 06-windows exercise asks)", () => {
    const b = sampleBatch(tinyIds, 3, 5, new Rng(2));
    for (let r = 0; r < 3; r++) for (let t = 0; t < 4; t++) expect(b.targets[r * 5 + t]).toBe(b.ids[r * 5 + t + 1]);
  });
});

describe("the progress display", () => {
  it("shows perplexity (e^loss) and tokens/s from the loop's training time", async () => {
    const p = new TrainingProgress({ totalSteps: 10, plain: true, printEvery: 100, tokensPerStep: 1000, perplexity: true });
    await p.update({ step: 2, loss: Math.log(20), valLoss: Math.log(30), elapsedMs: 1000 });
    const line = p.statusLine();
    expect(line).toMatch(/perplexity 20\.0 \(val 30\.0\)/);
    expect(line).toMatch(/2\.0k tokens\/s/); // 2 steps × 1000 tokens in 1 s
  });
});
