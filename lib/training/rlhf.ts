/**
 * Stage 3 — alignment with human preferences (chapter 08), on the one training loop (loop.ts).
 *
 *   STYLE_RECIPE                         π_SFT: chapter 07's model shown correct answers in every style (npm run finetune -- --styles)
 *   DPO_RECIPE                           π_DPO: π_SFT tuned by DPO on the training rankings (npm run finetune -- --dpo)
 *   bradleyTerryLoss / rewardModelTask   a reward model (lib/model: a GPT + scalar head) from pairs: −log σ(r_w − r_l)
 *   candidateRewards / pairwiseAccuracy  the reward model's score of every candidate; how often it orders a pair as the labels do
 *   referenceModel                       a frozen copy: π_ref of RL and DPO (training the policy never changes it)
 *   klPenalisedReward / rlooAdvantages   RL's reward r − β·(log π − log π_ref) and REINFORCE leave-one-out advantages
 *   rlooTask                             RL as a task of train(): sample k answers per prompt, score, push up the better ones
 *   evaluatePolicy                       gold correctness and style of sampled answers, and the KL to the reference
 *   AIJudge / trainJudge / judgeLabels   RLAIF: a judge fitted to 50 human pairs labels the rest (or rewards directly)
 *   dpoLoss / dpoTask                    Direct Preference Optimisation: the same pairs, no reward model, no sampling
 */
import * as tf from "@tensorflow/tfjs";
import type { Fact } from "../tools/datagen/facts";
import type { PreferenceRecord } from "../tools/datagen/preferences";
import { generateSamples } from "../generation/loop";
import { GPT } from "../model/gpt";
import { RewardModel } from "../model/rewardModel";
import { Rng } from "../random";
import { PromptResponse, padSequences, promptResponseBatch } from "./batches";
import { loadFineTunedModel, loadPreferences, loadStyleTunedModel } from "../datasets";
import type { BPETokenizer } from "../tokenizer/bpe";
import { FinetuneKnobs, FinetuneRun, SFT_TOKENS, TextTokenizer, encodeExample, finetune, formatPrompt } from "./finetune";
import { StepInfo, TrainingTask, train } from "./loop";
import { GoldJudgement, HUMAN_RULE, LabelRule, PreferencePair, goldScore, preferencePairs, rankByLabelRule, styleDemonstrations, textPairs } from "./preferences";

// ---------------------------------------------------------------- the starting policy

/**
 * Stage 3 ranks answers the model itself writes, but chapter 07's model only ever saw terse
 * answers: sampled at any temperature it never says "Thank you for asking", so RL could never
 * find out that people like it. STYLE_RECIPE fine-tunes it further on the preference data's
 * **correct** candidates in every style (demonstrations: no ranking, no wrong answers) — the
 * course's π_SFT for chapter 08 (`npm run finetune -- --styles` → datasets/models/sft-styles.safetensors).
 * 60 steps were not enough: the new openings pushed the facts out (correct 0.32 → 0.06 at T 0.7);
 * 300 steps bring them back.
 */
export const STYLE_RECIPE = {
  from: "sft.safetensors",
  knobs: { steps: 300, batchSize: 16, lr: 3e-4, seed: 3 } as FinetuneKnobs,
  /** Losses of this many first steps are recorded for the replay test. */
  recordSteps: 5,
};

