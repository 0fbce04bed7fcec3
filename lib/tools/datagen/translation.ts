/**
 * English → Korean pairs for the encoder–decoder chapter (04), two kinds:
 *
 * - "number": 1…9999 in words → Sino-Korean numerals
 *   ("three hundred twelve" → "삼백십이", "seventeen" → "십칠": the teens flip order).
 * - "sentence": short templated sentences; English is subject–verb–object–place–time,
 *   Korean is subject–time–place–object–verb ("Tom fed the cat at home yesterday."
 *   → "톰은 어제 집에서 고양이에게 먹이를 줬다.").
 *
 * Both are deterministic functions of their inputs, so the right answer is known.
 */
import { Rng } from "../../random";
import { cap, josa as j } from "./text";

export interface TranslationRecord {
  id: string;
  kind: "number" | "sentence";
  en: string;
  ko: string;
}

export const TRANSLATION_SIZES = {
  number: { train: 3000, test: 500 },
  sentence: { train: 4000, test: 500 },
};

// ---------------------------------------------------------------- numbers

const ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

/** 1…9999 in English words: 2025 → "two thousand twenty-five" (no "and"). */
export function numberToEnglish(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 9999) throw new Error(`numberToEnglish: expected an integer in 1…9999, got ${n}`);
  const parts: string[] = [];
  const th = Math.floor(n / 1000), h = Math.floor((n % 1000) / 100), rest = n % 100;
  if (th) parts.push(`${ONES[th]} thousand`);
  if (h) parts.push(`${ONES[h]} hundred`);
  if (rest >= 20) parts.push(TENS[Math.floor(rest / 10)] + (rest % 10 ? `-${ONES[rest % 10]}` : ""));
  else if (rest) parts.push(ONES[rest]);
  return parts.join(" ");
}

const KO_DIGITS = ["", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"];

/** 1…9999 in Sino-Korean: 312 → "삼백십이", 1010 → "천십" (a leading 일 is dropped before 십/백/천). */
export function numberToKorean(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 9999) throw new Error(`numberToKorean: expected an integer in 1…9999, got ${n}`);
  const units: [number, string][] = [[1000, "천"], [100, "백"], [10, "십"], [1, ""]];
  let out = "";
  for (const [size, unit] of units) {
    const d = Math.floor(n / size) % 10;
    if (d === 0) continue;
    out += (d === 1 && unit !== "" ? "" : KO_DIGITS[d]) + unit;
  }
  return out;
}

// ---------------------------------------------------------------- sentences

type ObjClass = "food" | "dish" | "animal" | "thing" | "readable";
interface Obj { en: string; ko: string; cls: ObjClass[] }
interface Verb { en: [string, string]; ko: [string, string]; objects: ObjClass[]; dative?: boolean }

