/**
 * The whole course in one function, small: a BPE tokenizer trained on the corpus →
 * pre-training by next-token prediction → supervised fine-tuning (questions and the three
 * answer styles) → DPO on ranked preferences → a hallucination probe. About three minutes
 * on a 2-core laptop with the default knobs; chapter 10's capstone cell runs it and prints
 * the scorecard. Every stage calls the same lib functions the chapters use.
 */
import { loadCorpus, loadCorpusDocuments, loadFacts, loadInstructions, loadPreferences } from "../datasets";
import { generate } from "../generation/loop";
import { GPT } from "../model/gpt";
import { BPETokenizer } from "../tokenizer/bpe";
import { GPT4_SPLIT_PATTERN } from "../tokenizer/patterns";
import { Rng } from "../random";
import { EXPOSURE_BUCKETS, ExposureBucket, ProbeResult, expectedCalibrationError, exposureBucket, factProbes, probeFacts } from "./hallucination";
import { StepInfo, train } from "./loop";
import { HUMAN_RULE, LabelRule, preferencePairs, styleDemonstrations, textPairs } from "./preferences";
import { BASE_RECIPE, runPretrainRecipe } from "./recipes";
import { PolicyEvaluation, dpoTask, evaluatePolicy, referenceModel, rlPrompts } from "./rlhf";
import { FINETUNE_RECIPE, SFT_TOKENS, finetune, scoreQuestions } from "./finetune";
import { estimateLoss } from "./tasks";

/** Every knob of the capstone, in pipeline order. */
export interface CapstoneKnobs {
  /** BPE vocabulary: 256 byte tokens + merges (the course's base model uses 1,024). */
  vocabSize: number;
  contextLength: number;
  dModel: number;
  nHeads: number;
  nLayers: number;
  pretrainSteps: number;
  pretrainLr: number;
  batchSize: number;
  finetuneSteps: number;
  finetuneLr: number;
  dpoSteps: number;
  dpoBeta: number;
  dpoLr: number;
  /** The labelling rule that ranks the preference data's answers (chapter 08's knob). */
  labelRule: LabelRule;
  /** Held-out preference prompts sampled before and after DPO (two answers each). */
  evalPrompts: number;
  seed: number;
}

export const CAPSTONE_KNOBS: CapstoneKnobs = {
  vocabSize: 1024,
  contextLength: 80,
  dModel: 64,
  nHeads: 4,
  nLayers: 2,
  pretrainSteps: 300,
  pretrainLr: 3e-3,
  batchSize: 16,
  finetuneSteps: 150,
  finetuneLr: 2e-3,
  dpoSteps: 40,
  dpoBeta: 0.1,
  dpoLr: 3e-4,
  labelRule: HUMAN_RULE,
  evalPrompts: 40,
  seed: 1,
};

export type CapstoneStage = "tokenizer" | "pre-training" | "fine-tuning" | "DPO" | "probe";
export const CAPSTONE_STAGES: readonly CapstoneStage[] = ["tokenizer", "pre-training", "fine-tuning", "DPO", "probe"];

export interface CapstoneScorecard {
  knobs: Omit<CapstoneKnobs, "labelRule">;
  tokenizer: { vocabSize: number; trainTokens: number; charsPerToken: number; seconds: number };
  model: { params: number };
  pretraining: { initialLoss: number; valLoss: number; tokensSeen: number; seconds: number };
  fineTuning: { examples: number; exactMatch: number; exactByExposure: Record<ExposureBucket, number | null>; stopRate: number; seconds: number };
  dpo: { pairs: number; before: { polite: number; correct: number; stopped: number; gold: number }; after: { polite: number; correct: number; stopped: number; gold: number }; seconds: number };
  probe: { facts: number; accuracyByExposure: Record<ExposureBucket, number | null>; countByExposure: Record<ExposureBucket, number>; neverSeenWrong: number; meanConfidence: number; ece: number; seconds: number };
  seconds: number;
}

