/**
 * Batches: what one training step reads.
 *
 *   sampleBatch          B random windows of a token stream and their next tokens (pre-training)
 *   padSequences         rows of different lengths padded to one (B, T) block, with an attention mask
 *   promptResponseBatch  prompt + response rows for fine-tuning: the loss only on the response
 *                        (and its end token), never on the prompt or the padding
 *   seq2seqBatch         source → target pairs for an encoder–decoder (teacher forcing)
 *
 * Every batch is row-major (B, T) flat Int32Arrays. A target of -1 means "no loss here".
 */
import { Rng, rng } from "../random";

/** Token rows (B, T) and their next-token targets; -1 targets are ignored by the loss. */
export interface Batch {
  ids: Int32Array; // (B·T)
  targets: Int32Array; // (B·T)
  batchSize: number;
  length: number;
  /** 1 for real tokens, 0 for padding (B·T); absent when nothing is padded. */
  attentionMask?: Int32Array;
}

/** B random windows of T tokens and, for each, the T tokens that follow (shifted by one). */
export function sampleBatch(tokens: ArrayLike<number>, batchSize: number, length: number, random: Rng = rng()): Batch {
  const n = tokens.length;
  if (n < length + 1) {
    throw new Error(`The data has ${n} tokens but a training window needs ${length + 1} (context ${length} + 1 target). Use more text or a shorter context.`);
  }
  const ids = new Int32Array(batchSize * length);
  const targets = new Int32Array(batchSize * length);
  for (let b = 0; b < batchSize; b++) {
    const start = random.int(0, n - length);
    for (let t = 0; t < length; t++) {
      ids[b * length + t] = tokens[start + t];
      targets[b * length + t] = tokens[start + t + 1];
    }
  }
  return { ids, targets, batchSize, length };
}

/** Rows padded on the right to one length. */
export interface PaddedBatch {
  ids: Int32Array; // (B·T), padId after each row's end
  /** 1 for real tokens, 0 for padding (B·T). */
  attentionMask: Int32Array;
  /** Real tokens per row (B). */
  lengths: number[];
  batchSize: number;
  length: number;
}

/** Pad rows on the right with padId to `length` (default: the longest row). A row longer than `length` is an error, never cut silently. */
export function padSequences(rows: number[][], padId: number, length?: number): PaddedBatch {
  if (rows.length === 0) throw new Error("padSequences: no rows — give at least one sequence.");
  if (!Number.isInteger(padId) || padId < 0) throw new Error(`padSequences: padId must be a token id (an integer ≥ 0), got ${padId}.`);
  const T = length ?? Math.max(...rows.map((r) => r.length));
  const B = rows.length;
  const ids = new Int32Array(B * T).fill(padId);
  const attentionMask = new Int32Array(B * T);
  rows.forEach((row, b) => {
    if (row.length === 0) throw new Error(`padSequences: row ${b} is empty — every sequence needs at least one token.`);
    if (row.length > T) throw new Error(`padSequences: row ${b} has ${row.length} tokens but the batch length is ${T}. Shorten the row or raise the length (the model's context).`);
    ids.set(row, b * T);
    attentionMask.fill(1, b * T, b * T + row.length);
  });
  return { ids, attentionMask, lengths: rows.map((r) => r.length), batchSize: B, length: T };
}

/** One fine-tuning example: the model reads the prompt and learns to write the response. */
export interface PromptResponse {
  prompt: number[];
  /** The answer, ending with the end token (so the model learns to stop). */
  response: number[];
}

export interface PromptResponseOptions {
  /** Id written into padded positions (they get no loss and nothing attends to them). */
  padId: number;
  /** Pad every row to this many input tokens (default: the longest row's). */
  length?: number;
  /** Ignore the loss on the prompt's tokens (default true: learn to answer, not to write questions). */
  maskPrompt?: boolean;
}

/**
 * prompt + response rows → ids = row[0 … n−2], targets = row[1 … n−1], padded.
 * Targets are -1 on padding and (with maskPrompt) wherever the next token is still
 * part of the prompt, so only the response tokens — including its end token — count.
 */
/** A fine-tuning batch: also each row's length and its prompt's length (for a prefix LM). */
export type PromptResponseBatch = Batch & { lengths: number[]; promptLengths: number[] };

export function promptResponseBatch(examples: PromptResponse[], options: PromptResponseOptions): PromptResponseBatch {
  const maskPrompt = options.maskPrompt ?? true;
  examples.forEach((e, i) => {
    if (e.prompt.length === 0) throw new Error(`promptResponseBatch: example ${i} has an empty prompt — start it with at least one token.`);
    if (e.response.length === 0) throw new Error(`promptResponseBatch: example ${i} has an empty response — it should end with the end token at least.`);
  });
  const rows = examples.map((e) => [...e.prompt, ...e.response]);
  const inputs = padSequences(rows.map((r) => r.slice(0, -1)), options.padId, options.length);
  const { batchSize: B, length: T } = inputs;
  const targets = new Int32Array(B * T).fill(-1);
  rows.forEach((row, b) => {
    const firstCounted = maskPrompt ? examples[b].prompt.length - 1 : 0; // position whose target is the response's first token
    for (let t = firstCounted; t < row.length - 1; t++) targets[b * T + t] = row[t + 1];
  });
  return { ids: inputs.ids, targets, batchSize: B, length: T, attentionMask: inputs.attentionMask, lengths: inputs.lengths, promptLengths: examples.map((e) => e.prompt.length) };
}

/** An encoder–decoder batch: sources, decoder inputs ([start, …target without its last]) and targets. */
export interface Seq2SeqBatch {
  source: Int32Array; // (B·S)
  sourceMask: Int32Array; // (B·S) 1 real, 0 padding
  decoderInput: Int32Array; // (B·T)
  targets: Int32Array; // (B·T), -1 on padding
  batchSize: number;
  sourceLength: number;
  targetLength: number;
}

export interface Seq2SeqBatchOptions {
  padId: number;
  /** The decoder's first input token. */
  startId: number;
  sourceLength?: number;
  targetLength?: number;
}

/** Teacher forcing: the decoder reads [start, y₀, …, y_{n−2}] and predicts [y₀, …, y_{n−1}]. */
export function seq2seqBatch(pairs: { source: number[]; target: number[] }[], options: Seq2SeqBatchOptions): Seq2SeqBatch {
  const src = padSequences(pairs.map((p) => p.source), options.padId, options.sourceLength);
  const dec = padSequences(pairs.map((p) => [options.startId, ...p.target.slice(0, -1)]), options.padId, options.targetLength);
  const T = dec.length;
  const targets = new Int32Array(pairs.length * T).fill(-1);
  pairs.forEach((p, b) => {
    if (p.target.length === 0) throw new Error(`seq2seqBatch: pair ${b} has an empty target — end it with an end token at least.`);
    targets.set(p.target, b * T);
  });
  return {
    source: src.ids,
    sourceMask: src.attentionMask,
    decoderInput: dec.ids,
    targets,
    batchSize: pairs.length,
    sourceLength: src.length,
    targetLength: T,
  };
}
