/**
 * Attention.
 *
 * `scaledDotProductAttention(q, k, v, mask)` is the textbook formula, written to
 * be read:
 *
 *     weights = softmax(q kᵀ / √d  (+ −∞ where the mask forbids))   // (…, Tq, Tk), rows sum to 1
 *     output  = weights v                                              // (…, Tq, dv)
 *
 * Multi-head attention runs it once per head on dModel / nHeads-wide slices of
 * the queries, keys and values, and glues the heads back together:
 * `selfAttention` (keys and values come from the same sequence; `causal` hides
 * the future) and `crossAttention` (queries from the decoder, keys and values
 * from the encoder's output).
 *
 * Training uses `fastSelfAttention` / `fastCrossAttention`: the same computation as one op with a
 * hand-written gradient that runs each head as plain 2-D matMuls: tfjs's batched
 * (3-D) matMul runs at ~2 GFLOP/s on wasm, 2-D matMul at ~25. The tests check
 * that both give the same outputs and gradients.
 */
import * as tf from "@tensorflow/tfjs";
import { customOp, installFastSlice } from "./fastOps";
import { linear } from "./layers";

/** A large negative number used instead of −∞ (so masked weights are exactly 0 without NaNs). */
export const MASKED = -1e9;

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

/**
 * (Tq, Tk) matrix of 1s and 0s: query i (at absolute position offset + i) may look
 * at key j only if j ≤ offset + i. With offset 0 and Tq = Tk it is lower-triangular.
 */
export function causalMask(tq: number, tk: number = tq, offset = 0): tf.Tensor2D {
  return tf.tensor2d(causalMaskData(tq, tk, offset, 1, 0), [tq, tk]);
}

function causalMaskData(tq: number, tk: number, offset: number, allowed: number, blocked: number): Float32Array {
  const data = new Float32Array(tq * tk);
  for (let i = 0; i < tq; i++) for (let j = 0; j < tk; j++) data[i * tk + j] = j <= offset + i ? allowed : blocked;
  return data;
}

// ---------------------------------------------------------------- heads

