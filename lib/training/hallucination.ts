/**
 * Chapter 09, 환각 (hallucination), measured against a world whose truth we know (facts.jsonl).
 *
 *   exposureBucket(m)                       0 / 1 / 2–3 / 4–9 / ≥10 mentions in pre-training
 *   relationValues(rel), candidateSentences  the closed set of answers a relation allows (12 towns, 13 jobs, …)
 *   factSentence, QUESTION_PHRASINGS       the corpus's fact sentences and the fine-tuning data's question phrasings
 *   factProbes(tok, facts, …)               a fact as a prompt (a statement to complete, or a question) and
 *                                           one candidate continuation per possible value
 *   probeFacts(model, probes)               score every candidate (log p of the whole sentence), normalise over
 *                                           the values → the model's answer (the most probable value), its
 *                                           confidence (max probability) and the entropy of that distribution
 *   statedValue(text, fact, lang)           which value a generated answer states (−1: none)
 *   selfConsistency(model, tok, probes, …)  sample N answers at temperature 1: share that state the model's answer
 *   reliabilityBins / expectedCalibrationError   calibration: confidence bins against accuracy, ECE
 *   auroc(scores, positives)                how well a score ranks right answers above wrong ones
 *   riskCoverage(scores, correct)           answer only above a threshold: accuracy against the share answered
 *   monofactRate(counts)                    Good–Turing: share of the corpus's fact statements whose fact occurs once
 *   parseStatements / checkStatements       fact sentences a model writes, checked against the table
 *   FactRetriever                           a tiny retriever over the fact sentences (character-trigram overlap)
 *   groundedResult(result, sources)         cross-check: keep only the values the retrieved sentences state
 *   abstentionScore(outcomes, t)            +1 right, 0 abstain, −t/(1−t) wrong
 *   ABSTAIN, abstentionRecords              "I don't know." targets for questions the model cannot answer (R-Tuning)
 */
import * as tf from "@tensorflow/tfjs";
import { loadFacts } from "../datasets";
import type { Fact, Relation } from "../tools/datagen/facts";
import type { InstructionRecord } from "../tools/datagen/instructions";
import { josa, withArticle } from "../tools/datagen/text";
import type { Lang } from "../tools/datagen/world";
import { generateSamples } from "../generation/loop";
import { GPT } from "../model/gpt";
import { sequenceLogProbsFromLogits } from "../model/layers";
import { Rng } from "../random";
import { SFT_TOKENS, TextTokenizer, formatPrompt } from "./finetune";

/** How often pre-training stated a fact, in the five buckets chapter 09 reports (finer than chapter 07's four). */
export type ExposureBucket = "0" | "1" | "2–3" | "4–9" | "≥10";
export const EXPOSURE_BUCKETS: readonly ExposureBucket[] = ["0", "1", "2–3", "4–9", "≥10"];

export function exposureBucket(mentions: number): ExposureBucket {
  if (!(Number.isInteger(mentions) && mentions >= 0)) throw new Error(`exposureBucket: mentions must be a whole number ≥ 0, got ${mentions}.`);
  return mentions === 0 ? "0" : mentions === 1 ? "1" : mentions < 4 ? "2–3" : mentions < 10 ? "4–9" : "≥10";
}

/** A value of a relation (a town, a job, a pet, a food) with its English and Korean names. */
export interface ValueName {
  id: string;
  en: string;
  ko: string;
}

let valueCache: Map<Relation, ValueName[]> | null = null;

/**
 * Every value a relation takes in the world (12 towns, 13 jobs, 10 pets, 12 foods), read from
 * the fact table and sorted by English name — the closed set of possible answers.
 */
export function relationValues(relation: Relation): ValueName[] {
  if (!valueCache) {
    valueCache = new Map();
    for (const f of loadFacts()) {
      const list = valueCache.get(f.relation) ?? [];
      if (!list.some((v) => v.id === f.value)) list.push({ id: f.value, en: f.valueEn, ko: f.valueKo });
      valueCache.set(f.relation, list);
    }
    for (const list of valueCache.values()) list.sort((a, b) => (a.en < b.en ? -1 : a.en > b.en ? 1 : 0));
  }
  const values = valueCache.get(relation);
  if (!values) throw new Error(`relationValues: unknown relation "${relation}" (use lives_in, works_as, has_pet or likes).`);
  return values;
}

