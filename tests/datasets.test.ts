/**
 * The committed datasets: reproducible, parseable, and true to what
 * datasets/README.md promises. Counting here is done with the test's own
 * templates and regular expressions, not with the generator's helpers.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { DATASET_FILES, generateDatasets, writeDatasets } from "../lib/tools/datagen/generate";
import {
  Fact,
  loadCorpus,
  loadCorpusDocuments,
  loadFacts,
  loadInstructions,
  loadPreferences,
  loadTranslation,
  parseJsonl,
  readDataset,
} from "../lib/datasets";
import { datasetsDir } from "../lib/tools/paths";

const sha256 = (buf: Buffer | string) => createHash("sha256").update(buf).digest("hex");
const hasHangul = (s: string) => /[\uac00-\ud7a3]/.test(s);
const codePoints = (s: string) => Array.from(s).length;
/** Occurrences of a whole sentence: at the start of the text or after a space or newline. */
function countSentence(text: string, sentence: string): number {
  let n = 0;
  for (let at = text.indexOf(sentence); at !== -1; at = text.indexOf(sentence, at + sentence.length)) {
    if (at === 0 || text[at - 1] === " " || text[at - 1] === "\n") n++;
  }
  return n;
}
const countPlain = (text: string, needle: string) => text.split(needle).length - 1;

/** The test's own Korean particle rule: a final consonant (받침) picks the first form. */
function batchim(word: string): boolean {
  const code = word.charCodeAt(word.length - 1);
  if (code < 0xac00 || code > 0xd7a3) throw new Error(`not Hangul: ${word}`);
  return (code - 0xac00) % 28 !== 0;
}

/** The canonical sentences, as datasets/README.md defines them. */
function expectedSentences(f: Fact): { en: string; ko: string } {
  const an = (w: string) => (/^[aeiou]/.test(w) ? "an" : "a");
  const e = f.entityEn, v = f.valueEn, k = f.entityKo + (batchim(f.entityKo) ? "은" : "는"), w = f.valueKo;
  const obj = w + (batchim(w) ? "을" : "를");
  switch (f.relation) {
    case "lives_in": return { en: `${e} lives in ${v}.`, ko: `${k} ${w}에 산다.` };
    case "works_as": return { en: `${e} works as ${an(v)} ${v}.`, ko: `${k} ${w}${batchim(w) ? "이다" : "다"}.` };
    case "has_pet": return { en: `${e} has ${an(v)} ${v}.`, ko: `${k} ${obj} 키운다.` };
    case "likes": return { en: `${e} likes ${v}.`, ko: `${k} ${obj} 좋아한다.` };
    default: throw new Error(`unknown relation ${String(f.relation)}`);
  }
}

let train = "";
let val = "";
let facts: Fact[] = [];

beforeAll(() => {
  train = loadCorpus("train");
  val = loadCorpus("val");
  facts = loadFacts();
});

describe("datasets: reproducible", () => {
  it("npm run datasets regenerates byte-identical files", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "datasets-"));
    try {
      writeDatasets(dir);
      for (const name of DATASET_FILES) {
        const committed = datasetsDir(name);
        expect(fs.existsSync(committed), `datasets/${name} is missing: run \`npm run datasets\``).toBe(true);
        expect(sha256(fs.readFileSync(path.join(dir, name))), `datasets/${name} differs from a fresh build: run \`npm run datasets\``).toBe(sha256(fs.readFileSync(committed)));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // datasets/models/ holds the base model that `npm run pretrain` makes (tests/pretrain.test.ts checks it).
    const extra = fs.readdirSync(datasetsDir()).filter((f) => f !== "README.md" && f !== "models" && !(DATASET_FILES as readonly string[]).includes(f));
    expect(extra, "files in datasets/ that the generator does not make").toEqual([]);
  });

  it("a different seed gives different data (so the hash check can fail)", () => {
    const other = generateDatasets(7).files;
    expect(sha256(other["corpus.train.txt"])).not.toBe(sha256(train));
    expect(sha256(other["facts.jsonl"])).not.toBe(sha256(readDataset("facts.jsonl")));
  });

  it("stays small enough to commit", () => {
    const total = DATASET_FILES.reduce((n, f) => n + fs.statSync(datasetsDir(f)).size, 0);
    expect(total).toBeLessThan(6_000_000);
  });
});

