/**
 * Short stories with a little plot, in English or Korean, and a one-sentence
 * summary written from the same plot (the ground truth for the summarization
 * instructions). Each plot chooses its cast first, then every line of the
 * story picks one of a few phrasings; lines marked optional are sometimes left
 * out (and always left out in `short` stories).
 *
 * Story characters ("Tom", "철수") never have facts; residents never appear here.
 */
import { Rng } from "../../random";
import { josa as j, withArticle as a } from "./text";
import { ANIMALS, CHARACTERS, CITIES, Character, City, FOODS, JOBS, Lang, Term, term } from "./world";

export interface Story {
  plot: string;
  lang: Lang;
  sentences: string[];
  summary: string;
}

/** One line of a story: alternatives to pick from; optional lines may be skipped. */
interface Line {
  alts: string[];
  optional: boolean;
}
const L = (...alts: string[]): Line => ({ alts, optional: false });
const O = (...alts: string[]): Line => ({ alts, optional: true });

interface PlotDef<C> {
  name: string;
  cast(r: Rng, lang: Lang): C;
  en(c: C): Line[];
  ko(c: C): Line[];
  summaryEn(c: C): string;
  summaryKo(c: C): string;
}

export interface Plot {
  name: string;
  tell(r: Rng, lang: Lang, short?: boolean): Story;
}

function plot<C>(def: PlotDef<C>): Plot {
  return {
    name: def.name,
    tell(r: Rng, lang: Lang, short = false): Story {
      const c = def.cast(r, lang);
      const lines = lang === "en" ? def.en(c) : def.ko(c);
      const sentences: string[] = [];
      for (const line of lines) {
        if (line.optional && (short || r.next() < 0.5)) continue;
        sentences.push(r.pick(line.alts));
      }
      return { plot: def.name, lang, sentences, summary: lang === "en" ? def.summaryEn(c) : def.summaryKo(c) };
    },
  };
}

// ---------------------------------------------------------------- shared pieces

export interface Pron { he: string; him: string; his: string; He: string; His: string }
/** English pronouns of a character (also used by scenes.ts). */
export function pron(ch: Character): Pron {
  return ch.gender === "f"
    ? { he: "she", him: "her", his: "her", He: "She", His: "Her" }
    : { he: "he", him: "him", his: "his", He: "He", His: "His" };
}

/** Two different story characters. */
function two(r: Rng, lang: Lang): [Character, Character] {
  const [x, y] = r.shuffle(CHARACTERS[lang]);
  return [x, y];
}

const p = (id: string, en: string, ko: string): Term => ({ id, en, ko });

export const TIMES: Term[] = [p("morning", "One morning", "어느 날 아침"), p("afternoon", "One afternoon", "어느 날 오후"), p("evening", "One evening", "어느 날 저녁")];
export const DAYS: Term[] = [
  p("mon", "Monday", "월요일"), p("tue", "Tuesday", "화요일"), p("wed", "Wednesday", "수요일"), p("thu", "Thursday", "목요일"),
  p("fri", "Friday", "금요일"), p("sat", "Saturday", "토요일"), p("sun", "Sunday", "일요일"),
];
export const SEASONS: Term[] = [p("spring", "spring", "봄"), p("summer", "summer", "여름"), p("autumn", "autumn", "가을"), p("winter", "winter", "겨울")];
/** Places inside any town. */
export const PLACES: Term[] = [p("market", "market", "시장"), p("park", "park", "공원"), p("station", "station", "역"), p("square", "square", "광장"), p("library", "library", "도서관")];
export const DISHES: Term[] = [
  p("noodle-soup", "noodle soup", "국수"), p("dumplings", "dumplings", "만두"), p("kimchi-stew", "kimchi stew", "김치찌개"),
  p("pancakes", "vegetable pancakes", "부침개"), p("fried-rice", "fried rice", "볶음밥"), p("tteokbokki", "spicy rice cakes", "떡볶이"),
];

function cityOf(r: Rng, settings?: string[]): City {
  return r.pick(settings ? CITIES.filter((x) => settings.includes(x.setting)) : CITIES);
}

// ---------------------------------------------------------------- 1. lost pet

const PET_NAMES: Record<Lang, string[]> = {
  en: ["Coco", "Biscuit", "Pepper", "Momo", "Lucky", "Sunny", "Pip", "Button"],
  ko: ["초코", "두부", "콩이", "보리", "몽이", "해피", "까미", "구름이"],
};
const SPOTS: Term[] = [p("bench", "under the bench", "벤치 밑"), p("bakery", "behind the bakery", "빵집 뒤"), p("fountain", "next to the fountain", "분수대 옆"), p("box", "inside an empty box", "빈 상자 안")];

