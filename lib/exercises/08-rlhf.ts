/**
 * Chapter 08 exercises: pairs from a ranking, the Bradley–Terry loss, the KL-penalised
 * reward, RLOO advantages and the DPO loss from four log-probabilities. Expected values
 * come from the lib (lib/align: rankingToPairs, bradleyTerryLoss, klPenalisedReward,
 * rlooAdvantages, dpoLoss) or by hand.
 */
import * as tf from "@tensorflow/tfjs";
import { rankingToPairs } from "../training/preferences";
import { bradleyTerryLoss, dpoLoss, klPenalisedReward, rlooAdvantages } from "../training/rlhf";
import { Exercise } from "./types";

const bt = (chosen: number[], rejected: number[]) => tf.tidy(() => bradleyTerryLoss(tf.tensor1d(chosen), tf.tensor1d(rejected)).dataSync()[0]);

const dpo = (pw: number, pl: number, rw: number, rl: number, beta: number) =>
  tf.tidy(() => dpoLoss(tf.tensor1d([pw]), tf.tensor1d([pl]), [rw], [rl], beta).loss.dataSync()[0]);

const near = (a: unknown, b: number, tol = 1e-4) => typeof a === "number" && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

export const exercises: Exercise[] = [
  {
    id: "08-ranking-pairs",
    title: "A ranking of K answers → all C(K, 2) preference pairs",
    points: 1,
    cases: () => [
      { label: "three answers (by hand)", args: [["A", "B", "C"]], expected: [["A", "B"], ["A", "C"], ["B", "C"]] },
      { label: "four answers: 6 pairs", args: [["polite", "terse", "rude", "wrong"]], expected: rankingToPairs(["polite", "terse", "rude", "wrong"]).map((p) => [p.chosen, p.rejected]) },
      { label: "one answer: no pairs", args: [["only"]], expected: [] },
    ],
    hint: (got, expected) => {
      if (!Array.isArray(got)) return "return a list of [chosen, rejected] pairs.";
      const e = expected as string[][];
      if (got.length === e.length * 2) return "each unordered pair once: the better answer (ranked first) is chosen, the other rejected — not both orders.";
      if (got.length === e.length - 1 || (e.length === 3 && got.length === 2)) return "every answer beats *every* answer ranked below it, not only the next one: K answers give K(K−1)/2 pairs.";
      if (got.length === e.length && JSON.stringify(got.map((p: unknown[]) => [p[1], p[0]])) === JSON.stringify(e)) return "the answer ranked higher (earlier in the list) is the chosen one.";
      return undefined;
    },
  },
  {
    id: "08-bradley-terry",
    title: "The Bradley–Terry loss: mean −log σ(r_chosen − r_rejected)",
    points: 2,
    cases: () => [
      { label: "equal rewards: ln 2", args: [[0], [0]], expected: Math.log(2) },
      { label: "two pairs (by hand: (log(1+e⁻²) + log(1+e))/2)", args: [[2, 0], [0, 1]], expected: (Math.log(1 + Math.exp(-2)) + Math.log(1 + Math.E)) / 2 },
      { label: "a big margin (must not overflow)", args: [[400, -400], [-400, 400]], expected: bt([400, -400], [-400, 400]) },
    ],
    tolerance: 1e-5,
    hint: (got, expected, args) => {
      const [c, r] = args as number[][];
      if (typeof got !== "number" || !Number.isFinite(got)) return "for a large negative margin −log σ(x) ≈ −x: compute it as softplus(−x) = max(−x, 0) + log(1 + e^−|x|) so e^x never overflows.";
      const sum = c.reduce((s, _, i) => s + Math.log(1 + Math.exp(-(c[i] - r[i]))), 0);
      if (c.length > 1 && near(got, sum)) return "take the mean over pairs, not the sum.";
      if (near(got, c.reduce((s, _, i) => s + Math.log(1 + Math.exp(c[i] - r[i])), 0) / c.length)) return "the sign: the loss is small when the chosen reward is larger — use σ(r_chosen − r_rejected).";
      if (near(got, -(expected as number))) return "the loss is −log σ(…): positive.";
      return undefined;
    },
  },
  {
    id: "08-kl-reward",
    title: "RL's reward: the reward model's score minus β · (log π − log π_ref)",
    points: 1,
    cases: () => [
      { label: "by hand: 1.5 − 0.1 · (−4 − (−6))", args: [1.5, -4, -6, 0.1], expected: 1.3 },
      { label: "the policy likes the answer less than the reference: a bonus", args: [0.2, -9, -7, 0.5], expected: klPenalisedReward(0.2, -9, -7, 0.5) },
      { label: "β = 0: no leash", args: [0.7, -3, -8, 0], expected: 0.7 },
    ],
    hint: (got, expected, args) => {
      const [s, lp, ref, beta] = args as number[];
      if (near(got, s + beta * (lp - ref))) return "subtract the penalty: a policy that drifts from the reference (log π > log π_ref) pays for it.";
      if (near(got, s - beta * (ref - lp))) return "the log-ratio is log π − log π_ref (the policy's minus the reference's).";
      if (near(got, s - (lp - ref))) return "multiply the log-ratio by β.";
      return undefined;
    },
  },
  {
    id: "08-rloo-advantage",
    title: "REINFORCE leave-one-out: each sample's reward minus the mean of the other samples of its prompt",
    points: 2,
    cases: () => [
      { label: "two prompts, k = 2 (by hand)", args: [[1, 2, 3, 6], 2], expected: [-1, 1, -3, 3] },
      { label: "one prompt, k = 3 (by hand)", args: [[0, 3, 6], 3], expected: [-4.5, 0, 4.5] },
      { label: "two prompts, k = 4", args: [[0.5, 1, -2, 0.25, 3, 3, 3, 1], 4], expected: Array.from(rlooAdvantages([0.5, 1, -2, 0.25, 3, 3, 3, 1], 4)) },
    ],
    tolerance: 1e-5,
    hint: (got, _expected, args) => {
      const [r, k] = args as [number[], number];
      if (!Array.isArray(got)) return "return one advantage per reward, in the same order.";
      const meanAll = r.map((_, i) => {
        const g = Math.floor(i / k) * k;
        return r[i] - r.slice(g, g + k).reduce((a, b) => a + b, 0) / k;
      });
      if (got.every((v, i) => near(v, meanAll[i]))) return "leave the sample itself out of its baseline: divide the *others'* sum by k − 1 (the plain group mean is biased by the sample's own reward).";
      const global = r.map((v, i) => v - (r.reduce((a, b) => a + b, 0) - v) / (r.length - 1));
      if (got.every((v, i) => near(v, global[i]))) return "compare only with samples of the *same prompt* (groups of k in a row), not the whole batch.";
      return undefined;
    },
  },
  {
    id: "08-dpo-loss",
    title: "The DPO loss of one pair from four log-probabilities",
    points: 2,
    cases: () => [
      { label: "policy = reference: ln 2", args: [-5, -7, -5, -7, 0.1], expected: Math.log(2) },
      { label: "by hand: β = 0.5, margin (−4 + 5) − (−9 + 7) = 3 → log(1 + e^−1.5)", args: [-4, -9, -5, -7, 0.5], expected: Math.log(1 + Math.exp(-1.5)) },
      { label: "the rejected answer gained", args: [-6, -3, -5, -7, 0.1], expected: dpo(-6, -3, -5, -7, 0.1) },
    ],
    tolerance: 1e-5,
    hint: (got, _expected, args) => {
      const [pw, pl, rw, rl, beta] = args as number[];
      const m = pw - rw - (pl - rl);
      if (near(got, Math.log(1 + Math.exp(m * beta)))) return "the sign: −log σ(β · margin) is small when the chosen answer gained more than the rejected one.";
      if (near(got, Math.log(1 + Math.exp(-m)))) return "multiply the margin by β before σ.";
      if (near(got, Math.log(1 + Math.exp(-beta * (pw - pl))))) return "subtract the reference's log-probabilities: DPO compares how much each answer *changed* relative to π_ref.";
      return undefined;
    },
  },
];
