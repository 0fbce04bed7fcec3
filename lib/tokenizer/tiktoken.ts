/**
 * The real GPT vocabularies, loaded from the rank files js-tiktoken ships:
 *
 *   const gpt2 = loadTiktoken("gpt2");          // GPT-2 / GPT-3, 50 257 tokens
 *   const cl100k = loadTiktoken("cl100k_base"); // GPT-3.5 / GPT-4
 *   const o200k = loadTiktoken("o200k_base");   // GPT-4o
 *   gpt2.encode("Understanding")                // exactly js-tiktoken's ids
 *
 * A rank file lists every token's bytes in rank order (rank = token id). OpenAI's
 * encoder merges, inside each chunk, the adjacent pair of parts whose
 * *concatenated bytes* form the lowest-ranked token. Our BPETokenizer merges
 * the pair with the lowest merged id; so here `mergedId(a, b)` looks up the
 * concatenation of a's and b's bytes (and remembers the answer). That makes
 * the two encoders agree on every input, not just on the texts we tested.
 *
 * The first 256 ranks are the 256 byte values, but not in byte order (GPT-2
 * starts with the printable bytes: rank 0 is "!"), hence `byteIds`.
 */
import { Tiktoken } from "js-tiktoken/lite";
import { pairKey } from "./base";
import { BPETokenizer } from "./bpe";
import { GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN, O200K_SPLIT_PATTERN } from "./patterns";

export type GptEncoding = "gpt2" | "cl100k_base" | "o200k_base";
export const GPT_ENCODINGS: GptEncoding[] = ["gpt2", "cl100k_base", "o200k_base"];

const PATTERNS: Record<GptEncoding, string> = {
  gpt2: GPT2_SPLIT_PATTERN,
  cl100k_base: GPT4_SPLIT_PATTERN,
  o200k_base: O200K_SPLIT_PATTERN,
};

/** The data in js-tiktoken's rank files. */
export interface RankFile {
  pat_str: string;
  special_tokens: Record<string, number>;
  /** "! <first rank> <base64 token> <base64 token> …" lines. */
  bpe_ranks: string;
}

/** Read js-tiktoken's rank file for an encoding. */
export function rankFile(name: GptEncoding): RankFile {
  if (!GPT_ENCODINGS.includes(name)) {
    throw new Error(`Unknown GPT encoding ${JSON.stringify(name)}. Choose one of: ${GPT_ENCODINGS.join(", ")}.`);
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mod = require(`js-tiktoken/ranks/${name}`) as RankFile & { default?: RankFile };
  return mod.default ?? mod;
}

/** A BPETokenizer that uses a GPT rank file instead of learned merges. */
export class TiktokenTokenizer extends BPETokenizer {
  readonly encoding: GptEncoding;
  /** token bytes (as a latin1 string, one char per byte) → id */
  private idOfBytes = new Map<string, number>();
  /** id → the same latin1 string */
  private bytesKey: string[] = [];

  constructor(encoding: GptEncoding, data: RankFile = rankFile(encoding)) {
    super({ pattern: PATTERNS[encoding] });
    this.encoding = encoding;
    if (data.pat_str !== PATTERNS[encoding]) {
      throw new Error(`js-tiktoken's ${encoding} split pattern differs from lib/tokenizer/patterns.ts; update the pattern there to ${JSON.stringify(data.pat_str)}.`);
    }
    const vocab: Array<Uint8Array | undefined> = [];
    for (const line of data.bpe_ranks.split("\n")) {
      if (line.length === 0) continue;
      const fields = line.split(" ");
      const first = Number.parseInt(fields[1], 10);
      for (let i = 2; i < fields.length; i++) {
        const bytes = new Uint8Array(Buffer.from(fields[i], "base64"));
        const id = first + i - 2;
        const key = latin1(bytes);
        vocab[id] = bytes;
        this.bytesKey[id] = key;
        this.idOfBytes.set(key, id);
      }
    }
    this.vocab = vocab;
    this.merges = []; // not stored as pairs: see mergedId
    this.pairIds = new Map();
    for (let b = 0; b < 256; b++) {
      const id = this.idOfBytes.get(String.fromCharCode(b));
      if (id === undefined) throw new Error(`The ${encoding} rank file has no token for byte ${b}; it cannot encode every text.`);
      this.byteIds[b] = id;
    }
    this.setSpecialTokens(new Map(Object.entries(data.special_tokens)));
    this.resetCache();
  }

  /** The pair merges if the concatenated bytes are a token; its rank is the merge priority. */
  protected mergedId(a: number, b: number): number {
    const key = pairKey(a, b);
    let id = this.pairIds.get(key);
    if (id === undefined) {
      id = this.idOfBytes.get(this.bytesKey[a] + this.bytesKey[b]) ?? -1;
      this.pairIds.set(key, id);
    }
    return id;
  }

  /** Like tiktoken: a chunk that is itself a token is that token. */
  protected wholeChunkId(bytes: Uint8Array): number {
    return this.idOfBytes.get(latin1(bytes)) ?? -1;
  }

  train(): this {
    throw new Error(`The ${this.encoding} vocabulary is loaded from js-tiktoken, not trained. Train a new BPETokenizer instead.`);
  }

  serialize(): string {
    throw new Error(`The ${this.encoding} vocabulary ships with js-tiktoken; reload it with loadTiktoken("${this.encoding}") instead of saving it.`);
  }
}

const loaded = new Map<GptEncoding, TiktokenTokenizer>();

/** Our BPE encoder with a real GPT vocabulary (cached: loading o200k takes a moment). */
export function loadTiktoken(name: GptEncoding): TiktokenTokenizer {
  let tok = loaded.get(name);
  if (!tok) {
    tok = new TiktokenTokenizer(name);
    loaded.set(name, tok);
  }
  return tok;
}

const references = new Map<GptEncoding, Tiktoken>();

/** js-tiktoken's own encoder for the same rank file: the reference we must match. */
export function referenceTiktoken(name: GptEncoding): Tiktoken {
  let ref = references.get(name);
  if (!ref) {
    ref = new Tiktoken(rankFile(name));
    references.set(name, ref);
  }
  return ref;
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}
