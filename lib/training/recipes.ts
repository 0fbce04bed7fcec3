/**
 * Recipes: whole experiments that a notebook and a benchmark both run, so a figure in a
 * chapter and the same figure in `npm run bench` cannot drift apart.
 *
 *   pretrain(model, data, knobs)   next-token pre-training with a knobs object (chapters 02, 06; bench corpus)
 *   BASE_RECIPE / trainBaseModel   the course's base model (`npm run pretrain`; chapters 05–09 load its checkpoint)
 *   LIVE_RECIPE                    the base recipe shrunk to train live in about a minute (chapter 06; `npm run bench -- corpus`)
 *   runPretrainRecipe(recipe)      either recipe: the base tokenizer, a fresh GPT, the shared loop
 *   DRAFT_RECIPE / trainDraftModel a small draft model for speculative decoding (chapter 05; bench generate)
 */
import { loadCorpus } from "../datasets";
import { GPT } from "../model/gpt";
import { GPTConfig } from "../model/config";
import { BPETokenizer } from "../tokenizer/bpe";
import { GPT4_SPLIT_PATTERN } from "../tokenizer/patterns";
import { StepInfo, TrainOptions, TrainResult, train } from "./loop";
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

/** A pre-training recipe: the base tokenizer, a model shape and seed, and the knobs of the run. */
export interface PretrainRecipe {
  tokenizer: { vocabSize: number; pattern: "gpt4" };
  model: Partial<GPTConfig>;
  modelSeed: number;
  knobs: PretrainKnobs;
}

/**
 * The base recipe shrunk to train live: the same tokenizer, corpus, objective and loop, a
 * smaller model (2 layers, dModel 64, context 64) and 300 steps — about a minute on a 2-core
 * laptop. Chapter 06 trains it in front of you; `npm run bench -- corpus` times it.
 */
export const LIVE_RECIPE: PretrainRecipe = {
  tokenizer: BASE_RECIPE.tokenizer,
  model: { contextLength: 64, dModel: 64, nHeads: 4, nLayers: 2 },
  modelSeed: 1,
  knobs: { steps: 300, batchSize: 16, lr: 3e-3, seed: 2, evalBatches: 4 },
};

export interface RecipeRunOptions extends Pick<TrainOptions, "stopAfter" | "onStep" | "checkpointAt" | "onCheckpoint"> {
  /** Knobs that replace the recipe's (e.g. fewer steps). */
  knobs?: Partial<PretrainKnobs>;
  /** Model fields that replace the recipe's (e.g. another dModel). */
  model?: Partial<GPTConfig>;
  /** The tokenizer and ids, if already made by baseTokenizer() (saves a few seconds). */
  data?: { tokenizer: BPETokenizer; trainIds: number[]; valIds: number[] };
  /** Called with the fresh model before training (e.g. to measure its loss at step 0). */
  onModel?: (model: GPT) => void;
}

/** Run a pre-training recipe (BASE_RECIPE, LIVE_RECIPE, …) with the shared loop. The caller disposes `model`. */
export async function runPretrainRecipe(recipe: PretrainRecipe, options: RecipeRunOptions = {}): Promise<BaseRun> {
  const { tokenizer, trainIds, valIds } = options.data ?? baseTokenizer();
  if (tokenizer.vocabSize !== recipe.tokenizer.vocabSize) throw new Error(`runPretrainRecipe: the tokenizer has ${tokenizer.vocabSize} tokens but the recipe asks for ${recipe.tokenizer.vocabSize}. Make the data with baseTokenizer().`);
  const model = new GPT({ ...recipe.model, ...options.model, vocabSize: tokenizer.vocabSize }, { seed: recipe.modelSeed });
  options.onModel?.(model);
  const k = { ...recipe.knobs, ...options.knobs };
  const task = nextTokenTask(model, { train: trainIds, val: valIds }, { batchSize: k.batchSize, length: k.length, evalBatches: k.evalBatches });
  try {
    const result = await train(task, { steps: k.steps, lr: k.lr, seed: k.seed, warmupSteps: k.warmupSteps, stopAfter: options.stopAfter, onStep: options.onStep, checkpointAt: options.checkpointAt, onCheckpoint: options.onCheckpoint });
    return { tokenizer, model, result, trainIds, valIds };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Run BASE_RECIPE (optionally only its first `stopAfter` steps). The caller disposes `model`. */
export function trainBaseModel(options: { stopAfter?: number; onStep?: (info: StepInfo) => void | Promise<void> } = {}): Promise<BaseRun> {
  return runPretrainRecipe(BASE_RECIPE, options);
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
