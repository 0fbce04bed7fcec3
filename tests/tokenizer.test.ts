/**
 * The tokenizers we build: helpers (getStats, merge), BPE training and
 * encoding, special tokens, save/load, the character tokenizer, round trips.
 * Parity with the real GPT vocabularies is in tokenizer-tiktoken.test.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  BPETokenizer,
  CharTokenizer,
  GPT2_SPLIT_PATTERN,
  GPT4_SPLIT_PATTERN,
  O200K_SPLIT_PATTERN,
  bestPair,
  bytesToDisplay,
  getStats,
  loadTokenizer,
  merge,
  pairKey,
  pairOf,
  splitText,
  toWellFormed,
} from "../lib/tokenizer";
import { basicTrain } from "../lib/tokenizer/basic";
import { WordTokenizer } from "../lib/tokenizer/word";


/** A small multilingual training text (written for these tests). */
const TRAIN_TEXT = [
  "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away.",
  "Understanding tokens is understanding how language models read text.",
  "은행 앞에 가서 돈을 찾았다. 은행은 문을 닫았다. 나는 돈을 다시 찾으러 은행에 갔다.",
  "한국어 문장은 조사가 붙어서 토큰이 많아진다. 토큰화는 재미있다.",
  "日本語の文章も少し入れておきます。東京は大きな都市です。",
  "for (let i = 0; i < 10; i++) { total += values[i] * 2; }",
  "Numbers: 3.14159, 2718, 1000000 and 42. Emoji: 🙂🚀👍🏽 café naïve résumé.",
  "    indented line\n\n\n    another one\t\twith tabs",
].join("\n").repeat(3);

