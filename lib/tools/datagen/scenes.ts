/**
 * The corpus's shorter documents besides stories: town scenes, diary entries,
 * dialogues, and the bank/money snippets that chapter 02 needs
 * ("은행 앞에 가서 돈을 찾았다": '돈' should look at '은행').
 *
 * The snippets come in four kinds so that attention has something to learn:
 * 은행/bank together with 돈/money; the bank as a place, without money; the
 * other 은행 (the ginkgo nut, 은행나무) or the other bank (of a river); and
 * money without a bank.
 */
import { Rng } from "../../random";
import { josa as j, cap } from "./text";
import { ANIMALS, CHARACTERS, CITIES, FOODS, Lang, Setting } from "./world";
import { DAYS, DISHES, SEASONS, pron } from "./stories";

// ---------------------------------------------------------------- scenes

const SETTING_EN: Record<Setting, string[]> = {
  sea: ["Fishing boats rocked gently in the harbor.", "Gulls cried above the grey water.", "The smell of salt and fish filled the air.", "Waves broke softly against the old stone pier.", "Nets were drying in the sun beside the harbor."],
  river: ["The river ran slowly under the old stone bridge.", "Children threw pebbles into the water.", "Willow trees leaned over the river bank.", "A small ferry carried people from one side of the river to the other.", "Ducks floated along with the current."],
  mountain: ["Clouds hung low over the mountain peaks.", "A narrow path climbed up through the pine trees.", "The air was cold and clean.", "Goats grazed on the steep slopes.", "Smoke rose from the chimneys of small wooden houses."],
  plain: ["Fields of wheat stretched to the horizon.", "A windmill turned slowly in the breeze.", "Farmers drove their carts along the dusty road.", "Sunflowers stood in long rows beside the road.", "The sky looked very wide above the flat land."],
};
const SETTING_KO: Record<Setting, string[]> = {
  sea: ["항구에는 고깃배들이 잔잔하게 흔들렸다.", "잿빛 바다 위로 갈매기들이 울었다.", "짠 바닷바람에 생선 냄새가 섞여 있었다.", "낡은 돌 부두에 파도가 부드럽게 부서졌다.", "항구 옆에는 그물이 햇볕에 마르고 있었다."],
  river: ["강물이 오래된 돌다리 아래로 천천히 흘렀다.", "아이들이 강물에 조약돌을 던졌다.", "버드나무가 강가로 몸을 기울이고 있었다.", "작은 나룻배가 사람들을 강 건너편으로 실어 날랐다.", "오리들이 물살을 따라 둥둥 떠내려갔다."],
  mountain: ["산봉우리 위에 구름이 낮게 걸려 있었다.", "좁은 길이 소나무 숲 사이로 올라갔다.", "공기는 차고 맑았다.", "가파른 비탈에서 염소들이 풀을 뜯었다.", "작은 나무집 굴뚝에서 연기가 피어올랐다."],
  plain: ["밀밭이 지평선까지 펼쳐져 있었다.", "풍차가 바람에 천천히 돌았다.", "농부들이 먼지 나는 길을 따라 수레를 몰았다.", "길가에 해바라기가 길게 줄지어 서 있었다.", "평평한 땅 위로 하늘이 무척 넓어 보였다."],
};
const TOWN_EN = (food: string) => [
  "The bakery on the corner sold warm bread.", "An old man swept the square.", `At the market, sellers called out the prices of ${food}.`,
  "Outside the bank, a few people waited for the doors to open.", "Children ran to school with their bags bouncing.",
  "A cat slept on the warm steps of the library.", "The station clock struck the hour.",
];
const TOWN_KO = (food: string) => [
  "모퉁이 빵집에서 따뜻한 빵을 팔았다.", "한 할아버지가 광장을 쓸고 있었다.", `시장에서는 상인들이 ${food} 값을 외쳤다.`,
  "은행 문이 열리기를 기다리는 사람들이 몇 명 서 있었다.", "아이들이 가방을 메고 학교로 뛰어갔다.",
  "고양이 한 마리가 도서관의 따뜻한 계단에서 잠을 잤다.", "역의 시계가 정각을 알렸다.",
];
const SEASON_EN: Record<string, string> = {
  spring: "Cherry blossoms covered the paths.", summer: "The sun was hot, and every patch of shade was full of people.",
  autumn: "The ginkgo trees along the street had turned yellow.", winter: "Snow covered the roofs, and everyone walked carefully.",
};
const SEASON_KO: Record<string, string> = {
  spring: "벚꽃이 길을 하얗게 덮었다.", summer: "햇볕이 뜨거워 그늘마다 사람들이 모여 있었다.",
  autumn: "길가의 은행나무가 노랗게 물들어 있었다.", winter: "지붕마다 눈이 쌓여 모두 조심조심 걸었다.",
};

