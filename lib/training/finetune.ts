/**
 * Stage 2, supervised fine-tuning (chapter 07): the base model learns to answer questions
 * and summarise stories from prompt → response pairs, trained by the one loop (loop.ts)
 * through instructionTask (tasks.ts), the loss on the response and its end token only.
 *
 *   SFT_TOKENS, formatPrompt           the template: "Q: <question>\nA:" + " <answer>" + END
 *   instructionExamples(tok, records)  records → token ids (stories cropped to fit the context)
 *   finetune(model, examples, …)       one variant: full, loss on every token, LoRA, last block only,
 *                                      or the end token masked out (the bug that makes a model ramble)
 *   FINETUNE_RECIPE / trainFineTunedModel   the course's fine-tuned model (`npm run finetune`; chapter 08 loads it)
 *   scoreQuestions(model, tok, records)      exact match, stop after the answer, log p(answer), by teacher forcing (fast)
 *   answerQuestion(model, tok, question)     greedy generation up to the end token (what a user sees)
 *   mentionBucket(m)                          never / once / 2–9 / ≥10 mentions in pre-training
 */
import * as tf from "@tensorflow/tfjs";
import { loadBaseModel, loadCorpus, loadInstructions } from "../datasets";
import type { InstructionRecord } from "../tools/datagen/instructions";
import { generate } from "../generation/loop";
import { GPT } from "../model/gpt";
import { sequenceLogProbsFromLogits } from "../model/layers";
import { LoRA, addLoRA } from "../model/lora";
import type { BPETokenizer } from "../tokenizer/bpe";
import { PromptResponse, PromptResponseBatch, promptResponseBatch } from "./batches";
import { StepInfo, TrainResult, TrainingTask, train } from "./loop";
import { estimateLoss, instructionTask } from "./tasks";
import { rowsAllCorrect } from "./translation";

/**
 * The two token ids fine-tuning adds meaning to. The base tokenizer was trained without
 * special tokens, so we borrow two bytes that never occur in the corpus: 0x04 (ASCII
 * "end of transmission") ends every response, 0x00 fills the padding. Padding gets no loss
 * and no attention; the end token is a target like any other — a model that never sees it
 * as a target never learns to stop.
 */
export const SFT_TOKENS = { end: 4, pad: 0 } as const;

/** The prompt template: question (or instruction + story) after "Q: ", the answer after "\nA:". */
export const PROMPT_TEMPLATE = { question: "Q: ", answer: "\nA:" } as const;

/** "Q: <text>\nA:" — what the model reads before it answers. */
export function formatPrompt(text: string): string {
  return `${PROMPT_TEMPLATE.question}${text}${PROMPT_TEMPLATE.answer}`;
}

/** The tokenizer calls fine-tuning needs (the base model's BPETokenizer has them). */
export type TextTokenizer = Pick<BPETokenizer, "encode" | "decode">;

/** One record as ids: prompt = encode(formatPrompt(prompt)), response = encode(" " + response) + [END]. */
export function encodeExample(tokenizer: TextTokenizer, prompt: string, response: string): PromptResponse {
  return { prompt: tokenizer.encode(formatPrompt(prompt)), response: [...tokenizer.encode(` ${response}`), SFT_TOKENS.end] };
}

/** Records as token ids, and what had to be cut so they fit the model's context. */
export interface InstructionExamples {
  examples: PromptResponse[];
  /** The records used, in the same order (a cropped story has its shorter prompt here). */
  records: InstructionRecord[];
  /** Stories whose last sentences were dropped to fit. */
  cropped: number;
  /** Records left out because even one sentence of the story would not fit. */
  dropped: number;
}

/**
 * Turn records into prompt/response ids that fit `contextLength` input tokens (the model
 * reads prompt + response without its last token). Questions always fit; a story that is
 * too long keeps its first sentences (the summary may then mention something the model
 * never read — one source of wrong summaries).
 */
