/**
 * Chapter 03 exercises: the pieces of a Transformer block on plain arrays —
 * a sinusoidal position row, LayerNorm of one row, one pre-LN residual step,
 * causal multi-head self-attention, a whole block's forward pass (both checked
 * against the lib's layers), counting the 2017 encoder–decoder (≈ 63 M with our
 * count; the paper reports 65 M), and one LSTM step (for the comparison with
 * recurrent networks).
 *
 * Expected values are written by hand for the small cases and computed by
 * reference code for the rest: the lib's model layers (lib/model) and, for the
 * LSTM, tfjs's own `tf.layers.lstm` — never by a solution like the learner's.
 */
import * as tf from "@tensorflow/tfjs";
import { selfAttention } from "../model/attention";
import { gelu, layerNorm, linear } from "../model/layers";
import { sinusoidalTable } from "../model/positional";
import { Rng } from "../random";
import { Exercise } from "./types";

/** A (rows × cols) matrix of normal(0, std) numbers from a fixed seed. */
function randomMatrix(rng: Rng, rows: number, cols: number, std = 1, mean = 0): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal(mean, std)));
}

function randomRow(rng: Rng, n: number, std = 1, mean = 0): number[] {
  return randomMatrix(rng, 1, n, std, mean)[0];
}

/** Row `pos` of the lib's sinusoidal table. */
function peRow(pos: number, dModel: number): number[] {
  return Array.from(sinusoidalTable(1, dModel, pos));
}

/** The lib's LayerNorm of one row. */
function libLayerNorm(x: number[], gamma: number[], beta: number[], eps: number): number[] {
  return tf.tidy(() => layerNorm(tf.tensor2d([x]), tf.tensor1d(gamma), tf.tensor1d(beta), eps).arraySync()[0]);
}

/** Weights of one attention layer, GPT-2 names: c_attn (C, 3C) + bias, c_proj (C, C) + bias. */
interface AttnArrays {
  wQkv: number[][];
  bQkv: number[];
  wProj: number[][];
  bProj: number[];
}

/** Weights of one pre-LN block, as plain arrays. */
export interface BlockArrays {
  ln1: { gamma: number[]; beta: number[] };
  attn: AttnArrays;
  ln2: { gamma: number[]; beta: number[] };
  mlp: { wFc: number[][]; bFc: number[]; wProj: number[][]; bProj: number[] };
}

/** The lib's causal multi-head self-attention (selfAttention, the textbook path) on plain arrays. */
function libMultiHead(x: number[][], w: AttnArrays, heads: number): number[][] {
  return tf.tidy(() => {
    const weights = { cAttnW: tf.tensor2d(w.wQkv), cAttnB: tf.tensor1d(w.bQkv), cProjW: tf.tensor2d(w.wProj), cProjB: tf.tensor1d(w.bProj) };
    return selfAttention(tf.tensor2d(x), weights, { batch: 1, length: x.length, heads, mask: { causal: true }, attention: "reference" }).y.arraySync() as number[][];
  });
}

/** The lib's pre-LN block on plain arrays: x + attn(LN₁(x)), then + FFN(LN₂(·)) with GELU (eps 1e-5). */
export function libBlockForward(x: number[][], w: BlockArrays, heads: number): number[][] {
  return tf.tidy(() => {
    const X = tf.tensor2d(x);
    const h1 = layerNorm(X, tf.tensor1d(w.ln1.gamma), tf.tensor1d(w.ln1.beta), 1e-5);
    const weights = { cAttnW: tf.tensor2d(w.attn.wQkv), cAttnB: tf.tensor1d(w.attn.bQkv), cProjW: tf.tensor2d(w.attn.wProj), cProjB: tf.tensor1d(w.attn.bProj) };
    const x1 = tf.add(X, selfAttention(h1, weights, { batch: 1, length: x.length, heads, mask: { causal: true }, attention: "reference" }).y);
    const h2 = layerNorm(x1, tf.tensor1d(w.ln2.gamma), tf.tensor1d(w.ln2.beta), 1e-5);
    const f = linear(gelu(linear(h2, tf.tensor2d(w.mlp.wFc), tf.tensor1d(w.mlp.bFc))), tf.tensor2d(w.mlp.wProj), tf.tensor1d(w.mlp.bProj));
    return tf.add(x1, f).arraySync() as number[][];
  });
}

