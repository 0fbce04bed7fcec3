/**
 * Evaluation: numbers that say how good a model's outputs are.
 *
 *   perplexity(loss)          e^loss — "choosing among about this many tokens"
 *   exactMatch(pred, ref)     1 if the two strings are equal after trimming, else 0
 *   characterAccuracy         1 − edit distance / reference length (≥ 0): partial credit per character
 *   editDistance              Levenshtein distance between two strings (by code point) or id lists
 *   mean                      the average of a list (NaN for an empty one)
 *   distinctN                 share of distinct n-grams (diversity of generated text)
 *   repeatedNgramRate         share of n-grams seen before in the same text (loops)
 *
 * The validation loss of a language model is `estimateLoss` in lib/train.
 */

export function perplexity(loss: number): number {
  return Math.exp(loss);
}

export function exactMatch(prediction: string, reference: string): number {
  return prediction.trim() === reference.trim() ? 1 : 0;
}

/** Levenshtein distance: insertions, deletions and substitutions, each cost 1. */
export function editDistance(a: string | ArrayLike<number>, b: string | ArrayLike<number>): number {
  const x = typeof a === "string" ? Array.from(a) : Array.from(a);
  const y = typeof b === "string" ? Array.from(b) : Array.from(b);
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    row = next;
  }
  return row[y.length];
}

/** 1 − editDistance / (number of reference characters), floored at 0; 1 for two empty strings. */
export function characterAccuracy(prediction: string, reference: string): number {
  const n = Array.from(reference).length;
  if (n === 0) return prediction.length === 0 ? 1 : 0;
  return Math.max(0, 1 - editDistance(prediction, reference) / n);
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** Share of distinct n-grams among all n-grams of a token sequence (1 = no n-gram repeats; 0 for too short a sequence). */
export function distinctN(tokens: ArrayLike<number | string>, n: number): number {
  const grams = ngrams(tokens, n);
  return grams.length ? new Set(grams).size / grams.length : 0;
}

/** Share of n-grams that already occurred earlier in the sequence (a measure of loops). */
export function repeatedNgramRate(tokens: ArrayLike<number | string>, n: number): number {
  const grams = ngrams(tokens, n);
  const seen = new Set<string>();
  let repeats = 0;
  for (const g of grams) {
    if (seen.has(g)) repeats++;
    seen.add(g);
  }
  return grams.length ? repeats / grams.length : 0;
}

function ngrams(tokens: ArrayLike<number | string>, n: number): string[] {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`n must be a whole number ≥ 1, got ${n}.`);
  const list = Array.from(tokens, String);
  return Array.from({ length: Math.max(0, list.length - n + 1) }, (_, i) => list.slice(i, i + n).join("\u0000"));
}