/** The one sentence that states a fact, as the corpus writes it (the same templates as the data generator's). */
export function factSentence(name: string, relation: Relation, value: string, lang: Lang): string {
  if (lang === "en") {
    switch (relation) {
      case "lives_in": return `${name} lives in ${value}.`;
      case "works_as": return `${name} works as ${withArticle(value)}.`;
      case "has_pet": return `${name} has ${withArticle(value)}.`;
      case "likes": return `${name} likes ${value}.`;
    }
  }
  switch (relation) {
    case "lives_in": return `${josa(name, "은")} ${value}에 산다.`;
    case "works_as": return `${josa(name, "은")} ${josa(value, "이다")}.`;
    case "has_pet": return `${josa(name, "은")} ${josa(value, "을")} 키운다.`;
    case "likes": return `${josa(name, "은")} ${josa(value, "을")} 좋아한다.`;
  }
  throw new Error(`factSentence: unknown relation "${relation}".`);
}

/** The three question phrasings per relation and language (the same as the fine-tuning data's). */
export const QUESTION_PHRASINGS: Record<Relation, Record<Lang, (name: string) => string[]>> = {
  lives_in: {
    en: (n) => [`Where does ${n} live?`, `In which city does ${n} live?`, `Which town is ${n}'s home?`],
    ko: (n) => [`${josa(n, "은")} 어디에 사나요?`, `${josa(n, "은")} 어느 도시에 살아요?`, `${josa(n, "이")} 사는 곳은 어디인가요?`],
  },
  works_as: {
    en: (n) => [`What does ${n} do for a living?`, `What is ${n}'s job?`, `What work does ${n} do?`],
    ko: (n) => [`${josa(n, "은")} 무슨 일을 하나요?`, `${n}의 직업은 무엇인가요?`, `${josa(n, "은")} 어떤 일을 해요?`],
  },
  has_pet: {
    en: (n) => [`What pet does ${n} have?`, `Which animal does ${n} keep?`, `What kind of pet lives with ${n}?`],
    ko: (n) => [`${josa(n, "은")} 어떤 동물을 키우나요?`, `${josa(n, "이")} 키우는 동물은 무엇인가요?`, `${josa(n, "은")} 무슨 동물을 길러요?`],
  },
  likes: {
    en: (n) => [`What food does ${n} like?`, `What does ${n} like to eat?`, `Which food is ${n}'s favorite?`],
    ko: (n) => [`${josa(n, "은")} 어떤 음식을 좋아하나요?`, `${josa(n, "이")} 좋아하는 음식은 무엇인가요?`, `${josa(n, "은")} 무엇을 즐겨 먹어요?`],
  },
};

const nameOf = (fact: Fact, lang: Lang) => (lang === "en" ? fact.entityEn : fact.entityKo);
const termName = (t: ValueName, lang: Lang) => (lang === "en" ? t.en : t.ko);

/** The fact's sentence with each possible value in turn (index = the value's index in relationValues). */
export function candidateSentences(fact: Fact, lang: Lang): string[] {
  return relationValues(fact.relation).map((v) => factSentence(nameOf(fact, lang), fact.relation, termName(v, lang), lang));
}

/** Index of the fact's true value in relationValues(fact.relation). */
export function truthIndex(fact: Fact): number {
  const i = relationValues(fact.relation).findIndex((v) => v.id === fact.value);
  if (i < 0) throw new Error(`truthIndex: ${fact.id} has value "${fact.value}", which is not among the ${fact.relation} values.`);
  return i;
}

/** One of the three phrasings of a question about the fact (chapter 07's data uses the same ones). */
export function factQuestion(fact: Fact, lang: Lang, phrasing = 0): string {
  const all = QUESTION_PHRASINGS[fact.relation][lang](nameOf(fact, lang));
  if (!(Number.isInteger(phrasing) && phrasing >= 0 && phrasing < all.length)) throw new Error(`factQuestion: phrasing must be 0…${all.length - 1}, got ${phrasing}.`);
  return all[phrasing];
}

/** A header line the corpus puts above fact sentences: what the base model reads before a statement. */
export const STATEMENT_HEADERS: Record<Lang, string> = { en: "Notes about the residents.", ko: "주민 명부에서." };