/** A few sentences describing one town, consistent with its setting. */
export function scene(r: Rng, lang: Lang): string {
  const city = r.pick(CITIES), day = r.pick(DAYS), season = r.pick(SEASONS), food = r.pick(FOODS);
  const en = lang === "en";
  const openers = en
    ? [`In the early morning, ${city.en} was still quiet.`, `On ${day.en} afternoon, the streets of ${city.en} were busy.`, `Evening came slowly to ${city.en}.`, `It was a ${season.en} day in ${city.en}.`]
    : [`이른 아침의 ${j(city.ko, "은")} 아직 조용했다.`, `${day.ko} 오후, ${city.ko}의 거리는 붐볐다.`, `${city.ko}에 천천히 저녁이 찾아왔다.`, `${city.ko}의 어느 ${season.ko}날이었다.`];
  const setting = r.shuffle(en ? SETTING_EN[city.setting] : SETTING_KO[city.setting]).slice(0, r.int(1, 4));
  const town = r.shuffle(en ? TOWN_EN(food.en) : TOWN_KO(food.ko)).slice(0, r.int(1, 3));
  const middle = r.shuffle([...setting, ...town]);
  if (r.next() < 0.5) middle.push(en ? SEASON_EN[season.id] : SEASON_KO[season.id]);
  return [r.pick(openers), ...middle].join(" ");
}

// ---------------------------------------------------------------- diary entries

/** A first-person diary entry: a header line, then a few sentences. */
export function diary(r: Rng, lang: Lang): string {
  const day = r.pick(DAYS), food = r.pick(FOODS), pet = r.pick(ANIMALS.filter((a) => a.id !== "goldfish")), friend = r.pick(CHARACTERS[lang]).name;
  const en = lang === "en";
  const acts = en
    ? [
        `I woke up early and ate ${food.en} for breakfast.`, r.pick(["I went to the bank and withdrew money.", "I went to the bank and withdrew money for the rent."]),
        `I bought ${food.en} at the market.`, "I read a book at the library all afternoon.", `I walked my ${pet.en} in the park.`,
        `I called my friend ${friend}.`, `${friend} visited me, and we talked for hours.`, "It rained, so I stayed at home and cleaned my room.",
        "I wrote a letter to my grandmother.", "I waited for the bus for twenty minutes.", `I paid back the money I owed ${friend}.`,
      ]
    : [
        `일찍 일어나 아침으로 ${j(food.ko, "을")} 먹었다.`, r.pick(["은행에 가서 돈을 찾았다.", "은행 앞에 가서 돈을 찾았다."]),
        `시장에서 ${j(food.ko, "을")} 샀다.`, "오후 내내 도서관에서 책을 읽었다.", `공원에서 ${j(pet.ko, "와")} 산책을 했다.`,
        `친구 ${friend}에게 전화를 걸었다.`, `${j(friend, "가")} 놀러 와서 오랫동안 이야기를 나누었다.`, "비가 와서 집에서 방을 청소했다.",
        "할머니께 편지를 썼다.", "버스를 이십 분이나 기다렸다.", `${friend}에게 빌린 돈을 갚았다.`,
      ];
  const closing = en
    ? ["I was tired but happy.", "Tomorrow I will get up early.", "It was a quiet day.", "I went to bed early."]
    : ["피곤했지만 행복한 하루였다.", "내일은 일찍 일어나야겠다.", "조용한 하루였다.", "일찍 잠자리에 들었다."];
  const header = en ? r.pick([`${day.en}.`, "Dear diary,", `Diary, ${day.en}.`]) : r.pick([`${day.ko}.`, "오늘의 일기.", `${day.ko}의 일기.`]);
  const body = r.shuffle(acts).slice(0, r.int(3, 6));
  return `${header}\n${[...body, r.pick(closing)].join(" ")}`;
}

// ---------------------------------------------------------------- dialogues

const PET_NAMES = { en: ["Coco", "Pepper", "Lucky", "Pip"], ko: ["초코", "두부", "보리", "까미"] };

