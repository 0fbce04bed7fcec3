/**
 * Byte-level BPE (byte-pair encoding), the tokenizer of GPT-2, GPT-4 and most LLMs.
 *
 *   const tok = new BPETokenizer({ specialTokens: ["<|endoftext|>"] });
 *   tok.train(text, 512);               // 256 bytes + 255 merges + 1 special token
 *   tok.encode("안녕 hello")             // → ids
 *   tok.decode(tok.encode(s)) === s     // for every well-formed string s
 *
 * How it works (read with base.ts; the fast data structures are in structures.ts):
 *  1. Text → UTF-8 bytes; the 256 byte values are the first 256 tokens, so
 *     any text at all can be encoded (no "unknown token").
 *  2. Pre-tokenise: a split regex (patterns.ts) cuts the text into chunks;
 *     merges never cross chunks.
 *  3. Training: repeatedly find the most frequent adjacent pair of tokens and
 *     merge it into a new token (id 256, 257, …). To stay fast we count each
 *     distinct chunk once (weighted by how often it occurs) and, after each
 *     merge, update the pair counts only in the chunks that contained the
 *     merged pair, keeping the best pair in a heap — instead of recounting
 *     the whole text every time.
 *  4. Encoding a chunk: start from its bytes and keep merging the adjacent pair
 *     whose merge was learned earliest (lowest new id) until none is left.
 *
 * Lone surrogates (half an emoji pair) have no UTF-8 bytes: they are encoded
 * as U+FFFD, like TextEncoder and js-tiktoken do, so decode(encode(s)) returns
 * s with each lone surrogate replaced by "\uFFFD" (see toWellFormed).
 */
import { Tokenizer, bytesToDisplay, idProblem, pairKey, pairOf, readTokenizerFile, utf8Bytes, utf8Text, MAX_TOKEN_ID } from "./base";
import { ChunkCorpus, MinHeap, PairHeap } from "./structures";
import { GPT4_SPLIT_PATTERN, compilePattern, skippedTextError, splitText } from "./patterns";

/** Which special tokens encode may produce (tiktoken's rule by default: any special text is an error). */
export type AllowedSpecial = "all" | "none" | "none_raise" | readonly string[];

export interface EncodeOptions {
  /**
   * "none_raise" (default): text containing a special token string is an error;
   * "all": every special token string becomes its token;
   * "none": special token strings are encoded as ordinary text;
   * a list: those become tokens, any other special token string is an error.
   */
  allowedSpecial?: AllowedSpecial;
}

export interface BPEOptions {
  /** Split regex (patterns.ts); "" = no split, plain BPE over the whole text. Default GPT4_SPLIT_PATTERN. */
  pattern?: string;
  /** Special tokens such as "<|endoftext|>"; after training they get the ids after the merges. */
  specialTokens?: readonly string[];
}

export interface TrainOptions {
  /** Called after every merge (e.g. to show the vocabulary growing). */
  onMerge?: (info: MergeInfo) => void;
}

export interface MergeInfo {
  /** 0 for the first merge. */
  rank: number;
  pair: [number, number];
  /** The new token's id (256 + rank). */
  id: number;
  /** How often the pair occurred when it was merged. */
  count: number;
  /** The new token's bytes. */
  bytes: Uint8Array;
}

const FILE_HEADER = "tiny-llm bpe v1";
const NO_MERGE = 0x7fffffff;
/** Chunks longer than this (in bytes) use the heap-based merge loop. */
const LONG_CHUNK = 64;
/** Heap keys are mergedId · 2^31 + position (exact in a double: ids < 2^21). */
const POSITION_LIMIT = 2 ** 31;
const CACHE_LIMIT = 100_000;

export class BPETokenizer extends Tokenizer {
  readonly kind: string = "bpe";
  /** The split regex source ("" = none). */
  readonly pattern: string;
  /** Learned merges in order: merges[i] = [a, b] made token 256 + i. */
  merges: Array<[number, number]> = [];
  /** How often each merged pair occurred during training (same order as merges). */
  mergeCounts: number[] = [];
  /** id → bytes (undefined for ids that are not tokens). */
  vocab: Array<Uint8Array | undefined> = [];
  /** Special token string → id. */
  specialTokens = new Map<string, number>();