const lostPet = plot({
  name: "lost-pet",
  cast: (r: Rng, lang: Lang) => ({
    hero: r.pick(CHARACTERS[lang]),
    pet: r.pick(ANIMALS.filter((x) => x.id !== "goldfish" && x.id !== "turtle")),
    name: r.pick(PET_NAMES[lang]),
    place: r.pick(PLACES.filter((x) => x.id !== "library")),
    spot: r.pick(SPOTS),
    helper: r.pick(JOBS),
    city: cityOf(r),
    time: r.pick(TIMES),
    food: r.pick(FOODS),
  }),
  en: (c) => {
    const H = c.hero.name, n = c.name, pl = c.place.en, s = pron(c.hero);
    const escaped = c.pet.id === "parrot" || c.pet.id === "duck" ? "flew away" : "ran off";
    return [
      L(`${H} lived in ${c.city.en} with ${s.his} ${c.pet.en} ${n}.`, `${H} had a little ${c.pet.en} named ${n}.`, `In ${c.city.en}, a ${c.pet.en} named ${n} lived with ${H}.`),
      L(`${c.time.en}, ${H} took ${n} to the ${pl}.`, `${c.time.en}, ${H} and ${n} went to the ${pl} together.`),
      O(`The ${pl} was crowded and noisy.`, `There were people everywhere, and the air smelled of ${c.food.en}.`),
      L(`When ${H} looked away for a moment, ${n} ${escaped}.`, `Suddenly ${n} ${escaped}.`),
      L(`${H} called ${n}'s name again and again.`, `${s.He} searched every corner of the ${pl}, but ${n} was nowhere to be found.`, `${H} ran up and down the ${pl}, calling for ${n}.`),
      O(`${s.He} was close to tears.`, `${s.His} heart was beating fast.`),
      L(`Then ${a(c.helper.en)} said, "I saw a little ${c.pet.en} ${c.spot.en}."`, `A kind ${c.helper.en} pointed and said, "Look ${c.spot.en}!"`),
      L(`${H} hurried there and found ${n} ${c.spot.en}.`, `There was ${n}, sitting ${c.spot.en} as if nothing had happened.`),
      L(`${H} thanked the ${c.helper.en} and carried ${n} home.`, `From that day on, ${H} kept a close eye on ${n}.`, `That night, ${n} slept at the foot of ${H}'s bed.`),
    ];
  },
  ko: (c) => {
    const H = c.hero.name, n = c.name, pl = c.place.ko, sp = c.spot.ko, hp = c.helper.ko;
    const esc = c.pet.id === "parrot" || c.pet.id === "duck" ? "날아가 버렸다" : "달아났다";
    return [
      L(`${j(H, "은")} ${c.city.ko}에서 ${j(n, "이라는")} ${j(c.pet.ko, "와")} 함께 살았다.`, `${H}에게는 ${j(n, "이라는")} 작은 ${j(c.pet.ko, "가")} 있었다.`),
      L(`${c.time.ko} ${j(H, "은")} ${j(n, "를")} 데리고 ${pl}에 갔다.`, `${c.time.ko} ${j(H, "은")} ${j(n, "와")} 함께 ${pl}에 나갔다.`),
      O(`${pl}에는 사람이 무척 많았다.`, `${j(pl, "은")} 시끄럽고 복잡했다.`),
      L(`${j(H, "이")} 잠깐 한눈을 판 사이에 ${j(n, "이")} ${esc}.`, `갑자기 ${j(n, "이")} ${esc}.`),
      L(`${j(H, "은")} ${n}의 이름을 부르며 여기저기 찾아다녔다.`, `${j(H, "은")} ${pl} 구석구석을 살폈지만 ${j(n, "은")} 보이지 않았다.`),
      O(`${j(H, "은")} 눈물이 날 것 같았다.`, `가슴이 두근거렸다.`),
      L(`그때 한 ${j(hp, "이")} "${sp}에서 작은 ${j(c.pet.ko, "를")} 봤어요."라고 말했다.`, `친절한 ${j(hp, "이")} ${j(sp, "을")} 가리켰다.`),
      L(`${j(H, "은")} 서둘러 달려가 ${sp}에서 ${j(n, "을")} 찾았다.`, `${sp}에 ${j(n, "이")} 아무 일 없었다는 듯 앉아 있었다.`),
      L(`${j(H, "은")} ${hp}에게 고맙다고 인사하고 ${j(n, "을")} 안고 집으로 돌아왔다.`, `그날 이후 ${j(H, "은")} ${j(n, "을")} 한시도 눈에서 떼지 않았다.`),
    ];
  },
  summaryEn: (c) => `${c.hero.name} lost ${pron(c.hero).his} ${c.pet.en} ${c.name} at the ${c.place.en}, and ${a(c.helper.en)} helped ${pron(c.hero).him} find it.`,
  summaryKo: (c) => `${j(c.hero.name, "은")} ${c.place.ko}에서 ${c.pet.ko} ${j(c.name, "을")} 잃어버렸지만 ${c.helper.ko}의 도움으로 다시 찾았다.`,
});

// ---------------------------------------------------------------- 2. bank errand (bank + money)

interface Gift extends Term { shopEn: string; shopKo: string }
const GIFTS: Gift[] = [
  { id: "scarf", en: "scarf", ko: "목도리", shopEn: "clothing shop", shopKo: "옷가게" },
  { id: "book", en: "book", ko: "책", shopEn: "bookshop", shopKo: "서점" },
  { id: "cake", en: "cake", ko: "케이크", shopEn: "bakery", shopKo: "빵집" },
  { id: "kite", en: "kite", ko: "연", shopEn: "toy shop", shopKo: "장난감 가게" },
  { id: "flowers", en: "bunch of flowers", ko: "꽃다발", shopEn: "flower shop", shopKo: "꽃집" },
  { id: "watch", en: "watch", ko: "손목시계", shopEn: "watch shop", shopKo: "시계방" },
  { id: "music-box", en: "music box", ko: "오르골", shopEn: "toy shop", shopKo: "장난감 가게" },
];
const OCCASIONS: Term[] = [p("birthday", "birthday", "생일"), p("graduation", "graduation", "졸업"), p("housewarming", "housewarming", "집들이")];

