/**
 * The small bilingual world every dataset is written from: cities, jobs,
 * animals, foods, the residents who have facts (full names, e.g. "Minji Kim" /
 * "김민지"), and the story characters who don't (first names only, e.g. "Tom",
 * "철수"). Word lists are fixed; `makeWorld(rng)` only decides who is who.
 */
import { Rng } from "../../random";

export type Lang = "en" | "ko";

/** A word or phrase in both languages. */
export interface Term {
  id: string;
  en: string;
  ko: string;
}

export type Setting = "sea" | "river" | "mountain" | "plain";

export interface City extends Term {
  /** What the city is next to; stories and scenes stay consistent with it. */
  setting: Setting;
}

/** A resident: the only people the fact table talks about. */
export interface Person {
  id: string;
  en: string; // "Minji Kim" (given name first)
  ko: string; // "김민지" (family name first, no space)
  city: string; // City id
  job: string; // Term id in JOBS
  pet: string; // Term id in ANIMALS
  food: string; // Term id in FOODS
}

/** A story character: never has facts, appears only in stories, scenes, dialogues. */
export interface Character {
  name: string;
  /** English pronouns; Korean stories repeat the name instead. */
  gender: "f" | "m";
}

export interface World {
  cities: City[];
  jobs: Term[];
  animals: Term[];
  foods: Term[];
  people: Person[];
}

const t = (id: string, en: string, ko: string): Term => ({ id, en, ko });
const c = (id: string, en: string, ko: string, setting: Setting): City => ({ id, en, ko, setting });

/** Invented towns, so no real-world knowledge helps (or hurts) a model. */
export const CITIES: City[] = [
  c("oakport", "Oakport", "오크포트", "sea"),
  c("redcliff", "Redcliff", "레드클리프", "sea"),
  c("gureumpo", "Gureumpo", "구름포", "sea"),
  c("rivergate", "Rivergate", "리버게이트", "river"),
  c("stonebridge", "Stonebridge", "스톤브리지", "river"),
  c("willowby", "Willowby", "윌로비", "river"),
  c("baramgol", "Baramgol", "바람골", "mountain"),
  c("dalmaru", "Dalmaru", "달마루", "mountain"),
  c("pinecrest", "Pinecrest", "파인크레스트", "mountain"),
  c("ashford", "Ashford", "애시퍼드", "plain"),
  c("sollim", "Sollim", "솔림", "plain"),
  c("nabigol", "Nabigol", "나비골", "plain"),
];

export const JOBS: Term[] = [
  t("baker", "baker", "제빵사"),
  t("teacher", "teacher", "교사"),
  t("doctor", "doctor", "의사"),
  t("farmer", "farmer", "농부"),
  t("fisher", "fisher", "어부"),
  t("nurse", "nurse", "간호사"),
  t("painter", "painter", "화가"),
  t("carpenter", "carpenter", "목수"),
  t("librarian", "librarian", "사서"),
  t("cook", "cook", "요리사"),
  t("musician", "musician", "음악가"),
  t("gardener", "gardener", "정원사"),
  t("engineer", "engineer", "기술자"),
];

export const ANIMALS: Term[] = [
  t("cat", "cat", "고양이"),
  t("dog", "dog", "강아지"),
  t("rabbit", "rabbit", "토끼"),
  t("parrot", "parrot", "앵무새"),
  t("hamster", "hamster", "햄스터"),
  t("turtle", "turtle", "거북이"),
  t("goldfish", "goldfish", "금붕어"),
  t("goat", "goat", "염소"),
  t("duck", "duck", "오리"),
  t("hedgehog", "hedgehog", "고슴도치"),
];

/** Foods as someone's favourite (English plural or mass nouns). */
export const FOODS: Term[] = [
  t("bread", "bread", "빵"),
  t("noodles", "noodles", "국수"),
  t("apples", "apples", "사과"),
  t("rice-cakes", "rice cakes", "떡"),
  t("dumplings", "dumplings", "만두"),
  t("kimchi", "kimchi", "김치"),
  t("tangerines", "tangerines", "귤"),
  t("cheese", "cheese", "치즈"),
  t("grapes", "grapes", "포도"),
  t("corn", "corn", "옥수수"),
  t("chocolate", "chocolate", "초콜릿"),
  t("plums", "plums", "자두"),
];

