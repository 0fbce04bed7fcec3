/**
 * Chapter 02 exercises: a numerically stable softmax, scaled dot-product
 * attention on plain arrays (with an optional mask), a whole self-attention layer
 * from X with learned projections (Q = X·W_q, …, the output projection W_o), and
 * splitting / merging attention heads. Expected values are written by hand for the small
 * cases and computed by the lib's reference code (tf.softmax,
 * lib/model/attention's scaledDotProductAttention, causalMask, splitHeads,
 * mergeHeads) for the rest — never by a learner-style solution.
 */
import * as tf from "@tensorflow/tfjs";
import { scaledDotProductAttention } from "../model/attention";
import { mergeHeads, splitHeads } from "../model/heads";
import { causalMask } from "../model/masks";
import { Rng } from "../random";
import { Exercise } from "./types";

type Matrix = number[][];

/** A rows × cols matrix of N(0, scale²) numbers rounded to 2 decimals (readable in messages). */
function randomMatrix(rng: Rng, rows: number, cols: number, scale = 1): Matrix {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round(rng.normal(0, scale) * 100) / 100));
}

/** tf.softmax of one row. */
function libSoftmax(x: number[]): number[] {
  return tf.tidy(() => tf.softmax(tf.tensor1d(x)).arraySync() as number[]);
}

/** The lib's attention on plain arrays: q (Tq, d), k (Tk, d), v (Tk, dv), mask (Tq, Tk) of 1/0. */
function libAttention(q: Matrix, k: Matrix, v: Matrix, mask?: Matrix): { weights: Matrix; output: Matrix } {
  return tf.tidy(() => {
    const m = mask ? tf.tensor2d(mask) : null;
    const { output, weights } = scaledDotProductAttention(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(v), m);
    return { weights: weights.arraySync() as Matrix, output: output.arraySync() as Matrix };
  }) as unknown as { weights: Matrix; output: Matrix };
}

function libCausalMask(tq: number, tk: number = tq): Matrix {
  return tf.tidy(() => causalMask(tq, tk).arraySync());
}

/** lib splitHeads on one sequence: (T, C) → (H, T, C/H). */
function libSplitHeads(x: Matrix, heads: number): number[][][] {
  return tf.tidy(() => (splitHeads(tf.tensor2d(x), 1, x.length, heads).arraySync() as number[][][][])[0]);
}

/** lib mergeHeads on one sequence: (H, T, d) → (T, H·d). */
function libMergeHeads(x: number[][][]): Matrix {
  return tf.tidy(() => mergeHeads(tf.tensor4d([x])).arraySync());
}

/** x (T, d) → softmax(Q Kᵀ / √d_k [+ causal mask]) V W_o with the lib's attention; wo null = no output projection. */
function libSelfAttentionLayer(x: Matrix, wq: Matrix, wk: Matrix, wv: Matrix, wo: Matrix | null, causal: boolean, scaled = true): Matrix {
  return tf.tidy(() => {
    const X = tf.tensor2d(x);
    const dk = wq[0].length;
    const q = tf.matMul(X, tf.tensor2d(wq));
    const k = tf.matMul(X, tf.tensor2d(wk));
    const v = tf.matMul(X, tf.tensor2d(wv));
    const { output } = scaledDotProductAttention(scaled ? q : tf.mul(q, Math.sqrt(dk)), k, v, causal ? causalMask(x.length) : null);
    return (wo ? tf.matMul(output, tf.tensor2d(wo)) : output).arraySync() as Matrix;
  });
}

/** Round numbers to 4 decimals (for recognising a mistake, not for scoring). */
function roundDeep(v: unknown): unknown {
  if (typeof v === "number") return Math.round(v * 1e4) / 1e4;
  if (Array.isArray(v)) return v.map(roundDeep);
  return v;
}

const E = Math.E;