const bankErrand = plot({
  name: "bank-errand",
  cast: (r: Rng, lang: Lang) => {
    const [hero, friend] = two(r, lang);
    return { hero, friend, gift: r.pick(GIFTS), occasion: r.pick(OCCASIONS), city: cityOf(r), time: r.pick(["morning", "afternoon"]) };
  },
  en: (c) => {
    const H = c.hero.name, F = c.friend.name, s = pron(c.hero), f = pron(c.friend), g = c.gift.en, oc = c.occasion.en;
    return [
      L(`${H} wanted to buy ${a(g)} for ${F}'s ${oc}.`, `${F}'s ${oc} was coming, and ${H} wanted to give ${f.him} ${a(g)}.`),
      L(`But ${s.his} wallet was empty.`, `${s.He} opened ${s.his} wallet and found only a few coins.`, `There was not enough money in ${s.his} pocket.`),
      L(`So ${H} went to the bank and withdrew money.`, `So ${s.he} went to the bank in ${c.city.en} and withdrew some money.`, `${H} walked to the bank and took money out of ${s.his} account.`, `${H} went to the bank to withdraw money.`),
      O(`The line at the bank was long, but ${H} waited patiently.`, `The clerk at the bank counted the money twice.`, `The bank was quiet that ${c.time}.`),
      L(`With the money in ${s.his} pocket, ${s.he} went to the ${c.gift.shopEn} and bought ${a(g)}.`, `Then ${s.he} went to the ${c.gift.shopEn} and paid for ${a(g)}.`),
      O(`${s.He} wrapped it in colorful paper.`, `${s.He} wrote a short card to go with it.`),
      L(`${F} smiled when ${f.he} opened the present.`, `When ${F} saw the gift, ${f.he} laughed with joy.`, `${F} hugged ${H} and said it was the best present ever.`),
    ];
  },
  ko: (c) => {
    const H = c.hero.name, F = c.friend.name, g = c.gift.ko, oc = c.occasion.ko;
    return [
      L(`${j(H, "은")} ${F}의 ${oc} 선물로 ${j(g, "을")} 사고 싶었다.`, `${F}의 ${j(oc, "이")} 다가오자 ${j(H, "은")} ${j(g, "을")} 선물하고 싶었다.`),
      L(`하지만 지갑에는 돈이 없었다.`, `지갑을 열어 보니 동전 몇 개뿐이었다.`, `주머니에 돈이 부족했다.`),
      L(`그래서 ${j(H, "은")} 은행 앞에 가서 돈을 찾았다.`, `${j(H, "은")} ${c.city.ko}에 있는 은행에 가서 돈을 찾았다.`, `${j(H, "은")} 은행에 들러 돈을 조금 찾았다.`, `${j(H, "은")} 은행 앞 현금인출기에서 돈을 뽑았다.`),
      O(`은행에는 사람이 많았지만 ${j(H, "은")} 차분히 기다렸다.`, `은행 직원이 돈을 두 번 세어 주었다.`, `그날 은행은 조용했다.`),
      L(`${j(H, "은")} 그 돈으로 ${c.gift.shopKo}에서 ${j(g, "을")} 샀다.`, `${j(H, "은")} ${c.gift.shopKo}에 가서 ${j(g, "을")} 샀다.`),
      O(`${j(H, "은")} 선물을 예쁜 종이로 포장했다.`, `${j(H, "은")} 짧은 카드도 한 장 썼다.`),
      L(`선물을 받은 ${j(F, "은")} 환하게 웃었다.`, `${j(F, "은")} 선물을 열어 보고 무척 기뻐했다.`, `${j(F, "은")} ${j(H, "을")} 꼭 안아 주었다.`),
    ];
  },
  summaryEn: (c) => `${c.hero.name} withdrew money at the bank to buy ${a(c.gift.en)} for ${c.friend.name}'s ${c.occasion.en}.`,
  summaryKo: (c) => `${j(c.hero.name, "은")} ${c.friend.name}의 ${c.occasion.ko} 선물로 ${j(c.gift.ko, "을")} 사려고 은행에서 돈을 찾았다.`,
});

// ---------------------------------------------------------------- 3. journey

interface Transport extends Term { takeEn: (his: string) => string }
const TRANSPORTS: Transport[] = [
  { id: "train", en: "train", ko: "기차", takeEn: () => "took the train" },
  { id: "bus", en: "bus", ko: "버스", takeEn: () => "took the bus" },
  { id: "boat", en: "boat", ko: "배", takeEn: () => "took the boat" },
  { id: "bicycle", en: "bicycle", ko: "자전거", takeEn: (his) => `rode ${his} bicycle` },
];
const SCENERY: Record<string, Term> = {
  sea: p("sea", "the blue sea", "푸른 바다"),
  river: p("river", "the wide river", "넓은 강"),
  mountain: p("mountain", "the green mountains", "푸른 산"),
  plain: p("plain", "the golden fields", "황금빛 들판"),
};

