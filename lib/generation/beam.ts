/**
 * Beam search: keep the `beamWidth` most likely partial sequences at every step instead of
 * one (greedy) or a random one (sampling). Scores are sums of log-probabilities; a finished
 * beam (it produced a stop token, or reached maxNewTokens) is ranked by its score divided
 * by length^lengthPenalty (Wu et al. 2016 use ((5 + len)/6)^α; plain len^α here), so long
 * answers are not punished just for having more tokens. With beamWidth 1 it is greedy.
 */
import * as tf from "@tensorflow/tfjs";
import { GPT } from "../model/gpt";
import { toTokenBatch } from "../model/layers";

export interface BeamOptions {
  beamWidth: number;
  maxNewTokens: number;
  /** α in score / length^α (default 1; 0 = raw sum of log-probabilities). */
  lengthPenalty?: number;
  stopTokens?: number[];
}

export interface Beam {
  /** The new tokens (after the prompt). */
  tokens: number[];
  /** Sum of the new tokens' log-probabilities. */
  logProb: number;
  /** logProb / length^lengthPenalty: what beams are ranked by. */
  score: number;
}

function logSoftmaxRows(model: GPT, rows: number[][]): Float32Array[] {
  const { logits } = model.forward(rows);
  const [B, T, V] = logits.shape;
  const last = tf.tidy(() => tf.logSoftmax(tf.slice(logits, [0, T - 1, 0], [B, 1, V]).reshape([B, V])));
  const data = last.dataSync() as Float32Array;
  tf.dispose([logits, last]);
  return Array.from({ length: B }, (_, b) => data.slice(b * V, (b + 1) * V));
}

/** The best continuations of `prompt`, best first (finished beams; see the top of this file). */
export function beamSearch(model: GPT, prompt: number[], options: BeamOptions): Beam[] {
  const { beamWidth, maxNewTokens } = options;
  const alpha = options.lengthPenalty ?? 1;
  if (!(Number.isInteger(beamWidth) && beamWidth >= 1)) throw new Error(`beamSearch: beamWidth must be a whole number ≥ 1, got ${beamWidth}.`);
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1)) throw new Error(`beamSearch: maxNewTokens must be a whole number ≥ 1, got ${maxNewTokens}.`);
  if (prompt.length === 0) throw new Error("beamSearch: the prompt is empty — start with at least one token.");
  toTokenBatch(prompt, model.config.vocabSize);
  if (prompt.length + maxNewTokens - 1 > model.config.contextLength) throw new Error(`beamSearch: prompt (${prompt.length}) + maxNewTokens (${maxNewTokens}) exceed the context (${model.config.contextLength}); lower maxNewTokens.`);
  const rank = (b: { tokens: number[]; logProb: number }): Beam => ({ ...b, score: b.logProb / Math.pow(b.tokens.length, alpha) });
  let alive: { tokens: number[]; logProb: number }[] = [{ tokens: [], logProb: 0 }];
  const finished: Beam[] = [];
  for (let step = 0; step < maxNewTokens && alive.length > 0; step++) {
    const rows = logSoftmaxRows(model, alive.map((b) => [...prompt, ...b.tokens]));
    const candidates: { tokens: number[]; logProb: number }[] = [];
    alive.forEach((b, i) => rows[i].forEach((lp, t) => candidates.push({ tokens: [...b.tokens, t], logProb: b.logProb + lp })));
    candidates.sort((a, b) => b.logProb - a.logProb || a.tokens.join().localeCompare(b.tokens.join()));
    alive = [];
    for (const c of candidates.slice(0, beamWidth)) {
      const last = c.tokens[c.tokens.length - 1];
      if (options.stopTokens?.includes(last) || c.tokens.length === maxNewTokens) finished.push(rank(c));
      else alive.push(c);
    }
  }
  return finished.sort((a, b) => b.score - a.score);
}