/** A short exchange between two characters, one line per turn. */
export function dialogue(r: Rng, lang: Lang): string {
  const [A, B] = r.shuffle(CHARACTERS[lang]).map((ch) => ch.name);
  const city = r.pick(CITIES), dish = r.pick(DISHES), pet = r.pick(ANIMALS), pn = r.pick(PET_NAMES[lang]);
  const en = lang === "en";
  const cityNote = en
    ? { sea: "The harbor there is beautiful.", river: "There is a lovely old bridge over the river.", mountain: "The mountain air there is so fresh.", plain: "The fields there go on forever." }[city.setting]
    : { sea: "거기 항구가 정말 아름다워.", river: "강 위에 오래된 멋진 다리가 있어.", mountain: "거기 산 공기가 정말 맑아.", plain: "거기 들판은 끝이 없어." }[city.setting];
  const talks: string[][] = en
    ? [
        [`"Where are you going?" asked ${A}.`, `"To the bank," said ${B}. "I need to withdraw some money."`, `"Get some for me too!" ${A} joked.`],
        [`"What are you cooking tonight?" asked ${A}.`, `"${cap(dish.en)}," said ${B}. "I just need to buy a few things at the market."`, `"Save some for me!" said ${A}.`],
        [`"Will it rain tomorrow?" asked ${A}.`, `"I think so," said ${B}. "Take your umbrella."`, `"I always forget it," ${A} sighed.`],
        [`"Is that your ${pet.en}?" asked ${A}.`, `"Yes, this is ${pn}," said ${B}. "${pn} is a little shy."`, `${A} smiled and waved at ${pn}.`],
        [`"Have you ever been to ${city.en}?" asked ${A}.`, `"Once," said ${B}. "${cityNote}"`, `"Then let's go together next ${r.pick(SEASONS).en}," said ${A}.`],
        [`"Can I borrow some money?" asked ${A}.`, `"How much do you need?" said ${B}.`, `"Just enough for a bus ticket," said ${A}.`],
        [`"Meet me at the bank," said ${A}.`, `"Which bank?" asked ${B}. "The one with the money, or the one by the river?"`, `${A} laughed. "The one with the money. I have to withdraw some."`],
      ]
    : [
        [`"어디 가?" ${j(A, "가")} 물었다.`, `"은행에. 돈을 좀 찾아야 하거든." ${j(B, "가")} 대답했다.`, `"내 것도 좀 찾아 줘!" ${j(A, "가")} 농담을 했다.`],
        [`"오늘 저녁에 뭐 만들어?" ${j(A, "가")} 물었다.`, `"${dish.ko}. 시장에서 몇 가지만 사면 돼." ${j(B, "가")} 말했다.`, `"나도 좀 남겨 줘!" ${j(A, "가")} 말했다.`],
        [`"내일 비 올까?" ${j(A, "가")} 물었다.`, `"올 것 같아. 우산 챙겨." ${j(B, "가")} 대답했다.`, `"난 맨날 잊어버려." ${j(A, "가")} 한숨을 쉬었다.`],
        [`"그거 네 ${pet.ko}야?" ${j(A, "가")} 물었다.`, `"응, ${j(pn, "이야")}. 낯을 좀 가려." ${j(B, "가")} 말했다.`, `${j(A, "는")} 웃으며 ${pn}에게 손을 흔들었다.`],
        [`"${city.ko}에 가 본 적 있어?" ${j(A, "가")} 물었다.`, `"한 번. ${cityNote}" ${j(B, "가")} 대답했다.`, `"그럼 다음 ${r.pick(SEASONS).ko}에 같이 가자." ${j(A, "가")} 말했다.`],
        [`"돈 좀 빌려줄 수 있어?" ${j(A, "가")} 물었다.`, `"얼마나 필요해?" ${j(B, "가")} 물었다.`, `"버스표 살 만큼만." ${j(A, "가")} 대답했다.`],
        [`"은행 앞에서 만나자." ${j(A, "가")} 말했다.`, `"어느 은행? 돈 찾는 은행, 아니면 은행나무?" ${j(B, "가")} 물었다.`, `${j(A, "는")} 웃었다. "돈 찾는 은행. 돈을 좀 찾아야 해."`],
      ];
  return r.pick(talks).join("\n");
}

// ---------------------------------------------------------------- bank / money snippets

/** bank+money; the bank as a place without money; the other 은행 (ginkgo) / the other bank (river); money without a bank. */
export type BankContext = "bank+money" | "bank-place" | "bank-other" | "money-only";