const journey = plot({
  name: "journey",
  cast: (r: Rng, lang: Lang) => {
    const [hero, friend] = two(r, lang);
    const [from, to] = r.shuffle(CITIES);
    const waterBoth = from.setting !== "mountain" && from.setting !== "plain" && to.setting !== "mountain" && to.setting !== "plain";
    const tr = r.pick(TRANSPORTS.filter((x) => x.id !== "boat" || waterBoth));
    const problems = tr.id === "bicycle" ? ["rain", "flat"] : ["rain", "delay", "asleep"];
    return { hero, friend, from, to, tr, problem: r.pick(problems), season: r.pick(SEASONS), food: r.pick(DISHES) };
  },
  en: (c) => {
    const H = c.hero.name, F = c.friend.name, s = pron(c.hero), tr = c.tr.en, sc = SCENERY[c.to.setting].en;
    const problem: Record<string, string[]> = {
      rain: [`Halfway there, heavy rain began to fall.`, `On the way, dark clouds came and it started to pour.`],
      delay: [`The ${tr} stopped for an hour because a tree had fallen across the way.`, `The ${tr} was late, and ${H} waited for a long time.`],
      asleep: [`${H} fell asleep and almost missed ${s.his} stop.`],
      flat: [`On a steep hill, ${s.his} bicycle got a flat tire.`, `Halfway there, a nail gave ${s.his} bicycle a flat tire.`],
    };
    return [
      L(`${H} lived in ${c.from.en}, and ${s.his} friend ${F} lived in ${c.to.en}.`, `${H} had not seen ${s.his} friend ${F} for a long time.`),
      L(`One ${c.season.en} morning, ${s.he} decided to visit ${F} in ${c.to.en}.`, `So ${s.he} packed a small bag and set off for ${c.to.en}.`),
      L(`${s.He} ${c.tr.takeEn(s.his)} from ${c.from.en}.`, `Early in the morning, ${H} ${c.tr.takeEn(s.his)} out of ${c.from.en}.`),
      L(...problem[c.problem]),
      O(`${s.He} looked at ${sc} and felt calm.`, `Along the way, ${H} watched ${sc} go by.`),
      L(`When ${s.he} finally arrived in ${c.to.en}, ${F} was waiting for ${s.him}.`, `It was almost dark when ${s.he} reached ${c.to.en}, but ${F} was still waiting.`),
      L(`They ate ${c.food.en} together and talked until late at night.`, `The two friends laughed about the long trip.`),
    ];
  },
  ko: (c) => {
    const H = c.hero.name, F = c.friend.name, tr = c.tr.ko, sc = SCENERY[c.to.setting].ko;
    const problem: Record<string, string[]> = {
      rain: [`가는 길에 갑자기 비가 쏟아졌다.`, `도중에 먹구름이 몰려오더니 비가 내리기 시작했다.`],
      delay: [`쓰러진 나무 때문에 ${j(tr, "이")} 한 시간이나 멈춰 섰다.`, `${j(tr, "가")} 늦게 와서 ${j(H, "은")} 한참을 기다렸다.`],
      asleep: [`${j(H, "은")} 깜빡 잠이 들어 내릴 곳을 놓칠 뻔했다.`],
      flat: [`가파른 언덕에서 자전거 바퀴에 구멍이 났다.`, `도중에 못이 박혀 자전거 바퀴가 터졌다.`],
    };
    return [
      L(`${j(H, "은")} ${c.from.ko}에 살았고, 친구 ${j(F, "은")} ${c.to.ko}에 살았다.`, `${j(H, "은")} 오랫동안 친구 ${j(F, "를")} 보지 못했다.`),
      L(`어느 ${c.season.ko} 아침, ${j(H, "은")} ${c.to.ko}에 있는 ${j(F, "을")} 만나러 가기로 했다.`, `${j(H, "은")} 작은 가방을 챙겨 ${j(c.to.ko, "으로")} 떠났다.`),
      L(`${j(H, "은")} ${c.from.ko}에서 ${j(tr, "를")} 탔다.`, `이른 아침 ${j(H, "은")} ${j(tr, "를")} 타고 ${j(c.from.ko, "을")} 떠났다.`),
      L(...problem[c.problem]),
      O(`${j(H, "은")} ${j(sc, "을")} 바라보며 마음을 놓았다.`, `가는 길 내내 ${j(sc, "이")} 펼쳐졌다.`),
      L(`마침내 ${c.to.ko}에 도착하자 ${j(F, "가")} 기다리고 있었다.`, `${c.to.ko}에 닿았을 때는 날이 어두웠지만 ${j(F, "은")} 여전히 기다리고 있었다.`),
      L(`두 사람은 함께 ${j(c.food.ko, "을")} 먹으며 밤늦도록 이야기를 나누었다.`, `두 친구는 긴 여행 이야기를 하며 웃었다.`),
    ];
  },
  summaryEn: (c) => {
    const s = pron(c.hero);
    const why: Record<string, string> = { rain: "it rained on the way", delay: `the ${c.tr.en} was delayed`, asleep: `${s.he} almost missed ${s.his} stop`, flat: `${s.his} bicycle got a flat tire` };
    return `${c.hero.name} traveled from ${c.from.en} to ${c.to.en} by ${c.tr.en} to visit ${c.friend.name}, even though ${why[c.problem]}.`;
  },
  summaryKo: (c) => {
    const why: Record<string, string> = { rain: "도중에 비가 내렸지만", delay: `도중에 ${j(c.tr.ko, "가")} 늦어졌지만`, asleep: "내릴 곳을 놓칠 뻔했지만", flat: "자전거 바퀴에 구멍이 났지만" };
    return `${j(c.hero.name, "은")} ${why[c.problem]} ${j(c.tr.ko, "를")} 타고 ${c.from.ko}에서 ${c.to.ko}까지 가서 ${j(c.friend.name, "를")} 만났다.`;
  },
});

// ---------------------------------------------------------------- 4. cooking

const INGREDIENTS: Term[] = [p("salt", "salt", "소금"), p("eggs", "eggs", "달걀"), p("onions", "onions", "양파"), p("flour", "flour", "밀가루"), p("garlic", "garlic", "마늘"), p("green-onions", "green onions", "파")];

const cooking = plot({
  name: "cooking",
  cast: (r: Rng, lang: Lang) => {
    const [hero, friend] = two(r, lang);
    return { hero, friend, dish: r.pick(DISHES), ing: r.pick(INGREDIENTS), fromMarket: r.next() < 0.5, neighbor: r.pick(JOBS) };
  },
  en: (c) => {
    const H = c.hero.name, F = c.friend.name, s = pron(c.hero), f = pron(c.friend), d = c.dish.en, i = c.ing.en;
    return [
      L(`${F} was coming for dinner, so ${H} decided to make ${d}.`, `${H} wanted to cook ${d} for ${s.his} friend ${F}.`),
      L(`But ${s.he} had run out of ${i}.`, `${s.He} opened the cupboard and found that ${s.he} had run out of ${i}.`),
      c.fromMarket
        ? L(`${H} hurried to the market and bought some ${i}.`, `${s.He} ran to the market just before it closed and bought ${i}.`)
        : L(`${s.His} neighbor, ${a(c.neighbor.en)}, lent ${s.him} some ${i}.`, `${H} knocked on the door of ${s.his} neighbor, ${a(c.neighbor.en)}, who gave ${s.him} some ${i}.`),
      O(`Soon the kitchen smelled wonderful.`, `${H} cooked slowly and tasted the ${d} again and again.`),
      L(`When ${F} arrived, dinner was ready.`, `${F} knocked on the door just as dinner was ready.`),
      L(`${F} ate every last bite and asked for the recipe.`, `${F} said it was the best ${d} ${f.he} had ever eaten.`),
    ];
  },
  ko: (c) => {
    const H = c.hero.name, F = c.friend.name, d = c.dish.ko, i = c.ing.ko, nb = c.neighbor.ko;
    return [
      L(`${j(F, "가")} 저녁을 먹으러 오기로 해서 ${j(H, "은")} ${j(d, "를")} 만들기로 했다.`, `${j(H, "은")} 친구 ${F}에게 ${j(d, "를")} 만들어 주고 싶었다.`),
      L(`그런데 부엌에 ${j(i, "이")} 하나도 없었다.`, `찬장을 열어 보니 ${j(i, "이")} 다 떨어지고 없었다.`),
      c.fromMarket
        ? L(`${j(H, "은")} 서둘러 시장에 가서 ${j(i, "을")} 샀다.`, `${j(H, "은")} 문 닫기 직전의 시장으로 달려가 ${j(i, "을")} 샀다.`)
        : L(`이웃에 사는 ${j(nb, "가")} ${j(i, "을")} 조금 나누어 주었다.`, `${j(H, "은")} 옆집 ${nb}에게 ${j(i, "을")} 빌렸다.`),
      O(`곧 부엌에 맛있는 냄새가 가득했다.`, `${j(H, "은")} 천천히 요리하며 여러 번 맛을 보았다.`),
      L(`${j(F, "가")} 도착했을 때 저녁이 준비되어 있었다.`, `저녁이 다 될 무렵 ${j(F, "가")} 문을 두드렸다.`),
      L(`${j(F, "은")} 한 그릇을 싹 비우고 만드는 법을 물었다.`, `${j(F, "은")} 이렇게 맛있는 ${j(d, "는")} 처음이라고 말했다.`),
    ];
  },
  summaryEn: (c) => `${c.hero.name} made ${c.dish.en} for ${c.friend.name} after getting ${c.ing.en} ${c.fromMarket ? "at the market" : "from a neighbor"}.`,
  summaryKo: (c) => `${j(c.hero.name, "은")} ${c.fromMarket ? "시장에서" : "이웃에게서"} ${j(c.ing.ko, "을")} 구해 ${c.friend.name}에게 ${j(c.dish.ko, "를")} 만들어 주었다.`,
});

