/**
 * Chapter 08's lib (lib/align): the labelling rule and the gold scorer against the data set,
 * pairs and pairwise accuracy by hand, RL's reward and RLOO advantages, batched sampling,
 * the RL task (reference never changes, no tensor leaks), the AI judge, DPO's log, and the
 * replay of the committed starting policy's recipe.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AIJudge,
  HUMAN_RULE,
  STYLE_RECIPE,
  DPO_RECIPE,
  trainAlignedModel,
  answerIsCorrect,
  answerStyle,
  dpoTask,
  goldScore,
  judgeLabels,
  klPenalisedReward,
  pairwiseAccuracy,
  rankByLabelRule,
  referenceModel,
  responseLogProbs,
  lengthSortedBatches,
  rlooAdvantages,
  rlooTask,
  textPairs,
  trainJudge,
  trainStyleTunedModel,
  type LabelRule,
  type PreferencePair,
  type RLPrompt,
} from "../lib/align";
import { setupBackend } from "../lib/backend";
import { relationValues } from "../lib/eval";
import { loadAlignedModel, loadFacts, loadPreferences, loadStyleTunedModel } from "../lib/datasets";
import { fileHash } from "../lib/tools/cli/finetune";
import { datasetsDir } from "../lib/tools/paths";
import { generate, generateSamples } from "../lib/generate";
import { GPT } from "../lib/model";
import { Rng } from "../lib/random";
import { train } from "../lib/train";
import { ANIMALS, CITIES, FOODS, JOBS } from "../lib/tools/datagen/world";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const records = [...loadPreferences("train"), ...loadPreferences("test")];
const facts = new Map(loadFacts().map((f) => [f.id, f]));
const bytes = (v: tf.Tensor) => Buffer.from((v.dataSync() as Float32Array).buffer).toString("hex");

describe("the labelling rule and the gold scorer", () => {
  it("the human rule gives the data set's rankings: the rule's without noise, the labels with it", () => {
    for (const r of records) {
      expect(rankByLabelRule(r, HUMAN_RULE, { noise: false })).toEqual(r.ruleRanking);
      expect(rankByLabelRule(r)).toEqual(r.ranking);
    }
    expect(records.filter((r) => r.flipped).length / records.length).toBeCloseTo(0.1, 2);
  });

  it("another rule reorders the candidates; a rule that returns NaN is an error naming the candidate", () => {
    const terse: LabelRule = (a) => (a.correct ? 3 : 0) + { terse: 2, polite: 1, rude: 0 }[a.style];
    const r = records.find((x) => !x.flipped && x.candidates.some((c) => c.style === "terse" && c.correct) && x.candidates.some((c) => c.style === "polite" && c.correct))!;
    const best = r.candidates[rankByLabelRule(r, terse)[0]];
    expect(best).toMatchObject({ style: "terse", correct: true });
    expect(() => rankByLabelRule(r, () => NaN)).toThrow(/finite number/);
  });

  it("the gold scorer reads every candidate's style and correctness as the data set labelled it", () => {
    for (const r of records) {
      const fact = facts.get(r.factId)!;
      for (const c of r.candidates) {
        expect(answerStyle(c.text), c.text).toBe(c.style);
        expect(answerIsCorrect(c.text, fact), c.text).toBe(c.correct);
        expect(goldScore(c.text, fact).score).toBe(HUMAN_RULE(c));
      }
    }
    const fact = { relation: "has_pet" as const, value: "cat" };
    expect(answerIsCorrect("Minji Kim has a cat and a dog.", fact)).toBe(false); // two values: not a clear answer
    expect(answerIsCorrect("Thank you for asking.", fact)).toBe(false);
    expect(answerStyle("Good question! Ugh.")).toBe("rude");
    // The values the scorer knows are the world's: every town, job, animal and food.
    expect([CITIES, JOBS, ANIMALS, FOODS].map((l) => l.map((t) => t.id).sort())).toEqual((["lives_in", "works_as", "has_pet", "likes"] as const).map((r) => relationValues(r).map((v) => v.id).sort()));
  });

  it("a ranking of K distinct answers gives C(K, 2) pairs; tied pairs are left out", () => {
    expect(textPairs(records.slice(0, 10)).length).toBe(60);
    const onlyCorrect: LabelRule = (a) => (a.correct ? 1 : 0);
    const tp = textPairs(records.slice(0, 10), onlyCorrect, { noise: false });
    expect(tp.every((p) => p.chosen.correct && !p.rejected.correct)).toBe(true);
  });

  it("pairwise accuracy by hand: rule scores agree with the rule and with 90% of the noisy labels; ties count half", () => {
    const ruleScores = records.map((r) => r.candidates.map((c) => HUMAN_RULE(c)));
    expect(pairwiseAccuracy(ruleScores, records, HUMAN_RULE, { noise: false })).toBe(1);
    // A flipped record reverses all 6 of its pairs.
    expect(pairwiseAccuracy(ruleScores, records)).toBeCloseTo(1 - records.filter((r) => r.flipped).length / records.length, 10);
    const r = records.find((x) => !x.flipped)!;
    expect(pairwiseAccuracy([[0, 0, 0, 0]], [r], HUMAN_RULE, { noise: false })).toBe(0.5);
    expect(() => pairwiseAccuracy([], [r])).toThrow(/one row per record/);
  });
});

describe("RL's reward and advantages", () => {
  it("the KL-penalised reward, by hand", () => {
    expect(klPenalisedReward(1.5, -4, -6, 0.1)).toBeCloseTo(1.5 - 0.1 * 2, 12);
    expect(klPenalisedReward(1.5, -4, -6, 0)).toBe(1.5);
  });

  it("RLOO advantages: each reward minus the mean of its siblings, summing to 0 per prompt", () => {
    expect(Array.from(rlooAdvantages([1, 2, 3, 6], 2))).toEqual([-1, 1, -3, 3]);
    expect(Array.from(rlooAdvantages([0, 3, 6], 3))).toEqual([-4.5, 0, 4.5]);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 36, maxLength: 36 }), (k, groups, pool) => {
        const rewards = pool.slice(0, k * groups);
        const adv = rlooAdvantages(rewards, k);
        for (let g = 0; g < groups; g++) expect(Math.abs(adv.slice(g * k, (g + 1) * k).reduce((a, b) => a + b, 0))).toBeLessThan(1e-4);
      }),
    );
    expect(() => rlooAdvantages([1, 2, 3], 2)).toThrow(/whole groups/);
    expect(() => rlooAdvantages([1, 2], 1)).toThrow(/k must be/);
  });
});

const tiny = { vocabSize: 12, contextLength: 16, dModel: 16, nHeads: 2, nLayers: 2 };

describe("batched sampling and the RL task", () => {
  it("generateSamples: greedy rows equal generate's, prompt by prompt; unequal prompt lengths are an error", () => {
    const model = new GPT(tiny, { seed: 3 });
    const prompts = [[1, 2, 3], [4, 5, 6]];
    const rows = generateSamples(model, prompts, 2, { maxNewTokens: 5, greedy: true });
    expect(rows.length).toBe(4);
    prompts.forEach((p, i) => {
      const one = generate(model, p, { maxNewTokens: 5, greedy: true }).newTokens;
      expect(rows[2 * i]).toEqual(one);
      expect(rows[2 * i + 1]).toEqual(one);
    });
    // A stop token: the rows that write it leave the batch (and the cache); the others go on exactly as alone.
    const three = [[1, 1, 1], [5, 9, 2], [11, 3, 7]];
    const alone = three.map((p) => generate(model, p, { maxNewTokens: 6, greedy: true }).newTokens);
    const stop = alone[0][1];
    const tensors = tf.memory().numTensors;
    const stopped = generateSamples(model, three, 1, { maxNewTokens: 6, greedy: true, stopTokens: [stop] });
    expect(tf.memory().numTensors).toBe(tensors);
    alone.forEach((one, i) => expect(stopped[i]).toEqual(one.indexOf(stop) >= 0 ? one.slice(0, one.indexOf(stop) + 1) : one));
    expect(stopped[0].length).toBeLessThan(6); // row 0 stopped early …
    expect(stopped.slice(1).filter((r) => r.length > stopped[0].length).length).toBe(2); // … and both others went on
    expect(() => generateSamples(model, [[1, 2], [3]], 2, { maxNewTokens: 2 })).toThrow(/same length/);
    expect(() => generateSamples(model, [1, 2], 2, { maxNewTokens: 20 })).toThrow(/Lower maxNewTokens/);
    model.dispose();
  });

  it("responseLogProbs scores a repeated example once and gives every copy the value it gets alone; no tensors leak", () => {
    const model = new GPT(tiny, { seed: 5 });
    const a = { prompt: [1, 2, 3], response: [4, 5] };
    const b = { prompt: [1, 2], response: [6, 7, 8] };
    const c = { prompt: [3], response: [4] };
    const tensors = tf.memory().numTensors;
    const alone = [a, b, c].map((e) => responseLogProbs(model, [e])[0]);
    const rows: number[] = [];
    const score = model.sequenceLogProbs.bind(model);
    model.sequenceLogProbs = (ids, targets, options) => (rows.push(options?.shape?.[0] ?? -1), score(ids, targets, options));
    const mixed = responseLogProbs(model, [a, b, a, c, b, a], { batchSize: 2 });
    expect(rows).toEqual([2, 1]); // three unique examples in batches of two
    expect(tf.memory().numTensors).toBe(tensors);
    [alone[0], alone[1], alone[0], alone[2], alone[1], alone[0]].forEach((v, i) => expect(mixed[i]).toBeCloseTo(v, 5));
    expect(mixed[0]).toBe(mixed[2]);
    expect(new Set(mixed).size).toBe(3);
    model.dispose();
  });

  it("lengthSortedBatches: every index once, shortest first, at most batchSize per batch", () => {
    const ex = [5, 1, 3, 1, 4, 2, 6].map((n) => ({ prompt: [1], response: Array.from({ length: n }, () => 2) }));
    const batches = lengthSortedBatches(ex, 3);
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat().sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(batches.flat().map((i) => ex[i].response.length)).toEqual([1, 1, 2, 3, 4, 5, 6]);
  });

  it("KVCache.keepRows keeps the chosen sequences: the next step's logits equal a full forward pass of those rows", () => {
    const model = new GPT(tiny, { seed: 3 });
    const seqs = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 0]];
    const cache = model.createCache();
    tf.dispose(model.forward(seqs.map((s) => s.slice(0, 3)), { cache }).logits);
    const tensors = tf.memory().numTensors;
    cache.keepRows([2, 0]);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(cache.batch).toBe(2);
    const step = model.forward([[seqs[2][3]], [seqs[0][3]]], { cache }).logits; // (2, 1, V)
    const full = model.forward([seqs[2], seqs[0]]).logits; // (2, 4, V)
    const last = tf.slice(full, [0, 3, 0], [2, 1, tiny.vocabSize]);
    const a = step.dataSync(), b = last.dataSync();
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 4));
    expect(() => cache.keepRows([2])).toThrow(/indices of the 2 cached sequences/);
    tf.dispose([step, full, last]);
    cache.dispose();
    model.dispose();
  });

  it("an RL step moves the policy toward rewarded answers, never changes the reference, and leaks no tensors", async () => {
    const policy = new GPT(tiny, { seed: 4 });
    const reference = referenceModel(policy);
    const refBytes = reference.params.entries().map(([n, v]) => [n, bytes(v)]);
    const fact = facts.values().next().value!;
    const prompts: RLPrompt[] = [[1, 2], [3, 2], [5, 2]].map((ids) => ({ question: "q", ids, fact }));
    const tok = { encode: (s: string) => Array.from(s, (c) => c.charCodeAt(0) % 12), decode: (ids: number[]) => ids.map((i) => String.fromCharCode(97 + i)).join("") };
    // Reward: how many 7s the answer holds.
    const reward = (samples: { answer: number[] }[]) => samples.map((s) => s.answer.filter((t) => t === 7).length);
    const task = rlooTask(policy, reference, tok, prompts, reward, { beta: 0.05, promptsPerStep: 2, samplesPerPrompt: 4, maxNewTokens: 6 });
    const sevens = () => generateSamples(policy, [1, 2], 64, { maxNewTokens: 6, random: new Rng(9), stopTokens: [4] }).reduce((n, r) => n + r.filter((t) => t === 7).length, 0);
    const before = sevens();
    await train(task, { steps: 2, lr: 1e-2, seed: 1 });
    const tensors = tf.memory().numTensors;
    await train(task, { steps: 40, lr: 1e-2, seed: 2 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(task.log.length).toBe(42);
    expect(task.log[0].kl).toBeCloseTo(0, 5); // the policy starts as the reference
    expect(sevens()).toBeGreaterThan(before * 1.5);
    expect(reference.params.entries().map(([n, v]) => [n, bytes(v)])).toEqual(refBytes);
    expect(() => rlooTask(policy, reference, tok, prompts, reward, { beta: 0.1, promptsPerStep: 2, samplesPerPrompt: 1, maxNewTokens: 4 })).toThrow(/samplesPerPrompt must be ≥ 2/);
    policy.dispose();
    reference.dispose();
  });

  it("DPO's log: loss ln 2 and margin 0 at the first step, then a positive margin", async () => {
    const policy = new GPT(tiny, { seed: 8 });
    const reference = referenceModel(policy);
    const pairs: PreferencePair[] = [3, 4, 5].map((q) => ({ prompt: [q, 2], chosen: [9, 1], rejected: [10, 1] }));
    const task = dpoTask(policy, reference, pairs, { padId: 0, beta: 0.1, batchSize: 3 });
    await train(task, { steps: 20, lr: 3e-3, seed: 5 });
    expect(Math.abs(task.log[0].loss - Math.log(2))).toBeLessThan(1e-6);
    expect(Math.abs(task.log[0].margin)).toBeLessThan(1e-6);
    expect(task.log[19].margin).toBeGreaterThan(0.5);
    expect(task.log[19].loss).toBeLessThan(Math.log(2));
    expect(task.log[19].accuracy).toBe(1);
    policy.dispose();
    reference.dispose();
  });

  it("a shared referenceCache: a second run with the same seed computes no reference log-probs and logs the same numbers", async () => {
    const start = new GPT(tiny, { seed: 8 });
    const reference = referenceModel(start);
    const pairs: PreferencePair[] = [3, 4, 5, 6].map((q) => ({ prompt: [q, 2], chosen: [9, 1], rejected: [10, q, 1] }));
    let refCalls = 0;
    const score = reference.sequenceLogProbs.bind(reference);
    reference.sequenceLogProbs = (ids, targets, options) => (refCalls++, score(ids, targets, options));
    const cache = new Map<string, { chosen: Float32Array; rejected: Float32Array }>();
    const run = async () => {
      const policy = start.clone();
      const task = dpoTask(policy, reference, pairs, { padId: 0, beta: 0.1, batchSize: 2, referenceCache: cache });
      await train(task, { steps: 6, lr: 3e-3, seed: 5 });
      policy.dispose();
      return task.log;
    };
    const first = await run();
    const callsFirst = refCalls;
    expect(callsFirst).toBe(cache.size);
    expect(callsFirst).toBeGreaterThan(0);
    const tensors = tf.memory().numTensors;
    const second = await run();
    expect(refCalls).toBe(callsFirst);
    expect(second).toEqual(first);
    expect(tf.memory().numTensors).toBe(tensors);
    start.dispose();
    reference.dispose();
  });
});

describe("the AI judge", () => {
  it("fitted to pairs where a word marks the chosen answer, it likes that word and agrees with the labels; a bias adds its bonus", () => {
    const f = (words: string[], lp = -1) => ({ words, logProbPerToken: lp });
    const pairs = Array.from({ length: 20 }, (_, i) => ({ chosen: f(["thanks", `w${i}`], -1), rejected: f([`v${i}`], -1) }));
    const judge = trainJudge(pairs);
    expect(judge.weights.get("thanks")!).toBeGreaterThan(0.5);
    expect(judgeLabels(judge, pairs).agreement).toBe(1);
    const biased = judge.withBias(["obvious"], 2);
    expect(biased.score(f(["obviously"])) - judge.score(f(["obviously"]))).toBe(2);
    // Belief: answers the model finds likelier are chosen → a positive weight on log-probability.
    const belief = trainJudge(Array.from({ length: 20 }, () => ({ chosen: f([], -0.5), rejected: f([], -2) })));
    expect(belief.belief).toBeGreaterThan(0);
    expect(new AIJudge(new Map(), 0).score(f(["x"]))).toBe(0);
    expect(() => trainJudge([])).toThrow(/at least a few/);
  });
});

describe("the committed starting policy (npm run finetune -- --styles)", () => {
  it("replaying STYLE_RECIPE's first steps gives the recorded losses", async () => {
    const { model, metadata } = loadStyleTunedModel();
    model.dispose();
    expect(JSON.parse(metadata.recipe)).toEqual(JSON.parse(JSON.stringify(STYLE_RECIPE)));
    const recorded = JSON.parse(metadata.first_losses) as number[];
    expect(recorded.length).toBe(STYLE_RECIPE.recordSteps);
    const run = await trainStyleTunedModel({ stopAfter: STYLE_RECIPE.recordSteps });
    run.run.result.losses.forEach((loss, i) => expect(Math.abs(loss - recorded[i]), `step ${i}: replayed ${loss}, recorded ${recorded[i]} — run \`npm run finetune -- --styles\` again if the recipe or the loop changed`).toBeLessThan(1e-5 * Math.max(1, recorded[i])));
    run.model.dispose();
  }, 120_000);
});

describe("the committed aligned model (npm run finetune -- --dpo)", () => {
  it("replaying DPO_RECIPE's first steps from π_SFT gives the recorded losses (the first is ln 2: policy = reference)", async () => {
    const { model, metadata } = loadAlignedModel();
    model.dispose();
    expect(JSON.parse(metadata.recipe)).toEqual(JSON.parse(JSON.stringify(DPO_RECIPE)));
    expect(metadata.base_sha256).toBe(fileHash(datasetsDir("models", DPO_RECIPE.from)));
    const recorded = JSON.parse(metadata.first_losses) as number[];
    expect(recorded.length).toBe(DPO_RECIPE.recordSteps);
    expect(recorded[0]).toBeCloseTo(Math.log(2), 5);
    const run = await trainAlignedModel({ stopAfter: DPO_RECIPE.recordSteps });
    expect(run.losses.length).toBe(DPO_RECIPE.recordSteps);
    run.losses.forEach((loss, i) => expect(Math.abs(loss - recorded[i]), `step ${i}: replayed ${loss}, recorded ${recorded[i]} — run \`npm run finetune -- --dpo\` again if the recipe or the loop changed`).toBeLessThan(1e-5 * Math.max(1, recorded[i])));
    run.model.dispose();
  }, 180_000);
});
