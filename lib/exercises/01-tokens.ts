/**
 * Chapter 01 exercises: UTF-8 byte counts, counting pairs, one merge, the BPE
 * training loop, encoding with given merges, decoding ids back to text. Expected values are written by
 * hand for the small cases and computed by the lib's reference tokenizer
 * (lib/tokenizer) for the rest.
 */
import { getStats, merge, pairOf, utf8Bytes } from "../tokenizer/base";
import { BPETokenizer } from "../tokenizer/bpe";
import { Exercise } from "./types";

/** Pair counts with readable keys: [1, 2, 1, 2] → Map { "1,2" → 2, "2,1" → 1 }. */
function pairCounts(ids: number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, count] of getStats(ids)) out.set(pairOf(key).join(","), count);
  return out;
}

function bytesOf(text: string): number[] {
  return Array.from(utf8Bytes(text));
}

/** minbpe's example: the 3 merges learned from "aaabdaaabac". */
const MINBPE_MERGES: Array<[number, number]> = [[97, 97], [97, 98], [256, 257]];
/** Merges that build "한" (bytes ED 95 9C) and then " 한". */
const HAN_MERGES: Array<[number, number]> = [[0xed, 0x95], [256, 0x9c], [32, 257]];
/** Merges learned by the lib from a short mixed text (the reference trainer). */
const LEARNED = new BPETokenizer({ pattern: "" }).train("the cat and the hat and the 한국 한국어", 256 + 12);

function encodeRef(text: string, merges: Array<[number, number]>): number[] {
  return BPETokenizer.fromMerges(merges, { pattern: "" }).encode(text);
}

/** The lib's trainer (no split pattern, no special tokens): the first `numMerges` merges it learns from `text`. */
function trainRef(text: string, numMerges: number): Array<[number, number]> {
  return new BPETokenizer({ pattern: "" }).train(text, 256 + numMerges).merges.map(([a, b]) => [a, b] as [number, number]);
}

function decodeRef(ids: number[], merges: Array<[number, number]>): string {
  return BPETokenizer.fromMerges(merges, { pattern: "" }).decode(ids);
}