/** (B·T, C) → (B, H, T, C/H): each head's slice of the features as its own sequence. */
export function splitHeads(x: tf.Tensor, batch: number, length: number, heads: number): tf.Tensor4D {
  const c = x.shape[x.rank - 1];
  return tf.transpose(tf.reshape(x, [batch, length, heads, c / heads]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/** (B, H, T, d) → (B·T, H·d): heads side by side again. */
export function mergeHeads(x: tf.Tensor): tf.Tensor2D {
  const [b, h, t, d] = x.shape as [number, number, number, number];
  return tf.transpose(x, [0, 2, 1, 3]).reshape([b * t, h * d]);
}

/** What may attend to what. */
export interface AttentionMaskSpec {
  /** Hide later positions (decoder self-attention). */
  causal?: boolean;
  /** Position of the first query (for incremental decoding with a KV cache). */
  offset?: number;
  /** Per batch row, 1 for real key tokens and 0 for padding: (B·Tk) values. */
  keyMask?: ArrayLike<number> | null;
}

/** The mask as a 0/1 tensor broadcastable to (B, H, Tq, Tk), or null when everything is visible. */
export function attentionMask(spec: AttentionMaskSpec, batch: number, tq: number, tk: number): tf.Tensor | null {
  const additive = additiveMask(spec, batch, tq, tk, 1, 0);
  return additive ? tf.tensor(additive.data, additive.shape) : null;
}

/** Mask values as a flat array: `allowed` where visible, `blocked` where not. */
function additiveMask(
  spec: AttentionMaskSpec,
  batch: number,
  tq: number,
  tk: number,
  allowed: number,
  blocked: number,
): { data: Float32Array; shape: number[] } | null {
  const { causal = false, offset = 0, keyMask = null } = spec;
  if (keyMask && keyMask.length !== batch * tk) {
    throw new Error(`Attention keyMask has ${keyMask.length} entries but the keys are ${batch} × ${tk}: give one 1/0 per key token.`);
  }
  if (!keyMask && (!causal || offset >= tk - 1)) return null; // everything visible (e.g. one new token after a cache)
  if (!keyMask) return { data: causalMaskData(tq, tk, offset, allowed, blocked), shape: [tq, tk] };
  const data = new Float32Array(batch * tq * tk);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < tq; i++) {
      for (let j = 0; j < tk; j++) {
        const ok = keyMask[b * tk + j] !== 0 && (!causal || j <= offset + i);
        data[(b * tq + i) * tk + j] = ok ? allowed : blocked;
      }
    }
  }
  return { data, shape: [batch, 1, tq, tk] };
}

// ---------------------------------------------------------------- fast multi-head attention

/**
 * Where each head's rows live. Queries, keys and values are "packed": 2-D
 * matrices whose rows are grouped in blocks, one (T, d) block per (batch, head)
 * (so a head's slice is a contiguous, cheap `tf.slice`).
 */
interface HeadPlan {
  batch: number;
  heads: number;
  tq: number;
  tk: number;
  headDim: number;
  /** Block index of the queries of (b, h) in the query source. */
  qBlock: (b: number, h: number) => number;
  /** Block indices of the keys / values of (b, h) in the key–value source. */
  kBlock: (b: number, h: number) => number;
  vBlock: (b: number, h: number) => number;
  /** Number of blocks in the key–value source. */
  kvBlocks: number;
  mask: AttentionMaskSpec;
}

interface PerHeadGrads {
  dq: tf.Tensor[]; // (Tq, d) per (b, h), in b-major order
  dk: tf.Tensor[];
  dv: tf.Tensor[];
}

/** A packed source cut into its (rows, d) blocks — one `tf.split`, i.e. one cheap op. */
function blocksOf(src: tf.Tensor, rows: number): tf.Tensor2D[] {
  return tf.split(src, (src.shape[0] as number) / rows, 0) as tf.Tensor2D[];
}

/** Forward pass on packed sources; returns head-major outputs (B·H·Tq, d) and what backward needs. */
function attendForward(qSrc: tf.Tensor2D, kvSrc: tf.Tensor2D, plan: HeadPlan) {
  const { batch: B, heads: H, tq, tk, headDim: d } = plan;
  // Every key/value block transposed at once: block i becomes rows [i·d, (i+1)·d) of (blocks·d, Tk).
  const kvT = tf.transpose(tf.reshape(kvSrc, [plan.kvBlocks, tk, d]), [0, 2, 1]).reshape([plan.kvBlocks * d, tk]) as tf.Tensor2D;
  const qs = blocksOf(qSrc, tq); // (Tq, d) each
  const kTs = blocksOf(kvT, d); // (d, Tk) each
  const scores: tf.Tensor[] = [];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) scores.push(tf.matMul(qs[plan.qBlock(b, h)], kTs[plan.kBlock(b, h)])); // q kᵀ (Tq, Tk)
  }
  let s = tf.mul(tf.concat(scores, 0).reshape([B, H, tq, tk]), 1 / Math.sqrt(d));
  const m = additiveMask(plan.mask, B, tq, tk, 0, MASKED);
  if (m) s = tf.add(s, tf.tensor(m.data, m.shape));
  const p = tf.softmax(s).reshape([B * H * tq, tk]) as tf.Tensor2D; // attention weights
  const ps = blocksOf(p, tq); // (Tq, Tk) each
  const vs = qSrc === kvSrc ? qs : blocksOf(kvSrc, tk); // (Tk, d) each
  const ys: tf.Tensor[] = [];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) ys.push(tf.matMul(ps[b * H + h], vs[plan.vBlock(b, h)])); // weights · v (Tq, d)
  }
  return { y: tf.concat(ys, 0), kvT, p };
}

/** Backward pass: per-head gradients of the queries, keys and values. */
function attendBackward(dy: tf.Tensor, qSrc: tf.Tensor, kvSrc: tf.Tensor, kvT: tf.Tensor, p: tf.Tensor, plan: HeadPlan): PerHeadGrads {
  const { batch: B, heads: H, tq, tk, headDim: d } = plan;
  const BH = B * H;
  const dys = blocksOf(dy, tq); // (Tq, d) per head
  const vTs = blocksOf(kvT, d); // (d, Tk) per key/value block
  const wTs = blocksOf(tf.transpose(tf.reshape(p, [BH, tq, tk]), [0, 2, 1]).reshape([BH * tk, tq]), tk); // weightsᵀ (Tk, Tq)
  const dPs: tf.Tensor[] = [];
  const dv: tf.Tensor[] = [];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const i = b * H + h;
      dPs.push(tf.matMul(dys[i], vTs[plan.vBlock(b, h)])); // dP = dy vᵀ (Tq, Tk)
      dv.push(tf.matMul(wTs[i], dys[i])); //                     dv = Pᵀ dy (Tk, d)
    }
  }
  // Softmax backward, then the 1/√d scale: dS = P ⊙ (dP − Σ_j dP ⊙ P) / √d
  const dP = tf.concat(dPs, 0); // (B·H·Tq, Tk)
  const dS = tf.mul(tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), -1, true))), 1 / Math.sqrt(d));
  const dSs = blocksOf(dS, tq); // (Tq, Tk)
  const dSTs = blocksOf(tf.transpose(tf.reshape(dS, [BH, tq, tk]), [0, 2, 1]).reshape([BH * tk, tq]), tk); // (Tk, Tq)
  const qs = blocksOf(qSrc, tq);
  const ks = qSrc === kvSrc ? qs : blocksOf(kvSrc, tk);
  const dq: tf.Tensor[] = [];
  const dk: tf.Tensor[] = [];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const i = b * H + h;
      dq.push(tf.matMul(dSs[i], ks[plan.kBlock(b, h)])); // dq = dS k   (Tq, d)
      dk.push(tf.matMul(dSTs[i], qs[plan.qBlock(b, h)])); // dk = dSᵀ q  (Tk, d)
    }
  }
  return { dq, dk, dv };
}

