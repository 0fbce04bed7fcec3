/**
 * Chapter 04 exercises: cross-attention from decoder states and encoder outputs; the
 * decoder's input and target with start and end tokens (teacher forcing); the loss mask
 * of the decoder-only format "source <sep> target </s>"; the parameter count of an
 * encoder–decoder. Expected values come from the lib's reference code
 * (scaledDotProductAttention, promptResponseBatch, countParams) or by hand.
 */
import * as tf from "@tensorflow/tfjs";
import { scaledDotProductAttention } from "../model/attention";
import { countParams, encoderDecoderConfig } from "../model/config";
import { Rng } from "../random";
import { promptResponseBatch } from "../training/batches";
import { Exercise } from "./types";

type Matrix = number[][];

function randomMatrix(rng: Rng, rows: number, cols: number, scale = 1): Matrix {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round(rng.normal(0, scale) * 100) / 100));
}

/** The lib's attention with queries from `queriesFrom` and keys/values from `keysFrom`. */
function libCrossAttention(queriesFrom: Matrix, keysFrom: Matrix, wq: Matrix, wk: Matrix, wv: Matrix): Matrix {
  return tf.tidy(() => {
    const q = tf.matMul(tf.tensor2d(queriesFrom), tf.tensor2d(wq));
    const kSrc = tf.tensor2d(keysFrom);
    return scaledDotProductAttention(q, tf.matMul(kSrc, tf.tensor2d(wk)), tf.matMul(kSrc, tf.tensor2d(wv))).output.arraySync() as Matrix;
  });
}

function close(a: unknown, b: unknown, tol = 1e-4): boolean {
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => close(x, b[i], tol));
  return false;
}

interface EDSize {
  vocabSize: number;
  dModel: number;
  dFF: number;
  nEncoderLayers: number;
  nDecoderLayers: number;
  sourceLength: number;
  targetLength: number;
}

const libCount = (c: EDSize) => countParams(encoderDecoderConfig({ ...c, nHeads: 1, positional: "learned", bias: true, tieEmbeddings: true, norm: "pre" }));