  /** byte value → token id (the identity here; GPT-2's vocabulary orders bytes differently). */
  protected byteIds = new Int32Array(256);
  /** pairKey(a, b) → id of the merged token. */
  protected pairIds = new Map<number, number>();
  protected regex: RegExp | null;
  private specialNames: string[];
  private specialRegex: RegExp | null = null;
  /** chunk text → its token ids (a number when it is one token). Repeated words are encoded once. */
  private cache = new Map<string, number | Int32Array>();

  constructor(options: BPEOptions = {}) {
    super();
    this.pattern = options.pattern ?? GPT4_SPLIT_PATTERN;
    this.regex = this.pattern === "" ? null : compilePattern(this.pattern);
    const specials = options.specialTokens ?? [];
    for (const s of specials) {
      if (typeof s !== "string" || s.length === 0) throw new Error(`BPETokenizer: special tokens must be non-empty strings, got ${JSON.stringify(s)}.`);
    }
    if (new Set(specials).size !== specials.length) throw new Error(`BPETokenizer: duplicate special tokens in ${JSON.stringify(specials)}.`);
    this.specialNames = specials.slice();
    this.setMerges([]);
  }

  /** A tokenizer with these merges (merges[i] makes token 256 + i), e.g. to encode with hand-written merges. */
  static fromMerges(merges: ReadonlyArray<readonly [number, number]>, options: BPEOptions = {}): BPETokenizer {
    const seen = new Set<number>();
    merges.forEach(([a, b], i) => {
      const limit = 256 + i;
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= limit || b >= limit) {
        throw new Error(`BPETokenizer.fromMerges: merge ${i} is [${a}, ${b}], but merge ${i} may only join bytes and earlier merges (ids below ${limit}).`);
      }
      if (seen.has(pairKey(a, b))) throw new Error(`BPETokenizer.fromMerges: the pair [${a}, ${b}] is merged twice (merge ${i}); each pair merges once.`);
      seen.add(pairKey(a, b));
    });
    const tok = new BPETokenizer(options);
    tok.setMerges(merges.map(([a, b]) => [a, b] as [number, number]));
    return tok;
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  // -------------------------------------------------------------------------
  // Training

  /**
   * Learn `vocabSize - 256 - (number of special tokens)` merges from `text`.
   * Special token strings in the text are cut out first (never merged).
   * Stops early, with a warning, if no adjacent pair is left to merge.
   */
  train(text: string, vocabSize?: number, options: TrainOptions = {}): this {
    const nSpecial = this.specialNames.length;
    if (vocabSize === undefined || !Number.isInteger(vocabSize) || vocabSize < 256 + nSpecial) {
      throw new Error(`BPETokenizer.train: vocabSize must be an integer ≥ 256 + ${nSpecial} special tokens = ${256 + nSpecial} (the 256 bytes always come first), got ${vocabSize}.`);
    }
    if (vocabSize > MAX_TOKEN_ID) throw new Error(`BPETokenizer.train: vocabSize ${vocabSize} is larger than the supported ${MAX_TOKEN_ID}.`);
    const numMerges = vocabSize - 256 - nSpecial;

    // 1. Distinct chunks and how often each occurs.
    const chunkCounts = new Map<string, number>();
    for (const piece of this.splitOnSpecials(text, "all")) {
      if (piece.special) continue;
      for (const chunk of this.chunks(piece.text)) chunkCounts.set(chunk, (chunkCounts.get(chunk) ?? 0) + 1);
    }
    const corpus = new ChunkCorpus(chunkCounts);

    // 2. Pair counts over all chunks, each chunk weighted by its count, and where each pair occurs.
    const counts = new Map<number, number>();
    const where = new Map<number, number[]>();
    for (let c = 0; c < corpus.size; c++) {
      const start = corpus.start[c];
      const end = start + corpus.length[c];
      const w = corpus.weight[c];
      for (let i = start; i + 1 < end; i++) {
        const key = pairKey(corpus.ids[i], corpus.ids[i + 1]);
        const old = counts.get(key);
        counts.set(key, (old ?? 0) + w);
        const list = where.get(key);
        if (list === undefined) where.set(key, [c]);
        else if (list[list.length - 1] !== c) list.push(c);
      }
    }
    const heap = new PairHeap();
    for (const [key, count] of counts) heap.push(count, key);

    // 3. Merge, updating counts only where the merged pair occurs.
    const merges: Array<[number, number]> = [];
    const mergeCounts: number[] = [];
    const vocab = byteVocab();
    const visited = new Int32Array(corpus.size).fill(-1);
    for (let rank = 0; rank < numMerges; rank++) {
      const best = heap.popValid(counts);
      if (best === null) {
        console.warn(`BPETokenizer.train: no pair left to merge after ${rank} merges; the vocabulary has ${256 + rank + nSpecial} tokens instead of ${vocabSize}. Use more text or a smaller vocabSize.`);
        break;
      }
      const [a, b] = pairOf(best.key);
      const id = 256 + rank;
      const delta = new Map<number, number>();
      for (const c of where.get(best.key) ?? []) {
        if (visited[c] === rank) continue;
        visited[c] = rank;
        corpus.mergeChunk(c, a, b, id, delta, where);
      }
      where.delete(best.key);
      counts.delete(best.key); // every occurrence was merged
      for (const [key, d] of delta) {
        if (d === 0 || key === best.key) continue;
        const n = (counts.get(key) ?? 0) + d;
        if (n > 0) {
          counts.set(key, n);
          heap.push(n, key);
        } else counts.delete(key);
      }
      merges.push([a, b]);
      mergeCounts.push(best.count);
      vocab.push(concatBytes(vocab[a]!, vocab[b]!));
      options.onMerge?.({ rank, pair: [a, b], id, count: best.count, bytes: vocab[id]! });
    }
    this.setMerges(merges);
    this.mergeCounts = mergeCounts;
    return this;
  }