const SUBJECTS: [string, string][] = [
  ["Tom", "톰"], ["Anna", "애나"], ["Ben", "벤"], ["Lily", "릴리"], ["Sam", "샘"], ["Nora", "노라"], ["Leo", "레오"], ["Mia", "미아"],
  ["Max", "맥스"], ["Ella", "엘라"], ["the baker", "제빵사"], ["the teacher", "선생님"], ["my friend", "내 친구"], ["the child", "아이"],
  ["the old fisher", "늙은 어부"], ["my grandmother", "할머니"],
];
const OBJECTS: Obj[] = [
  { en: "the bread", ko: "빵", cls: ["food"] }, { en: "the apples", ko: "사과", cls: ["food"] }, { en: "the rice cakes", ko: "떡", cls: ["food"] },
  { en: "the tangerines", ko: "귤", cls: ["food"] }, { en: "the cheese", ko: "치즈", cls: ["food"] }, { en: "the grapes", ko: "포도", cls: ["food"] },
  { en: "the corn", ko: "옥수수", cls: ["food", "dish"] }, { en: "the dumplings", ko: "만두", cls: ["food", "dish"] },
  { en: "the noodles", ko: "국수", cls: ["food", "dish"] }, { en: "the fried rice", ko: "볶음밥", cls: ["food", "dish"] },
  { en: "the cat", ko: "고양이", cls: ["animal"] }, { en: "the dog", ko: "강아지", cls: ["animal"] }, { en: "the rabbit", ko: "토끼", cls: ["animal"] },
  { en: "the duck", ko: "오리", cls: ["animal"] }, { en: "the goat", ko: "염소", cls: ["animal"] }, { en: "the parrot", ko: "앵무새", cls: ["animal"] },
  { en: "the umbrella", ko: "우산", cls: ["thing"] }, { en: "the bag", ko: "가방", cls: ["thing"] }, { en: "the kite", ko: "연", cls: ["thing"] },
  { en: "the hat", ko: "모자", cls: ["thing"] }, { en: "the box", ko: "상자", cls: ["thing"] }, { en: "the chair", ko: "의자", cls: ["thing"] },
  { en: "the book", ko: "책", cls: ["thing", "readable"] }, { en: "the letter", ko: "편지", cls: ["thing", "readable"] },
  { en: "the map", ko: "지도", cls: ["thing", "readable"] }, { en: "the newspaper", ko: "신문", cls: ["thing", "readable"] },
];
const VERBS: Verb[] = [
  { en: ["eats", "ate"], ko: ["먹는다", "먹었다"], objects: ["food"] },
  { en: ["buys", "bought"], ko: ["산다", "샀다"], objects: ["food", "thing"] },
  { en: ["sells", "sold"], ko: ["판다", "팔았다"], objects: ["food", "thing"] },
  { en: ["cooks", "cooked"], ko: ["요리한다", "요리했다"], objects: ["dish"] },
  { en: ["finds", "found"], ko: ["찾는다", "찾았다"], objects: ["animal", "thing"] },
  { en: ["sees", "saw"], ko: ["본다", "봤다"], objects: ["animal", "thing"] },
  { en: ["draws", "drew"], ko: ["그린다", "그렸다"], objects: ["animal", "thing"] },
  { en: ["feeds", "fed"], ko: ["먹이를 준다", "먹이를 줬다"], objects: ["animal"], dative: true },
  { en: ["washes", "washed"], ko: ["씻긴다", "씻겼다"], objects: ["animal"] },
  { en: ["reads", "read"], ko: ["읽는다", "읽었다"], objects: ["readable"] },
  { en: ["carries", "carried"], ko: ["나른다", "날랐다"], objects: ["thing"] },
];
const PLACES: [string, string][] = [
  ["at the market", "시장에서"], ["in the park", "공원에서"], ["at the bank", "은행에서"], ["at home", "집에서"],
  ["by the river", "강가에서"], ["at school", "학교에서"], ["in the garden", "정원에서"], ["at the station", "역에서"],
];
/** Time words; `tense` limits which tense they go with (0 present, 1 past). */
const TIMES: { en: string; ko: string; tense?: 0 | 1 }[] = [
  { en: "in the morning", ko: "아침에" }, { en: "in the evening", ko: "저녁에" }, { en: "on Sunday", ko: "일요일에" },
  { en: "today", ko: "오늘" }, { en: "yesterday", ko: "어제", tense: 1 }, { en: "every day", ko: "매일", tense: 0 },
];

/** One random sentence pair. */
export function sentencePair(r: Rng): { en: string; ko: string } {
  const [sEn, sKo] = r.pick(SUBJECTS);
  const verb = r.pick(VERBS);
  const obj = r.pick(OBJECTS.filter((o) => o.cls.some((c) => verb.objects.includes(c))));
  const [pEn, pKo] = r.pick(PLACES);
  const time = r.next() < 0.6 ? r.pick(TIMES) : null;
  const tense = time && time.tense !== undefined ? time.tense : r.int(2);
  const en = [sEn, verb.en[tense], obj.en, pEn, time ? time.en : ""].filter((x) => x).join(" ");
  const objKo = verb.dative ? `${obj.ko}에게` : j(obj.ko, "을");
  const ko = [j(sKo, "은"), time ? time.ko : "", pKo, objKo, verb.ko[tense]].filter((x) => x).join(" ");
  return { en: `${cap(en)}.`, ko: `${ko}.` };
}

/** Both kinds, both splits; test sources never appear in train. */
export function buildTranslation(r: Rng): { train: TranslationRecord[]; test: TranslationRecord[] } {
  const nums = r.shuffle(Array.from({ length: 9999 }, (_, i) => i + 1));
  const numPair = (n: number) => ({ kind: "number" as const, en: numberToEnglish(n), ko: numberToKorean(n) });
  const numTest = nums.slice(0, TRANSLATION_SIZES.number.test).map(numPair);
  const numTrain = nums.slice(TRANSLATION_SIZES.number.test, TRANSLATION_SIZES.number.test + TRANSLATION_SIZES.number.train).map(numPair);

  const seen = new Set<string>();
  const draw = (count: number) => {
    const out: { kind: "sentence"; en: string; ko: string }[] = [];
    let misses = 0;
    while (out.length < count) {
      const pair = sentencePair(r);
      if (seen.has(pair.en)) {
        if (++misses > 100_000) throw new Error("buildTranslation: ran out of new sentences");
        continue;
      }
      seen.add(pair.en);
      out.push({ kind: "sentence", ...pair });
    }
    return out;
  };
  const senTest = draw(TRANSLATION_SIZES.sentence.test);
  const senTrain = draw(TRANSLATION_SIZES.sentence.train);
  const number = (recs: Omit<TranslationRecord, "id">[], split: string): TranslationRecord[] =>
    recs.map((x, i) => ({ id: `${split}-${String(i).padStart(4, "0")}`, ...x }));
  return { train: number(r.shuffle([...numTrain, ...senTrain]), "train"), test: number(r.shuffle([...numTest, ...senTest]), "test") };
}
