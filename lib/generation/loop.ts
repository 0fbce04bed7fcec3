/**
 * Autoregressive generation — one loop for GPT and the encoder–decoder: predict a
 * distribution over the next token, pick one (sampling.ts), append it, repeat.
 *
 *   generate(gpt, promptIds, { maxNewTokens: 100, temperature: 0.8, topK: 20, seed: 1 })
 *   generate(translator, [START], { source: englishIds, maxNewTokens: 20, greedy: true, stopTokens: [END] })
 *
 * KV cache (default on, lib/model/kvCache.ts): the keys and values of earlier positions
 * do not change when a token is appended, so each step only runs the model on the new
 * token — the same tokens as recomputing everything, much faster. A GPT with learned
 * positions slides its window once the text is longer than its context: every position
 * changes then, so the cache is rebuilt each step (exactly what no cache computes). An
 * encoder–decoder cannot slide: asking for more tokens than its targetLength is an error,
 * not a silent cut.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, rng } from "../random";
import { EncoderDecoder, Memory } from "../model/encoderDecoder";
import { GPT } from "../model/gpt";
import { KVCache } from "../model/kvCache";
import { toTokenBatch } from "../model/layers";
import { SampleOptions, sampleToken } from "./sampling";

export interface GenerateOptions extends SampleOptions {
  maxNewTokens: number;
  /** Seed for sampling (default: lib/random's global generator). */
  seed?: number;
  /** Use the KV cache (default true). */
  useCache?: boolean;
  /** Stop after producing any of these ids (it is included in the output). */
  stopTokens?: number[];
  /** Called with each new token as it is produced. */
  onToken?: (id: number, index: number) => void;
  /** Also return the logits each new token was sampled from (for tests and plots). */
  returnLogits?: boolean;
  /** Encoder–decoder only: the source sequence the decoder reads (the prompt is then the decoder's start, e.g. [START]). */
  source?: number[];
  /** Encoder–decoder only: 1 for real source tokens, 0 for padding. */
  sourceMask?: number[];
  /** GPT as a prefix LM: the first prefixLength prompt tokens are seen whole (as in training with prefixLM). */
  prefixLength?: number;
}

export interface GenerateResult {
  /** Prompt followed by the new tokens. */
  tokens: number[];
  newTokens: number[];
  /** With returnLogits: the logits behind each new token. */
  logits?: Float32Array[];
}

/** Last-position logits of a (1, T, V) tensor, as a plain array (disposes the tensor). */
function lastRow(logits: tf.Tensor): Float32Array {
  const [, t, v] = logits.shape as [number, number, number];
  // Read back outside tf.tidy: tidy walks every element of a returned typed array (slow for big vocabularies).
  const row = tf.slice(logits, [0, t - 1, 0], [1, 1, v]); // (1, 1, V)
  const values = row.dataSync() as Float32Array;
  row.dispose();
  logits.dispose();
  return values;
}

/** How one model turns "the tokens so far" into the next token's logits. */
interface Decoder {
  /** Logits after `tokens` (all so far); `appended` is the one token added since the last call (null at the start). */
  next(tokens: number[], appended: number | null): Float32Array;
  dispose(): void;
}

function gptDecoder(model: GPT, useCache: boolean, prefixLength?: number): Decoder {
  const ctx = model.config.contextLength;
  const cache: KVCache | null = useCache ? model.createCache() : null;
  const run = (ids: number[], first = false) => {
    // A prefix LM sees its prefix whole: on the pass that (re)reads the prompt, and on every pass without a cache.
    const prefix = prefixLength !== undefined && (first || !cache) ? { prefixLengths: [prefixLength] } : {};
    return lastRow(model.forward([ids], cache ? { cache, ...prefix } : prefix).logits);
  };
  return {
    next(tokens, appended) {
      if (prefixLength !== undefined && tokens.length > ctx) throw new Error(`generate: a prefix LM cannot slide its window (the prefix would be cut); the text reached ${tokens.length} tokens, the context is ${ctx}. Lower maxNewTokens.`);
      if (!cache || appended === null) return run(tokens.slice(-ctx), true); // the (cropped) prompt fills the cache
      if (cache.length + 1 <= ctx) return run([appended]); // only the new token; earlier keys/values come from the cache
      cache.dispose(); // the window slides: every position changes, rebuild
      return run(tokens.slice(-ctx));
    },
    dispose: () => cache?.dispose(),
  };
}

function encoderDecoderDecoder(model: EncoderDecoder, options: GenerateOptions, useCache: boolean): Decoder {
  if (!options.source) throw new Error("generate: an encoder–decoder needs `source` (the ids to translate); the prompt is the decoder's start, e.g. [START].");
  const mem: Memory = model.encode([options.source], { sourceMask: options.sourceMask });
  const cache: KVCache | null = useCache ? model.createCache() : null;
  return {
    next(tokens, appended) {
      const input = cache && appended !== null ? [appended] : tokens;
      return lastRow(model.decode([input], mem, cache ? { cache } : {}).logits);
    },
    dispose() {
      cache?.dispose();
      mem.memory.dispose();
    },
  };
}

