/**
 * Where a language model's loss comes from: the loss of every single next-token prediction,
 * then grouped — by position in the window (later positions see more context) or by what
 * kind of token is being predicted (particles and function words, content words, facts).
 *
 *   tokenLosses(model, ids)          −log p(next token) at every position of non-overlapping windows
 *   lossByPosition(run)              mean loss at position 0, 1, …, T−1 of the window
 *   inContextScore(byPosition)       late-position loss minus early-position loss (Olsson et al. 2022)
 *   tokenCategory(text)              "particle / function word" | "punctuation" | "content"
 *   lossByCategory(run, categoryOf)  mean loss and count per category
 *   promptedLoss(model, prompt, answer)  mean loss of the answer's tokens after a prompt (e.g. a fact's value)
 */
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../model/gpt";

/** Losses of every prediction in a token stream. */
export interface TokenLossRun {
  /** −log p(ids[i + 1] | the window so far), one per predicted token. */
  losses: Float32Array;
  /** Position of each prediction inside its window (0 … length − 1). */
  positions: Int32Array;
  /** The id that was predicted (the target). */
  targets: Int32Array;
  /** Window length used. */
  length: number;
}

/**
 * −log p(next token) at every position of non-overlapping windows of `ids` (each window is
 * `length` tokens, default the model's context; at most `maxWindows` windows, evenly spread).
 * No gradients, no dropout.
 */
export function tokenLosses(model: GPT, ids: ArrayLike<number>, options: { length?: number; maxWindows?: number; batchSize?: number } = {}): TokenLossRun {
  const T = options.length ?? model.config.contextLength;
  if (T > model.config.contextLength) throw new Error(`tokenLosses: length ${T} is longer than the model's context ${model.config.contextLength}. Use length ≤ ${model.config.contextLength}.`);
  const available = Math.floor((ids.length - 1) / T);
  if (available < 1) throw new Error(`tokenLosses: ${ids.length} tokens are fewer than one window of ${T} + 1. Give more text or a shorter length.`);
  const windows = Math.min(available, options.maxWindows ?? available);
  const stride = available / windows; // spread the windows over the whole stream
  const starts = Array.from({ length: windows }, (_, w) => Math.floor(w * stride) * T);
  const V = model.config.vocabSize;
  const B = options.batchSize ?? 16;
  const losses = new Float32Array(windows * T);
  const positions = new Int32Array(windows * T);
  const targets = new Int32Array(windows * T);
  for (let w0 = 0; w0 < windows; w0 += B) {
    const rows = starts.slice(w0, w0 + B);
    const x = new Int32Array(rows.length * T);
    const y = new Int32Array(rows.length * T);
    rows.forEach((s, r) => {
      for (let t = 0; t < T; t++) {
        x[r * T + t] = ids[s + t];
        y[r * T + t] = ids[s + t + 1];
      }
    });
    const { logits } = model.forward(x, { shape: [rows.length, T] });
    const nll = tf.tidy(() => {
      const logp = tf.logSoftmax(tf.reshape(logits, [rows.length * T, V])); // (N, V)
      return tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(y, "int32"), V)), -1)); // (N)
    });
    losses.set(nll.dataSync() as Float32Array, w0 * T);
    tf.dispose([logits, nll]);
    for (let i = 0; i < rows.length * T; i++) {
      positions[w0 * T + i] = i % T;
      targets[w0 * T + i] = y[i];
    }
  }
  return { losses, positions, targets, length: T };
}

/** Mean loss at each position of the window (index = position). */
export function lossByPosition(run: TokenLossRun): number[] {
  const sum = new Array<number>(run.length).fill(0);
  const count = new Array<number>(run.length).fill(0);
  run.losses.forEach((l, i) => {
    sum[run.positions[i]] += l;
    count[run.positions[i]]++;
  });
  return sum.map((s, p) => s / count[p]);
}

/**
 * The in-context-learning score: mean loss over the last `late` positions minus mean loss
 * over positions [early, early + width) — negative when later tokens, which see more
 * context, are predicted better. Defaults: early = 10% of the window, width = late = 10%.
 */
export function inContextScore(byPosition: number[], options: { early?: number; width?: number } = {}): number {
  const T = byPosition.length;
  const width = options.width ?? Math.max(1, Math.round(T / 10));
  const early = options.early ?? Math.max(1, Math.round(T / 10));
  if (early + width > T - width) throw new Error(`inContextScore: a window of ${T} positions is too short for early ${early} and width ${width}. Use a longer window or smaller values.`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return mean(byPosition.slice(T - width)) - mean(byPosition.slice(early, early + width));
}

/** Token categories used by chapter 06. */
export type TokenCategory = "particle / function word" | "punctuation" | "content";

/** Korean particles (조사) and a few endings that BPE often splits off as their own token. */
export const KOREAN_PARTICLES = ["은", "는", "이", "가", "을", "를", "에", "에서", "에게", "의", "와", "과", "도", "로", "으로", "만", "고", "다", "요"];
/** The most common English function words. */
export const ENGLISH_FUNCTION_WORDS = ["the", "a", "an", "of", "to", "in", "at", "on", "and", "or", "but", "for", "with", "from", "is", "was", "were", "are", "be", "he", "she", "it", "they", "i", "his", "her", "their", "my", "that", "this", "as", "by", "so", "not"];
const FUNCTION_SET = new Set([...KOREAN_PARTICLES, ...ENGLISH_FUNCTION_WORDS]);

/** The category of one token's text: a particle or function word (as a whole token), punctuation/space, or content. */
export function tokenCategory(text: string): TokenCategory {
  const t = text.trim().toLowerCase();
  if (t === "" || /^[\p{P}\p{S}\s]+$/u.test(t)) return "punctuation";
  if (FUNCTION_SET.has(t)) return "particle / function word";
  return "content";
}

/** Mean loss and count per category of the predicted token. */
export function lossByCategory<C extends string>(run: TokenLossRun, categoryOf: (targetId: number) => C): { category: C; loss: number; count: number }[] {
  const sum = new Map<C, number>();
  const count = new Map<C, number>();
  run.losses.forEach((l, i) => {
    const c = categoryOf(run.targets[i]);
    sum.set(c, (sum.get(c) ?? 0) + l);
    count.set(c, (count.get(c) ?? 0) + 1);
  });
  return [...sum.keys()].map((c) => ({ category: c, loss: (sum.get(c) as number) / (count.get(c) as number), count: count.get(c) as number }));
}

/** Mean −log p of the `answer` tokens, read after the `prompt` tokens (e.g. "Jia Jung lives in" → " Redcliff"). */
export function promptedLoss(model: GPT, prompt: number[], answer: number[]): number {
  if (prompt.length === 0 || answer.length === 0) throw new Error("promptedLoss: the prompt and the answer each need at least one token.");
  const row = [...prompt, ...answer];
  if (row.length - 1 > model.config.contextLength) throw new Error(`promptedLoss: ${row.length} tokens do not fit the model's context ${model.config.contextLength}. Shorten the prompt.`);
  const targets = row.slice(1).map((id, i) => (i >= prompt.length - 1 ? id : -1));
  const loss = model.loss([row.slice(0, -1)], [targets]);
  const value = loss.dataSync()[0];
  loss.dispose();
  return value;
}
