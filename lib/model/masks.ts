/**
 * Attention masks: which keys each query may look at.
 *
 *   causal      a decoder's self-attention: position i sees positions ≤ i (the future is hidden)
 *   keyMask     padding: per batch row, 1 for real tokens and 0 for padding — nothing looks at padding
 *
 * Masked scores get a large negative number instead of −∞, so their softmax weights are
 * exactly 0 without NaNs.
 */
import * as tf from "@tensorflow/tfjs";

/** A large negative number used instead of −∞ (so masked weights are exactly 0 without NaNs). */
export const MASKED = -1e9;

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

/** What may attend to what. */
export interface AttentionMaskSpec {
  /** Hide later positions (decoder self-attention). */
  causal?: boolean;
  /** Position of the first query (for incremental decoding with a KV cache). */
  offset?: number;
  /** Per batch row, 1 for real key tokens and 0 for padding: (B·Tk) values. */
  keyMask?: ArrayLike<number> | null;
  /**
   * Prefix LM: per batch row, the length of a prefix that every position sees whole
   * (bidirectional attention over the prefix, e.g. a source sentence; causal after it).
   */
  prefix?: ArrayLike<number> | null;
}

/** The mask as a 0/1 tensor broadcastable to (B, H, Tq, Tk), or null when everything is visible. */
export function attentionMask(spec: AttentionMaskSpec, batch: number, tq: number, tk: number): tf.Tensor | null {
  const additive = additiveMask(spec, batch, tq, tk, 1, 0);
  return additive ? tf.tensor(additive.data, additive.shape) : null;
}

/** Mask values as a flat array: `allowed` where visible, `blocked` where not. */
export function additiveMask(
  spec: AttentionMaskSpec,
  batch: number,
  tq: number,
  tk: number,
  allowed: number,
  blocked: number,
): { data: Float32Array; shape: number[] } | null {
  const { causal = false, offset = 0, keyMask = null, prefix = null } = spec;
  if (keyMask && keyMask.length !== batch * tk) {
    throw new Error(`Attention keyMask has ${keyMask.length} entries but the keys are ${batch} × ${tk}: give one 1/0 per key token.`);
  }
  if (prefix && prefix.length !== batch) throw new Error(`Attention prefix has ${prefix.length} lengths but the batch has ${batch} rows: give one prefix length per row.`);
  if (!keyMask && !prefix && (!causal || offset >= tk - 1)) return null; // everything visible (e.g. one new token after a cache)
  if (!keyMask && !prefix) return { data: causalMaskData(tq, tk, offset, allowed, blocked), shape: [tq, tk] };
  const data = new Float32Array(batch * tq * tk);
  for (let b = 0; b < batch; b++) {
    const seen = prefix ? prefix[b] : 0;
    for (let i = 0; i < tq; i++) {
      for (let j = 0; j < tk; j++) {
        const ok = (!keyMask || keyMask[b * tk + j] !== 0) && (!causal || j <= offset + i || j < seen);
        data[(b * tq + i) * tk + j] = ok ? allowed : blocked;
      }
    }
  }
  return { data, shape: [batch, 1, tq, tk] };
}

