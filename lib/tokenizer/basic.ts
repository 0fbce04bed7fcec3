/**
 * The straightforward BPE trainer, to read beside the fast one in bpe.ts (as minbpe's
 * basic.py sits beside regex.py): split the text into chunks, then for every merge
 * recount every pair in every chunk, merge the most frequent pair everywhere, repeat.
 * It learns exactly the merges BPETokenizer.train learns (the tests check it), only
 * much more slowly (`npm run bench -- tokenizer` measures how much).
 */
import { bestPair, getStats, merge, utf8Bytes } from "./base";
import { GPT4_SPLIT_PATTERN, splitText } from "./patterns";

/** The merges (pairs, in order) for a vocabulary of `vocabSize` (256 bytes + one id per merge). Same tie rule as BPETokenizer (bestPair). */
export function basicTrain(text: string, vocabSize: number, pattern = GPT4_SPLIT_PATTERN): Array<[number, number]> {
  let chunks: number[][] = splitText(text, pattern).map((c) => Array.from(utf8Bytes(c)));
  const merges: Array<[number, number]> = [];
  for (let id = 256; id < vocabSize; id++) {
    const stats = new Map<number, number>();
    for (const ids of chunks) getStats(ids, stats);
    const best = bestPair(stats);
    if (best === null) break;
    chunks = chunks.map((ids) => merge(ids, best.pair, id));
    merges.push(best.pair);
  }
  return merges;
}