export const exercises: Exercise[] = [
  {
    id: "01-utf8-length",
    title: "How many UTF-8 bytes does a string take?",
    points: 1,
    cases: () => [
      { label: "ASCII", args: ["hello"], expected: 5 },
      { label: "one Hangul syllable", args: ["한"], expected: 3 },
      { label: "Korean sentence", args: ["은행 앞에"], expected: 13 }, // 4 syllables × 3 + 1 space
      { label: "é (2 bytes)", args: ["café"], expected: 5 },
      { label: "emoji (a surrogate pair, 4 bytes)", args: ["🙂"], expected: 4 },
      { label: "empty", args: [""], expected: 0 },
      { label: "mixed", args: ["GPT는 🙂 좋아"], expected: utf8Bytes("GPT는 🙂 좋아").length },
    ],
    hint: (got, _expected, args) => {
      const text = args[0] as string;
      if (got === text.length) return "that is text.length: JavaScript counts UTF-16 code units, not bytes — loop over the code points and use the table of section 2";
      if (got === Array.from(text).length) return "that is the number of characters (code points); each takes 1 to 4 bytes";
      return undefined;
    },
  },
  {
    id: "01-count-pairs",
    title: "Count adjacent pairs (getStats)",
    points: 1,
    cases: () => [
      { label: "small", args: [[1, 2, 3, 1, 2]], expected: new Map([["1,2", 2], ["2,3", 1], ["3,1", 1]]) },
      { label: "a run overlaps itself", args: [[7, 7, 7]], expected: new Map([["7,7", 2]]) },
      { label: "empty", args: [[]], expected: new Map() },
      { label: "one token", args: [[5]], expected: new Map() },
      { label: "bytes of aaabdaaabac", args: [bytesOf("aaabdaaabac")], expected: pairCounts(bytesOf("aaabdaaabac")) },
      { label: "bytes of 한한", args: [bytesOf("한한")], expected: pairCounts(bytesOf("한한")) },
    ],
  },
  {
    id: "01-merge-pair",
    title: "Apply one merge",
    points: 1,
    cases: () => [
      { label: "minbpe's example", args: [[5, 6, 6, 7, 9, 1], [6, 7], 99], expected: [5, 6, 99, 9, 1] },
      { label: "left to right, no overlap", args: [[1, 1, 1], [1, 1], 9], expected: [9, 1] },
      { label: "every occurrence", args: [[1, 2, 3, 1, 2], [1, 2], 256], expected: [256, 3, 256] },
      { label: "no occurrence", args: [[1, 2, 3], [3, 1], 9], expected: [1, 2, 3] },
      { label: "empty", args: [[], [1, 2], 9], expected: [] },
      { label: "bytes of 한국", args: [bytesOf("한국"), [0xed, 0x95], 300], expected: merge(bytesOf("한국"), [0xed, 0x95], 300) },
    ],
    hint: (got, expected, args) => {
      const [ids, pair] = args as [number[], [number, number]];
      if (Array.isArray(got) && got.length === ids.length && Array.isArray(expected) && expected.length < ids.length) return "nothing was removed: a merge replaces the two ids of the pair with ONE new id";
      if (Array.isArray(got) && Array.isArray(expected) && got.length < expected.length && pair[0] === pair[1]) return "in a run like [1, 1, 1] the pair (1, 1) merges once, from the left, and the third 1 stays: skip past both ids after a merge";
      return undefined;
    },
  },
  {
    id: "01-train-bpe",
    title: "Train BPE: the merge loop",
    points: 3,
    cases: () => [
      // aaabdaaabac: (a,a) ×4 first; then (a,b) and (256,a) both ×2 — the tie goes to the smaller pair (97, 98); then (256, 257).
      { label: "minbpe's aaabdaaabac, 3 merges", args: ["aaabdaaabac", 3], expected: MINBPE_MERGES },
      { label: "no merges", args: ["hello", 0], expected: [] },
      { label: "stop when one token is left", args: ["ab", 3], expected: [[97, 98]] },
      { label: "한한한: bytes ED 95 9C, three times", args: ["한한한", 3], expected: trainRef("한한한", 3) },
      { label: "the source's sentence, 10 merges", args: ["은행 앞에 가서 돈을 찾았다. 은행에서 돈을 찾았다.", 10], expected: trainRef("은행 앞에 가서 돈을 찾았다. 은행에서 돈을 찾았다.", 10) },
      { label: "English and Korean, 20 merges", args: ["the cat and the hat and the 한국 한국어", 20], expected: trainRef("the cat and the hat and the 한국 한국어", 20) },
    ],
    hint: (got, expected) => {
      if (!Array.isArray(got) || !Array.isArray(expected)) return undefined;
      const key = (p: unknown) => JSON.stringify(p);
      const seen = new Set<string>();
      for (const p of got) {
        if (seen.has(key(p))) return `the pair ${key(p)} is merged twice: after each merge, count the pairs again on the merged ids (not on the original bytes)`;
        seen.add(key(p));
      }
      const i = got.findIndex((p, k) => key(p) !== key(expected[k]));
      if (i >= 0 && i < expected.length && Array.isArray(got[i]) && new Set(expected.slice(i).map(key)).has(key(got[i]))) {
        return `merge ${i} picks ${key(got[i])} but ${key(expected[i])} is as frequent: on ties, take the smallest pair (compare a, then b)`;
      }
      if (got.length > 0 && Array.isArray(got[0]) && (got[0] as number[]).some((x) => x >= 256) && i === 0) return "merge 0 must be a pair of bytes (ids 0–255): start from the UTF-8 bytes of the text";
      return undefined;
    },
  },
  {
    id: "01-encode-with-merges",
    title: "Encode text with given merges",
    points: 2,
    cases: () => [
      { label: "minbpe's aaabdaaabac", args: ["aaabdaaabac", MINBPE_MERGES], expected: [258, 100, 258, 97, 99] },
      { label: "no merges = bytes", args: ["hi 한", []], expected: [104, 105, 32, 0xed, 0x95, 0x9c] },
      { label: "Hangul merges", args: ["한 한", HAN_MERGES], expected: [257, 258] },
      { label: "empty text", args: ["", MINBPE_MERGES], expected: [] },
      { label: "learned merges", args: ["the hat and 한국어", LEARNED.merges], expected: encodeRef("the hat and 한국어", LEARNED.merges) },
      { label: "learned merges, unseen text", args: ["a thing", LEARNED.merges], expected: encodeRef("a thing", LEARNED.merges) },
    ],
  },
  {
    id: "01-decode-with-merges",
    title: "Decode ids back to text",
    points: 2,
    cases: () => [
      { label: "bytes only", args: [[104, 105], []], expected: "hi" },
      { label: "minbpe's ids", args: [[258, 100, 258, 97, 99], MINBPE_MERGES], expected: "aaabdaaabac" },
      { label: "Hangul merges", args: [[257, 258], HAN_MERGES], expected: "한 한" },
      { label: "half a syllable becomes U+FFFD", args: [[256], HAN_MERGES], expected: "\uFFFD" },
      { label: "empty", args: [[], MINBPE_MERGES], expected: "" },
      { label: "learned merges", args: [LEARNED.encode("the cat 한국어"), LEARNED.merges], expected: decodeRef(LEARNED.encode("the cat 한국어"), LEARNED.merges) },
    ],
  },
];