// ---------------------------------------------------------------- 5. a day at work

interface WorkTale {
  job: string;
  settings?: string[];
  en: (H: string, s: Pron, c: { city: City; crop: Term }) => Line[];
  ko: (H: string, c: { city: City; crop: Term }) => Line[];
  summaryEn: (H: string, s: Pron, c: { city: City; crop: Term }) => string;
  summaryKo: (H: string, c: { city: City; crop: Term }) => string;
}
const CROPS: Term[] = [p("corn", "corn", "옥수수"), p("wheat", "wheat", "밀"), p("rice", "rice", "벼")];
const WORK: WorkTale[] = [
  {
    job: "baker",
    en: (H, s) => [L(`One morning, ${s.his} oven would not heat up.`, `One cold morning, the old oven in ${s.his} bakery broke.`), L(`${s.He} carried the dough to a neighbor's kitchen and baked the bread there.`), L(`By noon, the whole street smelled of fresh bread.`, `The customers never knew that anything had gone wrong.`)],
    ko: (H) => [L(`어느 날 아침 빵집의 오븐이 켜지지 않았다.`, `추운 아침, 오래된 오븐이 고장 났다.`), L(`${j(H, "은")} 반죽을 이웃집 부엌으로 옮겨 그곳에서 빵을 구웠다.`), L(`점심 무렵 온 거리에 갓 구운 빵 냄새가 퍼졌다.`, `손님들은 무슨 일이 있었는지 전혀 몰랐다.`)],
    summaryEn: (H) => `When the oven broke, ${H} the baker baked the bread in a neighbor's kitchen.`,
    summaryKo: (H) => `제빵사 ${j(H, "은")} 오븐이 고장 나자 이웃집 부엌에서 빵을 구웠다.`,
  },
  {
    job: "fisher",
    settings: ["sea", "river"],
    en: (H, s) => [L(`One day, a storm kept all the boats on the shore.`, `One morning, the wind was so strong that no boat could go out.`), L(`Instead of fishing, ${H} mended ${s.his} torn nets.`), L(`The next morning the water was calm, and ${s.he} caught many fish.`)],
    ko: (H) => [L(`어느 날 폭풍 때문에 배가 한 척도 나가지 못했다.`, `어느 아침 바람이 너무 세서 배를 띄울 수 없었다.`), L(`${j(H, "은")} 고기를 잡는 대신 찢어진 그물을 손질했다.`), L(`다음 날 아침 물결이 잔잔해지자 ${j(H, "은")} 물고기를 많이 잡았다.`)],
    summaryEn: (H, s) => `${H} the fisher mended ${s.his} nets during a storm and caught many fish the next day.`,
    summaryKo: (H) => `어부 ${j(H, "은")} 폭풍이 부는 날 그물을 손질하고 다음 날 물고기를 많이 잡았다.`,
  },
  {
    job: "teacher",
    en: (H, s) => [L(`One afternoon, the children in ${s.his} class were too noisy to learn.`, `After lunch, nobody in ${s.his} class could sit still.`), L(`So ${H} closed the book and told them a story about a brave little goat.`), L(`The room became quiet, and everyone listened.`, `Soon every child was listening with wide eyes.`)],
    ko: (H) => [L(`어느 오후 반 아이들이 너무 시끄러워 수업을 할 수 없었다.`, `점심을 먹고 나자 아이들이 도무지 가만히 있지 않았다.`), L(`${j(H, "은")} 책을 덮고 용감한 아기 염소 이야기를 들려주었다.`), L(`교실이 조용해지고 모두 귀를 기울였다.`, `곧 아이들이 눈을 반짝이며 이야기를 들었다.`)],
    summaryEn: (H) => `${H} the teacher calmed a noisy class by telling a story.`,
    summaryKo: (H) => `교사 ${j(H, "은")} 이야기를 들려주어 시끄러운 교실을 조용하게 만들었다.`,
  },
  {
    job: "farmer",
    settings: ["plain", "river", "mountain"],
    en: (H, s, c) => [L(`Dark clouds gathered just before the harvest.`, `The radio said a big storm was coming on the day of the harvest.`), L(`${H} and ${s.his} neighbors worked all night to bring in the ${c.crop.en}.`), L(`When the rain came, the ${c.crop.en} was safe in the barn.`)],
    ko: (H, c) => [L(`추수를 앞두고 먹구름이 몰려왔다.`, `추수하는 날 큰 폭풍이 온다는 소식이 들렸다.`), L(`${j(H, "은")} 이웃들과 밤새 일해서 ${j(c.crop.ko, "를")} 거두었다.`), L(`비가 쏟아질 때 ${j(c.crop.ko, "는")} 이미 창고에 안전하게 들어가 있었다.`)],
    summaryEn: (H, s, c) => `${H} the farmer brought in the ${c.crop.en} before the storm with help from ${s.his} neighbors.`,
    summaryKo: (H, c) => `농부 ${j(H, "은")} 이웃들의 도움으로 폭풍이 오기 전에 ${j(c.crop.ko, "를")} 거두었다.`,
  },
  {
    job: "librarian",
    en: (H, s) => [L(`One day, an old book of maps went missing from the library.`, `A visitor asked for the old book of maps, but it was not on its shelf.`), L(`${H} searched every shelf and finally found it behind a heater.`), L(`${s.He} put it back in its place and smiled.`)],
    ko: (H) => [L(`어느 날 도서관에서 오래된 지도책이 사라졌다.`, `한 손님이 오래된 지도책을 찾았지만 책장에 없었다.`), L(`${j(H, "은")} 모든 책장을 뒤진 끝에 난로 뒤에서 그 책을 찾았다.`), L(`${j(H, "은")} 책을 제자리에 꽂고 미소를 지었다.`)],
    summaryEn: (H) => `${H} the librarian found a missing book of maps behind a heater.`,
    summaryKo: (H) => `사서 ${j(H, "은")} 사라진 지도책을 난로 뒤에서 찾았다.`,
  },
  {
    job: "musician",
    en: (H, s) => [L(`Just before a concert, a string on ${s.his} violin broke.`, `Ten minutes before the concert, ${H} heard a snap: a violin string had broken.`), L(`${s.He} borrowed a string from an old friend in the orchestra.`), L(`The concert went well, and the audience clapped for a long time.`)],
    ko: (H) => [L(`공연 직전에 바이올린 줄이 끊어졌다.`, `공연 십 분 전, ${j(H, "은")} 바이올린 줄이 끊어지는 소리를 들었다.`), L(`${j(H, "은")} 악단의 오랜 친구에게 줄을 빌렸다.`), L(`공연은 무사히 끝났고 관객들은 오랫동안 박수를 쳤다.`)],
    summaryEn: (H) => `${H} the musician replaced a broken violin string just before a concert.`,
    summaryKo: (H) => `음악가 ${j(H, "은")} 공연 직전에 끊어진 바이올린 줄을 빌린 줄로 바꾸었다.`,
  },
];

