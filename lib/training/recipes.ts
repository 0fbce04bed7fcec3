/**
 * Recipes: whole experiments that a notebook and a benchmark both run, so a figure in a
 * chapter and the same figure in `npm run bench` cannot drift apart.
 *
 *   pretrain(model, data, knobs)   next-token pre-training with a knobs object (chapters 02, 06; bench corpus)
 *   CORPUS_CHAR_RECIPE             a character GPT on the course corpus (`npm run bench -- corpus`)
 *   BASE_RECIPE / trainBaseModel   the course's base model (`npm run pretrain`; chapters 05–09 load its checkpoint)
 *   DRAFT_RECIPE / trainDraftModel a small draft model for speculative decoding (chapter 05; bench generate)
 */
import { loadCorpus } from "../datasets";
import { GPT } from "../model/gpt";
import { GPTConfig } from "../model/config";
import { CharTokenizer } from "../tokenizer/char";
import { BPETokenizer } from "../tokenizer/bpe";
import { GPT4_SPLIT_PATTERN } from "../tokenizer/patterns";
import { StepInfo, TrainResult, train } from "./loop";
import { estimateLoss, nextTokenTask } from "./tasks";

/** The knobs of a pre-training run. */
export interface PretrainKnobs {
  steps: number;
  batchSize: number;
  lr: number;
  /** Seed of the batch sampler. */
  seed: number;
  /** Tokens per window (default: the model's context). */
  length?: number;
  /** Batches per validation estimate (default 8). */
  evalBatches?: number;
  warmupSteps?: number;
}

/** Pre-train `model` on token ids by next-token prediction (the shared loop, nextTokenTask). */
export function pretrain(model: GPT, data: { train: ArrayLike<number>; val?: ArrayLike<number> }, knobs: PretrainKnobs, onStep?: (info: StepInfo) => void | Promise<void>): Promise<TrainResult> {
  const task = nextTokenTask(model, data, { batchSize: knobs.batchSize, length: knobs.length, evalBatches: knobs.evalBatches });
  return train(task, { steps: knobs.steps, lr: knobs.lr, seed: knobs.seed, warmupSteps: knobs.warmupSteps, onStep });
}

/** A character-level GPT on the course corpus: does the corpus teach a small model something in minutes? */
export const CORPUS_CHAR_RECIPE = {
  model: { contextLength: 64, dModel: 128, nHeads: 4, nLayers: 2 } as Partial<GPTConfig>,
  modelSeed: 1,
  knobs: { steps: 600, batchSize: 32, lr: 3e-3, seed: 2 } as PretrainKnobs,
};

export interface CorpusRun {
  tokenizer: CharTokenizer;
  model: GPT;
  initialValLoss: number;
  result: TrainResult;
  trainIds: number[];
  valIds: number[];
}

/** Run CORPUS_CHAR_RECIPE (optionally with other knobs). The caller disposes `model`. */
export async function trainCorpusCharModel(knobs: Partial<PretrainKnobs> = {}, onStep?: (info: StepInfo) => void | Promise<void>): Promise<CorpusRun> {
  const k = { ...CORPUS_CHAR_RECIPE.knobs, ...knobs };
  const trainText = loadCorpus("train");
  const valText = loadCorpus("val");
  const tokenizer = CharTokenizer.fromText(trainText + valText);
  const trainIds = tokenizer.encode(trainText);
  const valIds = tokenizer.encode(valText);
  const model = new GPT({ ...CORPUS_CHAR_RECIPE.model, vocabSize: tokenizer.vocabSize }, { seed: CORPUS_CHAR_RECIPE.modelSeed });
  const initialValLoss = estimateLoss(model, valIds, { batches: 8, batchSize: k.batchSize, length: model.config.contextLength });
  const result = await pretrain(model, { train: trainIds, val: valIds }, k, onStep);
  return { tokenizer, model, initialValLoss, result, trainIds, valIds };
}

/**
 * The course's base model: a byte-level BPE tokenizer and a GPT pre-trained on the course
 * corpus. `npm run pretrain` runs it once (tens of minutes on a laptop) and commits the
 * result to datasets/models/; the metadata records this recipe, the corpus's hash and the
 * first losses, so tests/pretrain.test.ts can replay the start and show the recipe really
 * produces the checkpoint.
 */
export const BASE_RECIPE = {
  tokenizer: { vocabSize: 1024, pattern: "gpt4" as const },
  model: { contextLength: 128, dModel: 128, nHeads: 4, nLayers: 4 } as Partial<GPTConfig>,
  modelSeed: 1,
  knobs: { steps: 2400, batchSize: 16, lr: 3e-3, seed: 2, evalBatches: 8 } as PretrainKnobs,
  /** Losses of this many first steps are recorded for the replay test. */
  recordSteps: 5,
};

export interface BaseRun {
  tokenizer: BPETokenizer;
  model: GPT;
  result: TrainResult;
  trainIds: number[];
  valIds: number[];
}

/** The base recipe's tokenizer and token ids (deterministic: the same merges on every machine). */
export function baseTokenizer(): { tokenizer: BPETokenizer; trainIds: number[]; valIds: number[] } {
  const train = loadCorpus("train");
  const tokenizer = new BPETokenizer({ pattern: GPT4_SPLIT_PATTERN }).train(train, BASE_RECIPE.tokenizer.vocabSize);
  return { tokenizer, trainIds: tokenizer.encode(train), valIds: tokenizer.encode(loadCorpus("val")) };
}

/** Run BASE_RECIPE (optionally only its first `stopAfter` steps). The caller disposes `model`. */
export async function trainBaseModel(options: { stopAfter?: number; onStep?: (info: StepInfo) => void | Promise<void> } = {}): Promise<BaseRun> {
  const { tokenizer, trainIds, valIds } = baseTokenizer();
  const model = new GPT({ ...BASE_RECIPE.model, vocabSize: tokenizer.vocabSize }, { seed: BASE_RECIPE.modelSeed });
  const k = BASE_RECIPE.knobs;
  const task = nextTokenTask(model, { train: trainIds, val: valIds }, { batchSize: k.batchSize, evalBatches: k.evalBatches });
  const result = await train(task, { steps: k.steps, lr: k.lr, seed: k.seed, stopAfter: options.stopAfter, onStep: options.onStep });
  return { tokenizer, model, result, trainIds, valIds };
}

/** A 1-layer draft model for speculative decoding: the base tokenizer, a few seconds of training. */
export const DRAFT_RECIPE = {
  model: { dModel: 64, nHeads: 4, nLayers: 1 } as Partial<GPTConfig>,
  modelSeed: 3,
  knobs: { steps: 150, batchSize: 16, lr: 3e-3, seed: 4, length: 64 } as PretrainKnobs,
  /** Characters of the training corpus it reads. */
  textChars: 300_000,
};

/** Train DRAFT_RECIPE's draft for a base model's tokenizer and context (optionally other knobs). The caller disposes it. */
export async function trainDraftModel(tokenizer: { encode(text: string): number[]; vocabSize: number }, contextLength: number, knobs: Partial<PretrainKnobs> & { dModel?: number } = {}): Promise<GPT> {
  const ids = tokenizer.encode(loadCorpus("train").slice(0, DRAFT_RECIPE.textChars));
  const { dModel, ...rest } = knobs;
  const draft = new GPT({ ...DRAFT_RECIPE.model, ...(dModel ? { dModel } : {}), vocabSize: tokenizer.vocabSize, contextLength }, { seed: DRAFT_RECIPE.modelSeed });
  await pretrain(draft, { train: ids }, { ...DRAFT_RECIPE.knobs, ...rest });
  return draft;
}