export const exercises: Exercise[] = [
  {
    id: "04-cross-attention",
    title: "Cross-attention: queries from the decoder, keys and values from the encoder",
    points: 2,
    tolerance: 1e-5,
    cases: () => {
      const rng = new Rng(4001);
      const make = (tDec: number, tEnc: number, d: number, dk: number) => {
        const dec = randomMatrix(rng, tDec, d);
        const enc = randomMatrix(rng, tEnc, d);
        const wq = randomMatrix(rng, d, dk, 0.5);
        const wk = randomMatrix(rng, d, dk, 0.5);
        const wv = randomMatrix(rng, d, dk, 0.5);
        return { args: [dec, enc, wq, wk, wv], expected: libCrossAttention(dec, enc, wq, wk, wv) };
      };
      const I = [[1, 0], [0, 1]];
      return [
        // One encoder position: every weight is 1, so each output row is that position's value.
        { label: "one encoder position → its value, for every decoder position", args: [[[1, 0], [0, 1]], [[2, 3]], I, I, I], expected: [[2, 3], [2, 3]] },
        { label: "3 decoder positions, 5 encoder positions", ...make(3, 5, 4, 4) },
        { label: "1 decoder position (the next token), 6 encoder positions", ...make(1, 6, 4, 2) },
        { label: "more decoder positions than encoder ones", ...make(6, 2, 3, 3) },
      ];
    },
    hint: (got, expected, args) => {
      const [dec, enc, wq, wk, wv] = args as Matrix[];
      if (Array.isArray(got) && got.length === enc.length && enc.length !== dec.length) return "there is one output row per decoder position (each query), not per encoder position.";
      if (close(got, libCrossAttention(dec, dec, wq, wk, wv))) return "that is self-attention over the decoder states: keys and values must come from the encoder outputs.";
      if (close(got, libCrossAttention(enc, dec, wq, wk, wv))) return "queries and keys are swapped: the decoder asks (queries), the encoder answers (keys and values).";
      void expected;
      return undefined;
    },
  },
  {
    id: "04-teacher-forcing",
    title: "The decoder's input and target (teacher forcing)",
    points: 1,
    cases: () => [
      { label: "삼 백 십 이", args: [[7, 8, 9, 10], 1, 2], expected: { input: [1, 7, 8, 9, 10], target: [7, 8, 9, 10, 2] } },
      { label: "one token", args: [[5], 1, 2], expected: { input: [1, 5], target: [5, 2] } },
      { label: "empty translation: only the end token", args: [[], 1, 2], expected: { input: [1], target: [2] } },
    ],
    hint: (got) => {
      const g = got as { input?: number[]; target?: number[] };
      if (g && Array.isArray(g.input) && Array.isArray(g.target) && g.input.length !== g.target.length) return "input and target have the same length: input[i] is what the decoder reads when it must write target[i].";
      if (g && Array.isArray(g.target) && g.target[g.target.length - 1] !== 2) return "the target ends with the end token — a model that never sees it never learns to stop.";
      return undefined;
    },
  },
  {
    id: "04-decoder-only-mask",
    title: "The decoder-only loss mask over source <sep> target </s>",
    points: 2,
    cases: () =>
      [
        [3, 4],
        [1, 1],
        [6, 2],
        [2, 0],
      ].map(([s, t]) => {
        // The lib's batch builder on the same shapes: a target counts where it is ≥ 0.
        const b = promptResponseBatch([{ prompt: [...Array(s).fill(5), 3], response: [...Array(t).fill(6), 2] }], { padId: 0 });
        return { label: `source ${s}, target ${t}`, args: [s, t], expected: Array.from(b.targets, (x) => (x >= 0 ? 1 : 0)) };
      }),
    hint: (got, expected) => {
      const g = got as number[];
      const e = expected as number[];
      if (!Array.isArray(g)) return undefined;
      if (g.length === e.length + 1) return "the inputs are the sequence without its last token (nothing comes after </s>): S + 1 + T + 1 tokens give S + T + 1 positions.";
      const firstG = g.indexOf(1);
      const firstE = e.indexOf(1);
      if (firstG === firstE + 1) return "the <sep> position counts: reading <sep>, the model must write the first target token.";
      if (g.filter((x) => x === 1).length === e.filter((x) => x === 1).length - 1) return "keep the loss on </s>: a model that never sees it never learns to stop.";
      return undefined;
    },
  },
  {
    id: "04-count-params",
    title: "Count an encoder–decoder's parameters",
    points: 2,
    cases: () => {
      const small: EDSize = { vocabSize: 45, dModel: 8, dFF: 32, nEncoderLayers: 1, nDecoderLayers: 1, sourceLength: 6, targetLength: 8 };
      const chapter: EDSize = { vocabSize: 45, dModel: 48, dFF: 192, nEncoderLayers: 1, nDecoderLayers: 1, sourceLength: 6, targetLength: 8 };
      const deep: EDSize = { vocabSize: 180, dModel: 64, dFF: 256, nEncoderLayers: 3, nDecoderLayers: 2, sourceLength: 14, targetLength: 9 };
      // Attention Is All You Need, base: 6 + 6 layers, d 512, dFF 2048, a 37,000-token shared vocabulary (≈ 65 M).
      const base: EDSize = { vocabSize: 37000, dModel: 512, dFF: 2048, nEncoderLayers: 6, nDecoderLayers: 6, sourceLength: 512, targetLength: 512 };
      return [small, chapter, deep, base].map((c, i) => ({ label: ["tiny", "this chapter's 1 + 1", "3 + 2 layers", "the 2017 base model (learned positions)"][i], args: [c], expected: libCount(c) }));
    },
    hint: (got, expected, args) => {
      const c = args[0] as EDSize;
      const g = got as number;
      const e = expected as number;
      const C = c.dModel;
      const cross = c.nDecoderLayers * (2 * C + C * C + C + C * 2 * C + 2 * C + C * C + C);
      if (g === e - cross) return "the decoder blocks also hold cross-attention: a LayerNorm, W_q (C×C), W_kv (C×2C), W_o (C×C) and their biases.";
      if (g === e - (c.sourceLength + c.targetLength) * C) return "each side has its own learned position table: (sourceLength + targetLength) × dModel.";
      if (g === e - 4 * C) return "two final LayerNorms (encoder and decoder), weight and bias each.";
      if (g === e + c.vocabSize * C) return "the output layer reuses the token embedding (tied): count it once.";
      return undefined;
    },
  },
];
