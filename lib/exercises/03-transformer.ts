/**
 * Chapter 03 exercises: the pieces of a Transformer block on plain arrays —
 * a sinusoidal position row, LayerNorm of one row, GELU, the parameters of a
 * block by component, one pre-LN residual step, and one LSTM step (for the
 * comparison with recurrent networks).
 *
 * Expected values are written by hand for the small cases and computed by
 * reference code for the rest: the lib's model layers (lib/model) and, for the
 * LSTM, tfjs's own `tf.layers.lstm` — never by a solution like the learner's.
 */
import * as tf from "@tensorflow/tfjs";
import { countParamsByComponent } from "../model/config";
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

/** The lib's GELU (GPT-2's tanh approximation) of one number. */
function libGelu(x: number): number {
  return tf.tidy(() => gelu(tf.tensor1d([x])).dataSync()[0]);
}

/** One block's parameters, by component: the lib's count for 2 layers minus its count for 1 layer. */
function libBlockParams(dModel: number, dFF: number, bias: boolean): Record<string, number> {
  const config = (nLayers: number) => ({ vocabSize: 10, contextLength: 4, dModel, nHeads: 1, nLayers, dFF, bias });
  const two = countParamsByComponent(config(2));
  const one = countParamsByComponent(config(1));
  return {
    attention: two["attention"] - one["attention"],
    feedForward: two["feed-forward"] - one["feed-forward"],
    layerNorm: two["layer norm"] - one["layer norm"],
  };
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
  },
  {
    id: "03-gelu",
    title: "GELU (GPT-2's tanh approximation)",
    points: 1,
    tolerance: 1e-5,
    cases: () => [
      { label: "0", args: [0], expected: 0 },
      // 0.5 · 1 · (1 + tanh(√(2/π) · (1 + 0.044715)))
      { label: "1", args: [1], expected: 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715)) },
      ...[-3, -0.75, 0.5, 2, 6].map((x) => ({ label: String(x), args: [x], expected: libGelu(x) })),
    ],
  },
  {
    id: "03-block-params",
    title: "Parameters of one block, by component",
    points: 2,
    cases: () => [
      // attention: c_attn 2·6 + 6, c_proj 2·2 + 2; feed-forward: 2·8 + 8 and 8·2 + 2; two LayerNorms: 2 · (2 + 2)
      { label: "dModel 2, dFF 8, biases", args: [2, 8, true], expected: { attention: 24, feedForward: 42, layerNorm: 8 } },
      { label: "GPT-2 small", args: [768, 3072, true], expected: { attention: 2_362_368, feedForward: 4_722_432, layerNorm: 3_072 } },
      { label: "dModel 64, dFF 256", args: [64, 256, true], expected: libBlockParams(64, 256, true) },
      { label: "dModel 128, dFF 256 (2× feed-forward)", args: [128, 256, true], expected: libBlockParams(128, 256, true) },
      { label: "dModel 32, dFF 100, no biases", args: [32, 100, false], expected: libBlockParams(32, 100, false) },
    ],
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