  // -------------------------------------------------------------------------
  // Encoding

  /** Text → ids. Special token strings follow `options.allowedSpecial` (default: error). */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    for (const piece of this.splitOnSpecials(text, options.allowedSpecial ?? "none_raise")) {
      if (piece.special) out.push(this.specialTokens.get(piece.text)!);
      else this.encodeOrdinaryInto(piece.text, out);
    }
    return out;
  }

  /** Text → ids, treating special token strings as ordinary text. */
  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    this.encodeOrdinaryInto(text, out);
    return out;
  }

  /** The pre-tokenisation chunks of `text` (what merges can never cross). */
  chunks(text: string): string[] {
    return splitText(text, this.regex ?? "");
  }

  private encodeOrdinaryInto(text: string, out: number[]): void {
    if (text.length === 0) return;
    const re = this.regex;
    if (re === null) {
      this.pushChunk(text, out);
      return;
    }
    re.lastIndex = 0;
    let end = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const s = m[0];
      if (s.length === 0) {
        re.lastIndex++;
        continue;
      }
      if (m.index !== end) throw skippedTextError(text, end, m.index);
      end = m.index + s.length;
      this.pushChunk(s, out);
    }
    if (end !== text.length) throw skippedTextError(text, end);
  }

  private pushChunk(chunk: string, out: number[]): void {
    let ids = this.cache.get(chunk);
    if (ids === undefined) {
      ids = this.encodeChunk(utf8Bytes(chunk));
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(chunk, ids);
    }
    if (typeof ids === "number") out.push(ids);
    else for (let i = 0; i < ids.length; i++) out.push(ids[i]);
  }

  /**
   * BPE on one chunk's bytes: merge the adjacent pair with the lowest merged
   * id (the earliest-learned merge; leftmost on ties) until no pair merges.
   */
  protected encodeChunk(bytes: Uint8Array): number | Int32Array {
    const n = bytes.length;
    if (n === 1) return this.byteIds[bytes[0]];
    const whole = this.wholeChunkId(bytes);
    if (whole >= 0) return whole;
    const parts = new Int32Array(n);
    for (let i = 0; i < n; i++) parts[i] = this.byteIds[bytes[i]];
    if (n > LONG_CHUNK) return this.encodeLongChunk(parts);
    // ranks[i] = id of merge(parts[i], parts[i+1]), NO_MERGE if that pair never merges.
    const ranks = new Int32Array(Math.max(n - 1, 1));
    for (let i = 0; i + 1 < n; i++) ranks[i] = this.mergeRank(parts[i], parts[i + 1]);
    let len = n;
    while (len > 1) {
      let best = NO_MERGE;
      let at = -1;
      for (let i = 0; i + 1 < len; i++) {
        if (ranks[i] < best) {
          best = ranks[i];
          at = i;
        }
      }
      if (at < 0) break;
      parts[at] = best; // the pair (at, at+1) becomes one token
      parts.copyWithin(at + 1, at + 2, len);
      ranks.copyWithin(at + 1, at + 2, len - 1);
      len--;
      if (at > 0) ranks[at - 1] = this.mergeRank(parts[at - 1], parts[at]);
      if (at + 1 < len) ranks[at] = this.mergeRank(parts[at], parts[at + 1]);
    }
    return len === 1 ? parts[0] : parts.slice(0, len);
  }

  /**
   * The same merges for a long chunk (a run of 10 000 spaces, or a whole text
   * with pattern ""), in O(n log n) instead of O(n²): the parts form a linked
   * list and candidate pairs wait in a min-heap ordered by (merged id, position),
   * so the lowest id, leftmost pair still comes first. Stale candidates (a part
   * that has changed since) are skipped when popped.
   */
  private encodeLongChunk(parts: Int32Array): Int32Array {
    const n = parts.length;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new MinHeap(2 * n);
    const offer = (i: number, j: number) => {
      const id = this.mergedId(parts[i], parts[j]);
      if (id >= 0) heap.push(id * POSITION_LIMIT + i);
    };
    for (let i = 0; i + 1 < n; i++) offer(i, i + 1);
    while (heap.size > 0) {
      const top = heap.pop();
      const i = top % POSITION_LIMIT;
      const id = (top - i) / POSITION_LIMIT;
      const j = next[i];
      if (parts[i] < 0 || j < 0 || this.mergedId(parts[i], parts[j]) !== id) continue; // stale
      parts[i] = id; // part j joins part i
      parts[j] = -1;
      const k = next[j];
      next[i] = k;
      if (k >= 0) prev[k] = i;
      if (prev[i] >= 0) offer(prev[i], i);
      if (k >= 0) offer(i, k);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(parts[i]);
    return Int32Array.from(out);
  }

  private mergeRank(a: number, b: number): number {
    const id = this.mergedId(a, b);
    return id < 0 ? NO_MERGE : id;
  }

  /** Id of the token that (a, b) merges into, or -1. */
  protected mergedId(a: number, b: number): number {
    const id = this.pairIds.get(pairKey(a, b));
    return id === undefined ? -1 : id;
  }

  /** A whole chunk that is itself a token, or -1 (only loaded GPT vocabularies use this shortcut). */
  protected wholeChunkId(_bytes: Uint8Array): number {
    return -1;
  }

  // -------------------------------------------------------------------------
  // Decoding

  /** The bytes of a list of ids (special tokens give their UTF-8 text). */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.vocab[ids[i]];
      if (bytes === undefined) throw this.unknownIdError(ids[i], i);
      total += bytes.length;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.vocab[ids[i]]!;
      out.set(bytes, at);
      at += bytes.length;
    }
    return out;
  }

  /** Ids → text. Bytes that do not form valid UTF-8 (e.g. half a Hangul syllable) become "\uFFFD". */
  decode(ids: ArrayLike<number>): string {
    return utf8Text(this.decodeBytes(ids));
  }

  tokenText(id: number): string {
    const bytes = this.vocab[id];
    if (bytes === undefined) throw this.unknownIdError(id, 0);
    return bytesToDisplay(bytes);
  }

  /** Number of ids that are tokens (differs from vocabSize when the vocabulary has gaps). */
  get tokenCount(): number {
    let n = 0;
    for (const v of this.vocab) if (v !== undefined) n++;
    return n;
  }

  protected unknownIdError(id: number, position: number): Error {
    const n = this.vocabSize;
    const gaps = this.tokenCount !== n ? `; ${n - this.tokenCount} ids in that range are not tokens` : "";
    return new Error(
      `decode: token id ${String(id)} at position ${position} is ${idProblem(id)}; this tokenizer has vocabSize ${n} (ids 0..${n - 1}${gaps}). Decode ids produced by this same tokenizer.`,
    );
  }

  // -------------------------------------------------------------------------
  // Special tokens

  /** Cut text into ordinary pieces and special tokens, following the allowedSpecial rule. */
  protected splitOnSpecials(text: string, allowedSpecial: AllowedSpecial): Array<{ text: string; special: boolean }> {
    const all = Array.from(this.specialTokens.keys());
    let allowed: string[];
    if (allowedSpecial === "all") allowed = all;
    else if (allowedSpecial === "none" || allowedSpecial === "none_raise") allowed = [];
    else if (Array.isArray(allowedSpecial)) {
      for (const s of allowedSpecial) {
        if (!this.specialTokens.has(s)) {
          throw new Error(`encode: ${JSON.stringify(s)} is not a special token of this tokenizer. Its special tokens are: ${all.length ? all.map((t) => JSON.stringify(t)).join(", ") : "(none)"}.`);
        }
      }
      allowed = allowedSpecial.slice();
    } else {
      throw new Error(`encode: allowedSpecial must be "all", "none", "none_raise" or a list of special tokens, got ${JSON.stringify(allowedSpecial)}.`);
    }
    if (allowedSpecial !== "none" && all.length > allowed.length && this.specialRegex) {
      this.specialRegex.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = this.specialRegex.exec(text)) !== null) {
        if (!allowed.includes(m[0])) {
          throw new Error(
            `encode: the text contains the special token ${JSON.stringify(m[0])} at index ${m.index}, which is not allowed. ` +
              `Pass { allowedSpecial: "all" } (or a list naming it) to encode it as one token, or use encodeOrdinary() / { allowedSpecial: "none" } to encode it as plain text.`,
          );
        }
      }
    }
    if (allowed.length === 0 || !this.specialRegex) return [{ text, special: false }];
    const pieces: Array<{ text: string; special: boolean }> = [];
    let start = 0;
    this.specialRegex.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = this.specialRegex.exec(text)) !== null) {
      if (!allowed.includes(m[0])) continue;
      if (m.index > start) pieces.push({ text: text.slice(start, m.index), special: false });
      pieces.push({ text: m[0], special: true });
      start = m.index + m[0].length;
    }
    if (start < text.length) pieces.push({ text: text.slice(start), special: false });
    return pieces;
  }

  /** Give the special tokens their ids (explicit ids, or the ids right after the merges). */
  protected setSpecialTokens(specials: Map<string, number>): void {
    this.specialTokens = specials;
    this.specialNames = Array.from(specials.keys());
    for (const [s, id] of specials) {
      if (this.vocab[id] !== undefined) throw new Error(`Special token ${JSON.stringify(s)} has id ${id}, which is already a token.`);
      this.vocab[id] = utf8Bytes(s);
    }
    // Longest first, so a special token that is a prefix of another never wins.
    const names = this.specialNames.slice().sort((x, y) => y.length - x.length);
    this.specialRegex = names.length ? new RegExp(names.map(escapeRegex).join("|"), "g") : null;
  }

  /** Install merges (ids 256, 257, … in order) and put the special tokens after them. */
  protected setMerges(merges: Array<[number, number]>): void {
    const vocab = byteVocab();
    const pairIds = new Map<number, number>();
    merges.forEach(([a, b], i) => {
      const id = 256 + i;
      vocab.push(concatBytes(vocab[a]!, vocab[b]!));
      pairIds.set(pairKey(a, b), id);
    });
    this.merges = merges.map(([a, b]) => [a, b] as [number, number]);
    this.mergeCounts = [];
    this.vocab = vocab;
    this.pairIds = pairIds;
    for (let i = 0; i < 256; i++) this.byteIds[i] = i;
    this.cache.clear();
    const specials = new Map<string, number>();
    this.specialNames.forEach((s, i) => specials.set(s, 256 + merges.length + i));
    this.setSpecialTokens(specials);
  }

  /** For subclasses that build their vocabulary another way (loaded GPT ranks). */
  protected resetCache(): void {
    this.cache.clear();
  }

  // -------------------------------------------------------------------------
  // Saving and loading

  /**
   * The saved file (readable text, like minbpe's .model):
   *   tiny-llm bpe v1
   *   pattern "<split regex as a JSON string>"
   *   special <n>
   *   "<special token as a JSON string>" <id>      (n lines)
   *   merges <m>
   *   <a> <b>                                     (m lines; line i made token 256 + i)
   */
  serialize(): string {
    const lines = [FILE_HEADER, `pattern ${JSON.stringify(this.pattern)}`, `special ${this.specialTokens.size}`];
    for (const [s, id] of this.specialTokens) lines.push(`${JSON.stringify(s)} ${id}`);
    lines.push(`merges ${this.merges.length}`);
    for (const [a, b] of this.merges) lines.push(`${a} ${b}`);
    return lines.join("\n") + "\n";
  }

  static deserialize(text: string, source = "the text"): BPETokenizer {
    const bad = (line: number, why: string) =>
      new Error(`${source} is not a valid BPE tokenizer file (line ${line}: ${why}). Re-save it with tokenizer.save(), or retrain.`);
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    if ((lines[0] ?? "").trim() !== FILE_HEADER) throw bad(1, `expected the header "${FILE_HEADER}", got ${JSON.stringify((lines[0] ?? "").slice(0, 40))}`);
    const patternLine = lines[1] ?? "";
    if (!patternLine.startsWith("pattern ")) throw bad(2, `expected 'pattern "<regex>"'`);
    let pattern: unknown;
    try {
      pattern = JSON.parse(patternLine.slice("pattern ".length));
    } catch {
      throw bad(2, "the pattern is not a JSON string");
    }
    if (typeof pattern !== "string") throw bad(2, "the pattern is not a JSON string");
    const nSpecial = countLine(lines[2], "special");
    if (nSpecial === null) throw bad(3, `expected "special <count>"`);
    const specials = new Map<string, number>();
    for (let i = 0; i < nSpecial; i++) {
      const line = lines[3 + i] ?? "";
      const space = line.lastIndexOf(" ");
      let name: unknown;
      try {
        name = JSON.parse(line.slice(0, space));
      } catch {
        throw bad(4 + i, `expected '"<special token>" <id>', got ${JSON.stringify(line.slice(0, 40))}`);
      }
      const id = Number(line.slice(space + 1));
      if (typeof name !== "string" || name.length === 0 || !Number.isInteger(id) || id < 0) throw bad(4 + i, `expected '"<special token>" <id>'`);
      if (specials.has(name)) throw bad(4 + i, `special token ${JSON.stringify(name)} appears twice`);
      specials.set(name, id);
    }
    const mergesAt = 3 + nSpecial;
    const nMerges = countLine(lines[mergesAt], "merges");
    if (nMerges === null) throw bad(mergesAt + 1, `expected "merges <count>"`);
    if (lines.length !== mergesAt + 1 + nMerges) {
      throw bad(lines.length, `the header promises ${nMerges} merges but the file has ${lines.length - mergesAt - 1} merge lines (truncated or edited?)`);
    }
    const merges: Array<[number, number]> = [];
    const seen = new Set<number>();
    for (let i = 0; i < nMerges; i++) {
      const lineNo = mergesAt + 2 + i;
      const parts = lines[lineNo - 1].trim().split(/\s+/);
      const a = Number(parts[0]);
      const b = Number(parts[1]);
      const limit = 256 + i; // a merge may only use bytes and earlier merges
      if (parts.length !== 2 || !Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= limit || b >= limit) {
        throw bad(lineNo, `expected two token ids below ${limit}, got ${JSON.stringify(lines[lineNo - 1].slice(0, 40))}`);
      }
      const key = pairKey(a, b);
      if (seen.has(key)) throw bad(lineNo, `the pair (${a}, ${b}) is merged twice`);
      seen.add(key);
      merges.push([a, b]);
    }
    for (const [name, id] of specials) {
      if (id < 256 + nMerges) throw bad(4, `special token ${JSON.stringify(name)} has id ${id}, which belongs to a byte or a merge`);
    }
    if (new Set(specials.values()).size !== specials.size) throw bad(4, "two special tokens share an id");
    const tok = new BPETokenizer({ pattern });
    tok.setMerges(merges);
    tok.setSpecialTokens(specials);
    return tok;
  }

  static load(file: string): BPETokenizer {
    return BPETokenizer.deserialize(readTokenizerFile(file), file);
  }
}

// ---------------------------------------------------------------------------
// Small helpers

function byteVocab(): Array<Uint8Array | undefined> {
  const vocab: Array<Uint8Array | undefined> = [];
  for (let i = 0; i < 256; i++) vocab.push(Uint8Array.of(i));
  return vocab;
}

function concatBytes(x: Uint8Array, y: Uint8Array): Uint8Array {
  const out = new Uint8Array(x.length + y.length);
  out.set(x, 0);
  out.set(y, x.length);
  return out;
}

function countLine(line: string | undefined, word: string): number | null {
  if (line === undefined || !line.startsWith(word + " ")) return null;
  const n = Number(line.slice(word.length + 1));
  return Number.isInteger(n) && n >= 0 ? n : null;
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$*+?.()|[\]{}]/g, "\\$&");
}
