/**
 * Chapter 09 exercises: the expected calibration error from (confidence, correct) pairs,
 * AUROC, the Good–Turing monofact rate from mention counts, and the abstention score.
 * Expected values are worked out by hand or come from lib/eval's reference code.
 */
import { abstentionScore, auroc, expectedCalibrationError, monofactRate } from "../eval";
import { Exercise } from "./types";

const close = (a: unknown, b: number, tol = 1e-9) => typeof a === "number" && Math.abs(a - b) <= tol;

/** ECE without the bin weights: the plain mean of |accuracy − confidence| over non-empty bins. */
function unweightedEce(conf: number[], right: boolean[]): number {
  const bins = new Map<number, { c: number; a: number; n: number }>();
  conf.forEach((c, i) => {
    const b = Math.min(9, Math.floor(c * 10));
    const s = bins.get(b) ?? { c: 0, a: 0, n: 0 };
    s.c += c;
    s.a += right[i] ? 1 : 0;
    s.n++;
    bins.set(b, s);
  });
  const gaps = [...bins.values()].map((s) => Math.abs(s.a / s.n - s.c / s.n));
  return gaps.reduce((x, y) => x + y, 0) / gaps.length;
}

/** |mean accuracy − mean confidence| over all answers: one bin. */
function oneBin(conf: number[], right: boolean[]): number {
  return Math.abs(right.filter(Boolean).length / right.length - conf.reduce((a, b) => a + b, 0) / conf.length);
}

/** AUROC with ties counted as a loss (0) or a win (1) instead of a half. */
function aurocTies(scores: number[], pos: boolean[], tie: number): number {
  let s = 0;
  let n = 0;
  scores.forEach((a, i) => {
    if (!pos[i]) return;
    scores.forEach((b, j) => {
      if (pos[j]) return;
      s += a > b ? 1 : a === b ? tie : 0;
      n++;
    });
  });
  return s / n;
}

const CONF = [0.95, 0.85, 0.62, 0.35, 0.31];
const RIGHT = [true, false, true, false, true];

