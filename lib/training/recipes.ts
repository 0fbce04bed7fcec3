/**
 * Recipes: whole experiments that a notebook and a benchmark both run, so a figure in a
 * chapter and the same figure in `npm run bench` cannot drift apart.
 *
 *   pretrain(model, data, knobs)   next-token pre-training with a knobs object (chapters 02, 06; bench corpus)
 *   CORPUS_CHAR_RECIPE             a character GPT on the course corpus (`npm run bench -- corpus`)
 */
import { loadCorpus } from "../datasets";
import { GPT } from "../model/gpt";
import { GPTConfig } from "../model/config";
import { CharTokenizer } from "../tokenizer/char";
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