// Residents' names: romanized given name / Hangul, family name / Hangul.
const GIVEN: [string, string][] = [
  ["Minji", "민지"], ["Seojun", "서준"], ["Haeun", "하은"], ["Doyun", "도윤"],
  ["Jiwoo", "지우"], ["Seoyeon", "서연"], ["Siwoo", "시우"], ["Hajun", "하준"],
  ["Jia", "지아"], ["Yejun", "예준"], ["Sua", "수아"], ["Juwon", "주원"],
  ["Chaewon", "채원"], ["Gunwoo", "건우"], ["Yoonseo", "윤서"], ["Woojin", "우진"],
  ["Jimin", "지민"], ["Seoyun", "서윤"], ["Eunwoo", "은우"], ["Gaeun", "가은"],
  ["Harin", "하린"], ["Naeun", "나은"], ["Doha", "도하"], ["Yujin", "유진"],
];
const FAMILY: [string, string][] = [
  ["Kim", "김"], ["Lee", "이"], ["Park", "박"], ["Choi", "최"], ["Jung", "정"],
  ["Kang", "강"], ["Jo", "조"], ["Yoon", "윤"], ["Jang", "장"], ["Lim", "임"],
  ["Han", "한"], ["Oh", "오"], ["Seo", "서"], ["Shin", "신"], ["Kwon", "권"],
  ["Hwang", "황"], ["Ahn", "안"], ["Song", "송"], ["Yu", "유"], ["Hong", "홍"],
];

/** Story characters, one list per language (no overlap with residents' given names). */
export const CHARACTERS: Record<Lang, Character[]> = {
  en: [
    { name: "Tom", gender: "m" }, { name: "Anna", gender: "f" }, { name: "Ben", gender: "m" },
    { name: "Lily", gender: "f" }, { name: "Sam", gender: "m" }, { name: "Nora", gender: "f" },
    { name: "Leo", gender: "m" }, { name: "Mia", gender: "f" }, { name: "Max", gender: "m" },
    { name: "Ella", gender: "f" }, { name: "Jack", gender: "m" }, { name: "Ruby", gender: "f" },
    { name: "Finn", gender: "m" }, { name: "Zoe", gender: "f" }, { name: "Owen", gender: "m" },
    { name: "Ivy", gender: "f" },
  ],
  ko: [
    { name: "철수", gender: "m" }, { name: "영희", gender: "f" }, { name: "민수", gender: "m" },
    { name: "수진", gender: "f" }, { name: "지훈", gender: "m" }, { name: "유나", gender: "f" },
    { name: "현우", gender: "m" }, { name: "소연", gender: "f" }, { name: "태오", gender: "m" },
    { name: "다은", gender: "f" }, { name: "준호", gender: "m" }, { name: "예린", gender: "f" },
    { name: "동현", gender: "m" }, { name: "은지", gender: "f" }, { name: "재민", gender: "m" },
    { name: "세아", gender: "f" },
  ],
};

export const NUM_PEOPLE = 100;

/** Build the world: NUM_PEOPLE residents with distinct names and random attributes. */
export function makeWorld(rng: Rng): World {
  const names: [string, string][] = [];
  for (const [ge, gk] of GIVEN) for (const [fe, fk] of FAMILY) names.push([`${ge} ${fe}`, `${fk}${gk}`]);
  for (const [a] of names) {
    for (const [b] of names) {
      if (a !== b && b.startsWith(a)) throw new Error(`makeWorld: name "${a}" is a prefix of "${b}"; mention counts need prefix-free names`);
    }
  }
  const chosen = rng.shuffle(names).slice(0, NUM_PEOPLE);
  const people: Person[] = chosen.map(([en, ko], i) => ({
    id: `p${String(i).padStart(3, "0")}`,
    en,
    ko,
    city: rng.pick(CITIES).id,
    job: rng.pick(JOBS).id,
    pet: rng.pick(ANIMALS).id,
    food: rng.pick(FOODS).id,
  }));
  return { cities: CITIES, jobs: JOBS, animals: ANIMALS, foods: FOODS, people };
}

/** Look a term up by id (throws on a typo rather than printing "undefined"). */
export function term<T extends Term>(list: readonly T[], id: string): T {
  for (const x of list) if (x.id === id) return x;
  throw new Error(`Unknown id "${id}" in the world's word lists`);
}
