/**
 * Our BPE encoder loaded with the real GPT-2 / cl100k / o200k ranks must give
 * exactly js-tiktoken's ids: on a multilingual sentence set written for these
 * tests, and on random strings (fast-check).
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN, O200K_SPLIT_PATTERN, toWellFormed } from "../lib/tokenizer";
import { GptEncoding, TiktokenTokenizer, loadTiktoken, rankFile, referenceTiktoken } from "../lib/tokenizer/tiktoken";

/** The parity set: a few KB of text in many scripts and shapes. */
const SENTENCES: string[] = [
  // the source's own examples
  "Understanding",
  " Understanding",
  "understanding",
  "'Understanding' might become 'Un', 'der', 'standing'.",
  "은행 앞에 가서 돈을 찾았다",
  "은행 앞에 가서 돈을 찾았다. 그리고 강가의 은행나무 아래에서 쉬었다.",
  // English
  "The quick brown fox jumps over the lazy dog.",
  "Large language models read tokens, not words; they've learned that it's cheaper.",
  "I'M SHOUTING, you're whispering, WE'LL see. They'd've gone.",
  "Supercalifragilisticexpialidocious antidisestablishmentarianism",
  // Korean
  "안녕하세요. 저는 대규모 언어 모델입니다.",
  "토큰화는 텍스트를 모델이 읽을 수 있는 작은 조각으로 나누는 과정입니다.",
  "한국어는 교착어라서 조사와 어미가 단어 뒤에 붙습니다: 학생이, 학생을, 학생에게.",
  "ㄱㄴㄷ ㅏㅑㅓ 한글 자모와 완성형 음절 가각갂",
  // Japanese, Chinese, other scripts
  "日本語の文章をトークンに分割します。東京タワーは高い。",
  "カタカナとひらがなと漢字が混ざっています",
  "自然语言处理是人工智能的一个分支。",
  "Привет, мир! Это тест токенизатора.",
  "مرحبا بالعالم، هذا اختبار.",
  "नमस्ते दुनिया, यह एक परीक्षण है।",
  "Γειά σου Κόσμε! ελληνικά",
  "สวัสดีชาวโลก",
  // mixed scripts
  "GPT는 Transformer 기반 model이고, 2017년 논문 'Attention Is All You Need'에서 나왔다.",
  "Seoul(서울)과 Tokyo(東京) 사이 1,160 km — 비행기로 2h 15m.",
  "ChatGPT에게 물어봤더니 \"I don't know\"라고 했다 😅",
  // numbers
  "3.14159265358979 2.718281828 1234567890 0.000001 1e-10 -42 +7",
  "Phone: 010-1234-5678, Date: 2024-03-15T09:30:00Z, Price: $1,299.99 / ₩1,700,000",
  "١٢٣٤٥ ٦٧٨٩٠ ①②③ ⅠⅡⅢ ¹²³ 一二三",
  // code
  "function add(a: number, b: number): number {\n  return a + b;\n}\n",
  "for i in range(10):\n\tif i % 2 == 0:\n\t\tprint(f\"{i} is even\")\n",
  "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
  "const re = /^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$/i; // email",
  "<div class=\"token\">&lt;|endoftext|&gt;</div>\r\n<br/>",
  "camelCaseIdentifier snake_case_identifier SCREAMING_CASE kebab-case HTTPServerError",
  // emoji and symbols
  "I love it 🙂🚀👍🏽 👨‍👩‍👧‍👦 🇰🇷🇯🇵 ❤️‍🔥",
  "★☆♠♣ ∑∫∂√∞ ≤≥≠ →⇒ © ® ™ § ¶ …",
  // combining marks and normalisation
  "e\u0301 vs é, a\u0308 vs ä, \u1112\u1161\u11ab vs 한",
  "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
  // whitespace
  "   leading spaces",
  "trailing spaces   ",
  "a" + " ".repeat(100) + "b",
  "\n\n\n\nmany newlines\n\n\n",
  "\t\ttabs\t and \r\n windows \r\n\r\n line ends",
  " ".repeat(300),
  "\u00a0\u2003\u3000 non-breaking, em and ideographic spaces",
  // odd inputs
  "",
  " ",
  "'s's's 've'll'd 'S'T",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "!!!!!!!!!!!!!!!!!!!!?????????........,,,,,,",
  "\u0000\u0001\u0002\u001b[31mred\u001b[0m\u007f",
];

const ENCODINGS: GptEncoding[] = ["gpt2", "cl100k_base", "o200k_base"];

beforeAll(() => {
  for (const name of ENCODINGS) {
    loadTiktoken(name);
    referenceTiktoken(name);
  }
});