/** Strings every tokenizer must round-trip exactly. */
const ROUND_TRIP: Array<[string, string]> = [
  ["empty", ""],
  ["english", "Hello, world! How are you?"],
  ["korean", "은행 앞에 가서 돈을 찾았다"],
  ["japanese", "日本語のテキストです。"],
  ["emoji with modifiers and ZWJ", "👍🏽 👨‍👩‍👧 🇰🇷"],
  ["combining marks", "e\u0301 a\u0308 \u1100\u1161\u11a8 (decomposed Hangul 각)"],
  ["code", "const x = (a: number) => a ** 2;\n\treturn x;"],
  ["whitespace runs", "a" + " ".repeat(200) + "b\n\n\n\t \r\n  "],
  ["control characters", "\u0000\u0001\u007f\u0085\u2028"],
  ["special-looking text under 'none'", "<|endoftext|> is text here"],
];

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "tokenizer-test-"));
afterAll(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

describe("helpers", () => {
  it("getStats counts adjacent pairs", () => {
    const stats = getStats([1, 2, 3, 1, 2]);
    expect(stats.get(pairKey(1, 2))).toBe(2);
    expect(stats.get(pairKey(2, 3))).toBe(1);
    expect(stats.get(pairKey(3, 1))).toBe(1);
    expect(stats.size).toBe(3);
  });

  it("getStats adds to an existing map with a weight", () => {
    const stats = getStats([1, 2], new Map(), 5);
    getStats([1, 2, 1], stats);
    expect(stats.get(pairKey(1, 2))).toBe(6);
    expect(stats.get(pairKey(2, 1))).toBe(1);
  });

  it.each([
    ["minbpe's example", [5, 6, 6, 7, 9, 1], [6, 7], 99, [5, 6, 99, 9, 1]],
    ["overlapping run", [1, 1, 1, 2], [1, 1], 9, [9, 1, 2]],
    ["even run", [1, 1, 1, 1], [1, 1], 9, [9, 9]],
    ["no occurrence", [1, 2, 3], [3, 1], 9, [1, 2, 3]],
    ["empty", [], [1, 2], 9, []],
  ] as Array<[string, number[], [number, number], number, number[]]>)("merge: %s", (_label, ids, pair, idx, expected) => {
    expect(merge(ids, pair, idx)).toEqual(expected);
  });

  it("pairKey/pairOf round-trip and order pairs", () => {
    expect(pairOf(pairKey(123456, 7))).toEqual([123456, 7]);
    expect(pairKey(1, 999999)).toBeLessThan(pairKey(2, 0));
  });

  it("bestPair takes the most frequent pair, ties to the smallest pair", () => {
    const stats = new Map([[pairKey(256, 97), 2], [pairKey(97, 98), 2], [pairKey(1, 1), 1]]);
    expect(bestPair(stats)?.pair).toEqual([97, 98]);
    expect(bestPair(new Map())).toBeNull();
  });

  it.each([
    ["GPT-2", GPT2_SPLIT_PATTERN, "Hello world's 123 ok!!", ["Hello", " world", "'s", " 123", " ok", "!!"]],
    ["GPT-4", GPT4_SPLIT_PATTERN, "Hello world's 12345 ok!!\n\n", ["Hello", " world", "'s", " ", "123", "45", " ok", "!!\n\n"]],
    ["o200k", O200K_SPLIT_PATTERN, "camelCase HTTPServer", ["camel", "Case", " HTTPServer"]],
    ["none", "", "a b", ["a b"]],
  ])("splitText with the %s pattern", (_name, pattern, text, expected) => {
    expect(splitText(text, pattern)).toEqual(expected);
    expect(splitText(text, pattern).join("")).toBe(text);
  });

  it("a split pattern that skips text is an error, not lost text", () => {
    expect(() => splitText("ab cd", "\\p{L}+")).toThrow(/skipped " " at index 2/);
    expect(() => new BPETokenizer({ pattern: "\\p{L}+" }).encode("ab cd")).toThrow(/must match every character/);
  });

  it("bytesToDisplay shows stray bytes of a split character", () => {
    const han = new TextEncoder().encode("한"); // ED 95 9C
    expect(bytesToDisplay(han)).toBe("한");
    expect(bytesToDisplay(han.subarray(0, 2))).toBe("<0xED><0x95>");
    expect(bytesToDisplay(Uint8Array.of(0x20, 0xec))).toBe(" <0xEC>");
  });
});

describe("BPE training", () => {
  it.each([
    ["no split", ""],
    ["GPT-2 split", GPT2_SPLIT_PATTERN],
    ["GPT-4 split", GPT4_SPLIT_PATTERN],
  ])("minbpe's aaabdaaabac with 3 merges (%s)", (_name, pattern) => {
    const tok = new BPETokenizer({ pattern }).train("aaabdaaabac", 256 + 3);
    expect(tok.encode("aaabdaaabac")).toEqual([258, 100, 258, 97, 99]);
    expect(tok.decode([258, 100, 258, 97, 99])).toBe("aaabdaaabac");
    expect(tok.vocabSize).toBe(259);
  });

  it("learns the pair counts it reports, and the bytes of each new token", () => {
    const tok = new BPETokenizer({ pattern: "" }).train("aaabdaaabac", 259);
    expect(tok.merges).toEqual([[97, 97], [97, 98], [256, 257]]);
    expect(tok.mergeCounts).toEqual([4, 2, 2]);
    expect(tok.tokenText(258)).toBe("aaab");
  });

  it.each([
    ["GPT-4 split", GPT4_SPLIT_PATTERN, 400],
    ["GPT-2 split", GPT2_SPLIT_PATTERN, 400],
    ["no split", "", 330],
  ])("incremental training learns exactly the naive trainer's merges (%s)", (_name, pattern, vocabSize) => {
    const ours = new BPETokenizer({ pattern }).train(TRAIN_TEXT, vocabSize);
    const naive = basicTrain(TRAIN_TEXT, vocabSize, pattern);
    expect(ours.merges.length).toBe(vocabSize - 256);
    expect(ours.merges).toEqual(naive);
  });

  it.each([
    ["no split", ""],
    ["GPT-4 split", GPT4_SPLIT_PATTERN],
  ])("incremental training equals the naive trainer on random repetitive texts (property, %s)", (_name, pattern) => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const text = fc.string({ unit: fc.constantFrom("a", "b", " ", "한", "ab"), maxLength: 60 });
    fc.assert(
      fc.property(text, fc.integer({ min: 256, max: 280 }), (s, vocabSize) => {
        expect(new BPETokenizer({ pattern }).train(s, vocabSize).merges).toEqual(basicTrain(s, vocabSize, pattern));
      }),
      { numRuns: 200, seed: 6 },
    );
    warn.mockRestore();
  });

  it("training reduces the number of tokens, more with a bigger vocabulary", () => {
    const lengths = [256, 300, 400, 600].map((v) => new BPETokenizer().train(TRAIN_TEXT, v).encode(TRAIN_TEXT).length);
    expect(lengths[0]).toBe(new TextEncoder().encode(TRAIN_TEXT).length);
    for (let i = 1; i < lengths.length; i++) expect(lengths[i]).toBeLessThan(lengths[i - 1]);
  });

  it("stops early with a warning when no pair is left", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const tok = new BPETokenizer().train("ab ab", 300);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/no pair left to merge after 2 merges/));
    warn.mockRestore();
    expect(tok.vocabSize).toBe(258);
    expect(tok.encode("ab ab")).toEqual([256, 257]);
  });

  it.each([[100], [255.5], [undefined]])("rejects vocabSize %s", (v) => {
    expect(() => new BPETokenizer().train("abc", v as number)).toThrow(/vocabSize must be an integer ≥ 256/);
  });

  it("reports merges as they happen", () => {
    const seen: string[] = [];
    new BPETokenizer({ pattern: "" }).train("aaabdaaabac", 259, { onMerge: (m) => seen.push(`${m.id}:${m.count}:${new TextDecoder().decode(m.bytes)}`) });
    expect(seen).toEqual(["256:4:aa", "257:2:ab", "258:2:aaab"]);
  });
});

