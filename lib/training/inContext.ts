/**
 * Few-shot learning you can watch emerge: a synthetic in-context task (chapter 06).
 *
 * Every sequence is a list of (key, label) pairs under a FRESH random mapping, e.g.
 *
 *     k7 L2  k3 L0  k7 L2  k1 L3  k3 L0  k7 ?      ← the answer is L2: it was shown twice
 *
 * Because the mapping is new in every sequence, nothing about it can be stored in the
 * weights: the way to answer right every time a key has been shown before is to look back
 * in the prompt for the same key and copy the label that followed it (an *induction head*:
 * Olsson et al. 2022). Counting gets part of the way without any lookup (a key seen once has
 * a label seen once): the `countMatch` baseline measures how far. The loss is on the labels
 * only (the keys are random, there is nothing to predict).
 *
 *   inContextSequence(rng, spec)     one sequence: ids, targets (−1 except at keys), shots
 *   inContextBatch(rng, B, spec)     B sequences as a Batch (+ shots per position)
 *   inContextTask(model, spec, …)    a TrainingTask for the shared loop
 *   inContextAccuracy(model, …)      accuracy by number of earlier examples of the same key,
 *                                    beside chance, the "most frequent label so far" baseline and
 *                                    the best that counting alone can do (order-blind)
 *
 * Token ids: keys are 0 … keys − 1, labels are keys … keys + labels − 1 (vocabSize = keys + labels).
 */
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../model/gpt";
import { Rng } from "../random";
import type { Batch } from "./batches";
import type { TrainingTask } from "./loop";

/** The shape of the in-context task. */
export interface InContextSpec {
  /** Different key tokens (default 12: each key token turns up often enough in training for the lookup to form within a minute). */
  keys: number;
  /** Different label tokens (default 16; at least keysPerSequence, since every key in a sequence gets a label of its own). */
  labels: number;
  /** Keys one sequence draws from (default 3; pairs pick among them with replacement, so up to 3 appear): fewer → each key repeats more often. */
  keysPerSequence: number;
  /** (key, label) pairs per sequence (default 8): the sequence is 2·pairs tokens long. */
  pairs: number;
}

export const IN_CONTEXT_SPEC: InContextSpec = { keys: 12, labels: 16, keysPerSequence: 3, pairs: 8 };

/** A spec with defaults filled in and checked (clear errors that name the fix). */
export function inContextSpec(spec: Partial<InContextSpec> = {}): InContextSpec {
  const s = { ...IN_CONTEXT_SPEC, ...spec };
  for (const [k, v] of Object.entries(s)) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`in-context task: ${k} must be a positive whole number, got ${v}.`);
  }
  if (s.keysPerSequence > s.keys) throw new Error(`in-context task: keysPerSequence (${s.keysPerSequence}) cannot exceed keys (${s.keys}). Lower keysPerSequence or raise keys.`);
  if (s.labels < 2) throw new Error(`in-context task: labels must be at least 2 (with one label there is nothing to learn), got ${s.labels}.`);
  if (s.labels < s.keysPerSequence) throw new Error(`in-context task: every key in a sequence gets a label of its own, so labels (${s.labels}) must be at least keysPerSequence (${s.keysPerSequence}). Raise labels or lower keysPerSequence.`);
  return s;
}

/** Vocabulary size a model needs for this task: keys + labels. */
export function inContextVocabSize(spec: Partial<InContextSpec> = {}): number {
  const s = inContextSpec(spec);
  return s.keys + s.labels;
}

export interface InContextSequence {
  /** 2·pairs tokens: key, label, key, label, … */
  ids: number[];
  /** The next token to predict at each position: the label after a key; −1 after a label (the next key is random). */
  targets: number[];
  /** At each key position: how many earlier pairs in this sequence had the same key (−1 at label positions). */
  shots: number[];
  /** At each key position: the label that occurred most often so far in the sequence (−1 if none yet, or at label positions). */
  mostFrequent: number[];
  /**
   * At each key position: the chance that the best guess from COUNTS ALONE is right (NaN at label
   * positions). Counting ignores order: it knows how often each key and each label occurred, not
   * which label followed which key. Every key has a label of its own, so a key seen n times has a
   * label seen n times: guess among the labels seen exactly as often as this key (at 0 shots, among
   * the labels not seen yet). No strategy that ignores order does better.
   */
  countMatch: number[];
}

/** One sequence under a fresh random mapping (key → label). */
export function inContextSequence(random: Rng, spec: Partial<InContextSpec> = {}): InContextSequence {
  const s = inContextSpec(spec);
  const chosen = random.shuffle(Array.from({ length: s.keys }, (_, i) => i)).slice(0, s.keysPerSequence);
  // each chosen key gets its own label (drawn without replacement): a label's count is its key's count
  const labelsDrawn = random.shuffle(Array.from({ length: s.labels }, (_, i) => s.keys + i)).slice(0, s.keysPerSequence);
  const labelOf = new Map<number, number>(chosen.map((k, i) => [k, labelsDrawn[i]]));
  const ids: number[] = [];
  const targets: number[] = [];
  const shots: number[] = [];
  const mostFrequent: number[] = [];
  const countMatch: number[] = [];
  const seen = new Map<number, number>();
  const labelCounts = new Map<number, number>();
  for (let p = 0; p < s.pairs; p++) {
    const key = chosen[random.int(chosen.length)];
    const label = labelOf.get(key) as number;
    let best = -1;
    let bestCount = 0;
    // ties go to the label seen first, which is the order Map iterates in
    for (const [l, c] of labelCounts) if (c > bestCount) [best, bestCount] = [l, c];
    const n = seen.get(key) ?? 0;
    let sameCount = 0;
    for (const c of labelCounts.values()) if (c === n) sameCount++;
    ids.push(key, label);
    targets.push(label, -1);
    shots.push(n, -1);
    mostFrequent.push(best, -1);
    countMatch.push(n === 0 ? 1 / (s.labels - labelCounts.size) : 1 / sameCount, NaN);
    seen.set(key, n + 1);
    labelCounts.set(label, (labelCounts.get(label) ?? 0) + 1);
  }
  // the target after the last label would be the next key: there is none, and it is −1 anyway
  return { ids, targets, shots, mostFrequent, countMatch };
}

