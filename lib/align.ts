/**
 * Stage 3 — alignment with human preferences (RLHF's reward model, DPO), on the one
 * training loop of lib/train.
 *
 *   rankingToPairs       one ranking of K answers → C(K, 2) (chosen, rejected) pairs
 *   bradleyTerryLoss     −log σ(r_chosen − r_rejected): the reward model's loss
 *   rewardModelTask      trains a RewardModel (lib/model: a GPT + scalar head) on pairs
 *   dpoLoss / dpoTask    Direct Preference Optimisation: no reward model, a frozen reference
 *   referenceModel       a frozen copy of a model (training the policy never changes it)
 */
import * as tf from "@tensorflow/tfjs";
import { GPT } from "./model/gpt";
import { RewardModel } from "./model/rewardModel";
import { Rng } from "./random";
import { padSequences, promptResponseBatch } from "./training/batches";
import { TrainingTask } from "./training/loop";

/** A prompt with a preferred and a dispreferred answer (token ids; answers end with the end token). */
export interface PreferencePair {
  prompt: number[];
  chosen: number[];
  rejected: number[];
}

/** All C(K, 2) pairs of a ranking, best first: every answer is preferred to every answer ranked below it. */
export function rankingToPairs<T>(ranking: T[]): { chosen: T; rejected: T }[] {
  const pairs: { chosen: T; rejected: T }[] = [];
  for (let i = 0; i < ranking.length; i++) for (let j = i + 1; j < ranking.length; j++) pairs.push({ chosen: ranking[i], rejected: ranking[j] });
  return pairs;
}

/** −log σ(x), computed stably as softplus(−x) = max(−x, 0) + log(1 + e^−|x|). */
function negLogSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.relu(tf.neg(x)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
}

/** Bradley–Terry: mean −log σ(r_chosen − r_rejected) over pairs (B). */
export function bradleyTerryLoss(rewardChosen: tf.Tensor, rewardRejected: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(negLogSigmoid(tf.sub(rewardChosen, rewardRejected))) as tf.Scalar);
}

/**
 * DPO: mean −log σ(β·[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]) over pairs.
 * Also returns the implicit-reward margin (the bracket, mean over pairs, without β).
 * When the policy equals the reference the loss is ln 2 and the margin 0.
 */
export function dpoLoss(policyChosen: tf.Tensor, policyRejected: tf.Tensor, refChosen: tf.Tensor | ArrayLike<number>, refRejected: tf.Tensor | ArrayLike<number>, beta: number): { loss: tf.Scalar; margin: tf.Scalar } {
  if (!(beta > 0)) throw new Error(`dpoLoss: beta must be > 0 (0.1 is typical), got ${beta}.`);
  return tf.tidy(() => {
    const ref = (r: tf.Tensor | ArrayLike<number>) => (r instanceof tf.Tensor ? r : tf.tensor1d(Array.from(r)));
    const diff = tf.sub(tf.sub(policyChosen, ref(refChosen)), tf.sub(policyRejected, ref(refRejected))); // (B)
    return { loss: tf.mean(negLogSigmoid(tf.mul(diff, beta))) as tf.Scalar, margin: tf.mean(diff) as tf.Scalar };
  });
}

/** A frozen copy of `model`: the reference π_ref of RLHF and DPO. Dispose it when done. */
export function referenceModel(model: GPT): GPT {
  const ref = model.clone();
  ref.freeze();
  return ref;
}

function drawPairs(pairs: PreferencePair[], batchSize: number, random: Rng): PreferencePair[] {
  return Array.from({ length: batchSize }, () => pairs[random.int(0, pairs.length)]);
}

function checkPairs(pairs: PreferencePair[], what: string): void {
  if (pairs.length === 0) throw new Error(`${what}: no preference pairs — give at least one { prompt, chosen, rejected }.`);
}

/** Rewards of prompt+answer sequences, read at each one's last real token. */
export function scoreAnswers(rm: RewardModel, prompts: number[][], answers: number[][], padId: number): tf.Tensor1D {
  const batch = padSequences(prompts.map((p, i) => [...p, ...answers[i]]), padId);
  return rm.score(batch.ids, batch.attentionMask, { shape: [batch.batchSize, batch.length] });
}

/** Train a reward model on preference pairs with the Bradley–Terry loss. */
export function rewardModelTask(rm: RewardModel, pairs: PreferencePair[], options: { padId: number; batchSize?: number }): TrainingTask<PreferencePair[]> {
  checkPairs(pairs, "rewardModelTask");
  const batchSize = options.batchSize ?? 16;
  return {
    params: rm.trainableParams(),
    nextBatch: (random) => drawPairs(pairs, batchSize, random),
    loss: (b) =>
      tf.tidy(() => {
        // One padded batch of 2B sequences: chosen answers first, then rejected.
        const r = scoreAnswers(rm, [...b.map((p) => p.prompt), ...b.map((p) => p.prompt)], [...b.map((p) => p.chosen), ...b.map((p) => p.rejected)], options.padId);
        const [chosen, rejected] = tf.split(r, 2);
        return bradleyTerryLoss(chosen, rejected);
      }),
  };
}

/** log π(answer | prompt) of each pair's chosen and rejected answers under `model` (B each). */
export function pairLogProbs(model: GPT, pairs: PreferencePair[], padId: number): { chosen: tf.Tensor1D; rejected: tf.Tensor1D } {
  return tf.tidy(() => {
    const batch = promptResponseBatch([...pairs.map((p) => ({ prompt: p.prompt, response: p.chosen })), ...pairs.map((p) => ({ prompt: p.prompt, response: p.rejected }))], { padId });
    const lp = model.sequenceLogProbs(batch.ids, batch.targets, { shape: [batch.batchSize, batch.length], attentionMask: batch.attentionMask });
    const [chosen, rejected] = tf.split(lp, 2) as tf.Tensor1D[];
    return { chosen, rejected };
  });
}

/** DPO on preference pairs: the policy moves, the (frozen) reference's log-probabilities are computed once per batch. */
export function dpoTask(policy: GPT, reference: GPT, pairs: PreferencePair[], options: { padId: number; beta?: number; batchSize?: number }): TrainingTask<{ pairs: PreferencePair[]; refChosen: Float32Array; refRejected: Float32Array }> {
  checkPairs(pairs, "dpoTask");
  const beta = options.beta ?? 0.1;
  const batchSize = options.batchSize ?? 16;
  return {
    params: policy.trainableParams(),
    nextBatch: (random) => {
      const b = drawPairs(pairs, batchSize, random);
      const ref = pairLogProbs(reference, b, options.padId);
      const out = { pairs: b, refChosen: ref.chosen.dataSync() as Float32Array, refRejected: ref.rejected.dataSync() as Float32Array };
      tf.dispose([ref.chosen, ref.rejected]);
      return out;
    },
    loss: (b) =>
      tf.tidy(() => {
        const lp = pairLogProbs(policy, b.pairs, options.padId);
        return dpoLoss(lp.chosen, lp.rejected, b.refChosen, b.refRejected, beta).loss;
      }),
  };
}