describe("datasets: every file parses", () => {
  it("corpus: documents separated by one blank line, each in one language", () => {
    for (const [split, text] of [["train", train], ["val", val]] as const) {
      const docs = loadCorpusDocuments(split);
      expect(docs.length).toBeGreaterThan(split === "train" ? 3000 : 300);
      expect(text.endsWith("\n") && !text.endsWith("\n\n")).toBe(true);
      for (const d of docs) {
        expect(d.text.length).toBeGreaterThan(0);
        expect(d.text).toBe(d.text.trim());
        expect(d.lang).toBe(hasHangul(d.text) ? "ko" : "en");
        if (d.lang === "ko") expect(/[A-Za-z]/.test(d.text), `Latin letters in a Korean document: ${d.text.slice(0, 80)}`).toBe(false);
      }
      // No document twice, except short register notes (a fact stated 150 times may repeat a one-line note).
      const residents = facts.map((f) => (d: string) => d.includes(f.entityEn) || d.includes(f.entityKo));
      const seen = new Set<string>();
      for (const d of docs) {
        if (seen.has(d.text)) expect(residents.some((isNote) => isNote(d.text)), `duplicate document: ${d.text.slice(0, 80)}`).toBe(true);
        seen.add(d.text);
      }
    }
    const trainDocs = new Set(loadCorpusDocuments("train").map((d) => d.text));
    expect(loadCorpusDocuments("val").filter((d) => trainDocs.has(d.text))).toEqual([]);
  });

  it("JSONL files have the documented fields and types", () => {
    for (const f of facts) {
      expect(typeof f.entityEn === "string" && typeof f.valueKo === "string").toBe(true);
      expect(["lives_in", "works_as", "has_pet", "likes"]).toContain(f.relation);
      expect(Number.isInteger(f.mentions) && f.mentions === f.mentionsEn + f.mentionsKo).toBe(true);
      expect(["train", "test"]).toContain(f.qaSplit);
    }
    for (const split of ["train", "test"] as const) {
      for (const r of loadInstructions(split)) {
        expect(["qa", "summarize"]).toContain(r.task);
        expect(r.lang).toBe(hasHangul(r.prompt) ? "ko" : "en");
        expect(r.prompt.length > 0 && r.response.length > 0).toBe(true);
      }
      for (const r of loadPreferences(split)) {
        expect(r.candidates).toHaveLength(4);
        expect([...r.ranking].sort()).toEqual([0, 1, 2, 3]);
      }
      for (const r of loadTranslation(split)) {
        expect(["number", "sentence"]).toContain(r.kind);
        expect(hasHangul(r.en) || !hasHangul(r.ko)).toBe(false);
      }
    }
    expect(loadInstructions("train").length).toBeGreaterThan(1000);
    expect(loadTranslation("train").length).toBeGreaterThan(1000);
  });

  it("a corrupt or missing file gives an error that names the fix", () => {
    expect(() => parseJsonl('{"id": 1}\n{oops\n', "facts.jsonl", ["id"])).toThrow(/line 2 .*npm run datasets/);
    expect(() => parseJsonl('{"x": 1}\n', "facts.jsonl", ["id"])).toThrow(/no "id" field.*npm run datasets/);
    expect(() => parseJsonl('{"id": 1}', "facts.jsonl", ["id"])).toThrow(/truncated.*npm run datasets/);
    expect(() => readDataset("no-such-file.jsonl")).toThrow(/missing.*npm run datasets/);
    expect(() => loadInstructions("dev" as "train")).toThrow(/unknown split/);
  });
});

