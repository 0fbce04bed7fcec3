/**
 * Autoregressive generation: predict a distribution over the next token, pick
 * one, append it, repeat.
 *
 *   const { newTokens } = generate(model, prompt, { maxNewTokens: 100, temperature: 0.8, topK: 20, seed: 1 });
 *
 * Picking a token (`sampleToken`), in this order:
 *   - greedy (or temperature 0): the most likely token;
 *   - temperature T: logits / T (T < 1 sharpens, T > 1 flattens);
 *   - top-k: keep only the k most likely tokens;
 *   - top-p (nucleus): keep the smallest set of most likely tokens whose
 *     probabilities add up to at least p;
 *   then draw from what is left with lib/random (seeded: same seed, same text).
 *
 * KV cache (default on): the keys and values of earlier positions do not change
 * when a token is appended, so each step only runs the model on the new token
 * and reuses the cached ones — the same tokens as recomputing everything, much
 * faster. With learned positions, once the text is longer than the context the
 * window slides and every position changes, so the cache is rebuilt each step
 * (exactly what the model without a cache computes).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, rng } from "./random";
import { EncoderDecoder } from "./model/encoderDecoder";
import { GPT } from "./model/gpt";

export interface SampleOptions {
  /** Always take the most likely token (default false). */
  greedy?: boolean;
  /** Divide the logits by this before sampling (default 1; 0 means greedy). */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Sample only among the most likely tokens whose probabilities sum to ≥ p. */
  topP?: number;
}

/** Probabilities after temperature, top-k and top-p (zeros for excluded tokens). */
export function nextTokenProbabilities(logits: ArrayLike<number>, options: SampleOptions = {}): Float64Array {
  const n = logits.length;
  const temperature = options.temperature ?? 1;
  if (!(temperature >= 0)) throw new Error(`temperature must be ≥ 0, got ${temperature}.`);
  if (options.topK !== undefined && !(Number.isInteger(options.topK) && options.topK >= 1)) throw new Error(`topK must be a positive integer, got ${options.topK}.`);
  if (options.topP !== undefined && !(options.topP > 0 && options.topP <= 1)) throw new Error(`topP must be in (0, 1], got ${options.topP}.`);
  const probs = new Float64Array(n);
  if (options.greedy || temperature === 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    probs[best] = 1;
    return probs;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  const keep = Math.min(n, options.topK ?? n);
  const max = logits[order[0]];
  let total = 0;
  for (let r = 0; r < keep; r++) {
    const i = order[r];
    probs[i] = Math.exp((logits[i] - max) / temperature);
    total += probs[i];
  }
  for (let r = 0; r < keep; r++) probs[order[r]] /= total;
  if (options.topP !== undefined && options.topP < 1) {
    let cumulative = 0;
    let cut = keep;
    for (let r = 0; r < keep; r++) {
      cumulative += probs[order[r]];
      if (cumulative >= options.topP) {
        cut = r + 1;
        break;
      }
    }
    let kept = 0;
    for (let r = 0; r < keep; r++) {
      if (r >= cut) probs[order[r]] = 0;
      else kept += probs[order[r]];
    }
    for (let r = 0; r < cut; r++) probs[order[r]] /= kept;
  }
  return probs;
}

/** Pick the next token id from one row of logits. */
export function sampleToken(logits: ArrayLike<number>, options: SampleOptions = {}, random: Rng = rng()): number {
  const probs = nextTokenProbabilities(logits, options);
  if (options.greedy || options.temperature === 0) return probs.indexOf(1);
  return random.categorical(probs);
}

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
}

export interface GenerateResult {
  /** Prompt followed by the new tokens. */
  tokens: number[];
  newTokens: number[];
  /** With returnLogits: the logits behind each new token. */
  logits?: Float32Array[];
}

/** Last-position logits of a (1, T, V) tensor, as a plain array. */
function lastRow(logits: tf.Tensor): Float32Array {
  const [, t, v] = logits.shape as [number, number, number];
  // Read back outside tf.tidy: tidy walks every element of a returned typed array (slow for big vocabularies).
  const row = tf.slice(logits, [0, t - 1, 0], [1, 1, v]); // (1, 1, V)
  const values = row.dataSync() as Float32Array;
  row.dispose();
  return values;
}

/** Continue `prompt` (token ids) with up to maxNewTokens tokens from a GPT. */
export function generate(model: GPT, prompt: number[], options: GenerateOptions): GenerateResult {
  if (prompt.length === 0) throw new Error("generate: the prompt is empty — start with at least one token (e.g. a newline or a start token).");
  if (!(Number.isInteger(options.maxNewTokens) && options.maxNewTokens >= 0)) throw new Error(`generate: maxNewTokens must be a whole number ≥ 0, got ${options.maxNewTokens}.`);
  const random = options.seed !== undefined ? new Rng(options.seed) : rng();
  const ctx = model.config.contextLength;
  const useCache = options.useCache ?? true;
  const tokens = prompt.slice();
  const result: GenerateResult = { tokens, newTokens: [] };
  if (options.returnLogits) result.logits = [];
  const cache = useCache ? model.createCache() : null;
  const logitsOf = (window: number[]): Float32Array => {
    const { logits } = model.forward([window], cache ? { cache } : {});
    const row = lastRow(logits);
    logits.dispose();
    return row;
  };
  try {
    // First step: the (cropped) prompt; the cache, if any, is filled with it.
    let row = logitsOf(tokens.slice(-ctx));
    for (let i = 0; i < options.maxNewTokens; i++) {
      const next = sampleToken(row, options, random);
      tokens.push(next);
      result.newTokens.push(next);
      result.logits?.push(row);
      options.onToken?.(next, i);
      if (options.stopTokens?.includes(next) || i + 1 === options.maxNewTokens) break;
      if (!cache) {
        row = logitsOf(tokens.slice(-ctx));
      } else if (cache.length + 1 <= ctx) {
        row = logitsOf([next]); // only the new token; earlier keys/values come from the cache
      } else {
        cache.dispose(); // the window slides: every position changes, rebuild
        row = logitsOf(tokens.slice(-ctx));
      }
    }
  } finally {
    cache?.dispose();
  }
  return result;
}

export interface Seq2SeqGenerateOptions extends GenerateOptions {
  /** The decoder's first input token. */
  startToken: number;
  sourcePadId?: number;
}

/** Generate a target sequence for one source sequence with an encoder–decoder. */
export function generateSeq2Seq(model: EncoderDecoder, source: number[], options: Seq2SeqGenerateOptions): GenerateResult {
  const random = options.seed !== undefined ? new Rng(options.seed) : rng();
  const maxNew = Math.min(options.maxNewTokens, model.config.targetLength);
  const mem = model.encode([source], { sourcePadId: options.sourcePadId });
  const cache = options.useCache ?? true ? model.createCache() : null;
  const tokens = [options.startToken];
  const result: GenerateResult = { tokens, newTokens: [] };
  if (options.returnLogits) result.logits = [];
  try {
    for (let i = 0; i < maxNew; i++) {
      const input = cache ? [tokens[tokens.length - 1]] : tokens;
      const { logits } = model.decode([input], mem, cache ? { cache } : {});
      const row = lastRow(logits);
      logits.dispose();
      const next = sampleToken(row, options, random);
      tokens.push(next);
      result.newTokens.push(next);
      result.logits?.push(row);
      options.onToken?.(next, i);
      if (options.stopTokens?.includes(next)) break;
    }
  } finally {
    cache?.dispose();
    mem.memory.dispose();
  }
  return result;
}
