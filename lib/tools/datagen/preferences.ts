/**
 * Preference data for RLHF / DPO (chapter 08). Each prompt is a question about
 * a resident; four candidate answers differ in style (polite / terse / rude)
 * and correctness. The "human" labeller follows one rule:
 *
 *   correct beats incorrect; within the same correctness, polite > terse > rude
 *   (score = 3·correct + {polite: 2, terse: 1, rude: 0}, best first)
 *
 * and then, for exactly NOISE_SHARE of the prompts in each split, writes the
 * ranking reversed (labelling noise). Both rankings are stored, so a chapter
 * can measure how often a reward model agrees with the noisy labels and with
 * the rule.
 */
import { Rng } from "../../random";
import { Fact, Relation, factSentence } from "./facts";
import { QUESTIONS } from "./instructions";
import { cap, josa as j, withArticle } from "./text";
import { ANIMALS, CITIES, FOODS, JOBS, Lang, Term } from "./world";

export type Style = "polite" | "terse" | "rude";
export const STYLES: Style[] = ["polite", "terse", "rude"];
/** Share of rankings reversed as labelling noise (exact per split, rounded). */
export const NOISE_SHARE = 0.1;
export const CANDIDATES_PER_PROMPT = 4;

export interface Candidate {
  text: string;
  style: Style;
  correct: boolean;
}

export interface PreferenceRecord {
  id: string;
  lang: Lang;
  prompt: string;
  factId: string;
  candidates: Candidate[];
  /** Candidate indices, best first, by the rule. */
  ruleRanking: number[];
  /** Candidate indices, best first, as labelled (ruleRanking reversed when flipped). */
  ranking: number[];
  /** True when this label is noise (the ranking is the rule's, reversed). */
  flipped: boolean;
}

/** The rule's score: higher is better. */
export function ruleScore(c: { style: Style; correct: boolean }): number {
  return (c.correct ? 3 : 0) + { polite: 2, terse: 1, rude: 0 }[c.style];
}

/** Candidate indices sorted best first by the rule (scores are all different). */
export function rankByRule(cands: { style: Style; correct: boolean }[]): number[] {
  return cands.map((_, i) => i).sort((a, b) => ruleScore(cands[b]) - ruleScore(cands[a]));
}

const VALUES: Record<Relation, Term[]> = { lives_in: CITIES, works_as: JOBS, has_pet: ANIMALS, likes: FOODS };

/** The answer word alone: "Oakport", "A baker", "A cat", "Noodles" / "오크포트", "제빵사" … */
function shortAnswer(rel: Relation, value: string, lang: Lang): string {
  if (lang === "ko") return value;
  return rel === "works_as" || rel === "has_pet" ? cap(withArticle(value)) : cap(value);
}

/** A polite, honorific Korean statement of the fact. */
function honorificKo(name: string, rel: Relation, v: string): string {
  switch (rel) {
    case "lives_in": return `${name} 님은 ${v}에 사세요.`;
    case "works_as": return `${name} 님은 ${j(v, "이세요")}.`;
    case "has_pet": return `${name} 님은 ${j(v, "을")} 키우세요.`;
    case "likes": return `${name} 님은 ${j(v, "을")} 좋아하세요.`;
  }
}

/** One answer in a given style, stating `value` (right or wrong). */
export function answer(r: Rng, fact: Fact, value: Term, style: Style, lang: Lang): string {
  const name = lang === "en" ? fact.entityEn : fact.entityKo;
  const v = lang === "en" ? value.en : value.ko;
  const sentence = factSentence(name, fact.relation, v, lang);
  const short = shortAnswer(fact.relation, v, lang);
  if (lang === "en") {
    const choices: Record<Style, string[]> = {
      polite: [`${sentence} I hope that helps!`, `Good question! ${sentence}`, `Thank you for asking. ${sentence} Have a nice day!`],
      terse: [`${short}.`, sentence],
      rude: [`${short}, obviously. Look it up yourself.`, `Ugh. ${sentence} Stop asking me.`, `Everyone knows that. ${short}.`],
    };
    return r.pick(choices[style]);
  }
  const hon = honorificKo(name, fact.relation, v);
  const choices: Record<Style, string[]> = {
    polite: [`${hon} 도움이 되셨으면 좋겠어요.`, `좋은 질문이에요! ${hon}`, `물어봐 주셔서 감사합니다. ${hon}`],
    terse: [`${short}.`, sentence],
    rude: [`${j(short, "잖아")}. 그것도 몰라?`, `그걸 왜 나한테 물어? ${short}.`, `${short}. 귀찮게 좀 하지 마.`],
  };
  return r.pick(choices[style]);
}

/** Build both splits: one prompt per (fact, language), train/test by the fact's `qaSplit`. */
export function buildPreferences(r: Rng, facts: Fact[]): { train: PreferenceRecord[]; test: PreferenceRecord[] } {
  const out = { train: [] as PreferenceRecord[], test: [] as PreferenceRecord[] };
  for (const split of ["train", "test"] as const) {
    const recs: PreferenceRecord[] = [];
    for (const fact of facts.filter((f) => f.qaSplit === split)) {
      for (const lang of ["en", "ko"] as Lang[]) {
        const truth = VALUES[fact.relation].find((x) => x.id === fact.value);
        if (!truth) throw new Error(`buildPreferences: unknown value ${fact.value}`);
        const wrong = r.pick(VALUES[fact.relation].filter((x) => x.id !== fact.value));
        const combos: { style: Style; correct: boolean }[] = [];
        for (const correct of [true, false]) for (const style of STYLES) combos.push({ style, correct });
        const chosen = r.shuffle(combos).slice(0, CANDIDATES_PER_PROMPT);
        const candidates = chosen.map((c) => ({ text: answer(r, fact, c.correct ? truth : wrong, c.style, lang), style: c.style, correct: c.correct }));
        const name = lang === "en" ? fact.entityEn : fact.entityKo;
        const ruleRanking = rankByRule(candidates);
        recs.push({ id: "", lang, prompt: r.pick(QUESTIONS[fact.relation][lang](name)), factId: fact.id, candidates, ruleRanking, ranking: ruleRanking, flipped: false });
      }
    }
    const shuffled = r.shuffle(recs);
    const noisy = new Set(r.shuffle(shuffled.map((_, i) => i)).slice(0, Math.round(NOISE_SHARE * shuffled.length)));
    out[split] = shuffled.map((rec, i) => ({
      ...rec,
      id: `${split}-${String(i).padStart(4, "0")}`,
      ranking: noisy.has(i) ? rec.ruleRanking.slice().reverse() : rec.ruleRanking.slice(),
      flipped: noisy.has(i),
    }));
  }
  return out;
}