/** Two or three sentences from one context. */
export function bankSnippet(r: Rng, lang: Lang): { context: BankContext; text: string } {
  const ch = r.pick(CHARACTERS[lang]), H = ch.name, s = pron(ch), F = r.pick(CHARACTERS[lang].filter((x) => x !== ch)).name;
  const city = r.pick(CITIES), food = r.pick(FOODS);
  const time = r.pick(lang === "en" ? ["In the morning", "After lunch", "On Friday", "Yesterday"] : ["아침에", "점심을 먹고", "금요일에", "어제"]);
  const context: BankContext = r.pick(["bank+money", "bank+money", "bank-place", "bank-other", "money-only"] as BankContext[]);
  const pools: Record<BankContext, string[]> = lang === "en"
    ? {
        "bank+money": [
          "I went to the bank and withdrew money.", `${H} went to the bank and withdrew money.`, `${time}, ${H} went to the bank to withdraw some money.`,
          `${H} deposited ${s.his} money at the bank.`, `${H} borrowed money from the bank to buy a boat.`, "The clerk at the bank counted the money twice.",
          `${H} needed money, so ${s.he} went to the bank.`, `At the bank in ${city.en}, ${H} withdrew money for the trip.`,
          `${H} went to the bank and withdrew money, then bought ${food.en} at the market.`, "If you keep money in the bank, it earns a little interest.",
        ],
        "bank-place": [
          `${H} met ${F} in front of the bank.`, "The bank opens at nine o'clock.", "There is a small bakery next to the bank.",
          "Pigeons flew over the roof of the bank.", "The bank stands across the square from the station.", `The old bank in ${city.en} has a green door.`,
        ],
        "bank-other": [
          `${H} sat on the bank of the river.`, "The river bank was muddy after the rain.", "Ducks were resting on the bank.",
          `${H} and ${F} walked along the river bank in ${city.en}.`, "Reeds grew thick along the bank of the river.",
        ],
        "money-only": [
          `${H} had no money in ${s.his} pocket.`, `${H} paid money for the ${food.en}.`, `${H} saved money in a jar.`,
          "Time is worth more than money.", `${H} lent some money to ${F}.`, `At the market, ${H} counted ${s.his} money carefully.`,
          `${F} found some money on the street and took it to the police.`,
        ],
      }
    : {
        "bank+money": [
          "은행 앞에 가서 돈을 찾았다.", `${j(H, "은")} 은행 앞에 가서 돈을 찾았다.`, `${time} ${j(H, "은")} 은행에 가서 돈을 찾았다.`,
          `${j(H, "은")} 은행에서 돈을 찾았다.`, `${j(H, "은")} 은행에 돈을 맡겼다.`, `${j(H, "은")} 은행에서 돈을 빌려 배를 샀다.`,
          "은행 직원이 돈을 두 번 세어 주었다.", `돈이 필요해서 ${j(H, "은")} 은행에 갔다.`, `${j(H, "은")} ${city.ko}에 있는 은행에서 돈을 찾았다.`,
          `은행 앞에 가서 돈을 찾은 뒤 시장에서 ${j(food.ko, "을")} 샀다.`, "은행에 돈을 맡기면 이자가 조금 붙는다.", `${j(H, "은")} 은행에서 ${F}에게 돈을 보냈다.`,
        ],
        "bank-place": [
          `은행 앞에서 ${j(F, "를")} 만났다.`, "은행은 아침 아홉 시에 문을 연다.", "은행 옆에 작은 빵집이 있다.",
          "은행 지붕 위로 비둘기가 날아갔다.", "은행 건물은 역 건너편 광장에 있다.", `${city.ko}의 오래된 은행에는 초록색 문이 있다.`,
        ],
        "bank-other": [
          "가을이면 은행나무 잎이 노랗게 물든다.", `${j(H, "은")} 공원에서 은행을 주웠다.`, "은행 열매는 냄새가 고약하다.",
          "할머니가 은행을 구워 주셨다.", "은행나무 아래에 노란 잎이 수북이 쌓였다.",
        ],
        "money-only": [
          "지갑에 돈이 하나도 없었다.", `${j(H, "은")} 돈을 모아 자전거를 샀다.`, `시장에서 돈을 내고 ${j(food.ko, "을")} 샀다.`,
          "돈보다 시간이 더 소중하다.", `${j(H, "은")} ${F}에게 돈을 빌려주었다.`, `${j(H, "은")} 시장에서 돈을 조심스럽게 세었다.`,
          `${j(F, "는")} 길에서 돈을 주워 경찰에 가져다주었다.`,
        ],
      };
  return { context, text: r.shuffle(pools[context]).slice(0, r.int(2, 4)).join(" ") };
}