export interface CapstoneRun {
  scorecard: CapstoneScorecard;
  tokenizer: BPETokenizer;
  /** The finished model (the caller disposes it). */
  model: GPT;
}

export interface CapstoneOptions {
  /** Called when a stage starts. */
  onStage?: (stage: CapstoneStage) => void;
  /** Called after every training step of a stage. */
  onStep?: (stage: CapstoneStage, info: StepInfo) => void | Promise<void>;
}

function validate(k: CapstoneKnobs): void {
  const int = (name: keyof CapstoneKnobs, min: number) => {
    const v = k[name] as number;
    if (!Number.isInteger(v) || v < min) throw new Error(`runCapstone: ${name} must be a whole number ≥ ${min}, got ${v}.`);
  };
  int("vocabSize", 257);
  int("contextLength", 48);
  int("dModel", 8);
  int("nHeads", 1);
  int("nLayers", 1);
  int("pretrainSteps", 1);
  int("batchSize", 1);
  int("finetuneSteps", 0);
  int("dpoSteps", 0);
  int("evalPrompts", 1);
  if (k.dModel % k.nHeads !== 0) throw new Error(`runCapstone: dModel (${k.dModel}) must be a multiple of nHeads (${k.nHeads}).`);
  for (const name of ["pretrainLr", "finetuneLr", "dpoLr", "dpoBeta"] as const) {
    if (!(k[name] > 0)) throw new Error(`runCapstone: ${name} must be > 0, got ${k[name]}.`);
  }
}

/** Mean of `values` per exposure bucket (null for an empty bucket). */
function byExposure(items: { mentions: number; value: number }[]): Record<ExposureBucket, number | null> {
  const out = {} as Record<ExposureBucket, number | null>;
  for (const b of EXPOSURE_BUCKETS) {
    const x = items.filter((i) => exposureBucket(i.mentions) === b);
    out[b] = x.length ? x.reduce((s, i) => s + i.value, 0) / x.length : null;
  }
  return out;
}

const secondsSince = (t: number) => (Date.now() - t) / 1000;

