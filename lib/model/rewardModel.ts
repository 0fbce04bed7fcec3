/**
 * A reward model: a GPT whose next-token output is replaced by one number — a linear
 * "reward head" (C → 1) on the final hidden state of the **last real token** of each
 * sequence (the only position that has read the whole prompt and answer, causal
 * attention being one-way). Stage 3 (lib/align.ts) trains it on human rankings.
 *
 *   const rm = RewardModel.fromGPT(sftModel);            // copies the GPT's weights, a fresh head
 *   const r = rm.score(batch.ids, batch.attentionMask, { shape: [B, T] });   // (B) rewards
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../random";
import { GPTConfig } from "./config";
import { GPT, RunOptions, TokenInput } from "./gpt";
import { linear } from "./layers";

export class RewardModel {
  readonly head: { weight: tf.Variable; bias: tf.Variable };

  /** A reward model on top of `body` (the RewardModel owns it from now on). */
  constructor(readonly body: GPT, options: { seed?: number } = {}) {
    const C = body.config.dModel;
    const r = new Rng(options.seed ?? 0);
    const w = Float32Array.from({ length: C }, () => r.normal(0, body.config.initStd));
    this.head = tf.tidy(() => ({ weight: tf.variable(tf.tensor2d(w, [C, 1]), true), bias: tf.variable(tf.zeros([1]), true) }));
  }

  /** A reward model that starts from a copy of `model`'s weights (the model itself is left alone). */
  static fromGPT(model: GPT, options: { seed?: number } = {}): RewardModel {
    return new RewardModel(model.clone(), options);
  }

  static create(config: Partial<GPTConfig>, options: { seed?: number } = {}): RewardModel {
    return new RewardModel(new GPT(config, { seed: options.seed }), options);
  }

  get config(): GPTConfig {
    return this.body.config;
  }

  /** The body's trainable weights and the head. */
  trainableParams(): tf.Variable[] {
    return [...this.body.trainableParams(), this.head.weight, this.head.bias];
  }

  /**
   * One reward per sequence (B): the head on the hidden state of each row's last real
   * token (the last 1 of `attentionMask`; without a mask, the last position).
   */
  score(ids: TokenInput, attentionMask?: ArrayLike<number>, options: RunOptions = {}): tf.Tensor1D {
    return tf.tidy(() => {
      const { hidden, logits } = this.body.forward(ids, { ...options, attentionMask, returnHidden: true });
      logits.dispose();
      const [B, T, C] = hidden!.shape;
      const last = lastRealPositions(attentionMask, B, T);
      // A (B, B·T) selector with one 1 per row picks each row's last real hidden state, differentiably.
      const pick = new Float32Array(B * B * T);
      last.forEach((t, b) => (pick[b * B * T + b * T + t] = 1));
      const h = tf.matMul(tf.tensor2d(pick, [B, B * T]), hidden!.reshape([B * T, C])); // (B, C)
      return linear(h, this.head.weight, this.head.bias).reshape([B]) as tf.Tensor1D;
    });
  }

  dispose(): void {
    this.body.dispose();
    this.head.weight.dispose();
    this.head.bias.dispose();
  }
}

/** Index of each row's last real token: the last 1 of the mask (B·T), or T − 1 without one. */
export function lastRealPositions(attentionMask: ArrayLike<number> | undefined, batch: number, length: number): number[] {
  return Array.from({ length: batch }, (_, b) => {
    if (!attentionMask) return length - 1;
    for (let t = length - 1; t >= 0; t--) if (attentionMask[b * length + t]) return t;
    throw new Error(`Row ${b} of the batch is all padding: every sequence needs at least one real token.`);
  });
}