export const exercises: Exercise[] = [
  {
    id: "02-softmax",
    title: "A numerically stable softmax",
    points: 1,
    tolerance: 1e-5,
    cases: () => [
      { label: "two equal scores", args: [[0, 0]], expected: [0.5, 0.5] },
      { label: "one score", args: [[5]], expected: [1] },
      { label: "small scores", args: [[1, 2, 3]], expected: libSoftmax([1, 2, 3]) },
      // e^1000 is Infinity in floating point: a naive softmax gives Infinity / Infinity = NaN.
      { label: "large scores (naive exp overflows)", args: [[1000, 1001]], expected: [1 / (1 + E), E / (1 + E)] },
      { label: "very negative scores (naive exp underflows to 0/0)", args: [[-1000, -1000, -1000]], expected: [1 / 3, 1 / 3, 1 / 3] },
      { label: "a masked score (−Infinity) gets weight 0", args: [[0, -Infinity, 0]], expected: [0.5, 0, 0.5] },
      { label: "mixed", args: [[3.5, -2, 0.25, 10]], expected: libSoftmax([3.5, -2, 0.25, 10]) },
    ],
    hint: (got) => {
      if (Array.isArray(got) && got.some((v) => v === null || Number.isNaN(v))) return "NaN comes from Infinity / Infinity or 0 / 0: subtract the row's maximum from every score before Math.exp";
      return undefined;
    },
  },
  {
    id: "02-attention",
    title: "Scaled dot-product attention (with an optional mask)",
    points: 2,
    tolerance: 1e-5,
    cases: () => {
      const rng = new Rng(2002);
      const q1 = randomMatrix(rng, 4, 3);
      const k1 = randomMatrix(rng, 4, 3);
      const v1 = randomMatrix(rng, 4, 2);
      const q2 = randomMatrix(rng, 2, 8);
      const k2 = randomMatrix(rng, 5, 8);
      const v2 = randomMatrix(rng, 5, 3);
      const qBig = randomMatrix(rng, 3, 4, 40); // scores in the thousands: e^score overflows without a stable softmax
      const kBig = randomMatrix(rng, 3, 4, 40);
      const vBig = randomMatrix(rng, 3, 2);
      const causal4 = [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]];
      const e2 = Math.exp(2);
      return [
        {
          label: "identical keys → equal weights → the mean of the values",
          args: [[[1, 0]], [[1, 1], [1, 1]], [[1, 2], [3, 4]]],
          expected: { weights: [[0.5, 0.5]], output: [[2, 3]] },
        },
        { label: "one key → weight 1 → its value", args: [[[0.3, -1]], [[2, 5]], [[7, -7, 1]]], expected: { weights: [[1]], output: [[7, -7, 1]] } },
        {
          // scores q·k / √d = [4/2, 0] = [2, 0]  (d = 4, √d = 2)
          label: "divide by √d",
          args: [[[2, 0, 0, 0]], [[2, 0, 0, 0], [0, 0, 0, 0]], [[1, 0], [0, 1]]],
          expected: { weights: [[e2 / (e2 + 1), 1 / (e2 + 1)]], output: [[e2 / (e2 + 1), 1 / (e2 + 1)]] },
        },
        { label: "4 tokens, d = 3", args: [q1, k1, v1], expected: libAttention(q1, k1, v1) },
        { label: "2 queries, 5 keys, d = 8", args: [q2, k2, v2], expected: libAttention(q2, k2, v2) },
        { label: "causal mask", args: [q1, k1, v1, causal4], expected: libAttention(q1, k1, v1, causal4) },
        { label: "large scores", args: [qBig, kBig, vBig], expected: libAttention(qBig, kBig, vBig) },
        { label: "large scores, causal", args: [qBig, kBig, vBig, libCausalMask(3)], expected: libAttention(qBig, kBig, vBig, libCausalMask(3)) },
      ];
    },
  },
  {
    id: "02-self-attention-layer",
    title: "A self-attention layer: from X with learned projections",
    points: 3,
    tolerance: 1e-5,
    cases: () => {
      const rng = new Rng(2005);
      const make = (T: number, d: number, dk: number, causal: boolean, scale = 0.5) => {
        const x = randomMatrix(rng, T, d);
        const wq = randomMatrix(rng, d, dk, scale);
        const wk = randomMatrix(rng, d, dk, scale);
        const wv = randomMatrix(rng, d, dk, scale);
        const wo = randomMatrix(rng, dk, d, scale);
        return { args: [x, wq, wk, wv, wo, causal], expected: libSelfAttentionLayer(x, wq, wk, wv, wo, causal) };
      };
      const I2 = [[1, 0], [0, 1]];
      return [
        // W_v = W_o = I and equal scores: each output is the mean of the rows it may see.
        { label: "zero W_q: equal weights, causal → running mean of X", args: [[[1, 2], [3, 4], [5, 0]], [[0, 0], [0, 0]], I2, I2, I2, true], expected: [[1, 2], [2, 3], [3, 2]] },
        { label: "zero W_q, not causal → every row is the mean of X", args: [[[1, 2], [3, 4], [5, 0]], [[0, 0], [0, 0]], I2, I2, I2, false], expected: [[3, 2], [3, 2], [3, 2]] },
        { label: "4 tokens, d 3 → d_k 2, causal", ...make(4, 3, 2, true) },
        { label: "5 tokens, d 4 → d_k 4, not causal", ...make(5, 4, 4, false) },
        { label: "6 tokens, d 8 → d_k 4, causal", ...make(6, 8, 4, true, 1) },
      ];
    },
    hint: (got, _expected, args) => {
      const [x, wq, wk, wv, wo, causal] = args as [Matrix, Matrix, Matrix, Matrix, Matrix, boolean];
      const same = (a: unknown, b: Matrix) => JSON.stringify(roundDeep(a)) === JSON.stringify(roundDeep(b));
      if (same(got, libSelfAttentionLayer(x, wq, wk, wv, wo, !causal))) return causal ? "this is the answer without the causal mask: query i may only look at keys j ≤ i" : "this is the causal answer, but this case has causal = false";
      if (same(got, libSelfAttentionLayer(x, wq, wk, wv, wo, causal, false))) return "the scores are not divided by √d_k (d_k = the width of Q and K, W_q's column count)";
      if (same(got, libSelfAttentionLayer(x, wq, wk, wv, null, causal))) return "the result is weights · V without the output projection: multiply by W_o last";
      return undefined;
    },
  },
  {
    id: "02-split-heads",
    title: "Split the features into heads",
    points: 1,
    cases: () => {
      const rng = new Rng(2003);
      const x = randomMatrix(rng, 3, 6);
      const y = randomMatrix(rng, 5, 8);
      return [
        { label: "2 tokens, 4 features, 2 heads", args: [[[1, 2, 3, 4], [5, 6, 7, 8]], 2], expected: [[[1, 2], [5, 6]], [[3, 4], [7, 8]]] },
        { label: "one head = the whole matrix", args: [[[1, 2, 3], [4, 5, 6]], 1], expected: [[[1, 2, 3], [4, 5, 6]]] },
        { label: "one feature per head", args: [[[1, 2, 3], [4, 5, 6]], 3], expected: [[[1], [4]], [[2], [5]], [[3], [6]]] },
        { label: "3 tokens, 6 features, 3 heads", args: [x, 3], expected: libSplitHeads(x, 3) },
        { label: "5 tokens, 8 features, 4 heads", args: [y, 4], expected: libSplitHeads(y, 4) },
      ];
    },
  },
  {
    id: "02-merge-heads",
    title: "Merge the heads back together",
    points: 1,
    cases: () => {
      const rng = new Rng(2004);
      const x = [randomMatrix(rng, 3, 2), randomMatrix(rng, 3, 2), randomMatrix(rng, 3, 2)];
      const y = [randomMatrix(rng, 5, 4), randomMatrix(rng, 5, 4)];
      return [
        { label: "2 heads, 2 tokens, 2 features each", args: [[[[1, 2], [5, 6]], [[3, 4], [7, 8]]]], expected: [[1, 2, 3, 4], [5, 6, 7, 8]] },
        { label: "one head", args: [[[[1, 2, 3], [4, 5, 6]]]], expected: [[1, 2, 3], [4, 5, 6]] },
        { label: "3 heads, 3 tokens, 2 features each", args: [x], expected: libMergeHeads(x) },
        { label: "2 heads, 5 tokens, 4 features each", args: [y], expected: libMergeHeads(y) },
      ];
    },
  },
];