describe("BPE encode/decode", () => {
  const tok = new BPETokenizer({ specialTokens: ["<|endoftext|>", "<|pad|>"] }).train(TRAIN_TEXT, 420);

  it.each(ROUND_TRIP)("decode(encode(s)) === s: %s", (_label, s) => {
    expect(tok.decode(tok.encode(s, { allowedSpecial: "none" }))).toBe(s);
  });

  it("round-trips any well-formed Unicode string (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (s) => tok.decode(tok.encode(s, { allowedSpecial: "none" })) === s),
      { numRuns: 300, seed: 1 },
    );
  });

  it("round-trips graphemes mixed with training text (property)", () => {
    const words = fc.constantFrom(...TRAIN_TEXT.split(/(\s+)/).slice(0, 200));
    const piece = fc.oneof(words, fc.string({ unit: "grapheme", maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (parts) => {
        const s = parts.join("");
        return tok.decode(tok.encode(s, { allowedSpecial: "none" })) === s;
      }),
      { numRuns: 200, seed: 2 },
    );
  });

  it("lone surrogates become U+FFFD, never a crash (property)", () => {
    const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));
    fc.assert(
      fc.property(fc.string({ unit: anyCodeUnit, maxLength: 30 }), (s) => tok.decode(tok.encode(s, { allowedSpecial: "none" })) === toWellFormed(s)),
      { numRuns: 300, seed: 3 },
    );
  });

  it.each([
    ["high surrogate alone", "a\ud83d b", "a\ufffd b"],
    ["low surrogate alone", "\ude42x", "\ufffdx"],
    ["emoji cut in half", "🙂".slice(0, 1), "\ufffd"],
    ["reversed pair", "\ude42\ud83d", "\ufffd\ufffd"],
  ])("documented lone-surrogate behaviour: %s", (_label, s, expected) => {
    expect(tok.decode(tok.encode(s))).toBe(expected);
    expect(tok.encode(s)).toEqual(tok.encode(expected));
  });

  it.each([[-1], [420], [1e9], [1.5], [NaN]])("decode of invalid id %s names the id and the vocab size", (bad) => {
    expect(() => tok.decode([65, bad])).toThrow(new RegExp(`token id ${String(bad).replace(".", "\\.")} at position 1 is not (in the vocabulary|an integer); this tokenizer has vocabSize 420`));
  });

  it("special tokens get the ids after the merges", () => {
    expect(tok.vocabSize).toBe(420);
    expect(tok.specialTokens.get("<|endoftext|>")).toBe(418);
    expect(tok.specialTokens.get("<|pad|>")).toBe(419);
    expect(tok.merges.length).toBe(420 - 256 - 2);
  });

  it("special token text in training data is not learned as merges", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const t = new BPETokenizer({ specialTokens: ["<|endoftext|>"] }).train("<|endoftext|>".repeat(50) + "ab", 270);
    warn.mockRestore();
    expect(t.merges).toEqual([[97, 98]]);
  });

  it.each([
    ["all", "all", "hi<|endoftext|>there<|pad|>", [418, 419]],
    ["a list", ["<|pad|>"], "hi<|pad|>there", [419]],
  ] as Array<[string, "all" | string[], string, number[]]>)("allowedSpecial %s encodes special tokens as one id", (_l, allowed, text, specials) => {
    const ids = tok.encode(text, { allowedSpecial: allowed });
    expect(ids.filter((id) => id >= 418)).toEqual(specials);
    expect(tok.decode(ids)).toBe(text);
  });

  it("by default special token text is an error that names the fix", () => {
    expect(() => tok.encode("a <|endoftext|> b")).toThrow(/special token "<\|endoftext\|>" at index 2.*allowedSpecial: "all"/);
    expect(() => tok.encode("<|endoftext|><|pad|>", { allowedSpecial: ["<|pad|>"] })).toThrow(/"<\|endoftext\|>" at index 0/);
  });

  it("'none' and encodeOrdinary treat special text as plain text", () => {
    const a = tok.encode("a <|endoftext|>", { allowedSpecial: "none" });
    expect(a).toEqual(tok.encodeOrdinary("a <|endoftext|>"));
    expect(a.every((id) => id < 418)).toBe(true);
  });

  it("an unknown special token in allowedSpecial is a clear error", () => {
    expect(() => tok.encode("x", { allowedSpecial: ["<|nope|>"] })).toThrow(/"<\|nope\|>" is not a special token.*"<\|endoftext\|>", "<\|pad\|>"/);
  });

  it.each([
    ["no split: the whole text is one long chunk", "", TRAIN_TEXT],
    ["a long run of spaces", GPT4_SPLIT_PATTERN, "x" + " ".repeat(5000) + "y"],
    ["a long word", GPT4_SPLIT_PATTERN, "the".repeat(400)],
  ])("long chunks (heap-based merging) match applying the merges in order: %s", (_label, pattern, text) => {
    const t = new BPETokenizer({ pattern }).train(TRAIN_TEXT + " " + text.slice(0, 1000), 400);
    let reference: number[] = [];
    for (const chunk of splitText(text, pattern)) {
      const ids = t.merges.reduce((acc: number[], pair, i) => merge(acc, pair, 256 + i), Array.from(new TextEncoder().encode(chunk)));
      reference = reference.concat(ids);
    }
    expect(t.encode(text)).toEqual(reference);
  });

  it("short and long chunks agree (property, no split)", () => {
    const t = new BPETokenizer({ pattern: "" }).train(TRAIN_TEXT, 380);
    const alphabet = Array.from(new Set(Array.from(TRAIN_TEXT)));
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 150 }), (chars) => {
        const s = chars.join("");
        const reference = t.merges.reduce((acc: number[], pair, i) => merge(acc, pair, 256 + i), Array.from(new TextEncoder().encode(s)));
        expect(t.encode(s)).toEqual(reference);
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it("repeated chunks are encoded the same way (cache) as fresh ones", () => {
    const fresh = BPETokenizer.deserialize(tok.serialize());
    const text = TRAIN_TEXT.slice(0, 500);
    expect(tok.encode(text)).toEqual(fresh.encode(text));
    expect(tok.encode(text)).toEqual(fresh.encode(text));
  });
});