const workday = plot({
  name: "workday",
  cast: (r: Rng, lang: Lang) => {
    const tale = r.pick(WORK);
    return { hero: r.pick(CHARACTERS[lang]), tale, job: term(JOBS, tale.job), city: cityOf(r, tale.settings), crop: r.pick(CROPS) };
  },
  en: (c) => {
    const H = c.hero.name;
    return [L(`${H} was ${a(c.job.en)} in ${c.city.en}.`, `${H} had worked as ${a(c.job.en)} in ${c.city.en} for many years.`), ...c.tale.en(H, pron(c.hero), c)];
  },
  ko: (c) => {
    const H = c.hero.name;
    return [L(`${j(H, "은")} ${c.city.ko}의 ${j(c.job.ko, "였다")}.`, `${j(H, "은")} 오랫동안 ${c.city.ko}에서 ${j(c.job.ko, "로")} 일했다.`), ...c.tale.ko(H, c)];
  },
  summaryEn: (c) => c.tale.summaryEn(c.hero.name, pron(c.hero), c),
  summaryKo: (c) => c.tale.summaryKo(c.hero.name, c),
});

// ---------------------------------------------------------------- 6. ginkgo (은행 without money)

const ginkgo = plot({
  name: "ginkgo",
  cast: (r: Rng, lang: Lang) => {
    const [hero, friend] = two(r, lang);
    return { hero, friend, city: cityOf(r) };
  },
  en: (c) => {
    const H = c.hero.name, F = c.friend.name, s = pron(c.hero), f = pron(c.friend);
    return [
      L(`In autumn, the ginkgo trees in ${c.city.en} turned bright yellow.`, `It was autumn, and the ginkgo leaves in ${c.city.en} were golden.`),
      L(`${H} and ${F} took a walk under the ginkgo trees.`, `${H} went for a walk with ${F} along the street of ginkgo trees.`),
      L(`The ginkgo nuts on the ground smelled terrible, and ${F} held ${f.his} nose.`, `The fallen ginkgo nuts had a strong, bad smell.`),
      L(`Still, ${H} put on gloves and picked up a bag of nuts.`, `${H} gathered the nuts anyway, because ${s.his} grandmother loved them.`),
      O(`Yellow leaves kept falling on their heads.`, `Children were kicking piles of leaves nearby.`),
      L(`That evening, they roasted the nuts and ate them with a little salt.`, `At home, ${H} washed the nuts and roasted them in a pan.`),
    ];
  },
  ko: (c) => {
    const H = c.hero.name, F = c.friend.name;
    return [
      L(`가을이 되자 ${c.city.ko}의 은행나무가 노랗게 물들었다.`, `${c.city.ko} 공원의 은행나무 잎이 노랗게 변했다.`),
      L(`${j(H, "은")} ${j(F, "와")} 함께 은행나무 길을 걸었다.`, `${j(H, "은")} ${j(F, "와")} 은행나무 아래를 산책했다.`),
      L(`길에 떨어진 은행에서 고약한 냄새가 났다.`, `${j(F, "은")} 은행 냄새 때문에 코를 막았다.`),
      L(`그래도 ${j(H, "은")} 장갑을 끼고 은행을 한 봉지 주웠다.`, `할머니가 은행을 좋아하셔서 ${j(H, "은")} 은행을 주워 담았다.`),
      O(`노란 잎이 머리 위로 계속 떨어졌다.`, `근처에서 아이들이 낙엽 더미를 차며 놀았다.`),
      L(`그날 저녁 두 사람은 은행을 구워 소금에 찍어 먹었다.`, `집에 돌아온 ${j(H, "은")} 은행을 씻어 팬에 볶았다.`),
    ];
  },
  summaryEn: (c) => `${c.hero.name} and ${c.friend.name} gathered ginkgo nuts under the yellow trees and roasted them at home.`,
  summaryKo: (c) => `${j(c.hero.name, "은")} ${j(c.friend.name, "와")} 함께 은행나무 아래에서 은행을 주워 집에서 구워 먹었다.`,
});