/**
 * Multi-head self-attention core on a fused query|key|value matrix qkv (B·T, 3C)
 * (columns [0, C) queries, [C, 2C) keys, [2C, 3C) values, each split into heads)
 * → (B·T, C), before the output projection. Same result as splitting the heads and
 * calling scaledDotProductAttention, but fast on wasm.
 */
export function fastSelfAttention(qkv: tf.Tensor, batch: number, length: number, heads: number, mask: AttentionMaskSpec = {}): tf.Tensor2D {
  installFastSlice();
  const C = (qkv.shape[1] as number) / 3;
  const d = C / heads;
  const B = batch;
  const H = heads;
  const T = length;
  // (B, T, 3H, d) → (B, 3H, T, d): block b·3H + j holds head j's queries (j < H), keys, then values.
  const packed = tf.transpose(tf.reshape(qkv, [B, T, 3 * H, d]), [0, 2, 1, 3]).reshape([B * 3 * H * T, d]);
  const plan: HeadPlan = {
    batch: B,
    heads: H,
    tq: T,
    tk: T,
    headDim: d,
    qBlock: (b, h) => b * 3 * H + h,
    kBlock: (b, h) => b * 3 * H + H + h,
    vBlock: (b, h) => b * 3 * H + 2 * H + h,
    kvBlocks: B * 3 * H,
    mask,
  };
  const op = customOp(([src], save) => {
    const { y, kvT, p } = attendForward(src as tf.Tensor2D, src as tf.Tensor2D, plan);
    save([src, kvT, p]);
    return {
      value: y,
      gradFunc: (dy, [s, sT, sp]) => {
        const g = attendBackward(dy, s, s, sT, sp, plan);
        const blocks: tf.Tensor[] = new Array(B * 3 * H);
        for (let b = 0; b < B; b++) {
          for (let h = 0; h < H; h++) {
            blocks[plan.qBlock(b, h)] = g.dq[b * H + h];
            blocks[plan.kBlock(b, h)] = g.dk[b * H + h];
            blocks[plan.vBlock(b, h)] = g.dv[b * H + h];
          }
        }
        return [tf.concat(blocks, 0)];
      },
    };
  });
  const y = op(packed).reshape([B, H, T, d]); // head-major output
  return mergeHeads(y);
}

/**
 * Multi-head cross-attention core: queries q (B·Tq, C) from one sequence, fused
 * keys|values kv (B·Tk, 2C) from another → (B·Tq, C), before the output projection.
 */
export function fastCrossAttention(q: tf.Tensor, kv: tf.Tensor, batch: number, tq: number, tk: number, heads: number, mask: AttentionMaskSpec = {}): tf.Tensor2D {
  installFastSlice();
  const C = q.shape[1] as number;
  const d = C / heads;
  const B = batch;
  const H = heads;
  const qPacked = tf.transpose(tf.reshape(q, [B, tq, H, d]), [0, 2, 1, 3]).reshape([B * H * tq, d]);
  const kvPacked = tf.transpose(tf.reshape(kv, [B, tk, 2 * H, d]), [0, 2, 1, 3]).reshape([B * 2 * H * tk, d]);
  const plan: HeadPlan = {
    batch: B,
    heads: H,
    tq,
    tk,
    headDim: d,
    qBlock: (b, h) => b * H + h,
    kBlock: (b, h) => b * 2 * H + h,
    vBlock: (b, h) => b * 2 * H + H + h,
    kvBlocks: B * 2 * H,
    mask,
  };
  const op = customOp(([qs, kvs], save) => {
    const { y, kvT, p } = attendForward(qs as tf.Tensor2D, kvs as tf.Tensor2D, plan);
    save([qs, kvs, kvT, p]);
    return {
      value: y,
      gradFunc: (dy, [sq, skv, sT, sp]) => {
        const g = attendBackward(dy, sq, skv, sT, sp, plan);
        const kvBlocks: tf.Tensor[] = new Array(B * 2 * H);
        for (let b = 0; b < B; b++) {
          for (let h = 0; h < H; h++) {
            kvBlocks[plan.kBlock(b, h)] = g.dk[b * H + h];
            kvBlocks[plan.vBlock(b, h)] = g.dv[b * H + h];
          }
        }
        return [tf.concat(g.dq, 0), tf.concat(kvBlocks, 0)];
      },
    };
  });
  const y = op(qPacked, kvPacked).reshape([B, H, tq, d]);
  return mergeHeads(y);
}

