/**
 * Training tasks: what the one loop (loop.ts) trains, for each objective of the course.
 *
 *   nextTokenTask     pre-training: predict every next token of random windows of a token stream
 *   instructionTask   supervised fine-tuning: prompt + response, the loss on the response only
 *   seq2seqTask       an encoder–decoder on source → target pairs (teacher forcing)
 *
 * Stage 3's tasks (a reward model's pairwise loss, DPO) are in lib/align.ts. Each task
 * trains `model.trainableParams()` — everything unless part of the model was frozen.
 */
import { Rng } from "../random";
import type { GPT } from "../model/gpt";
import type { EncoderDecoder } from "../model/encoderDecoder";
import { Batch, PromptResponse, PromptResponseBatch, Seq2SeqBatch, promptResponseBatch, sampleBatch, seq2seqBatch } from "./batches";
import { TrainingTask } from "./loop";

/** Mean loss of `model` over `batches` random windows of `tokens` (no dropout, no gradients; a fixed sampler seed, so it is comparable across calls). */
export function estimateLoss(model: GPT, tokens: ArrayLike<number>, options: { batches?: number; batchSize?: number; length?: number; rng?: Rng } = {}): number {
  const batches = options.batches ?? 8;
  const length = Math.min(options.length ?? model.config.contextLength, tokens.length - 1);
  const random = options.rng ?? new Rng(12345);
  let total = 0;
  for (let i = 0; i < batches; i++) {
    const b = sampleBatch(tokens, options.batchSize ?? 16, length, random);
    const loss = model.loss(b.ids, b.targets, { shape: [b.batchSize, b.length] });
    total += loss.dataSync()[0];
    loss.dispose();
  }
  return total / batches;
}

export interface NextTokenOptions {
  /** Windows per batch (default 16). */
  batchSize?: number;
  /** Tokens per window (default: the model's contextLength). */
  length?: number;
  /** Batches per validation estimate (default 8). */
  evalBatches?: number;
}

/** Pre-training: next-token prediction on random windows of a token stream. */
export function nextTokenTask(model: GPT, data: { train: ArrayLike<number>; val?: ArrayLike<number> }, options: NextTokenOptions = {}): TrainingTask<Batch> {
  const batchSize = options.batchSize ?? 16;
  const length = options.length ?? model.config.contextLength;
  if (length > model.config.contextLength) {
    throw new Error(`train: length ${length} is longer than the model's contextLength ${model.config.contextLength}. Use length ≤ ${model.config.contextLength}.`);
  }
  const val = data.val;
  return {
    params: model.trainableParams(),
    tokensPerBatch: batchSize * length,
    nextBatch: (random) => sampleBatch(data.train, batchSize, length, random),
    loss: (b, training) => model.loss(b.ids, b.targets, { shape: [b.batchSize, b.length], training }),
    replica: { model, lossBatch: (b) => b },
    evaluate: val ? () => estimateLoss(model, val, { batches: options.evalBatches, batchSize, length }) : undefined,
  };
}

/** Mean loss of a GPT over prompt–response examples, in batches (no dropout). */
export function promptResponseLoss(model: GPT, examples: PromptResponse[], options: { padId: number; batchSize?: number; maskPrompt?: boolean; prefixLM?: boolean }): number {
  const size = options.batchSize ?? 16;
  let total = 0;
  let count = 0;
  for (let i = 0; i < examples.length; i += size) {
    const b = promptResponseBatch(examples.slice(i, i + size), options);
    const counted = b.targets.filter((t) => t >= 0).length;
    const loss = model.loss(b.ids, b.targets, { shape: [b.batchSize, b.length], attentionMask: b.attentionMask, prefixLengths: options.prefixLM ? b.promptLengths : undefined });
    total += loss.dataSync()[0] * counted;
    count += counted;
    loss.dispose();
  }
  return total / count;
}

export interface InstructionOptions {
  /** Id of the padding token. */
  padId: number;
  /** Examples per batch (default 16), drawn at random. */
  batchSize?: number;
  /** The loss on the response only (default true); false also trains on the prompt. */
  maskPrompt?: boolean;
  /** Held-out examples for the validation loss. */
  val?: PromptResponse[];
  /** Prefix LM: the prompt is seen whole (bidirectional attention over it), causal after it. Default false. */
  prefixLM?: boolean;
}

/** Supervised fine-tuning on prompt + response examples (lib/training/batches.ts builds the masked batches). */
export function instructionTask(model: GPT, examples: PromptResponse[], options: InstructionOptions): TrainingTask<PromptResponseBatch> {
  if (examples.length === 0) throw new Error("instructionTask: no examples — give at least one { prompt, response }.");
  const batchSize = options.batchSize ?? 16;
  const longest = Math.max(...examples.map((e) => e.prompt.length + e.response.length - 1));
  if (longest > model.config.contextLength) {
    throw new Error(`instructionTask: the longest example needs ${longest} input tokens but the model's contextLength is ${model.config.contextLength}. Drop or shorten the long examples, or use a model with a longer context.`);
  }
  const val = options.val;
  return {
    params: model.trainableParams(),
    tokensPerBatch: batchSize * longest,
    nextBatch: (random) => promptResponseBatch(Array.from({ length: batchSize }, () => examples[random.int(0, examples.length)]), options),
    loss: (b, training) => model.loss(b.ids, b.targets, { shape: [b.batchSize, b.length], attentionMask: b.attentionMask, prefixLengths: options.prefixLM ? b.promptLengths : undefined, training }),
    replica: { model, lossBatch: (b) => ({ ...b, prefixLengths: options.prefixLM ? b.promptLengths : undefined }) },
    evaluate: val ? () => promptResponseLoss(model, val, options) : undefined,
  };
}

export interface Seq2SeqTaskOptions {
  padId: number;
  startId: number;
  /** Pairs per batch (default 32), drawn at random. */
  batchSize?: number;
  /** Held-out pairs for the validation loss. */
  val?: { source: number[]; target: number[] }[];
}

function seq2seqLoss(model: EncoderDecoder, b: Seq2SeqBatch, training: boolean) {
  return model.loss(b.source, b.decoderInput, b.targets, {
    sourceShape: [b.batchSize, b.sourceLength],
    targetShape: [b.batchSize, b.targetLength],
    sourceMask: b.sourceMask,
    training,
  });
}

/** An encoder–decoder on source → target pairs, teacher-forced. */
export function seq2seqTask(model: EncoderDecoder, pairs: { source: number[]; target: number[] }[], options: Seq2SeqTaskOptions): TrainingTask<Seq2SeqBatch> {
  if (pairs.length === 0) throw new Error("seq2seqTask: no pairs — give at least one { source, target }.");
  const batchSize = options.batchSize ?? 32;
  const val = options.val;
  return {
    params: model.trainableParams(),
    tokensPerBatch: batchSize * Math.max(...pairs.map((p) => p.target.length)),
    nextBatch: (random) => seq2seqBatch(Array.from({ length: batchSize }, () => pairs[random.int(0, pairs.length)]), options),
    loss: (b, training) => seq2seqLoss(model, b, training),
    evaluate: val
      ? () => {
          const b = seq2seqBatch(val, options);
          const loss = seq2seqLoss(model, b, false);
          const value = loss.dataSync()[0];
          loss.dispose();
          return value;
        }
      : undefined,
  };
}
