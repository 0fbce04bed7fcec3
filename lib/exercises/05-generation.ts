/**
 * Chapter 05 exercises: temperature, top-k, top-p and min-p on a next-token distribution,
 * and the accept/reject step of speculative decoding. Expected values come from the lib's
 * decoding rules (lib/generation/sampling.ts) or by hand.
 */
import { nextTokenProbabilities } from "../generation/sampling";
import { Exercise } from "./types";

const rules = (logits: number[], o: Parameters<typeof nextTokenProbabilities>[1]) => Array.from(nextTokenProbabilities(logits, o));
const logsOf = (probs: number[]) => probs.map((p) => (p > 0 ? Math.log(p) : -1e9));

function softmax(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function near(a: unknown, b: number[], tol = 1e-6): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => typeof x === "number" && Math.abs(x - b[i]) <= tol);
}

export const exercises: Exercise[] = [
  {
    id: "05-temperature",
    title: "Softmax with a temperature (0 = greedy)",
    points: 1,
    tolerance: 1e-6,
    cases: () => [
      { label: "T = 1 is the plain softmax", args: [[2, 1, 0], 1], expected: rules([2, 1, 0], { temperature: 1 }) },
      { label: "T = 0.5 sharpens", args: [[2, 1, 0], 0.5], expected: rules([2, 1, 0], { temperature: 0.5 }) },
      { label: "T = 2 flattens", args: [[2, 1, 0, -1], 2], expected: rules([2, 1, 0, -1], { temperature: 2 }) },
      { label: "T = 0: all probability on the top token", args: [[0.5, 3, 1], 0], expected: [0, 1, 0] },
      { label: "large logits stay finite", args: [[1000, 999], 1], expected: rules([1000, 999], { temperature: 1 }) },
    ],
    hint: (got, _e, args) => {
      const [logits, t] = args as [number[], number];
      if (t > 0 && near(got, softmax(logits.map((z) => z * t)))) return "divide the logits by T (T < 1 sharpens, T > 1 flattens) — you multiplied.";
      if (t === 0 && Array.isArray(got) && got.some((x) => Number.isNaN(x))) return "T = 0 would divide by zero: handle it as greedy (probability 1 on the largest logit).";
      return undefined;
    },
  },
  {
    id: "05-top-k",
    title: "Top-k: keep the k most likely tokens, renormalised",
    points: 1,
    tolerance: 1e-6,
    cases: () => {
      // By hand: softmax([2, 1, 0, −1]) restricted to the first 3 = e^2, e^1, e^0 over their sum.
      const e = [Math.exp(2), Math.exp(1), 1];
      const s = e[0] + e[1] + e[2];
      return [
        { label: "k = 3 on [2, 1, 0, −1] (by hand)", args: [softmax([2, 1, 0, -1]), 3], expected: [e[0] / s, e[1] / s, e[2] / s, 0] },
        { label: "k = 1 is greedy", args: [[0.1, 0.6, 0.3], 1], expected: [0, 1, 0] },
        { label: "k ≥ vocabulary keeps everything", args: [[0.2, 0.3, 0.5], 5], expected: [0.2, 0.3, 0.5] },
        { label: "unsorted input", args: [[0.05, 0.4, 0.05, 0.3, 0.2], 2], expected: rules(logsOf([0.05, 0.4, 0.05, 0.3, 0.2]), { topK: 2 }) },
      ];
    },
    hint: (got) => (Array.isArray(got) && Math.abs((got as number[]).reduce((a, b) => a + b, 0) - 1) > 1e-6 ? "renormalise: the kept probabilities must sum to 1." : undefined),
  },
  {
    id: "05-top-p",
    title: "Top-p (nucleus): the smallest set of most likely tokens with probability ≥ p",
    points: 2,
    tolerance: 1e-6,
    cases: () => [
      // 0.5 < 0.8, 0.5 + 0.3 = 0.8 ≥ 0.8 → keep two tokens: [0.5, 0.3] / 0.8.
      { label: "p = 0.8 on [0.5, 0.3, 0.2] (by hand)", args: [[0.5, 0.3, 0.2], 0.8], expected: [0.625, 0.375, 0] },
      { label: "p = 0.5: the top token alone is enough", args: [[0.5, 0.3, 0.2], 0.5], expected: [1, 0, 0] },
      { label: "p = 1 keeps everything", args: [[0.1, 0.2, 0.7], 1], expected: [0.1, 0.2, 0.7] },
      { label: "unsorted, p = 0.9", args: [[0.05, 0.45, 0.1, 0.3, 0.1], 0.9], expected: rules(logsOf([0.05, 0.45, 0.1, 0.3, 0.1]), { topP: 0.9 }) },
    ],
    hint: (got, expected) => {
      const g = got as number[];
      const e = expected as number[];
      if (Array.isArray(g) && g.filter((x) => x > 0).length === e.filter((x) => x > 0).length - 1) return "keep the token whose probability takes the sum *to* p or beyond: the set must reach p, not stay below it.";
      return undefined;
    },
  },
  {
    id: "05-min-p",
    title: "Min-p: drop tokens less likely than minP × the top token",
    points: 1,
    tolerance: 1e-6,
    cases: () => [
      // top 0.5 → threshold 0.1 × 0.5 = 0.05: drop 0.04.
      { label: "minP 0.1 on [0.5, 0.3, 0.16, 0.04] (by hand)", args: [[0.5, 0.3, 0.16, 0.04], 0.1], expected: [0.5 / 0.96, 0.3 / 0.96, 0.16 / 0.96, 0] },
      { label: "a flat distribution keeps everything", args: [[0.25, 0.25, 0.25, 0.25], 0.5], expected: [0.25, 0.25, 0.25, 0.25] },
      { label: "minP 1 keeps only the top token(s)", args: [[0.2, 0.6, 0.2], 1], expected: [0, 1, 0] },
    ],
    hint: (got, _e, args) => {
      const [probs, minP] = args as [number[], number];
      const kept = probs.map((p) => (p >= minP ? p : 0));
      const s = kept.reduce((a, b) => a + b, 0);
      if (s > 0 && near(got, kept.map((p) => p / s))) return "the threshold scales with the top token: minP × max(p), not minP itself.";
      return undefined;
    },
  },
  {
    id: "05-speculative-accept",
    title: "Speculative decoding: accept the draft's token, or resample from the residual",
    points: 2,
    tolerance: 1e-9,
    cases: () => {
      const p = [0.5, 0.3, 0.2, 0];
      const q = [0.1, 0.2, 0.3, 0.4];
      // residual max(0, p − q) = [0.4, 0.1, 0, 0] → normalised [0.8, 0.2, 0, 0].
      const residual = [0.8, 0.2, 0, 0];
      return [
        { label: "p ≥ q: always accepted", args: [0, p, q, 0.99], expected: { accepted: true, resample: null } },
        { label: "p/q = 2/3, u = 0.5 < 2/3: accepted", args: [2, p, q, 0.5], expected: { accepted: true, resample: null } },
        { label: "p/q = 2/3, u = 0.7: rejected → the residual", args: [2, p, q, 0.7], expected: { accepted: false, resample: residual } },
        { label: "p = 0: always rejected", args: [3, p, q, 0.01], expected: { accepted: false, resample: residual } },
      ];
    },
    hint: (got) => {
      const g = got as { accepted?: boolean; resample?: number[] | null };
      if (g && Array.isArray(g.resample) && near(g.resample, [0.5, 0.3, 0.2, 0])) return "on rejection, sample from norm(max(0, p − q)), not from p: p's mass where the draft already over-proposed must be taken out.";
      return undefined;
    },
  },
];
