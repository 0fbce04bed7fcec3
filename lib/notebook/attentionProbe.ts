/**
 * Measuring what a trained GPT's heads do (chapter 02 and later):
 *
 *   attentionToKeys(model, windows, isQuery, isKey)   how much attention query tokens give to
 *                                                      key tokens, per head, against a
 *                                                      position-matched baseline
 *   probabilitiesOfNext(model, prefixes, targets)      p(next token) after each prefix,
 *                                                      optionally with heads switched off
 *   attentionMaps(model, ids)                          every layer's and head's (T, T) weights
 *
 * Plain arrays in, plain arrays out; no tensors escape.
 */
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../model/gpt";

export interface KeyAttention {
  /** Head names "L<layer>.H<head>", in the order of the other arrays. */
  heads: string[];
  /** Per head: mean over all (query, key) hits of the summed weight the query gives the matching keys. */
  onKeys: number[];
  /** Per head: the same head's average weight at the same (query position, key position) pairs, over all windows. */
  baseline: number[];
  /** onKeys / baseline: 1 = nothing special about those keys. */
  ratio: number[];
  /** Number of query tokens that had at least one matching key earlier in their window. */
  hits: number;
  windows: number;
}

/** Head names for a model: L0.H0, L0.H1, …. */
export function headNames(nLayers: number, nHeads: number): string[] {
  const out: string[] = [];
  for (let l = 0; l < nLayers; l++) for (let h = 0; h < nHeads; h++) out.push(`L${l}.H${h}`);
  return out;
}

/**
 * For every query token (tokenTexts → isQuery) with key tokens (isKey) earlier in its window,
 * add up the attention it gives those keys, per head; compare with the head's average weight at
 * the same (query, key) positions over every window, whatever the tokens. `tokenTexts` turns a
 * window of ids into token strings.
 */
export function attentionToKeys(
  model: GPT,
  windows: number[][],
  tokenTexts: (ids: number[]) => string[],
  isQuery: (token: string) => boolean,
  isKey: (token: string) => boolean,
  batchSize = 64,
): KeyAttention {
  const { nLayers, nHeads } = model.config;
  const nh = nLayers * nHeads;
  const T = windows[0]?.length ?? 0;
  const mean = Array.from({ length: nh }, () => new Float64Array(T * T)); // per head: (query, key) → average weight
  const hits: { window: number; query: number; keys: number[] }[] = [];
  windows.forEach((w, wi) => {
    const texts = tokenTexts(w);
    texts.forEach((t, i) => {
      if (!isQuery(t)) return;
      const keys: number[] = [];
      for (let j = 0; j < i; j++) if (isKey(texts[j])) keys.push(j);
      if (keys.length) hits.push({ window: wi, query: i, keys });
    });
  });
  const onKeys = new Array<number>(nh).fill(0);
  for (let b = 0; b < windows.length; b += batchSize) {
    const batch = windows.slice(b, b + batchSize);
    const { attention, logits } = model.forward(batch, { returnAttention: true });
    const layers = attention!.map((a) => a.dataSync()); // each (B, H, T, T), flat
    tf.dispose([...attention!, logits]);
    const at = (l: number, bi: number, h: number, i: number, j: number) => layers[l][((bi * nHeads + h) * T + i) * T + j];
    for (let l = 0; l < nLayers; l++) {
      for (let h = 0; h < nHeads; h++) {
        const m = mean[l * nHeads + h];
        for (let bi = 0; bi < batch.length; bi++) for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) m[i * T + j] += at(l, bi, h, i, j) / windows.length;
      }
    }
    for (const hit of hits) {
      if (hit.window < b || hit.window >= b + batch.length) continue;
      for (let l = 0; l < nLayers; l++) {
        for (let h = 0; h < nHeads; h++) {
          onKeys[l * nHeads + h] += hit.keys.reduce((s, j) => s + at(l, hit.window - b, h, hit.query, j), 0) / hits.length;
        }
      }
    }
  }
  const baseline = mean.map((m) => hits.reduce((s, hit) => s + hit.keys.reduce((t, j) => t + m[hit.query * T + j], 0), 0) / Math.max(1, hits.length));
  return { heads: headNames(nLayers, nHeads), onKeys, baseline, ratio: onKeys.map((x, i) => x / baseline[i]), hits: hits.length, windows: windows.length };
}

/**
 * p(target | prefix) for each prefix (ids) and each target token id, read from the model's
 * prediction at the prefix's last position. `headMask` (per layer, per head 1/0) switches heads off.
 * Returns [prefix][target].
 */
export function probabilitiesOfNext(model: GPT, prefixes: number[][], targets: number[], headMask?: number[][]): number[][] {
  return prefixes.map((ids) => {
    const { logits } = model.forward([ids], { headMask });
    const probs = tf.tidy(() => tf.softmax(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, model.config.vocabSize]).reshape([-1])).dataSync());
    logits.dispose();
    return targets.map((t) => probs[t]);
  });
}

/**
 * log p(word | prefix) for whole words that may take several tokens: the sum of the log-
 * probabilities of the word's tokens, each given the prefix and the word's earlier tokens.
 * Returns [prefix][word]. `headMask` switches heads off (see probabilitiesOfNext).
 */
export function wordLogProbs(model: GPT, prefixes: number[][], words: number[][], headMask?: number[][]): number[][] {
  const V = model.config.vocabSize;
  return prefixes.map((prefix) =>
    words.map((word) => {
      const ids = [...prefix, ...word.slice(0, -1)];
      const { logits } = model.forward([ids], { headMask });
      const logProbs = tf.tidy(() => tf.logSoftmax(tf.slice(logits, [0, prefix.length - 1, 0], [1, word.length, V]).reshape([word.length, V])).dataSync());
      logits.dispose();
      return word.reduce((s, t, k) => s + logProbs[k * V + t], 0);
    }),
  );
}

/** A head mask with every head on except the named ones ("L1.H0"). */
export function headMaskWithout(nLayers: number, nHeads: number, off: string[]): number[][] {
  return Array.from({ length: nLayers }, (_, l) => Array.from({ length: nHeads }, (_, h) => (off.includes(`L${l}.H${h}`) ? 0 : 1)));
}

/** Every layer's attention on one sequence: [layer][head][query][key]. */
export function attentionMaps(model: GPT, ids: number[]): number[][][][] {
  const { attention, logits } = model.forward([ids], { returnAttention: true });
  const maps = attention!.map((a) => (a.arraySync() as number[][][][])[0]);
  tf.dispose([...attention!, logits]);
  return maps;
}
