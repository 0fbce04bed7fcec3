/**
 * Fast multi-head attention for the wasm backend: the same numbers as the textbook
 * formula in attention.ts, as one op with a hand-written gradient that runs each head as
 * plain 2-D matMuls — tfjs's batched (3-D) matMul runs at ~2 GFLOP/s on wasm, 2-D matMul
 * at ~25. tests/model-attention.test.ts checks that both give the same outputs and
 * gradients. Read attention.ts first; this file is only about speed.
 */
import * as tf from "@tensorflow/tfjs";
import { customOp, installFastKernels } from "./fastOps";
import { AttentionMaskSpec, MASKED, additiveMask } from "./masks";
import { mergeHeads } from "./heads";

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
  installFastKernels();
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
  installFastKernels();
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