/** What the model answers with: "I don't know." / "모르겠습니다." (the abstention targets). */
export const ABSTAIN: Record<Lang, string> = { en: "I don't know.", ko: "모르겠습니다." };

/**
 * How a fact is put to a model:
 *  - "statement": the base model reads a header line and continues with the fact's sentence
 *    (candidate = the whole sentence with one value: "Sua Shin has a cat.");
 *  - "question": the fine-tuned model reads "Q: <question>\nA:" (candidate = " <sentence>" + end token).
 */
export type ProbeMode = "statement" | "question";

export interface FactProbe {
  fact: Fact;
  lang: Lang;
  mode: ProbeMode;
  /** The text before the answer (the header line, or the question). */
  text: string;
  prompt: number[];
  /** One candidate per value (and the abstention candidate last, if asked for). */
  candidates: number[][];
  /** Index of the true value among the candidates. */
  truth: number;
  /** Index of the abstention candidate, or −1. */
  abstain: number;
}

export interface ProbeOptions {
  mode: ProbeMode;
  /** Languages to ask in (default both). */
  langs?: Lang[];
  /** Question phrasing 0–2 (mode "question"; default 0). */
  phrasing?: number;
  /** Sentences put before the prompt, e.g. retrieved facts (default none); the last ones are dropped until prompt and answer fit the context. */
  context?: (fact: Fact, lang: Lang) => string[];
  /** The model's context length, for dropping context sentences (default 128). */
  contextLength?: number;
  /** Add "I don't know." as one more candidate (mode "question"). */
  abstain?: boolean;
}

/** One probe per fact and language. */
export function factProbes(tokenizer: TextTokenizer, facts: Fact[], options: ProbeOptions): FactProbe[] {
  const langs = options.langs ?? ["en", "ko"];
  const out: FactProbe[] = [];
  for (const fact of facts) {
    for (const lang of langs) {
      const sentences = options.context ? options.context(fact, lang) : [];
      for (let keep = sentences.length; keep >= 0; keep--) {
        const probe = makeProbe(tokenizer, fact, lang, options, sentences.slice(0, keep).join(" "));
        const needs = probe.prompt.length + Math.max(...probe.candidates.map((c) => c.length)) - 1;
        if (needs <= (options.contextLength ?? 128) || keep === 0) {
          out.push(probe);
          break;
        }
      }
    }
  }
  return out;
}

/** One probe; `before` holds the context sentences (or ""). */
function makeProbe(tokenizer: TextTokenizer, fact: Fact, lang: Lang, options: ProbeOptions, before: string): FactProbe {
  let text: string;
  let prompt: number[];
  let candidates: number[][];
  if (options.mode === "statement") {
    if (options.abstain) throw new Error('factProbes: abstention is a fine-tuned answer — use mode "question".');
    // A register note: the header line, the context sentences, then the fact's sentence on the same line.
    text = before ? `${STATEMENT_HEADERS[lang]}\n${before}` : `${STATEMENT_HEADERS[lang]}\n`;
    prompt = tokenizer.encode(text);
    candidates = candidateSentences(fact, lang).map((s) => tokenizer.encode(before ? ` ${s}` : s));
  } else {
    text = before ? `${before}\n${factQuestion(fact, lang, options.phrasing ?? 0)}` : factQuestion(fact, lang, options.phrasing ?? 0);
    prompt = tokenizer.encode(formatPrompt(text));
    candidates = candidateSentences(fact, lang).map((s) => [...tokenizer.encode(` ${s}`), SFT_TOKENS.end]);
    if (options.abstain) candidates.push([...tokenizer.encode(` ${ABSTAIN[lang]}`), SFT_TOKENS.end]);
  }
  return { fact, lang, mode: options.mode, text, prompt, candidates, truth: truthIndex(fact), abstain: options.abstain ? candidates.length - 1 : -1 };
}

/** Entropy −Σ p ln p of a distribution (nats; 0·ln 0 = 0). */
export function entropy(probs: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < probs.length; i++) if (probs[i] > 0) h -= probs[i] * Math.log(probs[i]);
  return h;
}