/** Run STYLE_RECIPE from the fine-tuned model in `dir` (optionally only its first `stopAfter` steps). The caller disposes `model`. */
export async function trainStyleTunedModel(options: { dir?: string; stopAfter?: number; onStep?: (info: StepInfo) => void | Promise<void> } = {}): Promise<{ model: GPT; tokenizer: BPETokenizer; run: FinetuneRun }> {
  const { model, tokenizer } = loadFineTunedModel(options.dir);
  try {
    const demos = styleDemonstrations(tokenizer, loadPreferences("train"));
    const run = await finetune(model, demos, { knobs: STYLE_RECIPE.knobs, stopAfter: options.stopAfter, onStep: options.onStep });
    return { model, tokenizer, run };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * The course's aligned model π_DPO: π_SFT (STYLE_RECIPE) tuned with DPO on every training
 * ranking of the preference data (the data set's noisy labels, the human rule) — chapter 08's
 * β = 0.5 run on all prompts. `npm run finetune -- --dpo` → datasets/models/dpo.safetensors;
 * chapter 10 compares it with π_SFT (loadAlignedModel() in lib/datasets).
 */
export const DPO_RECIPE = {
  from: "sft-styles.safetensors",
  beta: 0.5,
  knobs: { steps: 40, batchSize: 16, lr: 3e-4, seed: 6 },
  /** Losses of this many first steps are recorded for the replay test. */
  recordSteps: 3,
};

/** Run DPO_RECIPE from π_SFT in `dir` (optionally only its first `stopAfter` steps). The caller disposes `model`. */
export async function trainAlignedModel(options: { dir?: string; stopAfter?: number; onStep?: (info: StepInfo) => void | Promise<void> } = {}): Promise<{ model: GPT; tokenizer: BPETokenizer; losses: number[] }> {
  const { model, tokenizer } = loadStyleTunedModel(options.dir);
  const reference = referenceModel(model);
  try {
    const pairs = preferencePairs(tokenizer, textPairs(loadPreferences("train"), HUMAN_RULE));
    const task = dpoTask(model, reference, pairs, { padId: SFT_TOKENS.pad, beta: DPO_RECIPE.beta, batchSize: DPO_RECIPE.knobs.batchSize });
    const k = DPO_RECIPE.knobs;
    const result = await train(task, { steps: k.steps, lr: k.lr, seed: k.seed, stopAfter: options.stopAfter, onStep: options.onStep });
    return { model, tokenizer, losses: result.losses };
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    reference.dispose();
  }
}

// ---------------------------------------------------------------- the reward model

/** −log σ(x), computed stably as softplus(−x) = max(−x, 0) + log(1 + e^−|x|). */
function negLogSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.relu(tf.neg(x)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
}

/** Bradley–Terry: mean −log σ(r_chosen − r_rejected) over pairs (B). */
export function bradleyTerryLoss(rewardChosen: tf.Tensor, rewardRejected: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(negLogSigmoid(tf.sub(rewardChosen, rewardRejected))) as tf.Scalar);
}

function drawPairs(pairs: PreferencePair[], batchSize: number, random: Rng): PreferencePair[] {
  return Array.from({ length: batchSize }, () => pairs[random.int(0, pairs.length)]);
}

function checkPairs(pairs: PreferencePair[], what: string): void {
  if (pairs.length === 0) throw new Error(`${what}: no preference pairs — give at least one { prompt, chosen, rejected }.`);
}

/** Rewards of prompt+answer sequences, read at each one's last real token. */
export function scoreAnswers(rm: RewardModel, prompts: number[][], answers: number[][], padId: number): tf.Tensor1D {
  const batch = padSequences(prompts.map((p, i) => [...p, ...answers[i]]), padId);
  return rm.score(batch.ids, batch.attentionMask, { shape: [batch.batchSize, batch.length] });
}

/** Train a reward model on preference pairs with the Bradley–Terry loss. */
export function rewardModelTask(rm: RewardModel, pairs: PreferencePair[], options: { padId: number; batchSize?: number }): TrainingTask<PreferencePair[]> {
  checkPairs(pairs, "rewardModelTask");
  const batchSize = options.batchSize ?? 16;
  return {
    params: rm.trainableParams(),
    nextBatch: (random) => drawPairs(pairs, batchSize, random),
    loss: (b) =>
      tf.tidy(() => {
        // One padded batch of 2B sequences: chosen answers first, then rejected.
        const r = scoreAnswers(rm, [...b.map((p) => p.prompt), ...b.map((p) => p.prompt)], [...b.map((p) => p.chosen), ...b.map((p) => p.rejected)], options.padId);
        const [chosen, rejected] = tf.split(r, 2);
        return bradleyTerryLoss(chosen, rejected);
      }),
  };
}

/** Rewards of many (prompt, answer) id pairs, in batches, as plain numbers. */
export function rewardsOf(rm: RewardModel, sequences: PromptResponse[], options: { padId?: number; batchSize?: number } = {}): number[] {
  const out: number[] = new Array(sequences.length);
  for (const chunk of lengthSortedBatches(sequences, options.batchSize ?? 64)) {
    const r = scoreAnswers(rm, chunk.map((i) => sequences[i].prompt), chunk.map((i) => sequences[i].response), options.padId ?? SFT_TOKENS.pad);
    const v = r.dataSync();
    chunk.forEach((i, j) => (out[i] = v[j]));
    r.dispose();
  }
  return out;
}

/**
 * Indices of `examples` in batches of at most `batchSize`, shortest (prompt + response)
 * first: a padded batch is as long as its longest row, so neighbours of similar length
 * waste little compute on padding (speed only: the numbers are the same up to float rounding).
 */
export function lengthSortedBatches(examples: PromptResponse[], batchSize: number): number[][] {
  const order = examples.map((_, i) => i).sort((a, b) => examples[a].prompt.length + examples[a].response.length - (examples[b].prompt.length + examples[b].response.length) || a - b);
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

/** The reward model's score of every candidate of every record (records × candidates), with the chapter-07 template. */
export function candidateRewards(rm: RewardModel, tokenizer: TextTokenizer, records: PreferenceRecord[]): number[][] {
  const seqs = records.flatMap((r) => r.candidates.map((c) => encodeExample(tokenizer, r.prompt, c.text)));
  const flat = rewardsOf(rm, seqs);
  let k = 0;
  return records.map((r) => r.candidates.map(() => flat[k++]));
}

/**
 * Share of a ranking's pairs (under `rule`; noisy labels unless noise: false) that `scores`
 * orders the same way (the chosen answer scores higher). Pairs the rule ties are skipped;
 * a tie in `scores` counts half.
 */
export function pairwiseAccuracy(scores: number[][], records: PreferenceRecord[], rule: LabelRule = HUMAN_RULE, options: { noise?: boolean } = {}): number {
  if (scores.length !== records.length) throw new Error(`pairwiseAccuracy: ${scores.length} rows of scores for ${records.length} records — give one row per record.`);
  let agree = 0;
  let n = 0;
  records.forEach((rec, i) => {
    const ranking = rankByLabelRule(rec, rule, options);
    for (let a = 0; a < ranking.length; a++) {
      for (let b = a + 1; b < ranking.length; b++) {
        const [w, l] = [ranking[a], ranking[b]];
        if (rule(rec.candidates[w]) === rule(rec.candidates[l])) continue;
        n++;
        agree += scores[i][w] > scores[i][l] ? 1 : scores[i][w] === scores[i][l] ? 0.5 : 0;
      }
    }
  });
  return n ? agree / n : NaN;
}

// ---------------------------------------------------------------- the reference model

/** A frozen copy of `model`: the reference π_ref of RLHF and DPO. Dispose it when done. */
export function referenceModel(model: GPT): GPT {
  const ref = model.clone();
  ref.freeze();
  return ref;
}

/**
 * log π(response | prompt) of each example under `model`, in batches, as plain numbers (no
 * gradients). An example that occurs more than once is scored once (a ranking's six pairs
 * share its four answers, so scoring pairs this way costs a third as much).
 */
export function responseLogProbs(model: GPT, examples: PromptResponse[], options: { batchSize?: number } = {}): number[] {
  const bs = options.batchSize ?? 64;
  const slot = new Map<string, number>(); // example → its index among the unique ones
  const unique: PromptResponse[] = [];
  const which = examples.map((e) => {
    const key = `${e.prompt.join(",")}|${e.response.join(",")}`;
    let i = slot.get(key);
    if (i === undefined) {
      i = unique.length;
      slot.set(key, i);
      unique.push(e);
    }
    return i;
  });
  const scored: number[] = new Array(unique.length);
  for (const chunk of lengthSortedBatches(unique, bs)) {
    const b = promptResponseBatch(chunk.map((i) => unique[i]), { padId: SFT_TOKENS.pad });
    const lp = model.sequenceLogProbs(b.ids, b.targets, { shape: [b.batchSize, b.length], attentionMask: b.attentionMask });
    const v = lp.dataSync();
    chunk.forEach((i, j) => (scored[i] = v[j]));
    lp.dispose();
  }
  return which.map((i) => scored[i]);
}

// ---------------------------------------------------------------- RL: RLOO with a KL penalty

/** RL's reward of one sampled answer: the reward model's score minus β times log π − log π_ref (the sample's KL estimate). */
export function klPenalisedReward(score: number, logProb: number, refLogProb: number, beta: number): number {
  return score - beta * (logProb - refLogProb);
}

/**
 * REINFORCE leave-one-out: rewards come in groups of k samples of the same prompt; each
 * sample's advantage is its reward minus the mean of the other k − 1 — a baseline that
 * needs no critic and does not use the sample's own reward. Each group sums to 0.
 */
export function rlooAdvantages(rewards: ArrayLike<number>, k: number): Float32Array {
  if (!(Number.isInteger(k) && k >= 2)) throw new Error(`rlooAdvantages: k must be a whole number ≥ 2 (leave-one-out needs another sample of the same prompt), got ${k}.`);
  if (rewards.length % k !== 0) throw new Error(`rlooAdvantages: ${rewards.length} rewards are not whole groups of k = ${k} samples per prompt.`);
  const out = new Float32Array(rewards.length);
  for (let g = 0; g < rewards.length; g += k) {
    let sum = 0;
    for (let i = 0; i < k; i++) sum += rewards[g + i];
    for (let i = 0; i < k; i++) out[g + i] = rewards[g + i] - (sum - rewards[g + i]) / (k - 1);
  }
  return out;
}

/** A question the policy answers in RL: its text, its ids with the template, and the fact it asks about (for the gold scorer). */
export interface RLPrompt {
  question: string;
  ids: number[];
  fact: Fact;
}

/** Preference records as RL prompts (each record's question once). */
export function rlPrompts(tokenizer: TextTokenizer, records: PreferenceRecord[], facts: Fact[]): RLPrompt[] {
  const byId = new Map(facts.map((f) => [f.id, f]));
  return records.map((r) => {
    const fact = byId.get(r.factId);
    if (!fact) throw new Error(`rlPrompts: record ${r.id} asks about ${r.factId}, which is not in the facts — load both from the same datasets folder.`);
    return { question: r.prompt, ids: tokenizer.encode(formatPrompt(r.prompt)), fact };
  });
}

/** One sampled answer. */
export interface RLSample {
  prompt: RLPrompt;
  /** New tokens, the end token included if the policy wrote it. */
  answer: number[];
  /** The answer as text (without the end token). */
  text: string;
  stopped: boolean;
}

/** Scores sampled answers (one number each): a reward model, an AI judge, any rule. */
export type RewardFn = (samples: RLSample[]) => number[];

/** A reward model as a RewardFn: its score of prompt + answer. */
export function rewardModelReward(rm: RewardModel): RewardFn {
  return (samples) => rewardsOf(rm, samples.map((s) => ({ prompt: s.prompt.ids, response: s.answer })));
}

export interface SamplingKnobs {
  /** Answers per prompt (k ≥ 2 for leave-one-out). */
  samplesPerPrompt: number;
  maxNewTokens: number;
  temperature?: number;
}

/**
 * k answers to each prompt from `policy` (temperature 1 by default). Prompts of the same
 * token length are sampled together in one batch (generateSamples), which is several times
 * faster than one prompt at a time; the answers come back in the prompts' order.
 */
export function sampleAnswers(policy: GPT, tokenizer: TextTokenizer, prompts: RLPrompt[], knobs: SamplingKnobs, random: Rng): RLSample[] {
  const byLength = new Map<number, number[]>();
  prompts.forEach((p, i) => byLength.set(p.ids.length, [...(byLength.get(p.ids.length) ?? []), i]));
  const answers: number[][][] = new Array(prompts.length);
  for (const group of byLength.values()) {
    const rows = generateSamples(policy, group.map((i) => prompts[i].ids), knobs.samplesPerPrompt, { maxNewTokens: knobs.maxNewTokens, temperature: knobs.temperature ?? 1, stopTokens: [SFT_TOKENS.end], random });
    group.forEach((i, g) => (answers[i] = rows.slice(g * knobs.samplesPerPrompt, (g + 1) * knobs.samplesPerPrompt)));
  }
  return prompts.flatMap((prompt, i) =>
    answers[i].map((answer) => {
      const stopped = answer[answer.length - 1] === SFT_TOKENS.end;
      return { prompt, answer, text: tokenizer.decode(stopped ? answer.slice(0, -1) : answer).trim(), stopped };
    }),
  );
}

export interface RLKnobs extends SamplingKnobs {
  /** Strength of the KL leash: reward = score − β·(log π − log π_ref). */
  beta: number;
  promptsPerStep: number;
  /** Subtracted from the reward of an answer that never wrote the end token (default 1). */
  noEndPenalty?: number;
}

/** What one RL step saw (means over its samples). */
export interface RLStepLog {
  step: number;
  /** The reward function's score (the proxy being optimised). */
  reward: number;
  /** log π − log π_ref of the samples: an estimate of KL(π ‖ π_ref) per answer, in nats. */
  kl: number;
  /** Gold: share of answers that are right, polite, rude; share that stopped. */
  correct: number;
  polite: number;
  rude: number;
  stopped: number;
  /** Gold rule's mean score. */
  gold: number;
}

interface RLBatch {
  samples: RLSample[];
  examples: PromptResponse[];
  scores: number[];
  refLogProbs: number[];
}

/**
 * RL as a task of train(): each step samples k answers to `promptsPerStep` prompts from the
 * current policy (on-policy), scores them with `reward`, subtracts β · (log π − log π_ref)
 * and the no-end penalty, turns the rewards into RLOO advantages, and minimises
 * −mean(A · log π(answer)) — answers better than their siblings become more likely.
 * `log` gets one RLStepLog per step (gold judged by `rule`). A step's prompts share their
 * token length (the first drawn at random, the rest from prompts as long as it), so their
 * samples are generated as one batch through the KV cache.
 */
export function rlooTask(
  policy: GPT,
  reference: GPT,
  tokenizer: TextTokenizer,
  prompts: RLPrompt[],
  reward: RewardFn,
  knobs: RLKnobs,
  options: { rule?: LabelRule } = {},
): TrainingTask<RLBatch> & { log: RLStepLog[] } {
  if (prompts.length === 0) throw new Error("rlooTask: no prompts — give at least one (rlPrompts(tokenizer, records, facts)).");
  if (!(knobs.beta >= 0)) throw new Error(`rlooTask: beta must be ≥ 0 (0 = no KL leash), got ${knobs.beta}.`);
  if (!(Number.isInteger(knobs.promptsPerStep) && knobs.promptsPerStep >= 1)) throw new Error(`rlooTask: promptsPerStep must be a whole number ≥ 1, got ${knobs.promptsPerStep}.`);
  if (!(Number.isInteger(knobs.samplesPerPrompt) && knobs.samplesPerPrompt >= 2)) throw new Error(`rlooTask: samplesPerPrompt must be ≥ 2 — leave-one-out compares each answer with its siblings — got ${knobs.samplesPerPrompt}.`);
  const rule = options.rule ?? HUMAN_RULE;
  const log: RLStepLog[] = [];
  const k = knobs.samplesPerPrompt;
  const byLength = new Map<number, RLPrompt[]>();
  for (const p of prompts) byLength.set(p.ids.length, [...(byLength.get(p.ids.length) ?? []), p]);
  return {
    log,
    params: policy.trainableParams(),
    nextBatch: (random) => {
      // The first prompt at random, the others from prompts of its token length: one batch through the KV cache.
      const first = prompts[random.int(0, prompts.length)];
      const group = byLength.get(first.ids.length)!;
      const chosen = [first, ...Array.from({ length: knobs.promptsPerStep - 1 }, () => group[random.int(0, group.length)])];
      const samples = sampleAnswers(policy, tokenizer, chosen, knobs, random);
      const examples = samples.map((s) => ({ prompt: s.prompt.ids, response: s.answer }));
      return { samples, examples, scores: reward(samples), refLogProbs: responseLogProbs(reference, examples) };
    },
    loss: (b) =>
      tf.tidy(() => {
        const batch = promptResponseBatch(b.examples, { padId: SFT_TOKENS.pad });
        const lp = policy.sequenceLogProbs(batch.ids, batch.targets, { shape: [batch.batchSize, batch.length], attentionMask: batch.attentionMask }); // (N)
        const logProbs = lp.dataSync();
        const penalty = knobs.noEndPenalty ?? 1;
        const rewards = b.samples.map((s, i) => klPenalisedReward(b.scores[i], logProbs[i], b.refLogProbs[i], knobs.beta) - (s.stopped ? 0 : penalty));
        const adv = rlooAdvantages(rewards, k);
        const gold = b.samples.map((s) => goldScore(s.text, s.prompt.fact, rule));
        const m = (f: (i: number) => number) => b.samples.reduce((acc, _, i) => acc + f(i), 0) / b.samples.length;
        log.push({
          step: log.length + 1,
          reward: m((i) => b.scores[i]),
          kl: m((i) => logProbs[i] - b.refLogProbs[i]),
          correct: m((i) => +gold[i].correct),
          polite: m((i) => +(gold[i].style === "polite")),
          rude: m((i) => +(gold[i].style === "rude")),
          stopped: m((i) => +b.samples[i].stopped),
          gold: m((i) => gold[i].score),
        });
        return tf.neg(tf.mean(tf.mul(tf.tensor1d(adv), lp))) as tf.Scalar;
      }),
  };
}

/** A policy judged by the gold rule on sampled answers to held-out prompts. */
export interface PolicyEvaluation {
  correct: number;
  polite: number;
  terse: number;
  rude: number;
  stopped: number;
  /** Gold rule's mean score. */
  gold: number;
  /** Mean log π − log π_ref of the samples (KL estimate, nats per answer). */
  kl: number;
  samples: (RLSample & GoldJudgement)[];
}

/** Sample `samplesPerPrompt` answers per prompt (seeded), judge them by the gold rule, estimate the KL to `reference`. */
export function evaluatePolicy(policy: GPT, reference: GPT, tokenizer: TextTokenizer, prompts: RLPrompt[], options: { samplesPerPrompt?: number; maxNewTokens?: number; temperature?: number; seed?: number; rule?: LabelRule } = {}): PolicyEvaluation {
  const random = new Rng(options.seed ?? 0);
  const samples = sampleAnswers(policy, tokenizer, prompts, { samplesPerPrompt: options.samplesPerPrompt ?? 2, maxNewTokens: options.maxNewTokens ?? 40, temperature: options.temperature }, random);
  const examples = samples.map((s) => ({ prompt: s.prompt.ids, response: s.answer }));
  const lp = responseLogProbs(policy, examples);
  const ref = responseLogProbs(reference, examples);
  const judged = samples.map((s) => ({ ...s, ...goldScore(s.text, s.prompt.fact, options.rule ?? HUMAN_RULE) }));
  const m = (f: (i: number) => number) => judged.reduce((acc, _, i) => acc + f(i), 0) / judged.length;
  return {
    correct: m((i) => +judged[i].correct),
    polite: m((i) => +(judged[i].style === "polite")),
    terse: m((i) => +(judged[i].style === "terse")),
    rude: m((i) => +(judged[i].style === "rude")),
    stopped: m((i) => +judged[i].stopped),
    gold: m((i) => judged[i].score),
    kl: m((i) => lp[i] - ref[i]),
    samples: judged,
  };
}

// ---------------------------------------------------------------- RLAIF: an AI judge instead of people

/** What the AI judge reads from an answer: its words (lower-cased, both languages) and how likely a language model finds it. */
export interface JudgeFeatures {
  words: string[];
  /** log π_ref(answer | prompt) per answer token: the model's "belief" that the answer is right. */
  logProbPerToken: number;
}

/** Words of an answer as the judge sees them (punctuation stripped, lower-cased, each once). */
export function judgeWords(text: string): string[] {
  return [...new Set(text.toLowerCase().split(/[\s.,!?"'’]+/).filter((w) => w.length > 0))];
}

/** Judge features of (prompt, answer) id pairs and their texts, the belief from `model`. */
export function judgeFeatures(model: GPT, examples: PromptResponse[], texts: string[]): JudgeFeatures[] {
  const lp = responseLogProbs(model, examples);
  return examples.map((e, i) => ({ words: judgeWords(texts[i]), logProbPerToken: lp[i] / e.response.length }));
}

/**
 * An AI judge: a linear score of an answer's words plus a weight on the model's belief,
 * fitted (Bradley–Terry, by gradient descent with L2) to a few human-labelled pairs — a
 * stand-in for an LLM asked "which answer is better?". `bias` adds a bonus to answers that
 * contain any of its words: a judge with a quirk.
 */
export class AIJudge {
  constructor(
    readonly weights: Map<string, number>,
    readonly belief: number,
    readonly bias: { words: string[]; bonus: number } | null = null,
  ) {}

  score(f: JudgeFeatures): number {
    let s = this.belief * f.logProbPerToken;
    for (const w of f.words) s += this.weights.get(w) ?? 0;
    if (this.bias && f.words.some((w) => this.bias!.words.some((b) => w.includes(b)))) s += this.bias.bonus;
    return s;
  }

  /** The same judge with a quirk: +bonus for any answer containing one of `words`. */
  withBias(words: string[], bonus: number): AIJudge {
    return new AIJudge(this.weights, this.belief, { words: words.map((w) => w.toLowerCase()), bonus });
  }

  /** The words the judge likes most and least (for a look inside). */
  topWords(n = 5): { liked: [string, number][]; disliked: [string, number][] } {
    const sorted = [...this.weights.entries()].sort((a, b) => b[1] - a[1]);
    return { liked: sorted.slice(0, n), disliked: sorted.slice(-n).reverse() };
  }
}

/** Fit an AIJudge to labelled pairs of features (chosen first). */
export function trainJudge(pairs: { chosen: JudgeFeatures; rejected: JudgeFeatures }[], options: { steps?: number; lr?: number; l2?: number } = {}): AIJudge {
  if (pairs.length === 0) throw new Error("trainJudge: no labelled pairs — give the judge at least a few human comparisons.");
  const steps = options.steps ?? 300;
  const lr = options.lr ?? 0.5;
  const l2 = options.l2 ?? 0.01;
  const weights = new Map<string, number>();
  for (const p of pairs) for (const w of [...p.chosen.words, ...p.rejected.words]) weights.set(w, 0);
  let belief = 0;
  const judge = () => new AIJudge(weights, belief);
  for (let step = 0; step < steps; step++) {
    const g = new Map<string, number>();
    let gBelief = 0;
    const j = judge();
    for (const p of pairs) {
      const d = j.score(p.chosen) - j.score(p.rejected);
      const coef = -1 / (1 + Math.exp(d)); // d(−log σ(d))/dd
      for (const w of p.chosen.words) g.set(w, (g.get(w) ?? 0) + coef);
      for (const w of p.rejected.words) g.set(w, (g.get(w) ?? 0) - coef);
      gBelief += coef * (p.chosen.logProbPerToken - p.rejected.logProbPerToken);
    }
    for (const [w, v] of weights) weights.set(w, v - lr * ((g.get(w) ?? 0) / pairs.length + l2 * v));
    belief -= lr * (gBelief / pairs.length + l2 * belief);
  }
  return judge();
}

/** Orient every pair as the judge prefers (its labels instead of people's); `agreement` is the share it orients as the given labels do. */
export function judgeLabels(judge: AIJudge, pairs: { chosen: JudgeFeatures; rejected: JudgeFeatures }[]): { swapped: boolean[]; agreement: number } {
  const swapped = pairs.map((p) => judge.score(p.chosen) < judge.score(p.rejected));
  return { swapped, agreement: swapped.filter((s) => !s).length / pairs.length };
}

/** The judge as RL's reward (d-RLAIF: no reward model in between), the belief from `model` (the frozen reference). */
export function judgeReward(judge: AIJudge, model: GPT): RewardFn {
  return (samples) => judgeFeatures(model, samples.map((s) => ({ prompt: s.prompt.ids, response: s.answer })), samples.map((s) => s.text)).map((f) => judge.score(f));
}

// ---------------------------------------------------------------- DPO

/**
 * DPO: mean −log σ(β·[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]) over pairs.
 * Also returns the implicit-reward margin (the bracket, mean over pairs, without β).
 * When the policy equals the reference the loss is ln 2 and the margin 0.
 */
export function dpoLoss(policyChosen: tf.Tensor, policyRejected: tf.Tensor, refChosen: tf.Tensor | ArrayLike<number>, refRejected: tf.Tensor | ArrayLike<number>, beta: number): { loss: tf.Scalar; margin: tf.Scalar } {
  if (!(beta > 0)) throw new Error(`dpoLoss: beta must be > 0 (0.1 is typical), got ${beta}.`);
  return tf.tidy(() => {
    const ref = (r: tf.Tensor | ArrayLike<number>) => (r instanceof tf.Tensor ? r : tf.tensor1d(Array.from(r)));
    const diff = tf.sub(tf.sub(policyChosen, ref(refChosen)), tf.sub(policyRejected, ref(refRejected))); // (B)
    return { loss: tf.mean(negLogSigmoid(tf.mul(diff, beta))) as tf.Scalar, margin: tf.mean(diff) as tf.Scalar };
  });
}

/** log π(answer | prompt) of each pair's chosen and rejected answers under `model` (B each). */
export function pairLogProbs(model: GPT, pairs: PreferencePair[], padId: number): { chosen: tf.Tensor1D; rejected: tf.Tensor1D } {
  return tf.tidy(() => {
    const batch = promptResponseBatch([...pairs.map((p) => ({ prompt: p.prompt, response: p.chosen })), ...pairs.map((p) => ({ prompt: p.prompt, response: p.rejected }))], { padId });
    const lp = model.sequenceLogProbs(batch.ids, batch.targets, { shape: [batch.batchSize, batch.length], attentionMask: batch.attentionMask });
    const [chosen, rejected] = tf.split(lp, 2) as tf.Tensor1D[];
    return { chosen, rejected };
  });
}

/** What one DPO step saw. */
export interface DPOStepLog {
  step: number;
  loss: number;
  /** Mean implicit-reward margin (log-ratio of chosen minus that of rejected), nats. */
  margin: number;
  /** Share of the batch's pairs with a positive margin. */
  accuracy: number;
}

export interface DPOTaskOptions {
  padId: number;
  beta?: number;
  batchSize?: number;
  /**
   * Reference log-probabilities of batches already seen, shared between runs on the same
   * pairs and the same frozen reference — e.g. a β sweep with one seed draws the same
   * batches, so the second run computes none. Speed only: the numbers are the same.
   */
  referenceCache?: Map<string, { chosen: Float32Array; rejected: Float32Array }>;
}

/** DPO on preference pairs: the policy moves, the (frozen) reference's log-probabilities are computed once per batch. `log` gets a DPOStepLog per step. */
export function dpoTask(policy: GPT, reference: GPT, pairs: PreferencePair[], options: DPOTaskOptions): TrainingTask<{ pairs: PreferencePair[]; refChosen: Float32Array; refRejected: Float32Array }> & { log: DPOStepLog[] } {
  checkPairs(pairs, "dpoTask");
  const beta = options.beta ?? 0.1;
  if (!(beta > 0)) throw new Error(`dpoTask: beta must be > 0 (0.1 is typical), got ${beta}.`);
  const batchSize = options.batchSize ?? 16;
  const log: DPOStepLog[] = [];
  const cache = options.referenceCache;
  return {
    log,
    params: policy.trainableParams(),
    nextBatch: (random) => {
      const b = drawPairs(pairs, batchSize, random);
      const key = cache ? b.map((p) => `${p.prompt.join(",")}|${p.chosen.join(",")}|${p.rejected.join(",")}`).join(";") : "";
      const known = cache?.get(key);
      if (known) return { pairs: b, refChosen: known.chosen, refRejected: known.rejected };
      const ref = pairLogProbs(reference, b, options.padId);
      const out = { pairs: b, refChosen: ref.chosen.dataSync() as Float32Array, refRejected: ref.rejected.dataSync() as Float32Array };
      tf.dispose([ref.chosen, ref.rejected]);
      cache?.set(key, { chosen: out.refChosen, rejected: out.refRejected });
      return out;
    },
    loss: (b) =>
      tf.tidy(() => {
        const lp = pairLogProbs(policy, b.pairs, options.padId);
        const { loss, margin } = dpoLoss(lp.chosen, lp.rejected, b.refChosen, b.refRejected, beta);
        const c = lp.chosen.dataSync();
        const r = lp.rejected.dataSync();
        let positive = 0;
        for (let i = 0; i < c.length; i++) positive += c[i] - b.refChosen[i] - (r[i] - b.refRejected[i]) > 0 ? 1 : 0;
        log.push({ step: log.length + 1, loss: loss.dataSync()[0], margin: margin.dataSync()[0], accuracy: positive / c.length });
        return loss;
      }),
  };
}
