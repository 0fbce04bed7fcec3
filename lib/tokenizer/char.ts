/**
 * The simplest tokenizer: one token per character (Unicode code point).
 *
 *   const tok = CharTokenizer.fromText("hello 한국어");
 *   tok.encode("hello")   // [2, 1, 3, 3, 4]  (ids: " "=0, "e"=1, "h"=2, "l"=3, "o"=4, …)
 *   tok.decode([2, 1])    // "he"
 *
 * Small vocabulary (every distinct character of the training text, sorted),
 * long sequences. Later chapters use it to train tiny models fast.
 *
 * Characters are code points, so "한" and "🙂" are one token each; a lone
 * surrogate (half an emoji) counts as a character of its own and is kept as is.
 *
 * A character the vocabulary has never seen is an error by default; choose
 * `{ unknown: "skip" }` to drop such characters or `{ unknown: "replace" }` to
 * map them to the token "\uFFFD" (added to the vocabulary).
 */
import { Tokenizer, readTokenizerFile } from "./base";

export type UnknownCharPolicy = "error" | "skip" | "replace";

export interface CharTokenizerOptions {
  /** What encode does with a character outside the vocabulary (default "error"). */
  unknown?: UnknownCharPolicy;
}

/** The replacement token used by `unknown: "replace"`. */
export const UNKNOWN_CHAR = "\uFFFD";

const FILE_HEADER = "tiny-llm char v1";

export class CharTokenizer extends Tokenizer {
  readonly kind = "char";
  /** id → character. */
  chars: string[] = [];
  /** character → id. */
  private index = new Map<string, number>();
  readonly unknown: UnknownCharPolicy;

  constructor(options: CharTokenizerOptions = {}) {
    super();
    const unknown = options.unknown ?? "error";
    if (unknown !== "error" && unknown !== "skip" && unknown !== "replace") {
      throw new Error(`CharTokenizer: unknown must be "error", "skip" or "replace", got ${JSON.stringify(unknown)}.`);
    }
    this.unknown = unknown;
  }

  /** A tokenizer whose vocabulary is every character of `text`. */
  static fromText(text: string, options: CharTokenizerOptions = {}): CharTokenizer {
    return new CharTokenizer(options).train(text);
  }

  /** A tokenizer with exactly these characters, in this order (ids 0, 1, …). */
  static fromChars(chars: readonly string[], options: CharTokenizerOptions = {}): CharTokenizer {
    const tok = new CharTokenizer(options);
    tok.setChars(chars);
    return tok;
  }

  get vocabSize(): number {
    return this.chars.length;
  }

  /** Vocabulary = the distinct characters of `text`, sorted by code point (vocabSize is not used). */
  train(text: string, _vocabSize?: number): this {
    const seen = new Set<string>(Array.from(text));
    if (this.unknown === "replace") seen.add(UNKNOWN_CHAR);
    this.setChars(Array.from(seen).sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
    return this;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    let position = 0;
    for (const ch of text) {
      const id = this.index.get(ch);
      if (id !== undefined) ids.push(id);
      else if (this.unknown === "replace") ids.push(this.index.get(UNKNOWN_CHAR)!);
      else if (this.unknown === "error") throw this.unknownCharError(ch, position);
      position += ch.length;
    }
    return ids;
  }

  decode(ids: ArrayLike<number>): string {
    let out = "";
    for (let i = 0; i < ids.length; i++) {
      const ch = this.chars[ids[i]];
      if (ch === undefined) throw this.unknownIdError(ids[i], i);
      out += ch;
    }
    return out;
  }

  tokenText(id: number): string {
    const ch = this.chars[id];
    if (ch === undefined) throw this.unknownIdError(id, 0);
    return ch;
  }

  /** Saved file: a header line, then JSON with the policy and the characters in id order. */
  serialize(): string {
    return `${FILE_HEADER}\n${JSON.stringify({ unknown: this.unknown, chars: this.chars })}\n`;
  }

  static deserialize(text: string, source = "the text"): CharTokenizer {
    const newline = text.indexOf("\n");
    const header = newline < 0 ? text : text.slice(0, newline);
    if (header.trim() !== FILE_HEADER) {
      throw new Error(`${source} is not a saved CharTokenizer: the first line should be "${FILE_HEADER}", got ${JSON.stringify(header.slice(0, 40))}. Save it with CharTokenizer.save().`);
    }
    let body: { unknown?: unknown; chars?: unknown };
    try {
      body = JSON.parse(text.slice(newline + 1));
    } catch (err) {
      throw new Error(`${source} is a corrupt CharTokenizer file (the JSON body does not parse: ${(err as Error).message}). Re-save the tokenizer.`);
    }
    const chars = body.chars;
    if (!Array.isArray(chars) || chars.some((c) => typeof c !== "string" || Array.from(c).length !== 1)) {
      throw new Error(`${source} is a corrupt CharTokenizer file: "chars" must be a list of single characters. Re-save the tokenizer.`);
    }
    return CharTokenizer.fromChars(chars as string[], { unknown: (body.unknown ?? "error") as UnknownCharPolicy });
  }

  static load(file: string): CharTokenizer {
    return CharTokenizer.deserialize(readTokenizerFile(file), file);
  }

  private setChars(chars: readonly string[]): void {
    const index = new Map<string, number>();
    chars.forEach((ch, i) => {
      if (Array.from(ch).length !== 1) throw new Error(`CharTokenizer: vocabulary entry ${i} is ${JSON.stringify(ch)}, not one character.`);
      if (index.has(ch)) throw new Error(`CharTokenizer: character ${JSON.stringify(ch)} appears twice in the vocabulary (ids ${index.get(ch)} and ${i}).`);
      index.set(ch, i);
    });
    if (this.unknown === "replace" && !index.has(UNKNOWN_CHAR)) {
      index.set(UNKNOWN_CHAR, chars.length);
      chars = [...chars, UNKNOWN_CHAR];
    }
    this.chars = chars.slice();
    this.index = index;
  }

  private unknownCharError(ch: string, position: number): Error {
    const code = "U+" + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    return new Error(
      `CharTokenizer: character ${JSON.stringify(ch)} (${code}) at index ${position} is not in the vocabulary of ${this.vocabSize} characters. ` +
        `Build the tokenizer from text that contains it (CharTokenizer.fromText), or pass { unknown: "skip" } or { unknown: "replace" }.`,
    );
  }
}
