/**
 * Picking the next token from the model's scores (logits), in this order:
 *
 *   - repetition penalty (CTRL): push down tokens already in the text;
 *   - greedy (or temperature 0): the most likely token;
 *   - temperature T: logits / T (T < 1 sharpens, T > 1 flattens);
 *   - top-k: keep only the k most likely tokens;
 *   - top-p (nucleus): keep the smallest set of most likely tokens whose
 *     probabilities add up to at least p;
 *   - min-p: drop tokens less likely than minP × the most likely one;
 *   then draw from what is left with lib/random (seeded: same seed, same text).
 */
import { Rng, rng } from "../random";

export interface SampleOptions {
  /** Always take the most likely token (default false). */
  greedy?: boolean;
  /** Divide the logits by this before sampling (default 1; 0 means greedy). */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Sample only among the most likely tokens whose probabilities sum to ≥ p. */
  topP?: number;
  /** Drop tokens whose probability is below minP × the top token's (after temperature). */
  minP?: number;
  /**
   * CTRL's repetition penalty θ > 1, once per token already in `context`:
   * logit < 0 ? logit·θ : logit/θ (1 = off).
   */
  repetitionPenalty?: number;
  /** The tokens so far (for the repetition penalty). */
  context?: ArrayLike<number>;
}

/** The logits after the repetition penalty (a copy; the input is left alone). */
export function applyRepetitionPenalty(logits: ArrayLike<number>, context: ArrayLike<number>, penalty: number): Float64Array {
  if (!(penalty > 0)) throw new Error(`repetitionPenalty must be > 0 (1 = off, 1.2 is typical), got ${penalty}.`);
  const out = Float64Array.from(logits);
  const seen = new Set<number>();
  for (let i = 0; i < context.length; i++) seen.add(context[i]);
  for (const id of seen) if (id >= 0 && id < out.length) out[id] = out[id] < 0 ? out[id] * penalty : out[id] / penalty;
  return out;
}

/** Probabilities after temperature, top-k and top-p (zeros for excluded tokens). */
export function nextTokenProbabilities(rawLogits: ArrayLike<number>, options: SampleOptions = {}): Float64Array {
  const logits = options.repetitionPenalty !== undefined && options.repetitionPenalty !== 1 ? applyRepetitionPenalty(rawLogits, options.context ?? [], options.repetitionPenalty) : rawLogits;
  const n = logits.length;
  const temperature = options.temperature ?? 1;
  if (!(temperature >= 0)) throw new Error(`temperature must be ≥ 0, got ${temperature}.`);
  if (options.topK !== undefined && !(Number.isInteger(options.topK) && options.topK >= 1)) throw new Error(`topK must be a positive integer, got ${options.topK}.`);
  if (options.topP !== undefined && !(options.topP > 0 && options.topP <= 1)) throw new Error(`topP must be in (0, 1], got ${options.topP}.`);
  if (options.minP !== undefined && !(options.minP >= 0 && options.minP <= 1)) throw new Error(`minP must be in [0, 1], got ${options.minP}.`);
  const probs = new Float64Array(n);
  if (options.greedy || temperature === 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    probs[best] = 1;
    return probs;
  }
  // Top-k and top-p keep the most likely tokens, so they rank them first; plain temperature (and
  // min-p) needs no ranking (sorting the vocabulary for every new token was most of a sampling step).
  const ranked = options.topK !== undefined || (options.topP !== undefined && options.topP < 1);
  const order = ranked ? Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b) : null;
  const token = (r: number) => (order ? order[r] : r); // the r-th token considered (the most likely first when ranked)
  const keep = Math.min(n, options.topK ?? n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  let total = 0;
  for (let r = 0; r < keep; r++) {
    const i = token(r);
    probs[i] = Math.exp((logits[i] - max) / temperature);
    total += probs[i];
  }
  for (let r = 0; r < keep; r++) probs[token(r)] /= total;
  if (options.topP !== undefined && options.topP < 1) {
    let cumulative = 0;
    let cut = keep;
    for (let r = 0; r < keep; r++) {
      cumulative += probs[token(r)];
      if (cumulative >= options.topP) {
        cut = r + 1;
        break;
      }
    }
    let kept = 0;
    for (let r = 0; r < keep; r++) {
      if (r >= cut) probs[token(r)] = 0;
      else kept += probs[token(r)];
    }
    for (let r = 0; r < cut; r++) probs[token(r)] /= kept;
  }
  if (options.minP !== undefined && options.minP > 0) {
    let top = 0;
    for (let i = 0; i < n; i++) if (probs[i] > top) top = probs[i];
    const threshold = options.minP * top; // the top token is always kept
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (probs[i] < threshold) probs[i] = 0;
      else kept += probs[i];
    }
    for (let i = 0; i < n; i++) probs[i] /= kept;
  }
  return probs;
}

/** Pick the next token id from one row of logits. */
export function sampleToken(logits: ArrayLike<number>, options: SampleOptions = {}, random: Rng = rng()): number {
  const probs = nextTokenProbabilities(logits, options);
  if (options.greedy || options.temperature === 0) return probs.indexOf(1);
  return random.categorical(probs);
}