/** softmax of log-probabilities (shifted by the max for stability). */
export function normalise(logProbs: number[]): number[] {
  const m = Math.max(...logProbs);
  const e = logProbs.map((l) => Math.exp(l - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

export interface ProbeResult {
  probe: FactProbe;
  /** The model's distribution over the candidates: p(c) ∝ exp(log p(candidate c | prompt)). */
  probs: number[];
  /** The most probable candidate: the model's answer. */
  answer: number;
  correct: boolean;
  /** The answer is "I don't know." */
  abstained: boolean;
  /** Max probability over the candidates (of the answer). */
  confidence: number;
  /** Entropy of probs, nats (ln K for a uniform guess among K values). */
  entropy: number;
  /** 1 / number of values of the relation: what guessing gives. */
  chance: number;
}

/** From candidate probabilities to the answer, its confidence and entropy. */
export function probeResult(probe: FactProbe, probs: number[]): ProbeResult {
  const values = probe.abstain >= 0 ? probs.length - 1 : probs.length;
  let answer = 0;
  for (let i = 1; i < values; i++) if (probs[i] > probs[answer]) answer = i;
  // "I don't know." wins when it is more probable than all the answers together (as greedy
  // decoding decides at the first token: " I" against the resident's name every answer starts with).
  const abstained = probe.abstain >= 0 && probs[probe.abstain] >= 0.5;
  if (abstained) answer = probe.abstain;
  return { probe, probs, answer, correct: !abstained && answer === probe.truth, abstained, confidence: probs[answer], entropy: entropy(probs), chance: 1 / values };
}

/**
 * Score every candidate of every probe by teacher forcing: log p(candidate | prompt) summed
 * over its tokens, then normalised over the probe's candidates. The prompt is the same for all
 * candidates, so this is the model's distribution over the values.
 *
 * Speed: probes whose prompts have the same length run together (up to `rowsPerBatch`
 * candidate rows); each prompt goes through the model once, its keys and values (the KV cache)
 * are copied to its candidates' rows, and only the candidates' tokens are run after it. The
 * numbers are those of running prompt + candidate in full (tests/hallucination.test.ts).
 */
export function probeFacts(model: GPT, probes: FactProbe[], rowsPerBatch = 96): ProbeResult[] {
  const logProbs: number[][] = probes.map(() => []);
  // The candidates' common first tokens ("Sua Shin has a") have the same probability for every
  // candidate, so they cancel in the normalisation: they become part of the prompt.
  const split = probes.map((p) => {
    const shortest = Math.min(...p.candidates.map((c) => c.length));
    let n = 0;
    while (n < shortest - 1 && p.candidates.every((c) => c[n] === p.candidates[0][n])) n++;
    return { prompt: [...p.prompt, ...p.candidates[0].slice(0, n)], candidates: p.candidates.map((c) => c.slice(n)) };
  });
  const groups = new Map<number, number[]>();
  split.forEach((p, i) => groups.set(p.prompt.length, [...(groups.get(p.prompt.length) ?? []), i]));
  const V = model.config.vocabSize;
  const longest = split.map((p) => Math.max(...p.candidates.map((c) => c.length)));
  for (const unsorted of groups.values()) {
    const members = unsorted.slice().sort((a, b) => longest[a] - longest[b] || a - b); // less padding
    for (let g = 0; g < members.length; ) {
      // Probes of one prompt length, up to rowsPerBatch candidate rows (at least one probe).
      const chunk: number[] = [];
      let R = 0;
      while (g < members.length && (chunk.length === 0 || R + split[members[g]].candidates.length <= rowsPerBatch)) {
        R += split[members[g]].candidates.length;
        chunk.push(members[g++]);
      }
      const G = chunk.length;
      const P = split[chunk[0]].prompt.length;
      const owner = chunk.flatMap((i, j) => split[i].candidates.map(() => j)); // row → its probe in the chunk
      const cands = chunk.flatMap((i) => split[i].candidates);
      const L = Math.max(1, ...cands.map((c) => c.length - 1));
      if (P + L > model.config.contextLength) throw new Error(`probeFacts: a ${P}-token prompt and a ${L + 1}-token candidate do not fit the model's ${model.config.contextLength}-token context — use a shorter context (fewer retrieved sentences).`);
      const cache = model.createCache();
      try {
        // 1. The prompts, once each: (G, P) → log p of the first candidate token, and the cache.
        const first = model.forward(chunk.map((i) => split[i].prompt), { cache });
        const lastLogProbs = tf.tidy(() => tf.logSoftmax(tf.slice(first.logits, [0, P - 1, 0], [G, 1, V]).reshape([G, V]))); // (G, V)
        first.logits.dispose();
        const firstLp = lastLogProbs.dataSync();
        lastLogProbs.dispose();
        // 2. Copy each prompt's keys/values to its candidates' rows: (G, H, P, d) → (R, H, P, d).
        const rows = tf.tensor1d(owner, "int32");
        for (const layer of cache.self) {
          const k = tf.gather(layer.k!, rows, 0) as tf.Tensor4D;
          const v = tf.gather(layer.v!, rows, 0) as tf.Tensor4D;
          layer.k!.dispose();
          layer.v!.dispose();
          layer.k = k;
          layer.v = v;
        }
        rows.dispose();
        cache.batch = R;
        // 3. The candidates after their prompt: input c[0 … n−2], targets c[1 … n−1]; right padding needs no mask.
        const ids = new Int32Array(R * L).fill(SFT_TOKENS.pad);
        const targets = new Int32Array(R * L).fill(-1);
        cands.forEach((c, r) => {
          for (let t = 0; t < c.length - 1; t++) {
            ids[r * L + t] = c[t];
            targets[r * L + t] = c[t + 1];
          }
        });
        const { logits } = model.forward(ids, { shape: [R, L], cache }); // (R, L, V)
        const lp = tf.tidy(() => sequenceLogProbsFromLogits(logits.reshape([R * L, V]), targets, R)); // (R)
        const rest = lp.dataSync();
        tf.dispose([logits, lp]);
        cands.forEach((c, r) => logProbs[chunk[owner[r]]].push(firstLp[owner[r] * V + c[0]] + rest[r]));
      } finally {
        cache.dispose();
      }
    }
  }
  return probes.map((p, i) => probeResult(p, normalise(logProbs[i])));
}

/**
 * Which value a generated answer states: the value name (in the answer's language) found
 * earliest in the text after the resident's name, the longest on a tie; −1 if none.
 */
export function statedValue(text: string, fact: Fact, lang: Lang): number {
  const name = nameOf(fact, lang);
  const at = text.indexOf(name);
  const rest = at >= 0 ? text.slice(at + name.length) : text;
  let best = -1;
  let bestAt = Infinity;
  let bestLen = 0;
  relationValues(fact.relation).forEach((v, i) => {
    const word = termName(v, lang);
    const re = lang === "en" ? new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`, "i") : null;
    const pos = re ? rest.search(re) : rest.indexOf(word);
    if (pos < 0) return;
    if (pos < bestAt || (pos === bestAt && word.length > bestLen)) {
      best = i;
      bestAt = pos;
      bestLen = word.length;
    }
  });
  return best;
}

/**
 * Self-consistency (Wang et al. 2023; SelfCheckGPT, Manakul et al. 2023): sample `samples`
 * answers at `temperature` (one batch per probe) and return, per probe, the share that state
 * `reference[i]` (the model's answer; by default its most probable value).
 */
export function selfConsistency(
  model: GPT,
  tokenizer: TextTokenizer,
  probes: FactProbe[],
  options: { samples: number; temperature?: number; maxNewTokens?: number; seed?: number; reference?: number[] },
): number[] {
  const random = new Rng(options.seed ?? 1);
  return probes.map((p, i) => {
    const stop = p.mode === "question" ? [SFT_TOKENS.end] : undefined;
    const max = options.maxNewTokens ?? Math.max(...p.candidates.map((c) => c.length)) + 2;
    const rows = generateSamples(model, p.prompt, options.samples, { maxNewTokens: max, temperature: options.temperature ?? 1, stopTokens: stop, random: random });
    const ref = options.reference ? options.reference[i] : -2;
    const stated = rows.map((r) => statedValue(tokenizer.decode(r.filter((t) => t !== SFT_TOKENS.end)).split("\n")[0], p.fact, p.lang));
    return stated.filter((v) => v === ref).length / rows.length;
  });
}

/** Share of the answers that equal the most common one (1 = all agree), and that answer. */
export function agreement(answers: number[]): { share: number; majority: number } {
  if (answers.length === 0) throw new Error("agreement: no answers.");
  const counts = new Map<number, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  let majority = answers[0];
  for (const [a, c] of counts) if (c > (counts.get(majority) ?? 0)) majority = a;
  return { share: (counts.get(majority) ?? 0) / answers.length, majority };
}

export interface ReliabilityBin {
  /** Confidence range [lo, hi) (the last bin includes 1). */
  lo: number;
  hi: number;
  count: number;
  /** Mean confidence and accuracy of the answers in the bin (NaN when empty). */
  confidence: number;
  accuracy: number;
}

function checkPairs(confidence: number[], correct: boolean[], what: string): void {
  if (confidence.length !== correct.length) throw new Error(`${what}: ${confidence.length} confidences but ${correct.length} correct flags — pass one of each per answer.`);
  for (const c of confidence) if (!(c >= 0 && c <= 1)) throw new Error(`${what}: confidences must lie in [0, 1], got ${c}.`);
}

/** Equal-width confidence bins (default 10): [0, 0.1), [0.1, 0.2), …, [0.9, 1]. */
export function reliabilityBins(confidence: number[], correct: boolean[], bins = 10): ReliabilityBin[] {
  checkPairs(confidence, correct, "reliabilityBins");
  if (!(Number.isInteger(bins) && bins >= 1)) throw new Error(`reliabilityBins: bins must be a whole number ≥ 1, got ${bins}.`);
  const sums = Array.from({ length: bins }, () => ({ n: 0, conf: 0, right: 0 }));
  confidence.forEach((c, i) => {
    const b = Math.min(bins - 1, Math.floor(c * bins));
    sums[b].n++;
    sums[b].conf += c;
    if (correct[i]) sums[b].right++;
  });
  return sums.map((s, b) => ({ lo: b / bins, hi: (b + 1) / bins, count: s.n, confidence: s.n ? s.conf / s.n : NaN, accuracy: s.n ? s.right / s.n : NaN }));
}

/** Expected calibration error: Σ_b (n_b / N)·|accuracy_b − confidence_b| over equal-width bins. */
export function expectedCalibrationError(confidence: number[], correct: boolean[], bins = 10): number {
  if (confidence.length === 0) return NaN;
  return reliabilityBins(confidence, correct, bins).reduce((s, b) => (b.count ? s + (b.count / confidence.length) * Math.abs(b.accuracy - b.confidence) : s), 0);
}

/**
 * Area under the ROC curve: the probability that a random positive (a right answer) gets a
 * higher score than a random negative (a wrong one), ties counted half. 0.5 = no better than
 * chance; NaN without both kinds.
 */
export function auroc(scores: number[], positives: boolean[]): number {
  if (scores.length !== positives.length) throw new Error(`auroc: ${scores.length} scores but ${positives.length} labels.`);
  const order = scores.map((s, i) => ({ s, p: positives[i] })).sort((a, b) => a.s - b.s);
  const nPos = positives.filter(Boolean).length;
  const nNeg = positives.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  // Mann–Whitney U from mid-ranks (tied scores share their mean rank).
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j].s === order[i].s) j++;
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (order[k].p) rankSum += midRank;
    i = j;
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export interface CoveragePoint {
  /** Answer when score ≥ threshold. */
  threshold: number;
  /** Share of the questions answered. */
  coverage: number;
  /** Accuracy on the answered ones (selective accuracy); the risk is 1 − accuracy. */
  accuracy: number;
}

/** Risk–coverage: for every distinct score as threshold (high to low), the share answered and their accuracy. */
export function riskCoverage(scores: number[], correct: boolean[]): CoveragePoint[] {
  if (scores.length !== correct.length) throw new Error(`riskCoverage: ${scores.length} scores but ${correct.length} correct flags.`);
  const order = scores.map((s, i) => ({ s, c: correct[i] })).sort((a, b) => b.s - a.s);
  const out: CoveragePoint[] = [];
  let right = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j].s === order[i].s) {
      if (order[j].c) right++;
      j++;
    }
    out.push({ threshold: order[i].s, coverage: j / order.length, accuracy: right / j });
    i = j;
  }
  return out;
}

/** Selective accuracy at the smallest threshold that answers at least `coverage` of the questions. */
export function accuracyAtCoverage(points: CoveragePoint[], coverage: number): number {
  const p = points.find((q) => q.coverage >= coverage - 1e-12);
  return p ? p.accuracy : NaN;
}

/**
 * The Good–Turing "monofact" rate (Kalai & Vempala 2024): of all fact statements in the corpus,
 * the share whose fact is stated exactly once — n₁ / N, with N = Σ counts. Good–Turing reads it
 * as the probability that the next statement drawn like the corpus is about a fact not seen yet.
 */
export function monofactRate(counts: number[]): number {
  for (const c of counts) if (!(Number.isInteger(c) && c >= 0)) throw new Error(`monofactRate: counts must be whole numbers ≥ 0, got ${c}.`);
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return NaN;
  return counts.filter((c) => c === 1).length / total;
}

/** A fact sentence a model wrote, parsed. */
export interface Statement {
  text: string;
  lang: Lang;
  name: string;
  relation: Relation;
  value: string;
}

const KO_PATTERNS: [Relation, RegExp][] = [
  ["lives_in", /^(\S+?)[은는] (\S+)에 산다$/],
  ["has_pet", /^(\S+?)[은는] (\S+?)[을를] 키운다$/],
  ["likes", /^(\S+?)[은는] (\S+?)[을를] 좋아한다$/],
  ["works_as", /^(\S+?)[은는] (\S+?)(?:이다|다)$/],
];
const EN_PATTERNS: [Relation, RegExp][] = [
  ["lives_in", /^([A-Z][a-z]+ [A-Z][a-z]+) lives in (.+)$/],
  ["works_as", /^([A-Z][a-z]+ [A-Z][a-z]+) works as an? (.+)$/],
  ["has_pet", /^([A-Z][a-z]+ [A-Z][a-z]+) has an? (.+)$/],
  ["likes", /^([A-Z][a-z]+ [A-Z][a-z]+) likes (.+)$/],
];

/** The sentences of a text that have the shape of a fact sentence ("<Name> has a <pet>." / "<이름>은 <동물>을 키운다."). */
export function parseStatements(text: string): Statement[] {
  const out: Statement[] = [];
  for (const raw of text.split(/(?<=\.)\s+|\n/)) {
    const s = raw.trim();
    if (!s.endsWith(".")) continue;
    const body = s.slice(0, -1);
    const lang: Lang = /[\uac00-\ud7a3]/.test(body) ? "ko" : "en";
    for (const [relation, re] of lang === "en" ? EN_PATTERNS : KO_PATTERNS) {
      const m = body.match(re);
      if (m) {
        out.push({ text: s, lang, name: m[1], relation, value: m[2] });
        break;
      }
    }
  }
  return out;
}

/** true: the table says so; false: the resident exists but the value is another (or no value of the relation); invented: no such resident. */
export type Verdict = "true" | "false" | "invented";

export interface CheckedStatement extends Statement {
  verdict: Verdict;
  /** The fact the statement is about (if the resident exists). */
  fact?: Fact;
}

/** Check parsed statements against the fact table. */
export function checkStatements(statements: Statement[], facts: Fact[]): CheckedStatement[] {
  const byName = new Map<string, Fact[]>();
  for (const f of facts) {
    for (const n of [f.entityEn, f.entityKo]) byName.set(n, [...(byName.get(n) ?? []), f]);
  }
  return statements.map((s) => {
    const fact = (byName.get(s.name) ?? []).find((f) => f.relation === s.relation);
    if (!fact) return { ...s, verdict: "invented" as Verdict };
    const truth = s.lang === "en" ? fact.valueEn : fact.valueKo;
    return { ...s, fact, verdict: (s.value === truth ? "true" : "false") as Verdict };
  });
}

/** Character trigrams of a text without spaces and punctuation (works for English and Korean alike). */
export function trigrams(text: string): Set<string> {
  const chars = Array.from(text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ""));
  const out = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) out.add(chars.slice(i, i + 3).join(""));
  return out;
}

export interface Retrieved {
  fact: Fact;
  sentence: string;
  /** Trigrams shared with the query. */
  score: number;
}

/**
 * The "look it up" step: every fact sentence of the table (in the query's language) is a
 * document; a query retrieves the k sentences sharing the most character trigrams with it
 * (ties: table order). A question names the resident, so the top sentences are theirs.
 */
export class FactRetriever {
  private docs: { fact: Fact; lang: Lang; sentence: string; grams: Set<string> }[] = [];

  constructor(facts: Fact[]) {
    for (const fact of facts) {
      for (const lang of ["en", "ko"] as Lang[]) {
        const sentence = lang === "en" ? fact.sentenceEn : fact.sentenceKo;
        this.docs.push({ fact, lang, sentence, grams: trigrams(sentence) });
      }
    }
  }

  retrieve(query: string, k = 4, lang?: Lang): Retrieved[] {
    if (!(Number.isInteger(k) && k >= 1)) throw new Error(`FactRetriever.retrieve: k must be a whole number ≥ 1, got ${k}.`);
    const l: Lang = lang ?? (/[\uac00-\ud7a3]/.test(query) ? "ko" : "en");
    const q = trigrams(query);
    const scored = this.docs
      .filter((d) => d.lang === l)
      .map((d, i) => {
        let score = 0;
        for (const g of d.grams) if (q.has(g)) score++;
        return { i, fact: d.fact, sentence: d.sentence, score };
      });
    scored.sort((a, b) => b.score - a.score || a.i - b.i);
    return scored.slice(0, k).map(({ fact, sentence, score }) => ({ fact, sentence, score }));
  }
}

/**
 * Cross-checking an answer against retrieved sentences: keep only the values the sources state
 * for this resident and relation, renormalise the model's probabilities over them, and answer
 * again. When no source states the fact, the result is unchanged (the model answers alone).
 */
export function groundedResult(result: ProbeResult, sources: string[]): ProbeResult {
  const p = result.probe;
  const name = nameOf(p.fact, p.lang);
  const values = relationValues(p.fact.relation).map((v) => termName(v, p.lang));
  const allowed = new Set<number>();
  for (const s of parseStatements(sources.join(" "))) {
    if (s.relation === p.fact.relation && s.name === name && values.includes(s.value)) allowed.add(values.indexOf(s.value));
  }
  if (allowed.size === 0) return result;
  const kept = result.probs.map((q, i) => (allowed.has(i) ? q : 0));
  const total = kept.reduce((a, b) => a + b, 0);
  return probeResult(p, total > 0 ? kept.map((q) => q / total) : kept.map((_, i) => (allowed.has(i) ? 1 / allowed.size : 0)));
}

export type AnswerOutcome = "correct" | "abstain" | "wrong";

/** The score that punishes confident errors: mean of +1 (right), 0 (abstain), −t/(1−t) (wrong), for 0 ≤ t < 1. */
export function abstentionScore(outcomes: AnswerOutcome[], t: number): number {
  if (!(t >= 0 && t < 1)) throw new Error(`abstentionScore: the threshold t must be in [0, 1), got ${t}.`);
  if (outcomes.length === 0) return NaN;
  const penalty = t / (1 - t);
  return outcomes.reduce((s, o) => s + (o === "correct" ? 1 : o === "wrong" ? -penalty : 0), 0) / outcomes.length;
}

/** What a probe result counts as: abstained, right or wrong. */
export function outcomeOf(r: ProbeResult): AnswerOutcome {
  return r.abstained ? "abstain" : r.correct ? "correct" : "wrong";
}

/** Answer only when the confidence is at least `threshold`, else abstain. */
export function thresholdOutcomes(results: ProbeResult[], threshold: number): AnswerOutcome[] {
  return results.map((r) => (r.confidence >= threshold ? (r.correct ? "correct" : "wrong") : "abstain"));
}

/**
 * R-Tuning-style training records (Zhang et al. 2024): each question keeps its answer when
 * `knows(record)` is true, otherwise its target becomes "I don't know." / "모르겠습니다.";
 * `unknownPerKnown` caps the share of the second kind (the rest are left out).
 */
export function abstentionRecords(records: InstructionRecord[], knows: (r: InstructionRecord) => boolean, options: { unknownPerKnown?: number } = {}): InstructionRecord[] {
  const known = records.filter((r) => knows(r));
  const unknown = records.filter((r) => !knows(r));
  // At most unknownPerKnown "I don't know" records per known one (evenly spread over the list), so abstaining is not always the safest bet.
  const keep = options.unknownPerKnown === undefined ? unknown.length : Math.min(unknown.length, Math.round(options.unknownPerKnown * known.length));
  const chosen = new Set(Array.from({ length: keep }, (_, i) => unknown[Math.floor((i * unknown.length) / keep)]));
  return records.filter((r) => knows(r) || chosen.has(r)).map((r) => (knows(r) ? r : { ...r, response: ABSTAIN[r.lang] }));
}