/** Continue `prompt` (token ids) with up to maxNewTokens tokens (see the top of this file). */
export function generate(model: GPT | EncoderDecoder, prompt: number[], options: GenerateOptions): GenerateResult {
  if (prompt.length === 0) throw new Error("generate: the prompt is empty — start with at least one token (e.g. a newline or a start token).");
  if (!(Number.isInteger(options.maxNewTokens) && options.maxNewTokens >= 0)) throw new Error(`generate: maxNewTokens must be a whole number ≥ 0, got ${options.maxNewTokens}.`);
  toTokenBatch(prompt, model.config.vocabSize); // the same id checks as every forward pass, before any work
  if (model instanceof EncoderDecoder) {
    const room = model.config.targetLength - prompt.length + 1;
    if (options.maxNewTokens > room) {
      throw new Error(`generate: the decoder sees at most ${model.config.targetLength} tokens (targetLength), so after a ${prompt.length}-token prompt it can write ${room}, not ${options.maxNewTokens}. Lower maxNewTokens to ≤ ${room} or train with a larger targetLength.`);
    }
  } else if (options.source) {
    throw new Error("generate: `source` is for encoder–decoder models; a GPT reads everything from its prompt.");
  }
  const random = options.seed !== undefined ? new Rng(options.seed) : rng();
  const useCache = options.useCache ?? true;
  const tokens = prompt.slice();
  const result: GenerateResult = { tokens, newTokens: [] };
  if (options.returnLogits) result.logits = [];
  if (options.prefixLength !== undefined && !(Number.isInteger(options.prefixLength) && options.prefixLength >= 0 && options.prefixLength <= prompt.length)) {
    throw new Error(`generate: prefixLength must be a whole number from 0 to the prompt's length ${prompt.length}, got ${options.prefixLength}.`);
  }
  const decoder = model instanceof EncoderDecoder ? encoderDecoderDecoder(model, options, useCache) : gptDecoder(model, useCache, options.prefixLength);
  const sampling: SampleOptions = options.repetitionPenalty !== undefined ? { ...options, context: tokens } : options;
  try {
    let row = decoder.next(tokens, null);
    for (let i = 0; i < options.maxNewTokens; i++) {
      const next = sampleToken(row, sampling, random);
      tokens.push(next);
      result.newTokens.push(next);
      result.logits?.push(row);
      options.onToken?.(next, i);
      if (options.stopTokens?.includes(next) || i + 1 === options.maxNewTokens) break;
      row = decoder.next(tokens, next);
    }
  } finally {
    decoder.dispose();
  }
  return result;
}

/** Options of generateSamples. */
export interface SamplesOptions extends SampleOptions {
  maxNewTokens: number;
  /** A row stops after producing any of these ids (it is included in that row). */
  stopTokens?: number[];
  /** The generator to sample with (default: lib/random's global one). */
  random?: Rng;
}

/**
 * `count` independent samples of each prompt, generated together as one batch of
 * prompts × count rows through the KV cache — what RL needs (k answers per prompt) at the
 * cost of about one generation. The prompts must have the same number of tokens (the
 * cache has no padding). Every row sees the logits a batch of one would give (the rows
 * draw from one generator in turn, so a row is not what `generate` writes with the same
 * seed). A row that writes a stop token leaves the batch, so the later steps cost only
 * the rows still writing. Returns, prompt by prompt, `count` rows of new tokens, each
 * with its stop token if it stopped.
 */
export function generateSamples(model: GPT, prompts: number[] | number[][], count: number, options: SamplesOptions): number[][] {
  const list = (prompts.length > 0 && Array.isArray(prompts[0]) ? prompts : [prompts]) as number[][];
  const P = list[0].length;
  if (P === 0) throw new Error("generateSamples: the prompt is empty — start with at least one token.");
  list.forEach((p, i) => {
    if (p.length !== P) throw new Error(`generateSamples: prompt ${i} has ${p.length} tokens but prompt 0 has ${P} — batch prompts of the same length (the KV cache has no padding), or call once per prompt.`);
    toTokenBatch(p, model.config.vocabSize);
  });
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(`generateSamples: count must be a whole number ≥ 1, got ${count}.`);
  if (!(Number.isInteger(options.maxNewTokens) && options.maxNewTokens >= 1)) throw new Error(`generateSamples: maxNewTokens must be a whole number ≥ 1, got ${options.maxNewTokens}.`);
  const ctx = model.config.contextLength;
  if (P + options.maxNewTokens - 1 > ctx) {
    throw new Error(`generateSamples: a ${P}-token prompt plus ${options.maxNewTokens} new tokens needs a context of ${P + options.maxNewTokens - 1}, but the model has ${ctx}. Lower maxNewTokens to ≤ ${ctx - P + 1}.`);
  }
  const random = options.random ?? rng();
  const V = model.config.vocabSize;
  const N = list.length * count;
  const rows: number[][] = Array.from({ length: N }, () => []);
  const done = new Array<boolean>(N).fill(false);
  const cache = model.createCache();
  try {
    let live = rows.map((_, r) => r); // the rows still writing, in batch order
    let input: number[][] = live.map((r) => list[Math.floor(r / count)]);
    for (let i = 0; i < options.maxNewTokens; i++) {
      const { logits } = model.forward(input, { cache });
      const T = logits.shape[1];
      const last = tf.slice(logits, [0, T - 1, 0], [live.length, 1, V]); // (rows still writing, 1, V)
      const values = last.dataSync() as Float32Array;
      tf.dispose([logits, last]);
      live.forEach((r, b) => {
        const next = sampleToken(values.subarray(b * V, (b + 1) * V), options, random);
        rows[r].push(next);
        if (options.stopTokens?.includes(next)) done[r] = true;
      });
      const still = live.map((r, b) => [r, b]).filter(([r]) => !done[r]);
      if (still.length === 0) break;
      // Rows that stopped leave the batch (and the cache): later steps compute only the others.
      if (still.length < live.length) cache.keepRows(still.map(([, b]) => b));
      live = still.map(([r]) => r);
      input = live.map((r) => [rows[r][rows[r].length - 1]]);
    }
  } finally {
    cache.dispose();
  }
  return rows;
}