/** Random block weights (γ near 1) for width C and feed-forward width F. */
export function randomBlock(rng: Rng, C: number, F: number, std = 0.4): BlockArrays {
  return {
    ln1: { gamma: randomRow(rng, C, 0.2, 1), beta: randomRow(rng, C, 0.2) },
    attn: { wQkv: randomMatrix(rng, C, 3 * C, std), bQkv: randomRow(rng, 3 * C, 0.1), wProj: randomMatrix(rng, C, C, std), bProj: randomRow(rng, C, 0.1) },
    ln2: { gamma: randomRow(rng, C, 0.2, 1), beta: randomRow(rng, C, 0.2) },
    mlp: { wFc: randomMatrix(rng, C, F, std), bFc: randomRow(rng, F, 0.1), wProj: randomMatrix(rng, F, C, std), bProj: randomRow(rng, C, 0.1) },
  };
}

/**
 * The 2017 encoder–decoder, counted by hand (post-LN, sinusoidal positions = no parameters,
 * one embedding matrix shared by the encoder input, the decoder input and the output layer):
 * encoder layer = attention 4d² + 4d, feed-forward 2·d·dFF + dFF + d, two LayerNorms 4d;
 * decoder layer = two attentions (self and cross) 8d² + 8d, feed-forward, three LayerNorms 6d.
 */
function transformerParamsByHand(c: { vocabSize: number; dModel: number; dFF: number; nEncoderLayers: number; nDecoderLayers: number }): number {
  const d = c.dModel;
  const ffn = 2 * d * c.dFF + c.dFF + d;
  const encoder = 4 * d * d + 4 * d + ffn + 4 * d;
  const decoder = 8 * d * d + 8 * d + ffn + 6 * d;
  return c.vocabSize * d + c.nEncoderLayers * encoder + c.nDecoderLayers * decoder;
}

/** x + Linear(LayerNorm(x)) with the lib's layers (eps 1e-5). */
function libResidual(x: number[][], gamma: number[], beta: number[], w: number[][], b: number[]): number[][] {
  return tf.tidy(() => {
    const xt = tf.tensor2d(x);
    const branch = linear(layerNorm(xt, tf.tensor1d(gamma), tf.tensor1d(beta), 1e-5), tf.tensor2d(w), tf.tensor1d(b));
    return tf.add(xt, branch).arraySync() as number[][];
  });
}

/**
 * One LSTM step by tfjs's own LSTM layer (Keras conventions: kernel (D, 4H),
 * recurrent kernel (H, 4H), bias (4H), gates in the order i, f, c̃, o).
 */
