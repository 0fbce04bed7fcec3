/**
 * A word-level tokenizer: each match of a pattern is one token (a word, a number word, a
 * Hangul syllable, a punctuation mark), with a few special tokens reserved first
 * (padding, start, end, separator). Short sequences make tiny translation models fast
 * to train — chapter 04 uses it for English number words → Korean numerals.
 *
 *   const tok = WordTokenizer.fromTexts(texts, { pattern: "[a-z]+|[가-힣]", join: " ", specials: ["<pad>", "<s>", "</s>"] });
 *   tok.encode("three hundred twelve")   // [id("three"), id("hundred"), id("twelve")]
 *   tok.id("</s>")                       // a special token's id
 */
import { Tokenizer, readTokenizerFile } from "./base";

const FILE_HEADER = "tiny-llm word v1";

export interface WordTokenizerOptions {
  /** A regular expression (source text) whose matches are the tokens; what lies between matches is dropped. */
  pattern: string;
  /** Put between tokens by decode (default " "). */
  join?: string;
  /** Special tokens, given ids 0, 1, … in this order; encode never produces them from text. */
  specials?: string[];
}

export class WordTokenizer extends Tokenizer {
  readonly kind = "word";
  readonly pattern: string;
  readonly join: string;
  readonly specials: string[];
  private words: string[] = [];
  private index = new Map<string, number>();
  private readonly regex: RegExp;

  constructor(options: WordTokenizerOptions) {
    super();
    if (!options || typeof options.pattern !== "string" || options.pattern === "") throw new Error('WordTokenizer: give a pattern, e.g. { pattern: "[a-z]+|[가-힣]" }.');
    this.pattern = options.pattern;
    this.join = options.join ?? " ";
    this.specials = options.specials ?? [];
    this.regex = new RegExp(this.pattern, "gu");
    this.setWords([]);
  }

  /** A tokenizer whose vocabulary is the specials, then every token found in `texts`, sorted. */
  static fromTexts(texts: string[], options: WordTokenizerOptions): WordTokenizer {
    return new WordTokenizer(options).train(texts.join("\n"));
  }

  get vocabSize(): number {
    return this.words.length;
  }

  /** Vocabulary = the specials, then the distinct matches of `text` in code-point order (vocabSize is not used). */
  train(text: string, _vocabSize?: number): this {
    this.setWords([...new Set(this.split(text))].filter((w) => !this.specials.includes(w)).sort());
    return this;
  }

  /** The tokens of `text` as strings (the pattern's matches). */
  split(text: string): string[] {
    return Array.from(text.matchAll(this.regex), (m) => m[0]);
  }

  encode(text: string): number[] {
    return this.split(text).map((w, i) => {
      const id = this.index.get(w);
      if (id === undefined || id < this.specials.length) {
        throw new Error(`WordTokenizer: token ${JSON.stringify(w)} (token ${i} of the text) is not in the vocabulary of ${this.vocabSize}. Build the tokenizer from texts that contain it (WordTokenizer.fromTexts).`);
      }
      return id;
    });
  }

  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (id, i) => {
      const w = this.words[id];
      if (w === undefined) throw this.unknownIdError(id, i);
      return w;
    }).join(this.join);
  }

  tokenText(id: number): string {
    const w = this.words[id];
    if (w === undefined) throw this.unknownIdError(id, 0);
    return w;
  }

  /** The id of a token (special or not); an unknown token is an error. */
  id(token: string): number {
    const id = this.index.get(token);
    if (id === undefined) throw new Error(`WordTokenizer: no token ${JSON.stringify(token)}. Specials: ${this.specials.join(", ") || "none"}.`);
    return id;
  }

  serialize(): string {
    return `${FILE_HEADER}\n${JSON.stringify({ pattern: this.pattern, join: this.join, specials: this.specials, words: this.words.slice(this.specials.length) })}\n`;
  }

  static deserialize(text: string, source = "the text"): WordTokenizer {
    const newline = text.indexOf("\n");
    if ((newline < 0 ? text : text.slice(0, newline)).trim() !== FILE_HEADER) {
      throw new Error(`${source} is not a saved WordTokenizer: the first line should be "${FILE_HEADER}". Save it with WordTokenizer.save().`);
    }
    let body: { pattern: string; join: string; specials: string[]; words: string[] };
    try {
      body = JSON.parse(text.slice(newline + 1));
    } catch (err) {
      throw new Error(`${source} is a corrupt WordTokenizer file (${(err as Error).message}). Re-save the tokenizer.`);
    }
    const tok = new WordTokenizer({ pattern: body.pattern, join: body.join, specials: body.specials });
    tok.setWords(body.words);
    return tok;
  }

  static load(file: string): WordTokenizer {
    return WordTokenizer.deserialize(readTokenizerFile(file), file);
  }

  private setWords(words: string[]): void {
    this.words = [...this.specials, ...words];
    this.index = new Map(this.words.map((w, i) => [w, i]));
    if (this.index.size !== this.words.length) throw new Error("WordTokenizer: a token appears twice (a special token equal to a word?).");
  }
}
