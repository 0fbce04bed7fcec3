/**
 * Scale at toy size (chapter 06, 거대한 규모): for a fixed compute budget C, which model size
 * gives the lowest validation loss?
 *
 * Training a model of N parameters on D tokens costs about C ≈ 6·N·D floating-point
 * operations (2·N per token forward, 4·N backward; Kaplan et al. 2020). So a budget fixes
 * D = C / (6·N): a bigger model sees fewer tokens. Steps are derived from the budget, never
 * from the clock, so every machine trains exactly the same runs, however fast it is.
 *
 *   computeParams(config)             N: every parameter a token is multiplied by (the blocks and
 *                                     the output head, which is tied to the token embedding);
 *                                     position embeddings are a lookup and not counted
 *   trainingFlops(N, tokens)          6·N·D
 *   stepsForBudget(N, C, tokensPerStep)
 *   SCALING_RECIPE                    the sizes, budgets and knobs chapter 06 uses
 *   scalingData()                     its data: the corpus's English documents, one token per character
 *   scalingRun(size, budget, data)    one run of the shared loop → N, steps, tokens per parameter, val loss
 *   optimalParams(points)             the compute-optimal N of one budget: the vertex of a parabola in ln N
 *
 * Why characters: at these budgets (~10¹⁰ FLOPs, seconds of compute) the optimum is a model of a
 * few thousand parameters. With the base tokenizer's 1,024-token vocabulary the embedding alone
 * would be bigger than that; 59 characters leave room for the blocks.
 */
import { GPT } from "../model/gpt";
import { GPTConfig, gptConfig } from "../model/config";
import { loadCorpusDocuments } from "../datasets";
import { CharTokenizer } from "../tokenizer/char";
import { StepInfo, train } from "./loop";
import { estimateLoss, nextTokenTask } from "./tasks";

/** The shape of one model in a scaling sweep. */
export interface ScalingSize {
  dModel: number;
  nHeads: number;
  nLayers: number;
}

/** N for C ≈ 6·N·D: all parameters except the position embeddings (a lookup, no multiply). */
export function computeParams(config: Partial<GPTConfig> & { vocabSize: number }): number {
  const c = gptConfig(config);
  const probe = new GPT(c, { seed: 0 });
  const total = probe.numParams();
  probe.dispose();
  const positions = c.positional === "learned" ? c.contextLength * c.dModel : 0;
  return total - positions;
}

/** C ≈ 6·N·D floating-point operations to train N parameters on D tokens. */
export function trainingFlops(params: number, tokens: number): number {
  return 6 * params * tokens;
}

/** Steps of `tokensPerStep` tokens that spend `budget` FLOPs on a model of `params` (at least 1). */
export function stepsForBudget(params: number, budget: number, tokensPerStep: number): number {
  if (!(params > 0 && budget > 0 && tokensPerStep > 0)) throw new Error(`stepsForBudget: params, budget and tokensPerStep must be positive, got ${params}, ${budget}, ${tokensPerStep}.`);
  return Math.max(1, Math.round(budget / (6 * params * tokensPerStep)));
}

/** Chapter 06's sweep: five 2-layer widths, two budgets (FLOPs), one set of knobs for all. */
export const SCALING_RECIPE = {
  sizes: [
    { dModel: 8, nHeads: 2, nLayers: 2 },
    { dModel: 16, nHeads: 2, nLayers: 2 },
    { dModel: 24, nHeads: 2, nLayers: 2 },
    { dModel: 32, nHeads: 2, nLayers: 2 },
    { dModel: 48, nHeads: 4, nLayers: 2 },
  ] as ScalingSize[],
  budgets: [1e10, 3e10],
  contextLength: 64,
  batchSize: 16,
  lr: 3e-3,
  modelSeed: 1,
  dataSeed: 2,
  /** Validation batches for the final loss (a fixed sampler seed: every run is scored on the same windows). */
  evalBatches: 8,
  /** Validation points along each run, for the loss-vs-compute curves. */
  curvePoints: 4,
};