describe("BPE save/load", () => {
  const tok = new BPETokenizer({ pattern: GPT2_SPLIT_PATTERN, specialTokens: ["<|endoftext|>"] }).train(TRAIN_TEXT, 350);

  it("train → save → load gives identical encodings", () => {
    const file = path.join(tmpDir, "bpe.model");
    tok.save(file);
    const back = BPETokenizer.load(file);
    expect(back.pattern).toBe(GPT2_SPLIT_PATTERN);
    expect(back.merges).toEqual(tok.merges);
    expect(back.vocabSize).toBe(tok.vocabSize);
    for (const [, s] of ROUND_TRIP) expect(back.encode(s, { allowedSpecial: "all" })).toEqual(tok.encode(s, { allowedSpecial: "all" }));
    expect(back.encode(TRAIN_TEXT)).toEqual(tok.encode(TRAIN_TEXT));
    expect(loadTokenizer(file)).toBeInstanceOf(BPETokenizer);
  });

  it("the file is readable text", () => {
    const lines = tok.serialize().split("\n");
    expect(lines[0]).toBe("tiny-llm bpe v1");
    expect(lines[1]).toBe(`pattern ${JSON.stringify(GPT2_SPLIT_PATTERN)}`);
    expect(lines[2]).toBe("special 1");
    expect(lines[3]).toBe('"<|endoftext|>" 349');
    expect(lines[4]).toBe("merges 93");
    expect(lines[5]).toBe(`${tok.merges[0][0]} ${tok.merges[0][1]}`);
  });

  const good = () => tok.serialize();
  it.each([
    ["wrong header", () => "hello\n" + good().split("\n").slice(1).join("\n"), /line 1: expected the header/],
    ["truncated", () => good().split("\n").slice(0, 20).join("\n"), /promises 93 merges but the file has 15/],
    ["merge using a later id", () => good().replace(/\nmerges 93\n[^\n]+/, "\nmerges 93\n300 5"), /line 6: expected two token ids below 256/],
    ["garbage merge line", () => good().replace(/\nmerges 93\n[^\n]+/, "\nmerges 93\nfoo bar"), /line 6/],
    ["duplicate merge", () => { const l = good().split("\n"); l[6] = l[5]; return l.join("\n"); }, /merged twice/],
    ["bad pattern", () => good().replace(/^pattern .*$/m, "pattern not-json"), /line 2/],
    ["special id inside the merges", () => good().replace('"<|endoftext|>" 349', '"<|endoftext|>" 300'), /belongs to a byte or a merge/],
    ["empty file", () => "", /line 1/],
  ] as Array<[string, () => string, RegExp]>)("a corrupt file is a clear error: %s", (_label, make, why) => {
    const file = path.join(tmpDir, "corrupt.model");
    fs.writeFileSync(file, make());
    expect(() => BPETokenizer.load(file)).toThrow(why);
    expect(() => BPETokenizer.load(file)).toThrow(/not a valid BPE tokenizer file.*Re-save/);
  });

  it("a missing file is a clear error", () => {
    expect(() => BPETokenizer.load(path.join(tmpDir, "nope.model"))).toThrow(/not found.*save/);
    expect(() => loadTokenizer(path.join(tmpDir, "nope.model"))).toThrow(/not found/);
  });
});