// ---------------------------------------------------------------- 7. saving up (money without a bank)

const WISHES: Term[] = [p("bicycle", "bicycle", "자전거"), p("guitar", "guitar", "기타"), p("camera", "camera", "사진기"), p("skates", "pair of skates", "스케이트"), p("telescope", "telescope", "망원경")];

const savings = plot({
  name: "savings",
  cast: (r: Rng, lang: Lang) => ({ hero: r.pick(CHARACTERS[lang]), wish: r.pick(WISHES), city: cityOf(r) }),
  en: (c) => {
    const H = c.hero.name, s = pron(c.hero), w = c.wish.en;
    return [
      L(`${H} wanted ${a(w)} more than anything.`, `In the window of a shop in ${c.city.en}, ${H} saw ${a(w)} and wanted it at once.`),
      L(`But ${s.he} did not have enough money.`, `It cost far more money than ${s.he} had.`),
      L(`Every week, ${s.he} put a few coins into a glass jar.`, `${s.He} saved the money ${s.he} earned by helping ${s.his} neighbors.`, `${s.He} washed cars and walked dogs to earn money.`),
      O(`Sometimes ${s.he} wanted to spend the money on sweets, but ${s.he} did not.`),
      L(`After three months, the jar was full of money.`, `At last, ${s.he} had saved enough money.`),
      L(`${H} counted the money twice and carried it to the shop.`),
      L(`${s.He} bought the ${w} and was happy all afternoon.`),
    ];
  },
  ko: (c) => {
    const H = c.hero.name, w = c.wish.ko;
    return [
      L(`${j(H, "은")} 무엇보다 ${j(w, "를")} 갖고 싶었다.`, `${j(H, "은")} ${c.city.ko}의 가게 진열장에서 ${j(w, "를")} 보고 마음을 빼앗겼다.`),
      L(`하지만 돈이 모자랐다.`, `값이 가진 돈보다 훨씬 비쌌다.`),
      L(`${j(H, "은")} 매주 유리병에 동전을 모았다.`, `${j(H, "은")} 이웃의 일을 도와 번 돈을 모았다.`, `${j(H, "은")} 세차를 하고 강아지를 산책시키며 돈을 벌었다.`),
      O(`과자를 사 먹고 싶을 때도 있었지만 꾹 참았다.`),
      L(`석 달이 지나자 병이 돈으로 가득 찼다.`, `마침내 돈이 충분히 모였다.`),
      L(`${j(H, "은")} 돈을 두 번 세어 보고 가게로 갔다.`),
      L(`${j(H, "은")} ${j(w, "를")} 사서 오후 내내 행복했다.`),
    ];
  },
  summaryEn: (c) => `${c.hero.name} saved money for months and finally bought ${a(c.wish.en)}.`,
  summaryKo: (c) => `${j(c.hero.name, "은")} 몇 달 동안 돈을 모아 마침내 ${j(c.wish.ko, "를")} 샀다.`,
});

// ---------------------------------------------------------------- 8. the river bank (English "bank" without money)

const riverbank = plot({
  name: "riverbank",
  cast: (r: Rng, lang: Lang) => {
    const [hero, friend] = two(r, lang);
    return { hero, friend, city: cityOf(r, ["river"]), day: r.pick(DAYS) };
  },
  en: (c) => {
    const H = c.hero.name, F = c.friend.name, f = pron(c.friend);
    return [
      L(`On a warm ${c.day.en}, ${H} and ${F} had a picnic on the bank of the river in ${c.city.en}.`, `${H} and ${F} spread a blanket on the river bank near ${c.city.en}.`),
      L(`They sat on the grassy bank and watched the ducks.`, `From the bank, they watched small boats drift by.`),
      L(`${F} tried to catch a fish from the bank, but ${f.he} caught only an old boot.`),
      O(`They laughed so hard that ${H} almost slipped down the muddy bank.`),
      L(`When the sun went down, they walked home along the river.`, `In the evening, they packed up and followed the river home.`),
    ];
  },
  ko: (c) => {
    const H = c.hero.name, F = c.friend.name;
    return [
      L(`따뜻한 ${c.day.ko}, ${j(H, "은")} ${j(F, "와")} 함께 ${c.city.ko}의 강가로 소풍을 갔다.`, `${j(H, "은")} ${j(F, "와")} ${c.city.ko} 근처 강가에 돗자리를 폈다.`),
      L(`두 사람은 풀밭에 앉아 오리들을 구경했다.`, `강가에 앉아 떠내려가는 작은 배들을 바라보았다.`),
      L(`${j(F, "은")} 물고기를 잡으려 했지만 낡은 장화 한 짝만 건졌다.`),
      O(`너무 웃다가 ${j(H, "은")} 진흙탕에 미끄러질 뻔했다.`),
      L(`해가 지자 두 사람은 강을 따라 집으로 걸어갔다.`, `저녁이 되자 두 사람은 짐을 챙겨 강을 따라 돌아왔다.`),
    ];
  },
  summaryEn: (c) => `${c.hero.name} and ${c.friend.name} had a picnic on the river bank, where ${c.friend.name} caught an old boot instead of a fish.`,
  summaryKo: (c) => `${j(c.hero.name, "은")} ${j(c.friend.name, "와")} 강가로 소풍을 갔고, ${j(c.friend.name, "은")} 물고기 대신 낡은 장화를 건졌다.`,
});

// ---------------------------------------------------------------- 9. the lost wallet (money without a bank)