// ---------------------------------------------------------------- attention layers

/** Weights of a self-attention layer (names as in params.ts). */
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

/** Cached keys and values of one attention layer, (B, H, T, d) each. */
export interface LayerKV {
  k: tf.Tensor4D | null;
  v: tf.Tensor4D | null;
}

export interface AttentionOptions {
  batch: number;
  length: number;
  heads: number;
  mask?: AttentionMaskSpec;
  /** "fast" (default): per-head 2-D matMuls with a hand-written gradient. "reference": the textbook formula. */
  impl?: "fast" | "reference";
  /** Also return the attention weights (B, H, Tq, Tk) (uses the reference path). */
  returnWeights?: boolean;
  /**
   * Incremental decoding: keys/values of earlier positions. The new keys and
   * values are appended (the cache's tensors are replaced and kept).
   */
  cache?: LayerKV;
}

/** Multi-head self-attention: x (B·T, C) → (B·T, C) (and optionally the weights). */
export function selfAttention(x: tf.Tensor, w: SelfAttentionWeights, opts: AttentionOptions): { y: tf.Tensor2D; weights?: tf.Tensor } {
  const { batch: B, length: T, heads: H, mask = {} } = opts;
  const qkv = linear(x, w.cAttnW, w.cAttnB); // (B·T, 3C)
  const useReference = opts.impl === "reference" || opts.returnWeights || opts.cache;
  if (!useReference) {
    return { y: linear(fastSelfAttention(qkv, B, T, H, mask), w.cProjW, w.cProjB) };
  }
  const [q, k, v] = tf.split(qkv, 3, 1).map((t) => splitHeads(t, B, T, H)); // (B, H, T, d) each
  let keys: tf.Tensor = k;
  let values: tf.Tensor = v;
  if (opts.cache) {
    const c = opts.cache;
    keys = c.k ? tf.concat([c.k, k], 2) : k; // (B, H, past + T, d)
    values = c.v ? tf.concat([c.v, v], 2) : v;
    if (c.k) c.k.dispose();
    if (c.v) c.v.dispose();
    c.k = tf.keep(keys) as tf.Tensor4D;
    c.v = tf.keep(values) as tf.Tensor4D;
  }
  const tk = keys.shape[2] as number;
  const m = attentionMask(mask, B, T, tk);
  const { output, weights } = scaledDotProductAttention(q, keys, values, m);
  const y = linear(mergeHeads(output), w.cProjW, w.cProjB);
  return opts.returnWeights ? { y, weights } : { y };
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
  const useReference = opts.impl === "reference" || opts.returnWeights || opts.cache;
  if (!useReference) {
    const kv = linear(memory, w.cKvW, w.cKvB); // (B·Tk, 2C)
    return { y: linear(fastCrossAttention(q, kv, B, Tq, Tk, H, mask), w.cProjW, w.cProjB) };
  }
  let keys: tf.Tensor;
  let values: tf.Tensor;
  if (opts.cache?.k && opts.cache.v) {
    keys = opts.cache.k;
    values = opts.cache.v;
  } else {
    const kv = linear(memory, w.cKvW, w.cKvB);
    [keys, values] = tf.split(kv, 2, 1).map((t) => splitHeads(t, B, Tk, H));
    if (opts.cache) {
      opts.cache.k = tf.keep(keys) as tf.Tensor4D;
      opts.cache.v = tf.keep(values) as tf.Tensor4D;
    }
  }
  const m = attentionMask(mask, B, Tq, Tk);
  const { output, weights } = scaledDotProductAttention(splitHeads(q, B, Tq, H), keys, values, m);
  const y = linear(mergeHeads(output), w.cProjW, w.cProjB);
  return opts.returnWeights ? { y, weights } : { y };
}