describe("CharTokenizer", () => {
  const text = "hello 한국어 🙂!";
  const tok = CharTokenizer.fromText(text);

  it("has one id per distinct character, sorted by code point", () => {
    expect(tok.vocabSize).toBe(new Set(Array.from(text)).size);
    expect(tok.chars).toEqual([" ", "!", "e", "h", "l", "o", "국", "어", "한", "🙂"]);
    expect(tok.encode("hello")).toEqual([3, 2, 4, 4, 5]);
    expect(tok.decode([8, 6, 7])).toBe("한국어");
  });

  it("round-trips strings of its characters (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tok.chars), { maxLength: 50 }), (chars) => {
        const s = chars.join("");
        const ids = tok.encode(s);
        return ids.length === chars.length && tok.decode(ids) === s;
      }),
      { numRuns: 200, seed: 4 },
    );
  });

  it("an unknown character is a clear error by default", () => {
    expect(() => tok.encode("hex")).toThrow(/character "x" \(U\+0078\) at index 2 is not in the vocabulary of 10 characters.*unknown: "skip"/);
  });

  it.each([
    ["skip", "hex!", "he!"],
    ["replace", "hex!", "he\ufffd!"],
  ] as Array<["skip" | "replace", string, string]>)("unknown: %s", (policy, input, expected) => {
    const t = CharTokenizer.fromText(text, { unknown: policy });
    expect(t.decode(t.encode(input))).toBe(expected);
  });

  it("decode of an invalid id names it and the vocab size", () => {
    expect(() => tok.decode([0, 10])).toThrow(/token id 10 at position 1 is not in the vocabulary; this char tokenizer has vocabSize 10/);
  });

  it("save → load gives the same tokenizer", () => {
    const file = path.join(tmpDir, "char.model");
    const t = CharTokenizer.fromText(text + "\ud800", { unknown: "replace" });
    t.save(file);
    const back = CharTokenizer.load(file);
    expect(back.chars).toEqual(t.chars);
    expect(back.unknown).toBe("replace");
    expect(back.encode("x한\ud800")).toEqual(t.encode("x한\ud800"));
    expect(loadTokenizer(file)).toBeInstanceOf(CharTokenizer);
  });

  it.each([
    ["bad header", "nope\n{}", /first line should be "tiny-llm char v1"/],
    ["bad JSON", "tiny-llm char v1\n{oops", /corrupt CharTokenizer file \(the JSON body/],
    ["chars not single characters", 'tiny-llm char v1\n{"chars":["ab"]}', /list of single characters/],
    ["duplicate chars", 'tiny-llm char v1\n{"chars":["a","a"]}', /appears twice/],
  ])("a corrupt file is a clear error: %s", (_label, content, why) => {
    expect(() => CharTokenizer.deserialize(content)).toThrow(why);
  });

  it("rejects an unknown policy", () => {
    expect(() => new CharTokenizer({ unknown: "ignore" as "skip" })).toThrow(/"error", "skip" or "replace"/);
  });
});

describe("WordTokenizer", () => {
  it("one token per pattern match, specials first, round trip, save and load, clear errors", () => {
    const tok = WordTokenizer.fromTexts(["three hundred twelve", "삼백십이"], { pattern: "[a-z]+|[가-힣]", join: "", specials: ["<pad>", "</s>"] });
    expect(tok.vocabSize).toBe(2 + 3 + 4);
    expect(tok.id("<pad>")).toBe(0);
    expect(tok.id("</s>")).toBe(1);
    const ids = tok.encode("three hundred-twelve");
    expect(tok.tokenTexts(ids)).toEqual(["three", "hundred", "twelve"]);
    expect(tok.decode(tok.encode("삼백십이"))).toBe("삼백십이");
    expect(() => tok.encode("four")).toThrow(/token "four" \(token 0 of the text\) is not in the vocabulary/);
    expect(() => tok.encode("</s>")).toThrow(); // specials never come from text
    const again = WordTokenizer.deserialize(tok.serialize());
    expect(again.encode("twelve hundred")).toEqual(tok.encode("twelve hundred"));
  });
});
