/**
 * Stage 3's data (chapter 08): people's rankings of answers, turned into preference pairs,
 * and the **gold** scorer — the labelling rule applied without noise to any answer text,
 * including the policy's own samples (possible only because we wrote the world).
 *
 *   rankingToPairs             one ranking of K answers → C(K, 2) (chosen, rejected) pairs
 *   LabelRule / HUMAN_RULE     how a labeller scores an answer: correct beats wrong, then polite > terse > rude
 *   rankByLabelRule            a record's ranking under any rule, reversed on the records labelled with noise
 *   preferencePairs            records → C(K, 2) (prompt, chosen, rejected) pairs as token ids
 *   answerStyle / answerIsCorrect / goldScore   the rule applied to a generated answer
 *   styleDemonstrations        the correct candidates in every style: what the policy must be able to write
 */
import type { Fact, Relation } from "../tools/datagen/facts";
import type { Candidate, PreferenceRecord, Style } from "../tools/datagen/preferences";
import type { Lang } from "../tools/datagen/world";
import { encodeExample, TextTokenizer } from "./finetune";
import { PromptResponse } from "./batches";
import { ValueName, relationValues } from "./hallucination";

export type { Style };

/** A prompt with a preferred and a dispreferred answer (token ids; answers end with the end token). */
export interface PreferencePair {
  prompt: number[];
  chosen: number[];
  rejected: number[];
}

/** All C(K, 2) pairs of a ranking, best first: every answer is preferred to every answer ranked below it. */
export function rankingToPairs<T>(ranking: T[]): { chosen: T; rejected: T }[] {
  const pairs: { chosen: T; rejected: T }[] = [];
  for (let i = 0; i < ranking.length; i++) for (let j = i + 1; j < ranking.length; j++) pairs.push({ chosen: ranking[i], rejected: ranking[j] });
  return pairs;
}

/** A labeller: a score for an answer (higher is better) from what a person sees — its style and whether it is right. */
export type LabelRule = (answer: { style: Style; correct: boolean }) => number;

/** The data set's human rule: 3 · correct + {polite 2, terse 1, rude 0}. */
export const HUMAN_RULE: LabelRule = (a) => (a.correct ? 3 : 0) + { polite: 2, terse: 1, rude: 0 }[a.style];

/**
 * A record's candidates best first under `rule`. With `noise` (default true) the records the
 * data set labelled with noise (`flipped`, exactly 10%) get the ranking reversed — the same
 * labellers make the same mistakes whatever rule they follow. Ties keep the candidates' order.
 */
export function rankByLabelRule(record: PreferenceRecord, rule: LabelRule = HUMAN_RULE, options: { noise?: boolean } = {}): number[] {
  const scores = record.candidates.map((c) => rule(c));
  scores.forEach((s, i) => {
    if (!Number.isFinite(s)) throw new Error(`rankByLabelRule: the rule gave ${s} for candidate ${i} of ${record.id} (${record.candidates[i].style}, ${record.candidates[i].correct ? "correct" : "wrong"}) — it must return a finite number.`);
  });
  const ranking = record.candidates.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return (options.noise ?? true) && record.flipped ? ranking.reverse() : ranking;
}

/** One (chosen, rejected) pair as text, with what the gold rule says of each. */
export interface TextPair {
  record: PreferenceRecord;
  chosen: Candidate;
  rejected: Candidate;
}

/**
 * Every pair of every record's ranking under `rule` (noisy labels by default). Pairs the rule
 * scores equal are left out: a labeller who likes two answers the same says nothing by ranking them.
 */
export function textPairs(records: PreferenceRecord[], rule: LabelRule = HUMAN_RULE, options: { noise?: boolean } = {}): TextPair[] {
  const out: TextPair[] = [];
  for (const record of records) {
    const ranking = rankByLabelRule(record, rule, options).map((i) => record.candidates[i]);
    for (const { chosen, rejected } of rankingToPairs(ranking)) if (rule(chosen) !== rule(rejected)) out.push({ record, chosen, rejected });
  }
  return out;
}

/** Text pairs as token ids with the chapter-07 template: prompt "Q: …\nA:", answers " <text>" + end token. */
export function preferencePairs(tokenizer: TextTokenizer, pairs: TextPair[]): PreferencePair[] {
  return pairs.map(({ record, chosen, rejected }) => {
    const c = encodeExample(tokenizer, record.prompt, chosen.text);
    return { prompt: c.prompt, chosen: c.response, rejected: encodeExample(tokenizer, record.prompt, rejected.text).response };
  });
}

/** The data set's correct candidates in every style, as fine-tuning examples (see chapter 08, "the answers people rank"). */
export function styleDemonstrations(tokenizer: TextTokenizer, records: PreferenceRecord[]): PromptResponse[] {
  return records.flatMap((r) => r.candidates.filter((c) => c.correct).map((c) => encodeExample(tokenizer, r.prompt, c.text)));
}

/** Phrases that make an answer polite or rude (those the data set's labellers were shown, both languages). */
export const STYLE_MARKERS: Record<"polite" | "rude", Record<Lang, string[]>> = {
  polite: {
    en: ["i hope that helps", "good question", "thank you for asking", "have a nice day"],
    ko: ["도움이 되셨으면", "좋은 질문이에요", "물어봐 주셔서 감사합니다", " 님은 "],
  },
  rude: {
    en: ["obviously", "look it up yourself", "ugh", "stop asking me", "everyone knows that"],
    ko: ["잖아", "그것도 몰라", "그걸 왜 나한테 물어", "귀찮게 좀 하지 마"],
  },
};

function hasMarker(text: string, style: "polite" | "rude"): boolean {
  const t = ` ${text.toLowerCase()} `;
  return [...STYLE_MARKERS[style].en, ...STYLE_MARKERS[style].ko].some((m) => (/^[a-z ]+$/.test(m) ? new RegExp(`\\b${m}\\b`).test(t) : t.includes(m)));
}

/** The style a labeller would see: rude if any rude phrase is there (rudeness spoils a polite answer), else polite if a polite one is, else terse. */
export function answerStyle(text: string): Style {
  if (hasMarker(text, "rude")) return "rude";
  return hasMarker(text, "polite") ? "polite" : "terse";
}

function mentions(text: string, value: ValueName): boolean {
  return new RegExp(`\\b${value.en.replace(/ /g, "\\s+")}\\b`, "i").test(text) || text.includes(value.ko);
}

/** The values an answer states for the fact's relation (in either language; the values are lib/eval's relationValues). */
export function statedValues(text: string, fact: Pick<Fact, "relation">): string[] {
  return relationValues(fact.relation).filter((v) => mentions(text, v)).map((v) => v.id);
}

/** Right = the answer states the fact's value and no other value of the relation (the name it uses is not checked). */
export function answerIsCorrect(text: string, fact: Pick<Fact, "relation" | "value">): boolean {
  const stated = statedValues(text, fact);
  return stated.length === 1 && stated[0] === fact.value;
}

/** What the gold labeller thinks of an answer: its style, whether it is right, and the rule's score. */
export interface GoldJudgement {
  style: Style;
  correct: boolean;
  score: number;
}

export function goldScore(text: string, fact: Pick<Fact, "relation" | "value">, rule: LabelRule = HUMAN_RULE): GoldJudgement {
  const a = { style: answerStyle(text), correct: answerIsCorrect(text, fact) };
  return { ...a, score: rule(a) };
}
