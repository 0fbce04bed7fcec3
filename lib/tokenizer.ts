/**
 * Tokenizers: text ↔ token ids.
 *
 *   CharTokenizer     one token per character (tiny models, baselines)
 *   WordTokenizer     one token per match of a pattern (words, syllables), with special tokens
 *   BPETokenizer      byte-level BPE, trained from text (minbpe-style; fast incremental trainer)
 *   basicTrain        the same merges by the straightforward loop (recount everything after every merge)
 *   loadTiktoken()    the real GPT-2 / GPT-4 / GPT-4o vocabularies, id-for-id equal to js-tiktoken
 */
import { CharTokenizer } from "./tokenizer/char";
import { BPETokenizer } from "./tokenizer/bpe";
import { WordTokenizer } from "./tokenizer/word";
import { Tokenizer, readTokenizerFile } from "./tokenizer/base";

export { Tokenizer, getStats, merge, bestPair, pairKey, pairOf, utf8Bytes, utf8Text, toWellFormed, bytesToDisplay } from "./tokenizer/base";
export { CharTokenizer, UNKNOWN_CHAR } from "./tokenizer/char";
export { WordTokenizer } from "./tokenizer/word";
export type { WordTokenizerOptions } from "./tokenizer/word";
export type { UnknownCharPolicy, CharTokenizerOptions } from "./tokenizer/char";
export { BPETokenizer } from "./tokenizer/bpe";
export { basicTrain } from "./tokenizer/basic";
export type { AllowedSpecial, EncodeOptions, BPEOptions, TrainOptions, MergeInfo } from "./tokenizer/bpe";
export { GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN, O200K_SPLIT_PATTERN, SPLIT_PATTERNS, splitText, compilePattern } from "./tokenizer/patterns";
export { loadTiktoken, referenceTiktoken, rankFile, TiktokenTokenizer, GPT_ENCODINGS } from "./tokenizer/tiktoken";
export type { GptEncoding, RankFile } from "./tokenizer/tiktoken";

/** Load any saved tokenizer file (char or BPE), chosen by its first line. */
export function loadTokenizer(file: string): Tokenizer {
  const text = readTokenizerFile(file);
  if (text.startsWith("tiny-llm char")) return CharTokenizer.deserialize(text, file);
  if (text.startsWith("tiny-llm bpe")) return BPETokenizer.deserialize(text, file);
  if (text.startsWith("tiny-llm word")) return WordTokenizer.deserialize(text, file);
  throw new Error(`${file} is not a saved tokenizer: its first line should be "tiny-llm char v1", "tiny-llm bpe v1" or "tiny-llm word v1", got ${JSON.stringify(text.split("\n")[0].slice(0, 40))}.`);
}
