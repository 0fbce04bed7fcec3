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
 *   rougeL(pred, ref)         word overlap in order: F1 of the longest common subsequence of words
 *   chrF(pred, ref)           character n-gram overlap (n = 1…6, recall weighted ×2): kind to Korean endings
 *
 *   tokenLosses(model, ids)   −log p(next token) at every position of a token stream, then
 *   lossByPosition / lossByCategory / inContextScore / promptedLoss   where the loss comes from
 *
 *   hallucination (chapter 09, training/hallucination.ts): factProbes / probeFacts (a fact's closed set
 *   of answers scored → the answer, its confidence and entropy), selfConsistency, reliabilityBins /
 *   expectedCalibrationError, auroc, riskCoverage, monofactRate, parseStatements / checkStatements,
 *   FactRetriever, abstentionScore, abstentionRecords
 *
 * The validation loss of a language model is `estimateLoss` in lib/train.
 */
export {
  EXPOSURE_BUCKETS, exposureBucket, relationValues, factSentence, QUESTION_PHRASINGS, candidateSentences, truthIndex, factQuestion, STATEMENT_HEADERS, ABSTAIN,
  factProbes, probeFacts, probeResult, entropy, normalise, statedValue, selfConsistency, agreement,
  reliabilityBins, expectedCalibrationError, auroc, riskCoverage, accuracyAtCoverage, monofactRate,
  parseStatements, checkStatements, trigrams, FactRetriever, groundedResult, abstentionScore, outcomeOf, thresholdOutcomes, abstentionRecords,
} from "./training/hallucination";
export type { ExposureBucket, ValueName, ProbeMode, FactProbe, ProbeOptions, ProbeResult, ReliabilityBin, CoveragePoint, Statement, Verdict, CheckedStatement, Retrieved, AnswerOutcome } from "./training/hallucination";
export { tokenLosses, lossByPosition, inContextScore, tokenCategory, lossByCategory, promptedLoss, KOREAN_PARTICLES, ENGLISH_FUNCTION_WORDS } from "./training/tokenLosses";
export type { TokenLossRun, TokenCategory } from "./training/tokenLosses";

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

/** Lower-cased words: runs of letters and digits in any script (punctuation dropped). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Length of the longest common subsequence of two lists (dynamic programming, O(n·m)). */
export function lcsLength<T>(a: readonly T[], b: readonly T[]): number {
  let row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const next = [0];
    for (let j = 1; j <= b.length; j++) next[j] = a[i - 1] === b[j - 1] ? row[j - 1] + 1 : Math.max(row[j], next[j - 1]);
    row = next;
  }
  return row[b.length];
}

/**
 * ROUGE-L (Lin 2004): the longest common subsequence of the two texts' words (lower-cased,
 * punctuation dropped), as an F1 score — precision LCS / |prediction|, recall LCS / |reference|.
 * 1 for the same words in the same order, 0 for no word in common (or an empty side).
 */
export function rougeL(prediction: string, reference: string): number {
  const p = words(prediction);
  const r = words(reference);
  const lcs = lcsLength(p, r);
  if (lcs === 0) return 0;
  const precision = lcs / p.length;
  const recall = lcs / r.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * chrF (Popović 2015, as sacreBLEU computes it): character n-grams of the texts without
 * whitespace, n = 1…maxN. Precision and recall (matched n-grams, counted with multiplicity)
 * are averaged over the orders both texts are long enough for, then combined as
 * F_β = (1 + β²)·P·R / (β²·P + R) — β = 2 weighs recall twice as much. Scale 0–1 (sacreBLEU prints ×100).
 * Partial credit for a word with the right stem but another ending (often the case in Korean).
 */
export function chrF(prediction: string, reference: string, options: { maxN?: number; beta?: number } = {}): number {
  const maxN = options.maxN ?? 6;
  const beta = options.beta ?? 2;
  if (!(Number.isInteger(maxN) && maxN >= 1)) throw new Error(`chrF: maxN must be a whole number ≥ 1, got ${maxN}.`);
  const hyp = Array.from(prediction.replace(/\s+/g, ""));
  const ref = Array.from(reference.replace(/\s+/g, ""));
  let precision = 0;
  let recall = 0;
  let orders = 0;
  for (let n = 1; n <= maxN; n++) {
    const h = ngrams(hyp, n);
    const r = ngrams(ref, n);
    if (h.length === 0 || r.length === 0) continue;
    const counts = new Map<string, number>();
    for (const g of r) counts.set(g, (counts.get(g) ?? 0) + 1);
    let matched = 0;
    for (const g of h) {
      const c = counts.get(g) ?? 0;
      if (c > 0) {
        matched++;
        counts.set(g, c - 1);
      }
    }
    precision += matched / h.length;
    recall += matched / r.length;
    orders++;
  }
  if (orders === 0) return hyp.length === 0 && ref.length === 0 ? 1 : 0;
  precision /= orders;
  recall /= orders;
  if (precision + recall === 0) return 0;
  const b2 = beta * beta;
  return ((1 + b2) * precision * recall) / (b2 * precision + recall);
}