/** B sequences as one (B, 2·pairs) batch, with shots and the frequency and counting baselines per position. */
export function inContextBatch(random: Rng, batchSize: number, spec: Partial<InContextSpec> = {}): Batch & { shots: Int32Array; mostFrequent: Int32Array; countMatch: Float64Array } {
  const s = inContextSpec(spec);
  const length = 2 * s.pairs;
  const ids = new Int32Array(batchSize * length);
  const targets = new Int32Array(batchSize * length);
  const shots = new Int32Array(batchSize * length);
  const mostFrequent = new Int32Array(batchSize * length);
  const countMatch = new Float64Array(batchSize * length);
  for (let b = 0; b < batchSize; b++) {
    const seq = inContextSequence(random, s);
    ids.set(seq.ids, b * length);
    targets.set(seq.targets, b * length);
    shots.set(seq.shots, b * length);
    mostFrequent.set(seq.mostFrequent, b * length);
    countMatch.set(seq.countMatch, b * length);
  }
  return { ids, targets, batchSize, length, shots, mostFrequent, countMatch };
}

/** Train a GPT on the in-context task with the shared loop (the loss on the labels only). */
export function inContextTask(model: GPT, spec: Partial<InContextSpec> = {}, options: { batchSize?: number } = {}): TrainingTask<Batch> {
  const s = inContextSpec(spec);
  const need = inContextVocabSize(s);
  if (model.config.vocabSize < need) throw new Error(`inContextTask: the model's vocabSize is ${model.config.vocabSize} but the task needs ${need} (keys + labels). Make the model with vocabSize: inContextVocabSize(spec).`);
  if (model.config.contextLength < 2 * s.pairs) throw new Error(`inContextTask: a sequence is ${2 * s.pairs} tokens but the model's context is ${model.config.contextLength}. Use contextLength ≥ ${2 * s.pairs} or fewer pairs.`);
  const batchSize = options.batchSize ?? 32;
  return {
    params: model.trainableParams(),
    tokensPerBatch: batchSize * 2 * s.pairs,
    nextBatch: (random) => inContextBatch(random, batchSize, s),
    loss: (b, training) => model.loss(b.ids, b.targets, { shape: [b.batchSize, b.length], training }),
    replica: { model, lossBatch: (b) => b },
  };
}

/** Accuracy of one group of answers (all answers with the same number of earlier examples). */
export interface ShotAccuracy {
  /** Earlier examples of the same key in the sequence (the "shots"). */
  shots: number;
  /** Answers in this group. */
  count: number;
  /** The model's accuracy: the most likely label is the right one. */
  accuracy: number;
  /** Accuracy of always answering the label seen most often so far in the sequence. */
  frequencyBaseline: number;
  /** Expected accuracy of the best guess from counts alone (order-blind: which label followed which key is ignored). */
  countBaseline: number;
  /** Accuracy of guessing: 1 / labels. */
  chance: number;
}

/**
 * The model's accuracy at every key position, grouped by shots (0, 1, 2, …, `maxShots`+),
 * on `sequences` fresh sequences drawn with `seed`. The model's answer is the most likely of
 * the label tokens. Returns one row per shots value.
 */
export function inContextAccuracy(model: GPT, spec: Partial<InContextSpec> = {}, options: { sequences?: number; seed?: number; maxShots?: number; batchSize?: number } = {}): ShotAccuracy[] {
  const s = inContextSpec(spec);
  const total = options.sequences ?? 256;
  const batchSize = options.batchSize ?? 64;
  const maxShots = options.maxShots ?? 4;
  const random = new Rng(options.seed ?? 99);
  const right = new Array<number>(maxShots + 1).fill(0);
  const baseline = new Array<number>(maxShots + 1).fill(0);
  const counting = new Array<number>(maxShots + 1).fill(0);
  const count = new Array<number>(maxShots + 1).fill(0);
  for (let done = 0; done < total; done += batchSize) {
    const b = inContextBatch(random, Math.min(batchSize, total - done), s);
    const { logits } = model.forward(b.ids, { shape: [b.batchSize, b.length] });
    // argmax over the label tokens only, read back as one small Int32Array
    const answers = tf.tidy(() => tf.argMax(tf.slice(logits, [0, 0, s.keys], [b.batchSize, b.length, s.labels]), -1));
    const picked = answers.dataSync();
    tf.dispose([logits, answers]);
    for (let i = 0; i < b.targets.length; i++) {
      if (b.targets[i] < 0) continue;
      const g = Math.min(b.shots[i], maxShots);
      count[g]++;
      if (picked[i] + s.keys === b.targets[i]) right[g]++;
      if (b.mostFrequent[i] === b.targets[i]) baseline[g]++;
      counting[g] += b.countMatch[i];
    }
  }
  return count.map((n, g) => ({ shots: g, count: n, accuracy: n ? right[g] / n : NaN, frequencyBaseline: n ? baseline[g] / n : NaN, countBaseline: n ? counting[g] / n : NaN, chance: 1 / s.labels }));
}
