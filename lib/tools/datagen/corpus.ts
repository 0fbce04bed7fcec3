/**
 * The pre-training corpus: documents in English or Korean (never both in one
 * document), separated by a blank line. Documents are stories, town scenes,
 * diary entries, dialogues, bank/money snippets, fact notes (the only place
 * residents are named) and a few paragraphs of original prose.
 *
 * The language of each new document is chosen so that the running share of
 * English characters stays at EN_SHARE in each split; the split is chosen per
 * document (never per line), and fact notes and prose always go to train.
 */
import { Rng } from "../../random";
import { Mention } from "./facts";
import { PROSE_EN, PROSE_KO } from "./prose";
import { bankSnippet, dialogue, diary, scene } from "./scenes";
import { storyText, tellStory } from "./stories";
import { utf8Bytes } from "../../tokenizer/base";
import { charCount } from "./text";
import { Lang } from "./world";

export type DocKind = "story" | "scene" | "diary" | "dialogue" | "bank" | "facts" | "prose";

export interface CorpusDoc {
  lang: Lang;
  kind: DocKind;
  text: string;
}

/** Documents are joined with this (so no document contains a blank line). */
import { CORPUS_SEPARATOR } from "../../datasets";

export { CORPUS_SEPARATOR };
/** Generate until corpus.train.txt has at least this many UTF-8 bytes. */
export const CORPUS_TRAIN_BYTES = 1_200_000;
/** Share of generated documents that go to validation. */
export const VAL_SHARE = 0.1;
/** Target share of English, by characters (code points), in each split. */
export const EN_SHARE = 0.6;
/** Relative frequency of each generated kind. */
export const KIND_WEIGHTS: [DocKind, number][] = [["story", 45], ["scene", 14], ["diary", 12], ["dialogue", 12], ["bank", 17]];

const NOTE_HEADERS = {
  en: ["From the town register:", "Notes about the residents.", "Residents of the valley.", "A page from the record book."],
  ko: ["마을 주민 기록.", "주민 명부에서.", "골짜기 주민들.", "기록장의 한 페이지."],
};
const NOTE_FILLERS = {
  en: ["Some details are still missing.", "The list is updated every spring.", "The clerk wrote this in neat letters."],
  ko: ["일부 내용은 아직 비어 있다.", "이 명부는 봄마다 새로 고친다.", "서기가 반듯한 글씨로 적었다."],
};

/** Pack the planned fact mentions into short "register" notes (1–4 facts each, no fact twice in a note). */
export function factNotes(mentions: Mention[], r: Rng): CorpusDoc[] {
  const docs: CorpusDoc[] = [];
  for (const lang of ["en", "ko"] as Lang[]) {
    const queue = r.shuffle(mentions.filter((m) => m.lang === lang));
    let current: string[] = [];
    let ids = new Set<string>();
    let size = r.int(1, 5);
    const flush = () => {
      if (current.length === 0) return;
      const body = r.next() < 0.3 ? [...current, r.pick(NOTE_FILLERS[lang])] : current;
      docs.push({ lang, kind: "facts", text: `${r.pick(NOTE_HEADERS[lang])}\n${body.join(" ")}` });
      current = [];
      ids = new Set();
      size = r.int(1, 5);
    };
    for (const m of queue) {
      if (current.length >= size || ids.has(m.fact.id)) flush();
      current.push(lang === "en" ? m.fact.sentenceEn : m.fact.sentenceKo);
      ids.add(m.fact.id);
    }
    flush();
  }
  return docs;
}

function generateDoc(r: Rng, kind: DocKind, lang: Lang): string {
  switch (kind) {
    case "story": return storyText(tellStory(r, lang));
    case "scene": return scene(r, lang);
    case "diary": return diary(r, lang);
    case "dialogue": return dialogue(r, lang);
    case "bank": return bankSnippet(r, lang).text;
    default: throw new Error(`generateDoc: kind "${kind}" is not generated`);
  }
}

class Split {
  docs: CorpusDoc[] = [];
  bytes = 0;
  chars: Record<Lang, number> = { en: 0, ko: 0 };
  add(doc: CorpusDoc): void {
    this.docs.push(doc);
    this.bytes += utf8Bytes(doc.text).length + CORPUS_SEPARATOR.length;
    this.chars[doc.lang] += charCount(doc.text);
  }
  /** The language that moves the English share toward EN_SHARE. */
  nextLang(): Lang {
    const total = this.chars.en + this.chars.ko;
    return total === 0 || this.chars.en / total < EN_SHARE ? "en" : "ko";
  }
}

/**
 * Build both splits. `seen` collects every document text (so other datasets
 * can avoid reusing one); duplicates are never emitted.
 */
export function buildCorpus(r: Rng, mentions: Mention[]): { train: CorpusDoc[]; val: CorpusDoc[] } {
  const train = new Split();
  const val = new Split();
  const seen = new Set<string>();
  const fixed: CorpusDoc[] = [
    ...factNotes(mentions, r),
    ...PROSE_EN.map((text): CorpusDoc => ({ lang: "en", kind: "prose", text })),
    ...PROSE_KO.map((text): CorpusDoc => ({ lang: "ko", kind: "prose", text })),
  ];
  for (const d of fixed) {
    seen.add(d.text);
    train.add(d);
  }
  const weights = KIND_WEIGHTS.map(([, w]) => w);
  let misses = 0;
  while (train.bytes < CORPUS_TRAIN_BYTES) {
    const split = r.next() < VAL_SHARE ? val : train;
    const lang = split.nextLang();
    const kind = KIND_WEIGHTS[r.categorical(weights)][0];
    const text = generateDoc(r, kind, lang);
    if (seen.has(text)) {
      if (++misses > 10_000) throw new Error("buildCorpus: templates too narrow, cannot find new documents");
      continue;
    }
    seen.add(text);
    split.add({ lang, kind, text });
  }
  // Spread fact notes and prose through the training text.
  return { train: r.shuffle(train.docs), val: val.docs };
}

/** A split's file content: documents joined by a blank line, ending in one newline. */
export function corpusFile(docs: CorpusDoc[]): string {
  for (const d of docs) {
    if (d.text.includes(CORPUS_SEPARATOR) || d.text !== d.text.trim()) throw new Error(`corpus document breaks the format: ${JSON.stringify(d.text.slice(0, 60))}`);
  }
  return docs.map((d) => d.text).join(CORPUS_SEPARATOR) + "\n";
}