const lostWallet = plot({
  name: "lost-wallet",
  cast: (r: Rng, lang: Lang) => ({ hero: r.pick(CHARACTERS[lang]), place: r.pick(PLACES), finder: r.pick(JOBS) }),
  en: (c) => {
    const H = c.hero.name, s = pron(c.hero), pl = c.place.en, fd = c.finder.en;
    return [
      L(`On the way to the ${pl}, ${H} dropped ${s.his} wallet.`, `${H} did not notice when ${s.his} wallet fell out of ${s.his} pocket near the ${pl}.`),
      L(`Inside the wallet was all the money for the month.`, `There was a lot of money in it, and a photo of ${s.his} family.`),
      L(`${s.He} searched the street until dark, but the wallet was gone.`, `${s.He} went back to look for it, but it was nowhere to be seen.`),
      L(`In the evening, ${a(fd)} knocked on ${s.his} door.`),
      L(`"I found this near the ${pl}," said the ${fd}, holding out the wallet.`),
      L(`Not a single coin was missing, and ${H} thanked the ${fd} again and again.`, `All the money was still inside.`),
    ];
  },
  ko: (c) => {
    const H = c.hero.name, pl = c.place.ko, fd = c.finder.ko;
    return [
      L(`${pl}에 가는 길에 ${j(H, "은")} 지갑을 떨어뜨렸다.`, `${j(H, "은")} ${pl} 근처에서 지갑이 빠진 줄도 몰랐다.`),
      L(`지갑에는 한 달 치 생활비가 들어 있었다.`, `지갑 안에는 돈과 가족사진이 들어 있었다.`),
      L(`${j(H, "은")} 어두워질 때까지 길을 찾아보았지만 지갑은 없었다.`, `다시 돌아가 찾아보았지만 지갑은 보이지 않았다.`),
      L(`저녁에 한 ${j(fd, "가")} 문을 두드렸다.`),
      L(`"${pl} 근처에서 이걸 주웠어요." ${j(fd, "가")} 지갑을 내밀며 말했다.`),
      L(`돈은 한 푼도 없어지지 않았고, ${j(H, "은")} 몇 번이나 고맙다고 말했다.`, `돈은 그대로 들어 있었다.`),
    ];
  },
  summaryEn: (c) => `${c.hero.name} lost ${pron(c.hero).his} wallet full of money near the ${c.place.en}, and an honest ${c.finder.en} brought it back.`,
  summaryKo: (c) => `${j(c.hero.name, "은")} ${c.place.ko} 근처에서 돈이 든 지갑을 잃어버렸지만 정직한 ${j(c.finder.ko, "가")} 돌려주었다.`,
});

// ---------------------------------------------------------------- 10. a quarrel

const TOPICS: Term[] = [
  p("kite", "whose kite flew higher", "누구의 연이 더 높이 날았는지"),
  p("race", "who had won the race", "누가 달리기에서 이겼는지"),
  p("cards", "the rules of a card game", "카드 놀이의 규칙"),
  p("boat", "a broken toy boat", "망가진 장난감 배"),
];

const quarrel = plot({
  name: "quarrel",
  cast: (r: Rng, lang: Lang) => {
    const [hero, friend] = two(r, lang);
    return { hero, friend, topic: r.pick(TOPICS), dish: r.pick(DISHES), city: cityOf(r) };
  },
  en: (c) => {
    const H = c.hero.name, F = c.friend.name, s = pron(c.hero);
    return [
      L(`${H} and ${F} had been friends since they were small.`, `${H} and ${F} lived on the same street in ${c.city.en}.`),
      L(`One day they argued about ${c.topic.en}.`, `One afternoon, they had a big fight about ${c.topic.en}.`),
      L(`For three days, they did not speak to each other.`, `Neither of them wanted to say sorry first.`),
      O(`${H} felt lonely without ${s.his} friend.`),
      L(`Finally, ${H} made ${c.dish.en} and brought some to ${F}'s house.`, `In the end, ${H} cooked ${c.dish.en} and carried a bowl to ${F}'s door.`),
      L(`${F} opened the door and smiled.`, `${F} laughed and invited ${s.him} in.`),
      L(`They ate together and forgot all about the fight.`),
    ];
  },
  ko: (c) => {
    const H = c.hero.name, F = c.friend.name;
    return [
      L(`${j(H, "와")} ${j(F, "는")} 어릴 때부터 친구였다.`, `${j(H, "와")} ${j(F, "는")} ${c.city.ko}의 같은 골목에 살았다.`),
      L(`어느 날 두 사람은 ${j(c.topic.ko, "를")} 두고 다투었다.`, `어느 오후, 두 사람은 ${c.topic.ko} 때문에 크게 싸웠다.`),
      L(`사흘 동안 두 사람은 서로 말을 하지 않았다.`, `누구도 먼저 미안하다고 말하고 싶지 않았다.`),
      O(`${j(H, "은")} 친구가 없어 쓸쓸했다.`),
      L(`마침내 ${j(H, "은")} ${j(c.dish.ko, "를")} 만들어 ${F}의 집으로 가져갔다.`),
      L(`${j(F, "는")} 문을 열고 웃었다.`, `${j(F, "는")} 웃으며 ${j(H, "를")} 집 안으로 들였다.`),
      L(`두 사람은 함께 음식을 먹으며 싸움을 모두 잊었다.`),
    ];
  },
  summaryEn: (c) => `${c.hero.name} and ${c.friend.name} argued about ${c.topic.en}, but made up when ${c.hero.name} brought ${c.dish.en}.`,
  summaryKo: (c) => `${j(c.hero.name, "와")} ${j(c.friend.name, "는")} ${j(c.topic.ko, "를")} 두고 다투었지만 ${j(c.hero.name, "이")} ${j(c.dish.ko, "를")} 가져가 화해했다.`,
});

/** Every plot, in a fixed order. */
export const PLOTS: Plot[] = [lostPet, bankErrand, journey, cooking, workday, ginkgo, savings, riverbank, lostWallet, quarrel];

/** One story with a random plot. `short` stories drop optional lines (for the summarization set). */
export function tellStory(r: Rng, lang: Lang, short = false): Story {
  return r.pick(PLOTS).tell(r, lang, short);
}

/** A story as one paragraph of text. */
export function storyText(s: Story): string {
  return s.sentences.join(" ");
}

