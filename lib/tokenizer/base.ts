/**
 * What every tokenizer in the course shares, and the two tiny helpers BPE is
 * built from (the same ones as Karpathy's minbpe):
 *
 *   getStats(ids)          how often each adjacent pair (a, b) occurs
 *   merge(ids, pair, idx)  replace every (a, b) with the new token idx
 *
 * A tokenizer turns text into integer ids and back:
 *   encode(text) → number[]      decode(ids) → string
 * and can be trained, saved to a readable file and loaded again.
 */
import * as fs from "fs";

// ---------------------------------------------------------------------------
// Bytes. Byte-level tokenizers work on UTF-8: "a" is 1 byte, "é" 2, "한" 3, "🙂" 4.

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8"); // not fatal: invalid bytes become U+FFFD

/**
 * UTF-8 bytes of a string. A lone surrogate (half of an emoji pair, e.g. from
 * slicing "🙂" in the middle) has no UTF-8 form; like TextEncoder and
 * js-tiktoken we encode it as U+FFFD (bytes EF BF BD).
 */
export function utf8Bytes(text: string): Uint8Array {
  return textEncoder.encode(text);
}

/** Text of UTF-8 bytes; bytes that are not valid UTF-8 become U+FFFD "�". */
export function utf8Text(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

/** The string with every lone surrogate replaced by U+FFFD: what decode(encode(s)) returns. */
export function toWellFormed(text: string): string {
  return utf8Text(utf8Bytes(text));
}

/**
 * A token's bytes as readable text: valid UTF-8 as characters, stray bytes of
 * a split character as "<0xEC>". E.g. the first GPT-2 token of "한" is "<0xED><0x95>".
 */
export function bytesToDisplay(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const n = utf8SequenceLength(bytes, i);
    if (n > 0) {
      out += utf8Text(bytes.subarray(i, i + n));
      i += n;
    } else {
      out += `<0x${bytes[i].toString(16).toUpperCase().padStart(2, "0")}>`;
      i += 1;
    }
  }
  return out;
}

/** Length of the valid UTF-8 character starting at bytes[i], or 0 if there is none. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  let n: number;
  let min: number;
  if (b0 < 0x80) return 1;
  else if (b0 >= 0xc2 && b0 <= 0xdf) (n = 2), (min = 0x80);
  else if (b0 >= 0xe0 && b0 <= 0xef) (n = 3), (min = 0x800);
  else if (b0 >= 0xf0 && b0 <= 0xf4) (n = 4), (min = 0x10000);
  else return 0;
  if (i + n > bytes.length) return 0;
  let cp = b0 & (0xff >> (n + 1));
  for (let j = 1; j < n; j++) {
    const b = bytes[i + j];
    if ((b & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// ---------------------------------------------------------------------------
// Pairs. A pair of token ids (a, b) is stored as one number so it can be a Map key.

/** Ids must stay below this for pairKey (2^21 ≈ 2 million tokens; o200k has 200k). */
export const MAX_TOKEN_ID = 1 << 21;

/** One number for the pair (a, b): a·2^21 + b. Ordering keys orders pairs by (a, b). */
export function pairKey(a: number, b: number): number {
  return a * MAX_TOKEN_ID + b;
}

/** The pair (a, b) back from its key. */
export function pairOf(key: number): [number, number] {
  const b = key % MAX_TOKEN_ID;
  return [(key - b) / MAX_TOKEN_ID, b];
}

/**
 * Count adjacent pairs: [1, 2, 3, 1, 2] → {(1,2): 2, (2,3): 1, (3,1): 1}.
 * Pass `counts` to add to an existing map (e.g. over many chunks), and
 * `weight` to count this sequence several times (a chunk seen `weight` times).
 */
export function getStats(ids: ArrayLike<number>, counts: Map<number, number> = new Map(), weight = 1): Map<number, number> {
  for (let i = 0; i + 1 < ids.length; i++) {
    const key = pairKey(ids[i], ids[i + 1]);
    counts.set(key, (counts.get(key) ?? 0) + weight);
  }
  return counts;
}

/**
 * The pair to merge next: the most frequent one; ties go to the smallest
 * (a, b). Returns null for an empty map. Every trainer in the course uses
 * this rule, so they all learn the same merges.
 */
export function bestPair(counts: Map<number, number>): { pair: [number, number]; key: number; count: number } | null {
  let bestKey = -1;
  let bestCount = 0;
  for (const [key, count] of counts) {
    if (count > bestCount || (count === bestCount && count > 0 && key < bestKey)) {
      bestKey = key;
      bestCount = count;
    }
  }
  return bestKey < 0 ? null : { pair: pairOf(bestKey), key: bestKey, count: bestCount };
}

/**
 * Replace every occurrence of `pair` in `ids` with `idx`, left to right:
 * merge([1, 1, 1, 2], [1, 1], 9) → [9, 1, 2].
 */
export function merge(ids: ArrayLike<number>, pair: readonly [number, number], idx: number): number[] {
  const [a, b] = pair;
  const out: number[] = [];
  let i = 0;
  while (i < ids.length) {
    if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
      out.push(idx);
      i += 2;
    } else {
      out.push(ids[i]);
      i += 1;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The base class.

export abstract class Tokenizer {
  /** "char" or "bpe": the first word of a saved file. */
  abstract readonly kind: string;

  /** Number of ids: every id in 0..vocabSize-1 that decode accepts (gaps are possible for loaded GPT vocabularies). */
  abstract get vocabSize(): number;

  /** Learn a vocabulary from `text` (of at most `vocabSize` tokens, where that applies). Returns this. */
  abstract train(text: string, vocabSize?: number): this;

  /** Text → token ids. */
  abstract encode(text: string): number[];

  /** Token ids → text. Unknown ids throw an error naming the id and the vocabulary size. */
  abstract decode(ids: ArrayLike<number>): string;

  /** Human-readable text of one token (for token views): may be a partial character shown as "<0xEC>" bytes. */
  abstract tokenText(id: number): string;

  /** The whole tokenizer as the text of a saved file. */
  abstract serialize(): string;

  /** Text of each token of `ids`, for coloured token views. */
  tokenTexts(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => this.tokenText(id));
  }

  /** Write the tokenizer to a file (readable text, see serialize()). */
  save(file: string): void {
    fs.writeFileSync(file, this.serialize(), "utf8");
  }

  /** Clear error for an id decode cannot map. */
  protected unknownIdError(id: number, position: number): Error {
    return new Error(
      `decode: token id ${String(id)} at position ${position} is ${idProblem(id)}; this ${this.kind} tokenizer has vocabSize ${this.vocabSize} ` +
        `(valid ids are 0..${this.vocabSize - 1}). Decode ids produced by this same tokenizer.`,
    );
  }
}

/** Why an id is invalid, for error messages. */
export function idProblem(id: number): string {
  return Number.isInteger(id) ? "not in the vocabulary" : "not an integer";
}

/** Read a tokenizer file's text, with a clear error if it is missing. */
export function readTokenizerFile(file: string): string {
  if (!fs.existsSync(file)) throw new Error(`Tokenizer file not found: ${file}. Save one first with tokenizer.save("${file}").`);
  return fs.readFileSync(file, "utf8");
}
