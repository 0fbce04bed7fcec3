/**
 * Evaluation: numbers that say how good a model's outputs are.
 *
 *   perplexity(loss)          e^loss — "choosing among about this many tokens"
 *   exactMatch(pred, ref)     1 if the two strings are equal after trimming, else 0
 *   characterAccuracy         1 − edit distance / reference length (≥ 0): partial credit per character
 *   editDistance              Levenshtein distance between two strings (by code point) or id lists
 *   mean                      the average of a list (NaN for an empty one)
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