describe.each(ENCODINGS)("%s", (name) => {
  it("split pattern equals js-tiktoken's", () => {
    const ours = { gpt2: GPT2_SPLIT_PATTERN, cl100k_base: GPT4_SPLIT_PATTERN, o200k_base: O200K_SPLIT_PATTERN }[name];
    expect(rankFile(name).pat_str).toBe(ours);
  });

  it("matches js-tiktoken on every sentence of the parity set", () => {
    const ours = loadTiktoken(name);
    const ref = referenceTiktoken(name);
    for (const s of SENTENCES) {
      expect({ s, ids: ours.encode(s) }).toEqual({ s, ids: ref.encode(s) });
      expect(ours.decode(ours.encode(s))).toBe(s);
    }
  });

  it("matches js-tiktoken on the whole parity set as one text, also with a fresh cache", () => {
    const text = SENTENCES.join("\n");
    const ids = referenceTiktoken(name).encode(text);
    expect(loadTiktoken(name).encode(text)).toEqual(ids);
    expect(new TiktokenTokenizer(name).encode(text)).toEqual(ids);
  });

  it("matches js-tiktoken on random strings (property)", () => {
    const ours = loadTiktoken(name);
    const ref = referenceTiktoken(name);
    const fragments = fc.constantFrom(...SENTENCES.flatMap((s) => s.split(/(?<=\s)/)));
    const piece = fc.oneof(
      fragments,
      fc.string({ unit: "grapheme", maxLength: 8 }),
      fc.string({ unit: "binary", maxLength: 8 }),
      fc.constantFrom(" ", "  ", "\n", "\r\n", "\t", "'s", "'LL", "123456", "한", "🙂"),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const s = parts.join("");
        const a = ours.encode(s, { allowedSpecial: "none" });
        const b = ref.encode(s, [], []);
        expect(a).toEqual(b);
        expect(ours.decode(a)).toBe(s);
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it.each([
    ["spaces", " ".repeat(1000) + "x"],
    ["one long word", "abc".repeat(200)],
    ["Hangul without spaces", "은행앞에가서돈을찾았다".repeat(20)],
    ["punctuation", "!?.,;:".repeat(60)],
    ["newlines and tabs", "\n\t \r\n".repeat(150)],
  ])("long chunks match js-tiktoken: %s", (_label, s) => {
    expect(loadTiktoken(name).encode(s)).toEqual(referenceTiktoken(name).encode(s));
  });

  it("lone surrogates: same ids as js-tiktoken, decoded as U+FFFD", () => {
    const ours = loadTiktoken(name);
    const ref = referenceTiktoken(name);
    for (const s of ["a\ud83d b", "\ude42", "🙂".slice(0, 1) + "x", "x\udc00\ud800y", "한\ud800국"]) {
      expect(ours.encode(s)).toEqual(ref.encode(s));
      expect(ours.decode(ours.encode(s))).toBe(toWellFormed(s));
    }
  });

  it("special tokens: allowed → one id (as js-tiktoken), disallowed → error", () => {
    const ours = loadTiktoken(name);
    const ref = referenceTiktoken(name);
    const text = "end<|endoftext|>start";
    expect(ours.encode(text, { allowedSpecial: "all" })).toEqual(ref.encode(text, "all"));
    expect(ours.encode(text, { allowedSpecial: "none" })).toEqual(ref.encode(text, [], []));
    expect(() => ref.encode(text)).toThrow();
    expect(() => ours.encode(text)).toThrow(/special token "<\|endoftext\|>" at index 3/);
  });

  it("decodes js-tiktoken's ids to the same text", () => {
    const ours = loadTiktoken(name);
    const ref = referenceTiktoken(name);
    const ids = ref.encode(SENTENCES.join(" | "));
    expect(ours.decode(ids)).toBe(ref.decode(ids));
  });

  it("cannot be trained or saved (it is loaded)", () => {
    expect(() => loadTiktoken(name).train()).toThrow(/loaded from js-tiktoken, not trained/);
    expect(() => loadTiktoken(name).serialize()).toThrow(/loadTiktoken/);
  });
});

describe("GPT vocabularies", () => {
  it.each([
    ["gpt2", 50257, 50257],
    ["cl100k_base", 100277, 100256 + 5],
    ["o200k_base", 200019, 199998 + 2],
  ] as Array<[GptEncoding, number, number]>)("%s has vocabSize %d", (name, size, tokens) => {
    expect(loadTiktoken(name).vocabSize).toBe(size);
    expect(loadTiktoken(name).tokenCount).toBe(tokens);
  });

  it("GPT-2's byte tokens are not in byte order (rank 0 is '!')", () => {
    expect(loadTiktoken("gpt2").tokenText(0)).toBe("!");
    expect(loadTiktoken("gpt2").encode("!")).toEqual([0]);
  });

  it("an id in a vocabulary gap is a clear decode error", () => {
    expect(() => loadTiktoken("cl100k_base").decode([100256])).toThrow(/token id 100256 at position 0 is not in the vocabulary; this tokenizer has vocabSize 100277 .*not tokens/);
  });

  it("a Hangul syllable is 3 bytes, and GPT-2 splits it into byte tokens", () => {
    const gpt2 = loadTiktoken("gpt2");
    expect(new TextEncoder().encode("한").length).toBe(3);
    const ids = gpt2.encode("한");
    expect(ids.length).toBeGreaterThan(1);
    expect(gpt2.tokenTexts(ids).join("")).toMatch(/^(<0x[0-9A-F]{2}>)+$/);
    expect(gpt2.decode(ids)).toBe("한");
  });

  it("unknown encodings are a clear error", () => {
    expect(() => rankFile("gpt5" as GptEncoding)).toThrow(/Unknown GPT encoding "gpt5".*gpt2, cl100k_base, o200k_base/);
  });
});