describe("datasets: facts", () => {
  it("canonical sentences follow the documented templates", () => {
    for (const f of facts) {
      const want = expectedSentences(f);
      expect(f.sentenceEn).toBe(want.en);
      expect(f.sentenceKo).toBe(want.ko);
    }
  });

  it("mention counts equal the occurrences in corpus.train.txt", () => {
    // Cut the text into sentences (at line breaks and after . ! ? ") and count whole sentences.
    const sentences = new Map<string, number>();
    for (const s of train.split(/\n+|(?<=[.!?"]) +/)) sentences.set(s, (sentences.get(s) ?? 0) + 1);
    for (const f of facts) {
      const en = sentences.get(f.sentenceEn) ?? 0, ko = sentences.get(f.sentenceKo) ?? 0;
      expect({ id: f.id, en, ko }).toEqual({ id: f.id, en: f.mentionsEn, ko: f.mentionsKo });
    }
    // The same counts by a second method: the sentence anywhere after a space, a newline or the start.
    for (const f of facts.filter((x) => x.mentions > 0 || x.id.endsWith("lives_in"))) {
      expect(countSentence(train, f.sentenceEn) + countSentence(train, f.sentenceKo), f.id).toBe(f.mentions);
    }
  });

  it("residents are named only in their own fact sentences (no contradictions, no uncounted mentions)", () => {
    const people = new Map<string, { en: string; ko: string; en_n: number; ko_n: number }>();
    for (const f of facts) {
      const p = people.get(f.entity) ?? { en: f.entityEn, ko: f.entityKo, en_n: 0, ko_n: 0 };
      p.en_n += f.mentionsEn;
      p.ko_n += f.mentionsKo;
      people.set(f.entity, p);
    }
    for (const p of people.values()) {
      expect({ name: p.en, en: countPlain(train, p.en), ko: countPlain(train, p.ko) }).toEqual({ name: p.en, en: p.en_n, ko: p.ko_n });
      expect(countPlain(val, p.en) + countPlain(val, p.ko)).toBe(0);
    }
  });

  it("mentions are long-tailed: many facts once, a few very often, some residents never", () => {
    const counts = facts.map((f) => f.mentions);
    const n = (pred: (c: number) => boolean) => counts.filter(pred).length;
    expect(n((c) => c === 1)).toBeGreaterThan(n((c) => c === 2));
    expect(n((c) => c === 2)).toBeGreaterThan(n((c) => c >= 10));
    expect(n((c) => c >= 10)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(100);
    expect(n((c) => c === 1)).toBeGreaterThanOrEqual(30);
    expect(n((c) => c === 0)).toBeGreaterThanOrEqual(100);
    const seen = new Set(facts.filter((f) => f.mentions > 0).map((f) => f.entity));
    const unseen = [...new Set(facts.map((f) => f.entity))].filter((e) => !seen.has(e));
    expect(unseen.length).toBeGreaterThanOrEqual(10);
  });
});

describe("datasets: no test prompt in training data", () => {
  it("instructions", () => {
    const tr = loadInstructions("train"), te = loadInstructions("test");
    const trainPrompts = new Set(tr.map((r) => r.prompt));
    const trainFacts = new Set(tr.filter((r) => r.factId).map((r) => r.factId));
    for (const r of te) {
      expect(trainPrompts.has(r.prompt), r.prompt).toBe(false);
      if (r.task === "qa") expect(trainFacts.has(r.factId), r.prompt).toBe(false);
      else {
        const story = r.prompt.slice(r.prompt.indexOf("\n") + 1);
        expect(story.length).toBeGreaterThan(50);
        expect(train.includes(story), `test story found in corpus.train.txt: ${story.slice(0, 60)}`).toBe(false);
      }
    }
    expect(te.filter((r) => r.task === "qa").length).toBeGreaterThan(50);
    expect(te.filter((r) => r.task === "summarize").length).toBeGreaterThan(50);
  });

  it("preferences", () => {
    const trainPrompts = new Set([...loadPreferences("train"), ...loadInstructions("train")].map((r) => r.prompt));
    const te = loadPreferences("test");
    expect(te.length).toBeGreaterThan(50);
    for (const r of te) expect(trainPrompts.has(r.prompt), r.prompt).toBe(false);
  });

  it("translation", () => {
    const trainSources = new Set(loadTranslation("train").map((r) => r.en));
    const te = loadTranslation("test");
    for (const r of te) {
      expect(trainSources.has(r.en), r.en).toBe(false);
      if (r.kind === "sentence") expect(train.includes(r.en), r.en).toBe(false);
    }
    expect(new Set(te.map((r) => r.kind))).toEqual(new Set(["number", "sentence"]));
  });
});

describe("datasets: corpus content", () => {
  it("is at least 1 MB of training text, ~60% English / 40% Korean by characters (±2%) in both splits", () => {
    expect(Buffer.byteLength(train, "utf8")).toBeGreaterThanOrEqual(1_048_576);
    for (const split of ["train", "val"] as const) {
      let en = 0, ko = 0;
      for (const d of loadCorpusDocuments(split)) {
        if (hasHangul(d.text)) ko += codePoints(d.text);
        else en += codePoints(d.text);
      }
      const share = en / (en + ko);
      expect(share, `${split}: English share ${share}`).toBeGreaterThan(0.58);
      expect(share, `${split}: English share ${share}`).toBeLessThan(0.62);
    }
  });

  it("holds the bank/money contexts chapter 02 needs", () => {
    expect(countPlain(train, "은행 앞에 가서 돈을 찾았다")).toBeGreaterThanOrEqual(50);
    expect(countPlain(train, "went to the bank and withdrew money")).toBeGreaterThanOrEqual(50);
    const sentences = (lang: "en" | "ko") =>
      loadCorpusDocuments("train")
        .filter((d) => d.lang === lang)
        .flatMap((d) => d.text.split(/(?<=[.!?"])\s+/));
    const ko = sentences("ko");
    const both = ko.filter((s) => s.includes("은행") && s.includes("돈")).length;
    const bankOnly = ko.filter((s) => s.includes("은행") && !s.includes("돈")).length;
    const moneyOnly = ko.filter((s) => s.includes("돈") && !s.includes("은행")).length;
    expect(both).toBeGreaterThanOrEqual(300);
    expect(bankOnly).toBeGreaterThanOrEqual(300); // the bank building, the ginkgo nut 은행, 은행나무
    expect(moneyOnly).toBeGreaterThanOrEqual(300);
    const en = sentences("en");
    const enBoth = en.filter((s) => /\bbank\b/.test(s) && /\bmoney\b/.test(s)).length;
    const riverBank = en.filter((s) => /\bbank\b/.test(s) && /\briver\b/.test(s)).length;
    const enMoneyOnly = en.filter((s) => /\bmoney\b/.test(s) && !/\bbank\b/.test(s)).length;
    expect(Math.min(enBoth, riverBank, enMoneyOnly)).toBeGreaterThanOrEqual(100);
  });

  it("includes the original prose", () => {
    expect(train).toContain("The word bank is a small trap.");
    expect(train).toContain("은행이라는 낱말은 작은 함정이다.");
  });
});

describe("datasets: preferences follow the documented rule", () => {
  it("ruleRanking = correct first, then polite > terse > rude; exactly 10% of rankings reversed", () => {
    const style = { polite: 2, terse: 1, rude: 0 } as const;
    for (const split of ["train", "test"] as const) {
      const recs = loadPreferences(split);
      const facts_ = new Map(facts.map((f) => [f.id, f]));
      for (const r of recs) {
        const score = (i: number) => (r.candidates[i].correct ? 3 : 0) + style[r.candidates[i].style];
        const want = [0, 1, 2, 3].sort((a, b) => score(b) - score(a));
        expect(r.ruleRanking).toEqual(want);
        expect(r.ranking).toEqual(r.flipped ? [...want].reverse() : want);
        expect(r.candidates.some((c) => c.correct)).toBe(true);
        const f = facts_.get(r.factId);
        if (!f) throw new Error(`unknown fact ${r.factId}`);
        const value = r.lang === "en" ? f.valueEn : f.valueKo;
        for (const c of r.candidates) {
          const mentionsTruth = r.lang === "en" ? new RegExp(`\\b${value}\\b`, "i").test(c.text) : c.text.includes(value);
          expect(mentionsTruth, c.text).toBe(c.correct);
        }
      }
      expect(recs.filter((r) => r.flipped).length).toBe(Math.round(0.1 * recs.length));
    }
  });
});

describe("datasets: translation is correct", () => {
  const EN: Record<string, number> = {};
  ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"].forEach((w, i) => (EN[w] = i + 1));
  ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"].forEach((w, i) => (EN[w] = (i + 2) * 10));
  const readEnglish = (s: string): number => {
    let total = 0, current = 0;
    for (const w of s.split(/[ -]/)) {
      if (w === "thousand") { total += current * 1000; current = 0; }
      else if (w === "hundred") current *= 100;
      else if (w in EN) current += EN[w];
      else throw new Error(`unknown word ${w} in "${s}"`);
    }
    return total + current;
  };
  const KO_D: Record<string, number> = { 일: 1, 이: 2, 삼: 3, 사: 4, 오: 5, 육: 6, 칠: 7, 팔: 8, 구: 9 };
  const KO_U: Record<string, number> = { 십: 10, 백: 100, 천: 1000 };
  const readKorean = (s: string): number => {
    let total = 0, digit = 0;
    for (const ch of s) {
      if (ch in KO_D) digit = KO_D[ch];
      else if (ch in KO_U) { total += (digit || 1) * KO_U[ch]; digit = 0; }
      else throw new Error(`unknown syllable ${ch} in "${s}"`);
    }
    return total + digit;
  };

  it("number pairs say the same number in both languages", () => {
    expect(readEnglish("three hundred twelve")).toBe(312);
    expect(readKorean("삼백십이")).toBe(312);
    for (const split of ["train", "test"] as const) {
      for (const r of loadTranslation(split).filter((x) => x.kind === "number")) expect(readKorean(r.ko), r.en).toBe(readEnglish(r.en));
    }
  });

  it("sentence pairs put the Korean verb last", () => {
    for (const r of loadTranslation("train").filter((x) => x.kind === "sentence")) {
      expect(r.ko.endsWith("다.")).toBe(true);
      expect(/^[A-Z][^.]*\.$/.test(r.en)).toBe(true);
    }
  });
});