export type ScalingKnobs = Omit<typeof SCALING_RECIPE, "sizes" | "budgets">;

/** One finished run of a sweep. */
export interface ScalingPoint {
  dModel: number;
  nLayers: number;
  /** N (computeParams). */
  params: number;
  budget: number;
  steps: number;
  tokens: number;
  tokensPerParam: number;
  valLoss: number;
  /** Validation loss along the run, against the compute spent so far. */
  curve: { flops: number; valLoss: number }[];
  seconds: number;
}

/** Train one size for one budget (the shared loop, next-token prediction) and score it. */
export async function scalingRun(size: ScalingSize, budget: number, data: { train: ArrayLike<number>; val: ArrayLike<number>; vocabSize: number }, knobs: Partial<ScalingKnobs> = {}, onStep?: (info: StepInfo) => void | Promise<void>): Promise<ScalingPoint> {
  const k = { ...SCALING_RECIPE, ...knobs };
  const config = { ...size, contextLength: k.contextLength, vocabSize: data.vocabSize };
  const params = computeParams(config);
  const tokensPerStep = k.batchSize * k.contextLength;
  const steps = stepsForBudget(params, budget, tokensPerStep);
  const model = new GPT(config, { seed: k.modelSeed });
  try {
    const task = nextTokenTask(model, data, { batchSize: k.batchSize, evalBatches: Math.max(1, Math.round(k.evalBatches / 2)) });
    const result = await train(task, { steps, lr: k.lr, seed: k.dataSeed, evalEvery: Math.max(1, Math.ceil(steps / k.curvePoints)), onStep });
    const valLoss = estimateLoss(model, data.val, { batches: k.evalBatches, batchSize: k.batchSize, length: k.contextLength });
    const curve = result.valLosses.map((v) => ({ flops: trainingFlops(params, v.step * tokensPerStep), valLoss: v.loss }));
    return { dModel: size.dModel, nLayers: size.nLayers, params, budget, steps, tokens: steps * tokensPerStep, tokensPerParam: (steps * tokensPerStep) / params, valLoss, curve, seconds: result.elapsedMs / 1000 };
  } finally {
    model.dispose();
  }
}

/** The sweep's data: the English documents of the course corpus, one token per character. */
export function scalingData(): { tokenizer: CharTokenizer; train: number[]; val: number[]; vocabSize: number } {
  const english = (split: "train" | "val") => loadCorpusDocuments(split).filter((d) => d.lang === "en").map((d) => d.text).join("\n\n");
  const trainText = english("train");
  const valText = english("val");
  const tokenizer = CharTokenizer.fromText(trainText + valText);
  return { tokenizer, train: tokenizer.encode(trainText), val: tokenizer.encode(valText), vocabSize: tokenizer.vocabSize };
}

/**
 * The compute-optimal N of one budget from its measured (N, validation loss) points: the vertex
 * of the parabola through the lowest point and its two neighbours, with x = ln N. If the lowest
 * point is the smallest or the largest model, there is no U to fit and that N is returned.
 */
export function optimalParams(points: { params: number; valLoss: number }[]): number {
  if (points.length === 0) throw new Error("optimalParams: give at least one (params, valLoss) point.");
  const p = [...points].sort((a, b) => a.params - b.params);
  let best = 0;
  p.forEach((q, i) => {
    if (q.valLoss < p[best].valLoss) best = i;
  });
  if (best === 0 || best === p.length - 1) return p[best].params;
  const [x0, x1, x2] = [p[best - 1], p[best], p[best + 1]].map((q) => Math.log(q.params));
  const [y0, y1, y2] = [p[best - 1], p[best], p[best + 1]].map((q) => q.valLoss);
  // slopes of the two chords; the parabola's vertex lies where its derivative is 0
  const s1 = (y1 - y0) / (x1 - x0);
  const s2 = (y2 - y1) / (x2 - x1);
  const a = (s2 - s1) / (x2 - x0);
  return Math.exp((x0 + x1) / 2 - s1 / (2 * a));
}