export function instructionExamples(tokenizer: TextTokenizer, records: InstructionRecord[], options: { contextLength: number }): InstructionExamples {
  const out: InstructionExamples = { examples: [], records: [], cropped: 0, dropped: 0 };
  const fits = (e: PromptResponse) => e.prompt.length + e.response.length - 1 <= options.contextLength;
  for (const r of records) {
    let e = encodeExample(tokenizer, r.prompt, r.response);
    let rec = r;
    if (!fits(e)) {
      if (r.task !== "summarize") throw new Error(`instructionExamples: ${r.id} needs ${e.prompt.length + e.response.length - 1} tokens but the context is ${options.contextLength}. Use a model with a longer context.`);
      const [instruction, ...story] = r.prompt.split("\n");
      const sentences = story.join("\n").match(/[^.!?。]+[.!?。]+["”']?\s*/g) ?? [story.join("\n")];
      let keep = sentences.length - 1;
      for (; keep >= 1; keep--) {
        rec = { ...r, prompt: `${instruction}\n${sentences.slice(0, keep).join("").trim()}` };
        e = encodeExample(tokenizer, rec.prompt, r.response);
        if (fits(e)) break;
      }
      if (keep < 1) {
        out.dropped++;
        continue;
      }
      out.cropped++;
    }
    out.examples.push(e);
    out.records.push(rec);
  }
  return out;
}

/** How much of the model fine-tuning changes, and which tokens carry the loss. */
export type FinetuneVariant = "full" | "all-tokens" | "lora" | "last-block" | "no-end";

export const FINETUNE_VARIANTS: Record<FinetuneVariant, string> = {
  full: "full fine-tuning, loss on the response (and its end token)",
  "all-tokens": "full fine-tuning, loss on every token (prompt too)",
  lora: "LoRA adapters on attention and feed-forward, base frozen",
  "last-block": "only the last block trains",
  "no-end": "full, but the end token masked out of the loss (the bug)",
};

export interface FinetuneKnobs {
  steps: number;
  batchSize: number;
  lr: number;
  /** Seed of the batch sampler. */
  seed: number;
  warmupSteps?: number;
  /** LoRA rank and α (variant "lora"). */
  loraRank?: number;
  loraAlpha?: number;
  /** LoRA's learning rate (default: lr). Adapters start at 0 and usually want a larger one. */
  loraLr?: number;
  /** Seed of LoRA's A matrices. */
  loraSeed?: number;
}

export interface FinetuneRun {
  variant: FinetuneVariant;
  result: TrainResult;
  /** Numbers the optimiser updated (LoRA: the adapters' A and B). */
  trainableParams: number;
  /** Every number of the model (the base, without adapters). */
  totalParams: number;
  /** LoRA only: its rank and α (the adapters are merged into the model when training ends). */
  lora?: { rank: number; alpha: number; matrices: number };
}

/** Targets equal to `id` get no loss — what "ignore every pad token" does when pad and end are the same token. */
export function withoutTargets(task: TrainingTask<PromptResponseBatch>, id: number): TrainingTask<PromptResponseBatch> {
  return {
    ...task,
    nextBatch: (random) => {
      const b = task.nextBatch(random);
      return { ...b, targets: b.targets.map((t) => (t === id ? -1 : t)) };
    },
  };
}

/**
 * Fine-tune `model` in place with one variant (see FINETUNE_VARIANTS) through the one
 * training loop. LoRA adapters are merged into the weights at the end, so the result is a
 * plain GPT in every case. Frozen weights are unfrozen again afterwards.
 */
export async function finetune(
  model: GPT,
  examples: PromptResponse[],
  options: {
    variant?: FinetuneVariant;
    knobs: FinetuneKnobs;
    val?: PromptResponse[];
    evalEvery?: number;
    /** Run only the first N steps of the schedule (to replay the start of a recorded run). */
    stopAfter?: number;
    onStep?: (info: StepInfo) => void | Promise<void>;
  },
): Promise<FinetuneRun> {
  const variant = options.variant ?? "full";
  if (!(variant in FINETUNE_VARIANTS)) throw new Error(`finetune: unknown variant "${variant}" (use one of ${Object.keys(FINETUNE_VARIANTS).join(", ")}).`);
  const k = options.knobs;
  let lora: LoRA | null = null;
  let frozen: string[] = [];
  if (variant === "lora") lora = addLoRA(model, { rank: k.loraRank ?? 8, alpha: k.loraAlpha, seed: k.loraSeed ?? 1 });
  if (variant === "last-block") {
    const last = `h.${model.config.nLayers - 1}.`;
    frozen = model.freeze((n) => !n.startsWith(last));
  }
  try {
    let task = instructionTask(model, examples, { padId: SFT_TOKENS.pad, batchSize: k.batchSize, maskPrompt: variant !== "all-tokens", val: options.val });
    if (variant === "no-end") task = withoutTargets(task, SFT_TOKENS.end);
    const trainableParams = task.params.reduce((n, v) => n + v.size, 0);
    const lr = variant === "lora" ? k.loraLr ?? k.lr : k.lr;
    const result = await train(task, { steps: k.steps, lr, seed: k.seed, warmupSteps: k.warmupSteps, evalEvery: options.evalEvery, stopAfter: options.stopAfter, onStep: options.onStep });
    const run: FinetuneRun = { variant, result, trainableParams, totalParams: model.numParams() };
    if (lora) run.lora = { rank: lora.rank, alpha: lora.alpha, matrices: lora.pairs.size };
    return run;
  } finally {
    if (lora) {
      lora.merge();
      lora.remove();
    }
    model.unfreeze(frozen);
  }
}

/** How often pre-training stated a fact, in the four buckets chapter 07 reports. */
export type MentionBucket = "never" | "once" | "2–9" | "≥10";
export const MENTION_BUCKETS: readonly MentionBucket[] = ["never", "once", "2–9", "≥10"];

export function mentionBucket(mentions: number): MentionBucket {
  if (!(Number.isInteger(mentions) && mentions >= 0)) throw new Error(`mentionBucket: mentions must be a whole number ≥ 0, got ${mentions}.`);
  return mentions === 0 ? "never" : mentions === 1 ? "once" : mentions < 10 ? "2–9" : "≥10";
}

/** Per question: would greedy decoding write the reference answer and then the end token? */
export interface QuestionScore {
  record: InstructionRecord;
  /** Every answer token and the end token are the model's top choice (= greedy decoding writes exactly the reference). */
  correct: boolean;
  /** The end token is the top choice right after the reference answer. */
  stopsAfterAnswer: boolean;
  /** log p(reference answer + end token | prompt), summed over its tokens. */
  logProb: number;
  /** Tokens in the reference answer, its end token included. */
  tokens: number;
}

/** Mean loss per answer token (nats) over scored questions: −Σ log p / Σ tokens — the held-out answer loss. */
export function answerLoss(scores: QuestionScore[]): number {
  return -scores.reduce((s, q) => s + q.logProb, 0) / scores.reduce((s, q) => s + q.tokens, 0);
}

/**
 * Exact match by teacher forcing, in batches: greedy decoding writes the reference answer
 * (and stops) exactly when the model's top token is the reference token at every response
 * position, given the reference before it — one forward pass per batch instead of a
 * generation loop per question (chapter 04 does the same for translations).
 */
export function scoreQuestions(model: GPT, tokenizer: TextTokenizer, records: InstructionRecord[], batchSize = 32): QuestionScore[] {
  const out: QuestionScore[] = [];
  for (let i = 0; i < records.length; i += batchSize) {
    const chunk = records.slice(i, i + batchSize);
    const examples = chunk.map((r) => encodeExample(tokenizer, r.prompt, r.response));
    const b = promptResponseBatch(examples, { padId: SFT_TOKENS.pad });
    const shape: [number, number] = [b.batchSize, b.length];
    const { logits } = model.forward(b.ids, { shape, attentionMask: b.attentionMask });
    const all = rowsAllCorrect(logits, b.targets, b.batchSize);
    const endOnly = b.targets.map((t) => (t === SFT_TOKENS.end ? t : -1));
    const stops = rowsAllCorrect(logits, endOnly, b.batchSize);
    const lp = tf.tidy(() => sequenceLogProbsFromLogits(logits.reshape([b.targets.length, -1]), b.targets, b.batchSize));
    const logProbs = lp.dataSync();
    lp.dispose();
    logits.dispose();
    chunk.forEach((record, j) => out.push({ record, correct: all[j], stopsAfterAnswer: stops[j], logProb: logProbs[j], tokens: examples[j].response.length }));
  }
  return out;
}

/** A generated answer. */
export interface Answer {
  /** The text before the end token (or everything, if it never came). */
  text: string;
  /** Did the model write the end token within maxNewTokens? */
  stopped: boolean;
  tokens: number[];
}

/** Greedy answer to one prompt (formatted with the template), up to the end token or maxNewTokens (default 40). */
export function answerQuestion(model: GPT, tokenizer: TextTokenizer, prompt: string, options: { maxNewTokens?: number } = {}): Answer {
  const out = generate(model, tokenizer.encode(formatPrompt(prompt)), { maxNewTokens: options.maxNewTokens ?? 40, greedy: true, stopTokens: [SFT_TOKENS.end] });
  const stopped = out.newTokens[out.newTokens.length - 1] === SFT_TOKENS.end;
  const tokens = stopped ? out.newTokens.slice(0, -1) : out.newTokens;
  return { text: tokenizer.decode(tokens).trim(), stopped, tokens };
}

/**
 * The course's fine-tuned model (`npm run finetune` → datasets/models/sft.safetensors; chapter
 * 08 starts from it): full fine-tuning of the committed base model on every training pair
 * (questions and cropped stories), the loss on the response and its end token.
 */
export const FINETUNE_RECIPE = {
  base: "base.safetensors",
  variant: "full" as FinetuneVariant,
  tasks: ["qa", "summarize"] as InstructionRecord["task"][],
  knobs: { steps: 600, batchSize: 16, lr: 3e-4, seed: 7 } as FinetuneKnobs,
  /** Batches of the pre-training validation text for the forgetting figure. */
  forgettingBatches: 8,
  /** Losses of this many first steps are recorded for the replay test. */
  recordSteps: 5,
};

export interface FineTunedRun {
  model: GPT;
  tokenizer: BPETokenizer;
  run: FinetuneRun;
  /** Pre-training validation loss of the base model and of the fine-tuned one. */
  baseValLoss: number;
  valLoss: number;
}

/** Run FINETUNE_RECIPE from the base model in `dir` (optionally only its first `stopAfter` steps). The caller disposes `model`. */
export async function trainFineTunedModel(options: { dir?: string; stopAfter?: number; onStep?: (info: StepInfo) => void | Promise<void> } = {}): Promise<FineTunedRun> {
  const { model, tokenizer } = loadBaseModel(options.dir);
  try {
    const records = loadInstructions("train").filter((r) => FINETUNE_RECIPE.tasks.includes(r.task));
    const { examples } = instructionExamples(tokenizer, records, { contextLength: model.config.contextLength });
    const valIds = tokenizer.encode(loadCorpus("val"));
    const forgetting = () => (options.stopAfter ? NaN : estimateLoss(model, valIds, { batches: FINETUNE_RECIPE.forgettingBatches }));
    const baseValLoss = forgetting();
    const run = await finetune(model, examples, { variant: FINETUNE_RECIPE.variant, knobs: FINETUNE_RECIPE.knobs, stopAfter: options.stopAfter, onStep: options.onStep });
    return { model, tokenizer, run, baseValLoss, valLoss: forgetting() };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