export const exercises: Exercise[] = [
  {
    id: "09-ece",
    title: "Expected calibration error: 10 equal-width bins, each weighted by its share of the answers",
    points: 2,
    tolerance: 1e-9,
    cases: () => [
      // By hand: bins [0.9, 1]: |1 − 0.95|; [0.8, 0.9): |0 − 0.85|; [0.6, 0.7): |1 − 0.62|; [0.3, 0.4): |0.5 − 0.33| (2 answers).
      // (0.05 + 0.85 + 0.38)/5 + (2/5)·0.17 = 0.324.
      { label: "five answers (by hand)", args: [CONF, RIGHT], expected: 0.324 },
      { label: "perfectly calibrated: 3 of 4 right at confidence 0.75", args: [[0.75, 0.75, 0.75, 0.75], [true, true, true, false]], expected: 0 },
      { label: "confidence 1 goes in the last bin", args: [[1, 1, 0.05], [true, false, false]], expected: expectedCalibrationError([1, 1, 0.05], [true, false, false]) },
      { label: "many bins", args: [[0.12, 0.18, 0.55, 0.58, 0.91, 0.99, 0.4], [false, true, true, false, true, true, false]], expected: expectedCalibrationError([0.12, 0.18, 0.55, 0.58, 0.91, 0.99, 0.4], [false, true, true, false, true, true, false]) },
    ],
    hint: (got, _e, args) => {
      const [conf, right] = args as [number[], boolean[]];
      if (typeof got !== "number" || Number.isNaN(got)) return "return one number. A confidence of exactly 1 belongs to the last bin (index 9): use Math.min(9, Math.floor(c·10)).";
      if (close(got, unweightedEce(conf, right))) return "weight each bin by its share of the answers (n_b / N) — you averaged the bins' gaps as if every bin held the same number of answers.";
      if (close(got, oneBin(conf, right))) return "that is one bin over all answers (overconfident and underconfident answers cancel): use 10 bins of width 0.1.";
      return undefined;
    },
  },
  {
    id: "09-auroc",
    title: "AUROC: the chance that a right answer scores higher than a wrong one",
    points: 2,
    tolerance: 1e-9,
    cases: () => [
      // Right answers score 0.9 and 0.7, wrong ones 0.8 and 0.6: of 4 (right, wrong) pairs, 3 are ordered right.
      { label: "4 pairs (by hand)", args: [[0.9, 0.8, 0.7, 0.6], [true, false, true, false]], expected: 0.75 },
      { label: "a tie counts half", args: [[0.2, 0.2, 0.9], [true, false, true]], expected: 0.75 },
      { label: "a score that ranks backwards", args: [[1, 2, 3], [true, true, false]], expected: 0 },
      { label: "many ties", args: [[0.5, 0.5, 0.5, 0.1, 0.9, 0.5], [true, false, true, false, true, false]], expected: auroc([0.5, 0.5, 0.5, 0.1, 0.9, 0.5], [true, false, true, false, true, false]) },
    ],
    hint: (got, expected, args) => {
      const [s, p] = args as [number[], boolean[]];
      if (close(got, aurocTies(s, p, 0)) && !close(expected, aurocTies(s, p, 0))) return "a tie between a right and a wrong answer counts ½, not 0.";
      if (close(got, aurocTies(s, p, 1)) && !close(expected, aurocTies(s, p, 1))) return "a tie between a right and a wrong answer counts ½, not 1.";
      if (typeof got === "number" && close(got, 1 - (expected as number))) return "the positives are the right answers (true): count pairs where the right answer has the higher score.";
      return undefined;
    },
  },
  {
    id: "09-monofact",
    title: "The monofact rate: facts stated exactly once, over all fact statements",
    points: 1,
    tolerance: 1e-12,
    cases: () => [
      // Counts 1, 1, 2, 0, 6: two facts stated once, 10 statements in all → 0.2.
      { label: "five facts (by hand)", args: [[1, 1, 2, 0, 6]], expected: 0.2 },
      { label: "no monofacts", args: [[3, 0, 2]], expected: 0 },
      { label: "a Zipf-like corpus: floor(12 / rank)", args: [[12, 6, 4, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0]], expected: monofactRate([12, 6, 4, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0]) },
    ],
    hint: (got, _e, args) => {
      const [c] = args as [number[]];
      const once = c.filter((x) => x === 1).length;
      if (close(got, once / c.length)) return "divide by the number of statements (the sum of the counts, N), not by the number of facts: Good–Turing counts draws.";
      if (close(got, once / c.filter((x) => x > 0).length)) return "divide by the number of statements (the sum of the counts), not by the number of facts seen.";
      return undefined;
    },
  },
  {
    id: "09-abstention-score",
    title: "The abstention score: +1 right, 0 abstained, −t/(1−t) wrong",
    points: 1,
    tolerance: 1e-12,
    cases: () => [
      // t = 0.75: a wrong answer costs 3. (1 + 0 − 3 − 3) / 4 = −1.25.
      { label: "t = 0.75 (by hand)", args: [["correct", "abstain", "wrong", "wrong"], 0.75], expected: -1.25 },
      { label: "t = 0.5: a wrong answer cancels a right one", args: [["correct", "wrong", "abstain"], 0.5], expected: 0 },
      { label: "t = 0: plain accuracy", args: [["correct", "wrong", "wrong", "correct", "abstain"], 0], expected: 0.4 },
      { label: "always abstaining", args: [["abstain", "abstain"], 0.9], expected: abstentionScore(["abstain", "abstain"], 0.9) },
    ],
    hint: (got, _e, args) => {
      const [o, t] = args as [string[], number];
      const n = o.length;
      const r = o.filter((x) => x === "correct").length;
      const w = o.filter((x) => x === "wrong").length;
      if (t > 0 && close(got, (r - t * w) / n)) return "a wrong answer costs t/(1 − t), not t (at t = 0.75 that is 3: answer only when you are at least 75% sure).";
      if (close(got, r - (t / (1 - t)) * w)) return "return the mean over all outcomes (divide by their number).";
      if (close(got, (r - (t / (1 - t)) * w) / Math.max(1, r + w)) && r + w !== n) return "abstentions count too (0 points each): divide by all outcomes, not only the answered ones.";
      return undefined;
    },
  },
];
