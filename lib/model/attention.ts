/**
 * Attention, the textbook way.
 *
 * `scaledDotProductAttention(q, k, v, mask)` is the formula, written to be read:
 *
 *     weights = softmax(q kᵀ / √d  (+ −∞ where the mask forbids))   // (…, Tq, Tk), rows sum to 1
 *     output  = weights v                                              // (…, Tq, dv)
 *
 * Multi-head attention runs it once per head on dModel / nHeads-wide slices of the
 * queries, keys and values (heads.ts), and glues the heads back together:
 * `selfAttention` (keys and values come from the same sequence; `causal` hides the
 * future) and `crossAttention` (queries from the decoder, keys and values from the
 * encoder's output). Masks are in masks.ts, the KV cache in kvCache.ts.
 *
 * Training runs the same computation through fastAttention.ts (`attention: "fast"`, the
 * default); `attention: "reference"` runs the formula below. Both give the same numbers.
 */
import * as tf from "@tensorflow/tfjs";
import { fastCrossAttention, fastSelfAttention } from "./fastAttention";
import { mergeHeads, splitHeads } from "./heads";
import { LayerKV, appendKV, cachedKV } from "./kvCache";
import { linear } from "./layers";
import { AttentionMaskSpec, MASKED, attentionMask } from "./masks";


// ---------------------------------------------------------------- the formula

/**
 * softmax(q kᵀ / √d + mask) v, for q (…, Tq, d), k (…, Tk, d), v (…, Tk, dv).
 * `mask` (broadcastable to (…, Tq, Tk)) holds 1 where a query may look at a key
 * and 0 where it may not. Returns the output (…, Tq, dv) and the weights (…, Tq, Tk).
 */
export function scaledDotProductAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  mask?: tf.Tensor | null,
): { output: tf.Tensor; weights: tf.Tensor } {
  return tf.tidy(() => {
    const d = q.shape[q.rank - 1];
    const perm = [...Array(k.rank).keys()];
    [perm[k.rank - 2], perm[k.rank - 1]] = [perm[k.rank - 1], perm[k.rank - 2]];
    const kT = tf.transpose(k, perm); // (…, d, Tk)
    let scores = tf.div(tf.matMul(q, kT), Math.sqrt(d)); // (…, Tq, Tk)
    if (mask) scores = tf.add(scores, tf.mul(tf.sub(1, mask), MASKED)); // forbidden → −1e9
    const weights = tf.softmax(scores); // each row sums to 1
    return { output: tf.matMul(weights, v), weights };
  });
}

// ---------------------------------------------------------------- attention layers

/** Weights of a self-attention layer (the table in weights.ts: attn.c_attn, attn.c_proj). */
export interface SelfAttentionWeights {
  cAttnW: tf.Tensor; // (C, 3C)
  cAttnB?: tf.Tensor | null; // (3C)
  cProjW: tf.Tensor; // (C, C)
  cProjB?: tf.Tensor | null; // (C)
}

/** Weights of a cross-attention layer. */
export interface CrossAttentionWeights {
  cQW: tf.Tensor; // (C, C)
  cQB?: tf.Tensor | null;
  cKvW: tf.Tensor; // (C, 2C)
  cKvB?: tf.Tensor | null;
  cProjW: tf.Tensor; // (C, C)
  cProjB?: tf.Tensor | null;
}

/** The attention implementation: "fast" (default) or "reference" (the textbook formula; slower, same numbers). */
export type AttentionImpl = "fast" | "reference";

export interface AttentionOptions {
  batch: number;
  length: number;
  heads: number;
  mask?: AttentionMaskSpec;
  attention?: AttentionImpl;
  /** Also return the attention weights (B, H, Tq, Tk) (uses the reference path). */
  returnAttention?: boolean;
  /** Incremental decoding: this layer's cached keys/values (kvCache.ts); the new ones are appended. */
  cache?: LayerKV;
  /** Per head 1 (keep) or 0 (switch off: the head's output is zeroed before the projection) — for ablations. */
  headMask?: number[];
}

function useReference(opts: AttentionOptions): boolean {
  return opts.attention === "reference" || !!opts.returnAttention || !!opts.cache || !!opts.headMask;
}

/** Zero switched-off heads of (B, H, T, d) outputs. */
function maskHeads(output: tf.Tensor, headMask: number[] | undefined, heads: number): tf.Tensor {
  if (!headMask) return output;
  if (headMask.length !== heads) throw new Error(`headMask has ${headMask.length} entries but the layer has ${heads} heads: give one 1/0 per head.`);
  return tf.mul(output, tf.tensor4d(headMask, [1, heads, 1, 1]));
}

/** Multi-head self-attention: x (B·T, C) → (B·T, C) (and optionally the weights). */
export function selfAttention(x: tf.Tensor, w: SelfAttentionWeights, opts: AttentionOptions): { y: tf.Tensor2D; weights?: tf.Tensor } {
  const { batch: B, length: T, heads: H, mask = {} } = opts;
  const qkv = linear(x, w.cAttnW, w.cAttnB); // (B·T, 3C)
  if (!useReference(opts)) return { y: linear(fastSelfAttention(qkv, B, T, H, mask), w.cProjW, w.cProjB) };
  const [q, k, v] = tf.split(qkv, 3, 1).map((t) => splitHeads(t, B, T, H)); // (B, H, T, d) each
  const { keys, values } = opts.cache ? appendKV(opts.cache, k, v) : { keys: k, values: v }; // (B, H, past + T, d)
  const m = attentionMask(mask, B, T, keys.shape[2] as number);
  const { output, weights } = scaledDotProductAttention(q, keys, values, m);
  const y = linear(mergeHeads(maskHeads(output, opts.headMask, H)), w.cProjW, w.cProjB);
  return opts.returnAttention ? { y, weights } : { y };
}

/**
 * Multi-head cross-attention: queries from x (B·Tq, C), keys and values from
 * memory (B·Tk, C) → (B·Tq, C). With a cache, the memory's keys and values are
 * computed once and reused.
 */
export function crossAttention(
  x: tf.Tensor,
  memory: tf.Tensor,
  memoryLength: number,
  w: CrossAttentionWeights,
  opts: AttentionOptions,
): { y: tf.Tensor2D; weights?: tf.Tensor } {
  const { batch: B, length: Tq, heads: H, mask = {} } = opts;
  const Tk = memoryLength;
  const q = linear(x, w.cQW, w.cQB); // (B·Tq, C)
  if (!useReference(opts)) return { y: linear(fastCrossAttention(q, linear(memory, w.cKvW, w.cKvB), B, Tq, Tk, H, mask), w.cProjW, w.cProjB) };
  const { keys, values } = cachedKV(opts.cache, () => tf.split(linear(memory, w.cKvW, w.cKvB), 2, 1).map((t) => splitHeads(t, B, Tk, H)) as [tf.Tensor, tf.Tensor]);
  const m = attentionMask(mask, B, Tq, Tk);
  const { output, weights } = scaledDotProductAttention(splitHeads(q, B, Tq, H), keys, values, m);
  const y = linear(mergeHeads(maskHeads(output, opts.headMask, H)), w.cProjW, w.cProjB);
  return opts.returnAttention ? { y, weights } : { y };
}
