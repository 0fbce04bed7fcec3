/**
 * Chapter 06 exercises: input/target windows, cross-entropy and perplexity from logits, the
 * FLOP count 6·N·D of a config, the compute-optimal size from a measured curve, and the
 * "shots" of the in-context task. Expected values come by hand or from the lib
 * (computeParams, inContextSequence).
 */
import { Rng } from "../random";
import { computeParams, optimalParams } from "../training/scaling";
import { inContextSequence } from "../training/inContext";
import { Exercise } from "./types";

function crossEntropyByHand(logits: number[][], targets: number[]): number {
  let total = 0;
  let n = 0;
  logits.forEach((row, i) => {
    if (targets[i] < 0) return;
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, z) => a + Math.exp(z - m), 0));
    total += lse - row[targets[i]];
    n++;
  });
  return total / n;
}

export const exercises: Exercise[] = [
  {
    id: "06-windows",
    title: "A window of T tokens becomes T next-token questions",
    points: 1,
    cases: () => [
      { label: "T = 4 from the start", args: [[10, 11, 12, 13, 14, 15], 0, 4], expected: { input: [10, 11, 12, 13], target: [11, 12, 13, 14] } },
      { label: "T = 3 from position 2", args: [[5, 6, 7, 8, 9, 1], 2, 3], expected: { input: [7, 8, 9], target: [8, 9, 1] } },
      { label: "the window that uses the last token as a target", args: [[1, 2, 3], 0, 2], expected: { input: [1, 2], target: [2, 3] } },
    ],
    hint: (got, expected) => {
      const g = got as { input?: number[]; target?: number[] };
      const e = expected as { input: number[]; target: number[] };
      if (g && Array.isArray(g.target) && g.target.join() === e.input.join()) return "the target at each position is the NEXT token: shift the window by one (ids[start + 1 … start + T]).";
      if (g && Array.isArray(g.input) && g.input.length !== e.input.length) return `both arrays hold exactly T tokens (${e.input.length} here).`;
      return undefined;
    },
  },
  {
    id: "06-cross-entropy",
    title: "Cross-entropy from logits (targets −1 are ignored)",
    points: 2,
    tolerance: 1e-9,
    cases: () => {
      const uniform = [[0, 0, 0, 0]];
      const rows = [
        [2, 1, 0],
        [0, 3, 1],
        [1, 1, 1],
      ];
      return [
        { label: "equal logits over 4 tokens: ln 4", args: [uniform, [2]], expected: Math.log(4) },
        { label: "three rows", args: [rows, [0, 1, 2]], expected: crossEntropyByHand(rows, [0, 1, 2]) },
        { label: "a target of −1 does not count", args: [rows, [0, -1, 2]], expected: crossEntropyByHand(rows, [0, -1, 2]) },
        { label: "large logits stay finite", args: [[[1000, 0], [0, 1000]], [0, 0]], expected: crossEntropyByHand([[1000, 0], [0, 1000]], [0, 0]) },
      ];
    },
    hint: (got, expected, args) => {
      const [logits, targets] = args as [number[][], number[]];
      if (got === null || (typeof got === "number" && !Number.isFinite(got)) || typeof got === "string") return "subtract each row's maximum before Math.exp (log-sum-exp), or a logit of 1000 overflows to Infinity.";
      const counted = targets.filter((t) => t >= 0).length;
      if (typeof got === "number" && counted < targets.length && Math.abs(got * counted / targets.length - (expected as number)) > 1e-9 && Math.abs(got - (expected as number) * counted / targets.length) < 1e-9) return "divide by the number of targets that count (not −1), not by the number of rows.";
      if (typeof got === "number" && Math.abs(got + (expected as number)) < 1e-9) return "the loss is −log p(target): flip the sign.";
      if (typeof got === "number" && logits.length === 1 && Math.abs(got - 1 / 4) < 1e-9) return "that is p(target); the loss is −ln p(target).";
      return undefined;
    },
  },
  {
    id: "06-perplexity",
    title: "Perplexity = e^loss: how many tokens the model is choosing among",
    points: 1,
    tolerance: 1e-9,
    cases: () => [
      { label: "ln 4 → 4", args: [Math.log(4)], expected: 4 },
      { label: "0 → 1 (certain)", args: [0], expected: 1 },
      { label: "ln 1024 → 1024 (guessing among the whole vocabulary)", args: [Math.log(1024)], expected: 1024 },
    ],
    hint: (got, _e, args) => (typeof got === "number" && Math.abs(got - Math.pow(2, args[0] as number)) < 1e-9 ? "the loss is in nats (natural log): use Math.exp, not 2 ** loss." : undefined),
  },
  {
    id: "06-flops",
    title: "The training compute of a config: 6 · N · D",
    points: 2,
    tolerance: 1e-9,
    cases: () => {
      const shapes = [
        { vocabSize: 1024, contextLength: 64, dModel: 32, nHeads: 2, nLayers: 2 },
        { vocabSize: 40, contextLength: 32, dModel: 64, nHeads: 4, nLayers: 1 },
        { vocabSize: 1024, contextLength: 128, dModel: 128, nHeads: 4, nLayers: 4 },
      ];
      return shapes.map((s, i) => {
        const tokens = [1e6, 5e4, 2_457_600][i];
        return { label: `dModel ${s.dModel}, ${s.nLayers} layer(s), vocabulary ${s.vocabSize}, ${tokens.toLocaleString("en-US")} tokens`, args: [s, tokens], expected: 6 * computeParams(s) * tokens };
      });
    },
    hint: (got, expected, args) => {
      const [c, tokens] = args as [{ vocabSize: number; contextLength: number; dModel: number; nLayers: number }, number];
      if (typeof got !== "number") return undefined;
      const e = expected as number;
      if (Math.abs(got - (e + 6 * tokens * c.contextLength * c.dModel)) < 1) return "leave the position embeddings out of N: adding a position vector is a lookup, not a multiply.";
      if (Math.abs(got - (e + 6 * tokens * c.vocabSize * c.dModel)) < 1) return "the output layer is tied to the token embedding (one matrix, used twice): count it once.";
      if (Math.abs(got - e / 3) < 1) return "6, not 2: the forward pass is 2·N per token, the backward pass another 4·N.";
      const biasesAndNorms = 6 * tokens * (c.nLayers * (9 * c.dModel + 4 * c.dModel) + 2 * c.dModel);
      if (Math.abs(got - (e - biasesAndNorms)) < 1) return "count the biases and the layer norms' scale and shift too (every block: 2 norms, and a bias for each of qkv, the output projection and both feed-forward layers; and the final norm).";
      return undefined;
    },
  },
  {
    id: "06-optimal-size",
    title: "The compute-optimal N from a measured U-curve (a parabola in log N)",
    points: 2,
    tolerance: 1e-6,
    cases: () => {
      const u = [
        { params: 22_000, valLoss: 4.1 },
        { params: 58_000, valLoss: 3.7 },
        { params: 105_000, valLoss: 3.6 },
        { params: 165_000, valLoss: 3.75 },
        { params: 320_000, valLoss: 4.3 },
      ];
      const symmetric = [
        { params: 1000, valLoss: 2 },
        { params: 10000, valLoss: 1 },
        { params: 100000, valLoss: 2 },
      ];
      const edge = [
        { params: 1000, valLoss: 3 },
        { params: 2000, valLoss: 3.2 },
        { params: 4000, valLoss: 3.5 },
      ];
      return [
        { label: "symmetric in log N: the middle one", args: [symmetric], expected: 10000 },
        { label: "a measured-looking U", args: [u], expected: optimalParams(u) },
        { label: "unsorted input", args: [[u[3], u[0], u[2], u[4], u[1]]], expected: optimalParams(u) },
        { label: "the best is the smallest: no U, return it", args: [edge], expected: 1000 },
      ];
    },
    hint: (got, expected) => {
      if (typeof got === "number" && [22_000, 58_000, 105_000, 165_000, 320_000].includes(got) && got !== expected) return "don't return the best measured N: fit the parabola through the best point and its two neighbours (x = ln N) and return e^(vertex).";
      return undefined;
    },
  },
  {
    id: "06-shots",
    title: "Shots: how many earlier examples of the same key the prompt holds",
    points: 1,
    cases: () => {
      const made = inContextSequence(new Rng(5), { keys: 6, labels: 3, keysPerSequence: 3, pairs: 8 });
      const keys = made.ids.filter((_, i) => i % 2 === 0);
      return [
        { label: "k1 k2 k1 k1 k3", args: [[1, 2, 1, 1, 3]], expected: [0, 0, 1, 2, 0] },
        { label: "all different", args: [[4, 5, 6]], expected: [0, 0, 0] },
        { label: "the keys of a generated sequence", args: [keys], expected: made.shots.filter((_, i) => i % 2 === 0) },
      ];
    },
    hint: (got, expected) => {
      if (Array.isArray(got) && Array.isArray(expected) && got.every((g, i) => g === (expected as number[])[i] + 1)) return "count only EARLIER occurrences: the first time a key appears it has 0 shots.";
      return undefined;
    },
  },
];