function tfjsLstmStep(x: number[], h: number[], c: number[], wx: number[][], wh: number[][], b: number[]): { h: number[]; c: number[] } {
  const units = h.length;
  const layer = tf.layers.lstm({
    units,
    returnState: true,
    recurrentActivation: "sigmoid",
    kernelInitializer: "zeros",
    recurrentInitializer: "zeros",
  });
  try {
    return tf.tidy(() => {
      const input = tf.tensor3d([[x]]); // (batch 1, 1 step, D)
      const initialState = [tf.tensor2d([h]), tf.tensor2d([c])];
      layer.apply(input, { initialState }); // builds the weights
      layer.setWeights([tf.tensor2d(wx), tf.tensor2d(wh), tf.tensor1d(b)]);
      const [, hNext, cNext] = layer.apply(input, { initialState }) as tf.Tensor[];
      return { h: Array.from(hNext.dataSync()), c: Array.from(cNext.dataSync()) };
    });
  } finally {
    layer.dispose();
  }
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export const exercises: Exercise[] = [
  {
    id: "03-positional-encoding",
    title: "One row of the sinusoidal position table",
    points: 1,
    tolerance: 1e-5,
    cases: () => [
      { label: "position 0: sin 0 = 0, cos 0 = 1", args: [0, 4], expected: [0, 1, 0, 1] },
      { label: "position 1, dModel 2", args: [1, 2], expected: [Math.sin(1), Math.cos(1)] },
      // dModel 4: frequencies 1/10000^(0/4) = 1 and 1/10000^(2/4) = 1/100
      { label: "position 1, dModel 4", args: [1, 4], expected: [Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)] },
      { label: "position 5, dModel 8", args: [5, 8], expected: peRow(5, 8) },
      { label: "position 37, dModel 6", args: [37, 6], expected: peRow(37, 6) },
      { label: "position 100, dModel 16", args: [100, 16], expected: peRow(100, 16) },
    ],
    hint: (got, expected) => {
      if (!Array.isArray(got) || !Array.isArray(expected) || got.length !== expected.length) return undefined;
      const swapped = expected.map((_, j) => expected[j ^ 1] as number);
      if (got.every((v, j) => typeof v === "number" && Math.abs(v - swapped[j]) < 1e-5)) return "sin and cos are swapped: even entries (2i) are sin, odd entries (2i + 1) are cos";
      return undefined;
    },
  },
  {
    id: "03-layer-norm",
    title: "LayerNorm of one row",
    points: 1,
    tolerance: 1e-5,
    cases: () => {
      const rng = new Rng(301);
      const x8 = randomRow(rng, 8, 3, 5);
      const g8 = randomRow(rng, 8, 0.5, 1);
      const b8 = randomRow(rng, 8, 0.5);
      // [1, 2, 3, 4]: mean 2.5, variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25
      const s = Math.sqrt(1.25);
      return [
        { label: "[1, 2, 3, 4], eps 0", args: [[1, 2, 3, 4], [1, 1, 1, 1], [0, 0, 0, 0], 0], expected: [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s] },
        { label: "with γ and β", args: [[1, 2, 3, 4], [2, 2, 2, 2], [1, 0, 0, -1], 0], expected: [1 - 3 / s, -1 / s, 1 / s, 3 / s - 1] },
        { label: "a constant row (eps avoids 0 / 0)", args: [[3, 3, 3], [1, 1, 1], [0.5, 0.5, 0.5], 1e-5], expected: [0.5, 0.5, 0.5] },
        { label: "large offset", args: [[1000, 1001, 1002], [1, 1, 1], [0, 0, 0], 1e-5], expected: libLayerNorm([1000, 1001, 1002], [1, 1, 1], [0, 0, 0], 1e-5) },
        { label: "random row of 8, eps 1e-5", args: [x8, g8, b8, 1e-5], expected: libLayerNorm(x8, g8, b8, 1e-5) },
      ];
    },
    hint: (got, expected, args) => {
      const [x, gamma, beta] = args as [number[], number[], number[], number];
      if (!Array.isArray(got) || !Array.isArray(expected) || got.length !== expected.length || x.length < 2) return undefined;
      const n = x.length;
      const sample = (expected as number[]).map((v, j) => (v - beta[j]) * Math.sqrt((n - 1) / n) + beta[j]);
      if (got.every((v, j) => typeof v === "number" && Math.abs(v - sample[j]) < 1e-4)) return "the variance divides by the row's length n, not n − 1";
      const plain = (expected as number[]).map((v, j) => (gamma[j] === 0 ? 0 : (v - beta[j]) / gamma[j]));
      if (got.every((v, j) => typeof v === "number" && Math.abs(v - plain[j]) < 1e-4) && gamma.some((g, j) => g !== 1 || beta[j] !== 0)) return "γ and β are missing: multiply by gamma and add beta after normalising";
      return undefined;
    },
  },
  {
    id: "03-residual-step",
    title: "One pre-LN residual step: x + Linear(LayerNorm(x))",
    points: 2,
    tolerance: 1e-5,
    cases: () => {
      const rng = new Rng(302);
      const make = (rows: number, dim: number) => {
        const x = randomMatrix(rng, rows, dim, 2, 1);
        const gamma = randomRow(rng, dim, 0.3, 1);
        const beta = randomRow(rng, dim, 0.3);
        const w = randomMatrix(rng, dim, dim, 0.5);
        const b = randomRow(rng, dim, 0.3);
        return { args: [x, gamma, beta, w, b], expected: libResidual(x, gamma, beta, w, b) };
      };
      // x = [1, 3]: mean 2, variance 1, LayerNorm → [−1, 1] / √(1 + 1e-5); W = identity adds it to x.
      const n = 1 / Math.sqrt(1 + 1e-5);
      return [
        { label: "one token, identity weights", args: [[[1, 3]], [1, 1], [0, 0], [[1, 0], [0, 1]], [0, 0]], expected: [[1 - n, 3 + n]] },
        { label: "zero weights: the block is the identity", args: [[[1, 2, 3], [4, 0, -4]], [1, 1, 1], [0, 0, 0], [[0, 0, 0], [0, 0, 0], [0, 0, 0]], [0, 0, 0]], expected: [[1, 2, 3], [4, 0, -4]] },
        { label: "3 tokens, width 4", ...make(3, 4) },
        { label: "5 tokens, width 6", ...make(5, 6) },
      ];
    },
  },
  {
    id: "03-multi-head-attention",
    title: "Causal multi-head self-attention (GPT-2's c_attn / c_proj)",
    points: 3,
    tolerance: 1e-4,
    cases: () => {
      const rng = new Rng(304);
      const make = (T: number, C: number, heads: number) => {
        const x = randomMatrix(rng, T, C);
        const w: AttnArrays = { wQkv: randomMatrix(rng, C, 3 * C, 0.5), bQkv: randomRow(rng, 3 * C, 0.1), wProj: randomMatrix(rng, C, C, 0.5), bProj: randomRow(rng, C, 0.1) };
        return { args: [x, w.wQkv, w.bQkv, w.wProj, w.bProj, heads], expected: libMultiHead(x, w, heads) };
      };
      // One token: softmax over one key is 1, so the output is x·W_v + b_v, projected: identity W_v and W_proj give x back.
      const idQkv = [[0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 1]];
      return [
        { label: "one token, V and the projection are identities → x", args: [[[2, -1]], idQkv, [0, 0, 0, 0, 0, 0], [[1, 0], [0, 1]], [0, 0], 2], expected: [[2, -1]] },
        { label: "3 tokens, C 4, 1 head", ...make(3, 4, 1) },
        { label: "4 tokens, C 4, 2 heads", ...make(4, 4, 2) },
        { label: "5 tokens, C 8, 4 heads", ...make(5, 8, 4) },
        { label: "6 tokens, C 6, 3 heads", ...make(6, 6, 3) },
      ];
    },
    hint: (got, _expected, args) => {
      const [x, wQkv, bQkv, wProj, bProj, heads] = args as [number[][], number[][], number[], number[][], number[], number];
      const close = (a: unknown, b: number[][]) => Array.isArray(a) && a.length === b.length && (a as number[][]).every((r, i) => Array.isArray(r) && r.every((v, j) => Math.abs(v - b[i][j]) < 1e-4));
      if (heads > 1 && close(got, libMultiHead(x, { wQkv, bQkv, wProj, bProj }, 1))) return "this is one big head: split Q, K and V into `heads` slices of C/heads columns, attend per head (dividing by √(C/heads)), then put the heads side by side";
      return undefined;
    },
  },
  {
    id: "03-block-forward",
    title: "A whole pre-LN block's forward pass",
    points: 3,
    tolerance: 1e-4,
    cases: () => {
      const rng = new Rng(305);
      const make = (T: number, C: number, F: number, heads: number) => {
        const x = randomMatrix(rng, T, C);
        const w = randomBlock(rng, C, F);
        return { args: [x, w, heads], expected: libBlockForward(x, w, heads) };
      };
      const zeros = (r: number, c: number) => Array.from({ length: r }, () => new Array(c).fill(0));
      const C = 4;
      const zeroBlock: BlockArrays = {
        ln1: { gamma: [1, 1, 1, 1], beta: [0, 0, 0, 0] },
        attn: { wQkv: zeros(C, 3 * C), bQkv: new Array(3 * C).fill(0), wProj: zeros(C, C), bProj: [0, 0, 0, 0] },
        ln2: { gamma: [1, 1, 1, 1], beta: [0, 0, 0, 0] },
        mlp: { wFc: zeros(C, 8), bFc: new Array(8).fill(0), wProj: zeros(8, C), bProj: [0, 0, 0, 0] },
      };
      return [
        // Every branch is zero, so both residual additions add nothing: the block is the identity.
        { label: "zero branches: the block is the identity", args: [[[1, 2, 3, 4], [0, -1, 5, 2]], zeroBlock, 2], expected: [[1, 2, 3, 4], [0, -1, 5, 2]] },
        { label: "3 tokens, C 4, dFF 16, 2 heads", ...make(3, 4, 16, 2) },
        { label: "5 tokens, C 8, dFF 32, 4 heads", ...make(5, 8, 32, 4) },
        { label: "4 tokens, C 6, dFF 12, 3 heads", ...make(4, 6, 12, 3) },
      ];
    },
    hint: (got, _expected, args) => {
      const [x, w, heads] = args as [number[][], BlockArrays, number];
      const close = (a: unknown, b: number[][]) => Array.isArray(a) && a.length === b.length && (a as number[][]).every((r, i) => Array.isArray(r) && r.every((v, j) => Math.abs(v - b[i][j]) < 1e-4));
      const noResidual = tf.tidy(() => {
        const full = tf.tensor2d(libBlockForward(x, w, heads));
        return full.arraySync() as number[][];
      });
      if (close(got, noResidual.map((r, i) => r.map((v, j) => v - x[i][j])))) return "the input x is missing from the output: both branches are ADDED to the stream (x + Attention(LN₁(x)), then + FeedForward(LN₂(·)))";
      return undefined;
    },
  },
  {
    id: "03-transformer-params",
    title: "Count the 2017 Transformer (encoder–decoder)",
    points: 2,
    cases: () => [
      // d 2, dFF 4, vocab 10, one layer each: embedding 10·2 = 20; feed-forward 2·2·4 + 4 + 2 = 22;
      // encoder 4·4 + 4·2 + 22 + 4·2 = 54; decoder 8·4 + 8·2 + 22 + 6·2 = 82.
      { label: "tiny: vocab 10, d 2, dFF 4, 1 + 1 layers", args: [{ vocabSize: 10, dModel: 2, dFF: 4, nEncoderLayers: 1, nDecoderLayers: 1 }], expected: 20 + 54 + 82 },
      { label: "encoder only (0 decoder layers)", args: [{ vocabSize: 100, dModel: 8, dFF: 32, nEncoderLayers: 2, nDecoderLayers: 0 }], expected: transformerParamsByHand({ vocabSize: 100, dModel: 8, dFF: 32, nEncoderLayers: 2, nDecoderLayers: 0 }) },
      { label: "the paper's base model: vocab 37,000, d 512, dFF 2048, 6 + 6 layers", args: [{ vocabSize: 37000, dModel: 512, dFF: 2048, nEncoderLayers: 6, nDecoderLayers: 6 }], expected: 63_082_496 },
      { label: "the paper's big model: d 1024, dFF 4096", args: [{ vocabSize: 37000, dModel: 1024, dFF: 4096, nEncoderLayers: 6, nDecoderLayers: 6 }], expected: transformerParamsByHand({ vocabSize: 37000, dModel: 1024, dFF: 4096, nEncoderLayers: 6, nDecoderLayers: 6 }) },
    ],
    hint: (got, expected, args) => {
      const c = args[0] as { vocabSize: number; dModel: number; dFF: number; nEncoderLayers: number; nDecoderLayers: number };
      if (typeof got !== "number" || typeof expected !== "number") return undefined;
      const d = c.dModel;
      const diff = expected - got;
      if (diff === c.nDecoderLayers * (4 * d * d + 4 * d + 2 * d) && diff !== 0) return "each decoder layer has TWO attentions (masked self-attention and cross-attention to the encoder), and a third LayerNorm";
      if (diff === c.nDecoderLayers * (4 * d * d + 4 * d)) return "each decoder layer also has cross-attention (4d² + 4d)";
      if (diff === c.nDecoderLayers * 2 * d) return "the decoder layers have three LayerNorms (one per sub-layer), not two";
      if (-diff === 2 * c.vocabSize * d || -diff === c.vocabSize * d) return "the paper shares one embedding matrix between the encoder input, the decoder input and the output layer: count it once";
      return undefined;
    },
  },
  {
    id: "03-lstm-step",
    title: "One LSTM step",
    points: 2,
    tolerance: 1e-5,
    cases: () => {
      const rng = new Rng(303);
      const make = (inputDim: number, units: number) => {
        const args: [number[], number[], number[], number[][], number[][], number[]] = [
          randomRow(rng, inputDim),
          randomRow(rng, units, 0.5),
          randomRow(rng, units),
          randomMatrix(rng, inputDim, 4 * units, 0.5),
          randomMatrix(rng, units, 4 * units, 0.5),
          randomRow(rng, 4 * units, 0.3),
        ];
        return { args, expected: tfjsLstmStep(...args) };
      };
      // Zero weights: every gate is sigmoid(0) = 0.5 and c̃ = tanh(0) = 0, so c' = 0.5·c and h' = 0.5·tanh(c').
      const zeros = (r: number, c: number) => Array.from({ length: r }, () => new Array(c).fill(0));
      return [
        {
          label: "zero weights",
          args: [[1, 2], [0.3, -0.3], [1, -2], zeros(2, 8), zeros(2, 8), new Array(8).fill(0)],
          expected: { h: [0.5 * Math.tanh(0.5), 0.5 * Math.tanh(-1)], c: [0.5, -1] },
        },
        {
          // Only the biases: i = σ(1), f = σ(−1), c̃ = tanh(0.5), o = σ(2), per unit (one unit).
          label: "one unit, biases only",
          args: [[0], [0], [2], zeros(1, 4), zeros(1, 4), [1, -1, 0.5, 2]],
          expected: (() => {
            const c = sigmoid(-1) * 2 + sigmoid(1) * Math.tanh(0.5);
            return { h: [sigmoid(2) * Math.tanh(c)], c: [c] };
          })(),
        },
        { label: "input 3, 2 units", ...make(3, 2) },
        { label: "input 4, 4 units", ...make(4, 4) },
      ];
    },
  },
];
