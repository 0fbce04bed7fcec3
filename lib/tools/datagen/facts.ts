/**
 * The fact table: (resident, relation, value) with one canonical sentence per
 * relation and language. A *mention* of a fact is one occurrence of its
 * canonical sentence in the training corpus, and that is the only way a
 * resident's name ever appears there — so the counts are exact.
 *
 * How often each fact is stated follows a Zipf-like law: the r-th most
 * frequent fact gets floor(ZIPF_TOP / r) mentions, so a few facts are stated
 * a hundred times, many exactly once, most never; and a few residents are
 * never named at all.
 */
import { Rng } from "../../random";
import { josa, withArticle } from "./text";
import { ANIMALS, CITIES, FOODS, JOBS, Lang, Person, Term, World, term } from "./world";

export type Relation = "lives_in" | "works_as" | "has_pet" | "likes";
export const RELATIONS: Relation[] = ["lives_in", "works_as", "has_pet", "likes"];

/** Most mentions a fact gets (the rank-1 fact). */
export const ZIPF_TOP = 150;
/** Residents whose facts are all left out of the corpus (they never appear). */
export const UNSEEN_PEOPLE = 10;
/** Share of mentions written in English (each mention draws its language). */
export const FACT_EN_SHARE = 0.6;
/** Share of facts held out of fine-tuning (instructions/preferences test splits). */
export const HELD_OUT_SHARE = 0.2;

export interface Fact {
  id: string;
  entity: string; // person id
  entityEn: string;
  entityKo: string;
  relation: Relation;
  value: string; // term id
  valueEn: string;
  valueKo: string;
  /** The canonical sentences; a mention is one occurrence of either in corpus.train.txt. */
  sentenceEn: string;
  sentenceKo: string;
  /** Occurrences of sentenceEn + sentenceKo in corpus.train.txt. */
  mentions: number;
  mentionsEn: number;
  mentionsKo: number;
  /** Which split of the fine-tuning sets (instructions, preferences) asks about this fact. */
  qaSplit: "train" | "test";
}

/** The value term a relation points to. */
export function relationValue(p: Person, rel: Relation): Term {
  switch (rel) {
    case "lives_in": return term(CITIES, p.city);
    case "works_as": return term(JOBS, p.job);
    case "has_pet": return term(ANIMALS, p.pet);
    case "likes": return term(FOODS, p.food);
  }
}

/** The one sentence that states a fact, in English or Korean. */
export function factSentence(name: string, rel: Relation, value: string, lang: Lang): string {
  if (lang === "en") {
    switch (rel) {
      case "lives_in": return `${name} lives in ${value}.`;
      case "works_as": return `${name} works as ${withArticle(value)}.`;
      case "has_pet": return `${name} has ${withArticle(value)}.`;
      case "likes": return `${name} likes ${value}.`;
    }
  }
  switch (rel) {
    case "lives_in": return `${josa(name, "은")} ${value}에 산다.`;
    case "works_as": return `${josa(name, "은")} ${josa(value, "이다")}.`;
    case "has_pet": return `${josa(name, "은")} ${josa(value, "을")} 키운다.`;
    case "likes": return `${josa(name, "은")} ${josa(value, "을")} 좋아한다.`;
  }
}

/** Every fact of the world, mentions still zero (filled in after the corpus is written). */
export function listFacts(world: World): Fact[] {
  const facts: Fact[] = [];
  for (const p of world.people) {
    for (const rel of RELATIONS) {
      const v = relationValue(p, rel);
      facts.push({
        id: `${p.id}-${rel}`,
        entity: p.id,
        entityEn: p.en,
        entityKo: p.ko,
        relation: rel,
        value: v.id,
        valueEn: v.en,
        valueKo: v.ko,
        sentenceEn: factSentence(p.en, rel, v.en, "en"),
        sentenceKo: factSentence(p.ko, rel, v.ko, "ko"),
        mentions: 0,
        mentionsEn: 0,
        mentionsKo: 0,
        qaSplit: "train",
      });
    }
  }
  return facts;
}

/** One planned statement of a fact in the corpus. */
export interface Mention {
  fact: Fact;
  lang: Lang;
}

/**
 * Decide how often each fact will be stated and in which language, and which
 * facts the fine-tuning sets hold out. Returns the mentions to write.
 */
export function planMentions(facts: Fact[], world: World, rng: Rng): Mention[] {
  const unseen = new Set(rng.shuffle(world.people.map((p) => p.id)).slice(0, UNSEEN_PEOPLE));
  const ranked = rng.shuffle(facts.filter((f) => !unseen.has(f.entity)));
  const mentions: Mention[] = [];
  ranked.forEach((fact, i) => {
    const n = Math.floor(ZIPF_TOP / (i + 1));
    for (let k = 0; k < n; k++) mentions.push({ fact, lang: rng.next() < FACT_EN_SHARE ? "en" : "ko" });
  });
  const heldOutFacts = rng.shuffle(facts).slice(0, Math.round(HELD_OUT_SHARE * facts.length));
  for (const f of heldOutFacts) f.qaSplit = "test";
  return mentions;
}

/**
 * Count how often `needle` occurs in `text` as a whole sentence: at the start of
 * the text or right after a space or newline. Used for the mention counts.
 */
export function countSentence(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
    if (i === 0 || text[i - 1] === " " || text[i - 1] === "\n") n++;
  }
  return n;
}
