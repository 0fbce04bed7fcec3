/**
 * Fine-tuning pairs (chapter 07): questions about residents answered with the
 * fact's canonical sentence, and short stories summarized in one sentence, in
 * both languages. The test split asks about held-out facts (`qaSplit: "test"`)
 * and uses stories that appear nowhere else.
 */
import { Rng } from "../../random";
import { Fact, Relation } from "./facts";
import { storyText, tellStory } from "./stories";
import { josa as j } from "./text";
import { Lang } from "./world";

export interface InstructionRecord {
  id: string;
  task: "qa" | "summarize";
  lang: Lang;
  prompt: string;
  response: string;
  /** qa: the fact asked about and how often the corpus states it (see facts.jsonl). */
  factId?: string;
  mentions?: number;
  /** summarize: the story's plot. */
  plot?: string;
}

/** Question phrasings per relation (a resident's full name goes in). */
export const QUESTIONS: Record<Relation, Record<Lang, (name: string) => string[]>> = {
  lives_in: {
    en: (n) => [`Where does ${n} live?`, `In which city does ${n} live?`, `Which town is ${n}'s home?`],
    ko: (n) => [`${j(n, "은")} 어디에 사나요?`, `${j(n, "은")} 어느 도시에 살아요?`, `${j(n, "이")} 사는 곳은 어디인가요?`],
  },
  works_as: {
    en: (n) => [`What does ${n} do for a living?`, `What is ${n}'s job?`, `What work does ${n} do?`],
    ko: (n) => [`${j(n, "은")} 무슨 일을 하나요?`, `${n}의 직업은 무엇인가요?`, `${j(n, "은")} 어떤 일을 해요?`],
  },
  has_pet: {
    en: (n) => [`What pet does ${n} have?`, `Which animal does ${n} keep?`, `What kind of pet lives with ${n}?`],
    ko: (n) => [`${j(n, "은")} 어떤 동물을 키우나요?`, `${j(n, "이")} 키우는 동물은 무엇인가요?`, `${j(n, "은")} 무슨 동물을 길러요?`],
  },
  likes: {
    en: (n) => [`What food does ${n} like?`, `What does ${n} like to eat?`, `Which food is ${n}'s favorite?`],
    ko: (n) => [`${j(n, "은")} 어떤 음식을 좋아하나요?`, `${j(n, "이")} 좋아하는 음식은 무엇인가요?`, `${j(n, "은")} 무엇을 즐겨 먹어요?`],
  },
};

export const SUMMARIZE_PROMPT: Record<Lang, string> = {
  en: "Summarize the story in one sentence.",
  ko: "다음 이야기를 한 문장으로 요약하세요.",
};
/** Summarization pairs per language and split. */
export const SUMMARIES_PER_LANG = { train: 600, test: 100 };
/** Question phrasings per fact and language in the train split (test: one). */
export const QA_PHRASINGS_TRAIN = 2;

export function qaRecord(id: string, fact: Fact, lang: Lang, question: string): InstructionRecord {
  return {
    id,
    task: "qa",
    lang,
    prompt: question,
    response: lang === "en" ? fact.sentenceEn : fact.sentenceKo,
    factId: fact.id,
    mentions: fact.mentions,
  };
}

/**
 * Build both splits. `taken` holds texts that must not be reused (every corpus
 * document); test stories are also checked against `trainText` as substrings.
 */
export function buildInstructions(r: Rng, facts: Fact[], taken: Set<string>, trainText: string): { train: InstructionRecord[]; test: InstructionRecord[] } {
  const out = { train: [] as InstructionRecord[], test: [] as InstructionRecord[] };
  for (const split of ["train", "test"] as const) {
    const recs = out[split];
    for (const fact of facts.filter((f) => f.qaSplit === split)) {
      for (const lang of ["en", "ko"] as Lang[]) {
        const name = lang === "en" ? fact.entityEn : fact.entityKo;
        const qs = r.shuffle(QUESTIONS[fact.relation][lang](name)).slice(0, split === "train" ? QA_PHRASINGS_TRAIN : 1);
        for (const q of qs) recs.push(qaRecord("", fact, lang, q));
      }
    }
    for (const lang of ["en", "ko"] as Lang[]) {
      let made = 0;
      let misses = 0;
      while (made < SUMMARIES_PER_LANG[split]) {
        const story = tellStory(r, lang, true);
        const text = storyText(story);
        if (taken.has(text) || (split === "test" && trainText.includes(text))) {
          if (++misses > 10_000) throw new Error("buildInstructions: cannot find new stories");
          continue;
        }
        taken.add(text);
        recs.push({
          id: "",
          task: "summarize",
          lang,
          prompt: `${SUMMARIZE_PROMPT[lang]}\n${text}`,
          response: story.summary,
          plot: story.plot,
        });
        made++;
      }
    }
  }
  const number = (recs: InstructionRecord[], split: string) => recs.map((x, i) => ({ ...x, id: `${split}-${String(i).padStart(4, "0")}` }));
  return { train: number(r.shuffle(out.train), "train"), test: number(out.test, "test") };
}