/** Run the whole pipeline with `knobs` (missing ones from CAPSTONE_KNOBS); same knobs → same scorecard on one backend. */
export async function runCapstone(knobs: Partial<CapstoneKnobs> = {}, options: CapstoneOptions = {}): Promise<CapstoneRun> {
  const k: CapstoneKnobs = { ...CAPSTONE_KNOBS, ...knobs };
  validate(k);
  const t0 = Date.now();
  const stage = (s: CapstoneStage) => options.onStage?.(s);
  const step = (s: CapstoneStage) => (info: StepInfo) => options.onStep?.(s, info);

  // 1. Tokenizer: byte-level BPE on the training text (chapter 01).
  stage("tokenizer");
  let t = Date.now();
  const trainText = loadCorpus("train");
  const tokenizer = new BPETokenizer({ pattern: GPT4_SPLIT_PATTERN }).train(trainText, k.vocabSize);
  const trainIds = tokenizer.encode(trainText);
  const valIds = tokenizer.encode(loadCorpus("val"));
  const tokenizerCard = { vocabSize: tokenizer.vocabSize, trainTokens: trainIds.length, charsPerToken: trainText.length / trainIds.length, seconds: secondsSince(t) };

  // 2. Pre-training: next-token prediction (chapters 03, 05, 06).
  stage("pre-training");
  t = Date.now();
  let initialLoss = NaN;
  const base = await runPretrainRecipe(
    {
      tokenizer: { vocabSize: k.vocabSize, pattern: "gpt4" },
      model: { contextLength: k.contextLength, dModel: k.dModel, nHeads: k.nHeads, nLayers: k.nLayers },
      modelSeed: k.seed,
      knobs: { steps: k.pretrainSteps, batchSize: k.batchSize, lr: k.pretrainLr, seed: k.seed + 1, evalBatches: 4 },
    },
    { data: { tokenizer, trainIds, valIds }, onModel: (m) => (initialLoss = estimateLoss(m, valIds, { batches: 4, batchSize: k.batchSize, length: k.contextLength })), onStep: step("pre-training") },
  );
  const model = base.model;
  try {
    const pretraining = {
      initialLoss,
      valLoss: estimateLoss(model, valIds, { batches: 8, batchSize: k.batchSize, length: k.contextLength }),
      tokensSeen: k.pretrainSteps * k.batchSize * k.contextLength,
      seconds: secondsSince(t),
    };

    // 3. Fine-tuning: questions → answers, the three answer styles, prompt masked (chapter 07).
    stage("fine-tuning");
    t = Date.now();
    // The demonstrations: the preference data's correct answers in all three styles (chapter 08's
    // π_SFT recipe) — RL and DPO can only move a policy towards styles it sometimes writes.
    const prefTrain = loadPreferences("train");
    const examples = styleDemonstrations(tokenizer, prefTrain).filter((e) => e.prompt.length + e.response.length - 1 <= k.contextLength);
    if (k.finetuneSteps > 0) await finetune(model, examples, { knobs: { steps: k.finetuneSteps, batchSize: k.batchSize, lr: k.finetuneLr, seed: k.seed + 2 }, onStep: step("fine-tuning") });
    const testQA = loadInstructions("test").filter((r) => r.task === "qa");
    const scores = scoreQuestions(model, tokenizer, testQA);
    const fineTuning = {
      examples: examples.length,
      exactMatch: scores.filter((s) => s.correct).length / scores.length,
      exactByExposure: byExposure(scores.map((s) => ({ mentions: s.record.mentions ?? 0, value: s.correct ? 1 : 0 }))),
      stopRate: scores.filter((s) => s.stopsAfterAnswer).length / scores.length,
      seconds: secondsSince(t),
    };

    // 4. DPO: ranked answers → preference pairs → a policy that prefers the chosen ones (chapter 08).
    stage("DPO");
    t = Date.now();
    const facts = loadFacts();
    const prompts = rlPrompts(tokenizer, new Rng(k.seed).shuffle(loadPreferences("test")).slice(0, k.evalPrompts), facts);
    const reference = referenceModel(model);
    const pairs = preferencePairs(tokenizer, textPairs(prefTrain, k.labelRule)).filter((p) => p.prompt.length + Math.max(p.chosen.length, p.rejected.length) - 1 <= k.contextLength);
    let dpo: CapstoneScorecard["dpo"];
    try {
      // Answers are up to ~30 tokens; the longest prompt decides how many fit the context.
      const maxNewTokens = Math.min(48, k.contextLength - Math.max(...prompts.map((p) => p.ids.length)) + 1);
      if (maxNewTokens < 12) throw new Error(`runCapstone: a context of ${k.contextLength} leaves only ${maxNewTokens} tokens for an answer after the longest question; use contextLength ≥ ${k.contextLength - maxNewTokens + 24} or a larger vocabSize (shorter prompts).`);
      const judge = () => {
        const e = evaluatePolicy(model, reference, tokenizer, prompts, { samplesPerPrompt: 2, maxNewTokens, temperature: 0.7, seed: k.seed, rule: k.labelRule });
        return { polite: e.polite, correct: e.correct, stopped: e.stopped, gold: e.gold };
      };
      const before = judge();
      if (k.dpoSteps > 0) {
        const task = dpoTask(model, reference, pairs, { padId: SFT_TOKENS.pad, beta: k.dpoBeta, batchSize: k.batchSize });
        await train(task, { steps: k.dpoSteps, lr: k.dpoLr, seed: k.seed + 3, warmupSteps: 0, schedule: "constant", onStep: step("DPO") });
      }
      dpo = { pairs: pairs.length, before, after: judge(), seconds: secondsSince(t) };
    } finally {
      reference.dispose();
    }

    // 5. Hallucination probe: the finished model asked about held-out facts (chapter 09).
    stage("probe");
    t = Date.now();
    const heldOut = facts.filter((f) => f.qaSplit === "test");
    const results = probeFacts(model, factProbes(tokenizer, heldOut, { mode: "question", contextLength: k.contextLength }));
    const never = results.filter((r) => r.probe.fact.mentions === 0);
    const probe = {
      facts: results.length,
      accuracyByExposure: byExposure(results.map((r) => ({ mentions: r.probe.fact.mentions, value: r.correct ? 1 : 0 }))),
      countByExposure: Object.fromEntries(EXPOSURE_BUCKETS.map((b) => [b, results.filter((r) => exposureBucket(r.probe.fact.mentions) === b).length])) as Record<ExposureBucket, number>,
      neverSeenWrong: never.length ? never.filter((r) => !r.correct).length / never.length : NaN,
      meanConfidence: results.reduce((s, r) => s + r.confidence, 0) / results.length,
      ece: expectedCalibrationError(
        results.map((r) => r.confidence),
        results.map((r) => r.correct),
      ),
      seconds: secondsSince(t),
    };

    const { labelRule: _rule, ...plainKnobs } = k;
    void _rule;
    return {
      scorecard: { knobs: plainKnobs, tokenizer: tokenizerCard, model: { params: model.numParams() }, pretraining, fineTuning, dpo, probe, seconds: secondsSince(t0) },
      tokenizer,
      model,
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

// ---------------------------------------------------------------- the one-page map's numbers

/** What the one-page map needs (lib/notebook's courseMap draws it); every number is measured. */
export interface PipelineNumbers {
  source: string;
  vocabSize: number;
  charsPerToken: { en: number; ko: number };
  params: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  contextLength: number;
  pretraining: { tokensSeen: number; valLoss: number };
  fineTuning: { examples: number; exactOften: number; exactNever: number };
  alignment: { method: string; politeBefore: number; politeAfter: number; correctBefore: number; correctAfter: number };
  hallucination: { neverSeenWrong: number; confidence: number; ece: number };
  generation: { tokensPerSecond: number };
}

/** Characters per token of the validation documents in each language. */
export function charsPerToken(tokenizer: { encode(text: string): number[] }): { en: number; ko: number } {
  const docs = loadCorpusDocuments("val");
  const per = (lang: "en" | "ko") => {
    const texts = docs.filter((d) => d.lang === lang).map((d) => d.text);
    const chars = texts.reduce((s, t) => s + [...t].length, 0);
    const tokens = texts.reduce((s, t) => s + tokenizer.encode(t).length, 0);
    return tokens ? chars / tokens : NaN;
  };
  return { en: per("en"), ko: per("ko") };
}

/** Tokens per second of plain sampling (KV cache) from `model`: `tokens` new tokens after a short prompt, best of 2. */
export function generationSpeed(model: GPT, prompt: number[], tokens = 48): number {
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    generate(model, prompt, { maxNewTokens: tokens, temperature: 0.8, seed: 1 + i });
    best = Math.min(best, performance.now() - t);
  }
  return (1000 * tokens) / best;
}

/** The map's numbers from a capstone scorecard (and its model, for the generation speed). */
export function pipelineNumbers(run: CapstoneRun, source = "your capstone run"): PipelineNumbers {
  const c = run.scorecard;
  const k = c.knobs;
  return {
    source,
    vocabSize: c.tokenizer.vocabSize,
    charsPerToken: charsPerToken(run.tokenizer),
    params: c.model.params,
    dModel: k.dModel,
    nLayers: k.nLayers,
    nHeads: k.nHeads,
    contextLength: k.contextLength,
    pretraining: { tokensSeen: c.pretraining.tokensSeen, valLoss: c.pretraining.valLoss },
    fineTuning: { examples: c.fineTuning.examples, exactOften: c.fineTuning.exactByExposure["≥10"] ?? NaN, exactNever: c.fineTuning.exactByExposure["0"] ?? NaN },
    alignment: { method: "DPO", politeBefore: c.dpo.before.polite, politeAfter: c.dpo.after.polite, correctBefore: c.dpo.before.correct, correctAfter: c.dpo.after.correct },
    hallucination: { neverSeenWrong: c.probe.neverSeenWrong, confidence: c.probe.meanConfidence, ece: c.probe.ece },
    generation: { tokensPerSecond: generationSpeed(run.model, run.tokenizer.encode("은행 앞에 가서")) },
  };
}

/** The committed models the one-page map describes (chapter 10 and `npm run map` load them). */
export interface CourseModels {
  tokenizer: BPETokenizer;
  base: GPT;
  sft: GPT;
  piSFT: GPT;
  piDPO: GPT;
}

export interface CourseMeasureOptions {
  /** Validation batches for the base model's loss (default 8). */
  valBatches?: number;
  /** Held-out preference questions for the alignment comparison (default 40). */
  alignPrompts?: number;
  /** The alignment comparison, if already measured (chapter 10 measures it in section 1). */
  alignment?: { before: PolicyEvaluation; after: PolicyEvaluation };
}

/** Every number of the one-page map, measured on the committed models; also the probe results behind them. */
export function measureCourse(m: CourseModels, options: CourseMeasureOptions = {}): { numbers: PipelineNumbers; sftProbes: ProbeResult[]; alignment: { before: PolicyEvaluation; after: PolicyEvaluation } } {
  const tok = m.tokenizer;
  const cfg = m.base.config;
  const valLoss = estimateLoss(m.base, tok.encode(loadCorpus("val")), { batches: options.valBatches ?? 8 });
  const scores = scoreQuestions(m.sft, tok, loadInstructions("test").filter((r) => r.task === "qa"));
  const exactWhere = (f: (n: number) => boolean) => {
    const x = scores.filter((s) => f(s.record.mentions ?? 0));
    return x.length ? x.filter((s) => s.correct).length / x.length : NaN;
  };
  const facts = loadFacts();
  const sftProbes = probeFacts(m.sft, factProbes(tok, facts.filter((f) => f.qaSplit === "test"), { mode: "question" }));
  const never = sftProbes.filter((r) => r.probe.fact.mentions === 0);
  let alignment = options.alignment;
  if (!alignment) {
    const prompts = rlPrompts(tok, loadPreferences("test").slice(0, options.alignPrompts ?? 40), facts);
    const reference = referenceModel(m.piSFT);
    try {
      const judge = (p: GPT) => evaluatePolicy(p, reference, tok, prompts, { samplesPerPrompt: 1, temperature: 0.7, maxNewTokens: 40, seed: 1 });
      alignment = { before: judge(m.piSFT), after: judge(m.piDPO) };
    } finally {
      reference.dispose();
    }
  }
  const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const numbers: PipelineNumbers = {
    source: "the course's committed models (chapters 05–09)",
    vocabSize: tok.vocabSize,
    charsPerToken: charsPerToken(tok),
    params: m.base.numParams(),
    dModel: cfg.dModel,
    nLayers: cfg.nLayers,
    nHeads: cfg.nHeads,
    contextLength: cfg.contextLength,
    pretraining: { tokensSeen: BASE_RECIPE.knobs.steps * BASE_RECIPE.knobs.batchSize * cfg.contextLength, valLoss },
    fineTuning: { examples: loadInstructions("train").filter((r) => FINETUNE_RECIPE.tasks.includes(r.task)).length, exactOften: exactWhere((n) => n >= 10), exactNever: exactWhere((n) => n === 0) },
    alignment: { method: "DPO", politeBefore: alignment.before.polite, politeAfter: alignment.after.polite, correctBefore: alignment.before.correct, correctAfter: alignment.after.correct },
    hallucination: {
      neverSeenWrong: meanOf(never.map((r) => (r.correct ? 0 : 1))),
      confidence: meanOf(never.map((r) => r.confidence)),
      ece: expectedCalibrationError(
        sftProbes.map((r) => r.confidence),
        sftProbes.map((r) => r.correct),
      ),
    },
    generation: { tokensPerSecond: generationSpeed(m.base, tok.encode("은행 앞에 가서")) },
  };
  return { numbers, sftProbes, alignment };
}
