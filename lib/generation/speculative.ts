/**
 * Speculative decoding (Leviathan et al. 2023; Chen et al. 2023): a small *draft* model
 * proposes γ tokens one by one; the big *target* model scores all of them in **one**
 * forward pass; each proposal x is kept with probability min(1, p(x)/q(x)) (p the
 * target's, q the draft's distribution); at the first rejection a token is drawn from
 * norm(max(0, p − q)) instead, and if all γ are kept, one more from p. The result is a
 * sample from exactly the target's distribution — only faster when the draft guesses well:
 * with acceptance rate α, one target pass yields (1 − α^(γ+1)) / (1 − α) tokens on average.
 */
import { GPT } from "../model/gpt";
import { toTokenBatch } from "../model/layers";
import { Rng, rng } from "../random";
import { SampleOptions, nextTokenProbabilities } from "./sampling";
import * as tf from "@tensorflow/tfjs";

export interface SpeculativeOptions {
  maxNewTokens: number;
  /** Tokens the draft proposes per round (default 4). */
  gamma?: number;
  /** Sampling temperature for both models (default 1; greedy is not supported — use temperature > 0). */
  temperature?: number;
  seed?: number;
  stopTokens?: number[];
}

export interface SpeculativeResult {
  tokens: number[];
  newTokens: number[];
  /** Draft proposals made, and how many the target kept. */
  proposed: number;
  accepted: number;
  /** Forward passes of the target model (one per round). */
  targetCalls: number;
  draftCalls: number;
}

/** Rows `from … from + count − 1` of a (1, T, V) logits tensor as probability vectors. */
function rowsOf(model: GPT, ids: number[], from: number, count: number, options: SampleOptions): Float64Array[] {
  const { logits } = model.forward([ids]);
  const v = logits.shape[2];
  const part = tf.slice(logits, [0, from, 0], [1, count, v]);
  const data = part.dataSync();
  tf.dispose([logits, part]);
  return Array.from({ length: count }, (_, i) => nextTokenProbabilities(data.subarray(i * v, (i + 1) * v), options));
}

/** The accept/reject step for one proposal: { accepted, token } (token is the replacement on rejection). */
export function speculativeAccept(x: number, p: ArrayLike<number>, q: ArrayLike<number>, random: Rng): { accepted: boolean; token: number } {
  if (random.next() < Math.min(1, p[x] / q[x])) return { accepted: true, token: x };
  const residual = Float64Array.from(p, (pi, i) => Math.max(0, pi - q[i]));
  const total = residual.reduce((a, b) => a + b, 0);
  // total = 0 only when p = q, where a rejection cannot happen; fall back to p for safety.
  return { accepted: false, token: random.categorical(total > 0 ? residual.map((r) => r / total) : Float64Array.from(p)) };
}

/** Sample from `target` with `draft` proposing (see the top of this file). */
export function speculativeGenerate(target: GPT, draft: GPT, prompt: number[], options: SpeculativeOptions): SpeculativeResult {
  const gamma = options.gamma ?? 4;
  if (!(Number.isInteger(gamma) && gamma >= 1)) throw new Error(`speculativeGenerate: gamma must be a whole number ≥ 1, got ${gamma}.`);
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0)) throw new Error("speculativeGenerate: temperature must be > 0 (speculative sampling needs distributions; for greedy decoding use generate).");
  if (target.config.vocabSize !== draft.config.vocabSize) throw new Error(`speculativeGenerate: the draft's vocabulary (${draft.config.vocabSize}) must be the target's (${target.config.vocabSize}).`);
  if (prompt.length === 0) throw new Error("speculativeGenerate: the prompt is empty — start with at least one token.");
  toTokenBatch(prompt, target.config.vocabSize);
  const limit = Math.min(target.config.contextLength, draft.config.contextLength);
  if (prompt.length + options.maxNewTokens + gamma > limit) {
    throw new Error(`speculativeGenerate: prompt (${prompt.length}) + maxNewTokens (${options.maxNewTokens}) + gamma (${gamma}) must fit the context (${limit}); lower maxNewTokens.`);
  }
  const random = options.seed !== undefined ? new Rng(options.seed) : rng();
  const sampling = { temperature };
  const tokens = prompt.slice();
  const result: SpeculativeResult = { tokens, newTokens: [], proposed: 0, accepted: 0, targetCalls: 0, draftCalls: 0 };
  const push = (t: number) => {
    tokens.push(t);
    result.newTokens.push(t);
    return result.newTokens.length >= options.maxNewTokens || !!options.stopTokens?.includes(t);
  };
  let done = options.maxNewTokens === 0;
  while (!done) {
    const proposal: number[] = [];
    const q: Float64Array[] = [];
    for (let i = 0; i < gamma; i++) {
      const [dist] = rowsOf(draft, [...tokens, ...proposal], tokens.length + proposal.length - 1, 1, sampling);
      result.draftCalls++;
      q.push(dist);
      proposal.push(random.categorical(dist));
    }
    const p = rowsOf(target, [...tokens, ...proposal], tokens.length - 1, gamma + 1, sampling); // one pass scores every proposal
    result.targetCalls++;
    let allKept = true;
    for (let i = 0; i < gamma && !done; i++) {
      result.proposed++;
      const step = speculativeAccept(proposal[i], p[i], q[i], random);
      if (step.accepted) result.accepted++;
      done = push(step.token);
      if (!step.accepted) {
        allKept = false;
        break;
      }
    }
    if (allKept && !done) done = push(random.categorical(p[gamma])); // every proposal kept: one more token from the target, free
  }
  return result;
}

/** Expected tokens per target call for acceptance rate α and γ proposals: (1 − α^(γ+1)) / (1 − α). */
export function expectedTokensPerCall(alpha: number, gamma: number): number {
  return alpha === 1 ? gamma + 1 : (1 - Math.pow(alpha, gamma + 1)) / (1 - alpha);
}

export interface SpeculativeRow {
  gamma: number;
  /** Share of the draft's proposals the target kept. */
  alpha: number;
  /** New tokens per target forward pass, measured. */
  tokensPerCall: number;
  /** (1 − α^(γ+1)) / (1 − α) for the measured α. */
  formula: number;
  ms: number;
}

/** Speculative decoding for each γ on one prompt: acceptance, tokens per target call, wall time (chapter 05 and `npm run bench -- generate`). */
export function measureSpeculative(target: GPT, draft: GPT, prompt: number[], options: { gammas: number[]; tokens: number; temperature?: number; seed?: number }): SpeculativeRow[] {
  return options.gammas.map((gamma) => {
    const t0 = Date.now();
    const r = speculativeGenerate(target, draft, prompt, { maxNewTokens: options.tokens, gamma, temperature: options.temperature ?? 1, seed: options.seed ?? 5 });
    const ms = Date.now() - t0;
    const alpha = r.accepted / r.proposed;
    return { gamma, alpha, tokensPerCall: r.newTokens.length / r.targetCalls, formula: expectedTokensPerCall(alpha, gamma), ms };
  });
}
