/**
 * Chapter 09's lib (lib/training/hallucination.ts, exported from lib/eval): each function
 * against values worked out by hand, the fast candidate scoring against the plain one,
 * and no tensor leaks.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { loadFacts } from "../lib/datasets";
import {
  ABSTAIN,
  EXPOSURE_BUCKETS,
  FactRetriever,
  abstentionRecords,
  abstentionScore,
  accuracyAtCoverage,
  agreement,
  auroc,
  candidateSentences,
  checkStatements,
  entropy,
  expectedCalibrationError,
  exposureBucket,
  factProbes,
  factQuestion,
  factSentence,
  QUESTION_PHRASINGS,
  groundedResult,
  monofactRate,
  normalise,
  outcomeOf,
  parseStatements,
  probeFacts,
  probeResult,
  relationValues,
  reliabilityBins,
  riskCoverage,
  selfConsistency,
  statedValue,
  thresholdOutcomes,
  trigrams,
  truthIndex,
} from "../lib/eval";
import { GPT } from "../lib/model";
import { promptResponseBatch } from "../lib/train";
import { BPETokenizer } from "../lib/tokenizer";
import { datasetsDir } from "../lib/tools/paths";
import type { InstructionRecord } from "../lib/datasets";
import { factSentence as generatorSentence } from "../lib/tools/datagen/facts";
import { QUESTIONS } from "../lib/tools/datagen/instructions";
import { ANIMALS, CITIES, FOODS, JOBS } from "../lib/tools/datagen/world";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const facts = loadFacts();
const gunwoo = facts.find((f) => f.id === "p000-lives_in")!; // Gunwoo Jung lives in Dalmaru. / 정건우는 달마루에 산다.

describe("buckets and the closed set of answers", () => {
  it("exposureBucket: 0, 1, 2–3, 4–9, ≥10", () => {
    expect([0, 1, 2, 3, 4, 9, 10, 150].map(exposureBucket)).toEqual(["0", "1", "2–3", "2–3", "4–9", "4–9", "≥10", "≥10"]);
    expect(EXPOSURE_BUCKETS).toEqual(["0", "1", "2–3", "4–9", "≥10"]);
    expect(() => exposureBucket(-1)).toThrow(/whole number/);
    expect(() => exposureBucket(1.5)).toThrow(/whole number/);
  });

  it("the lib's values, sentences and question phrasings are the data generator's (the lib does not import the tools)", () => {
    const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();
    expect(ids(relationValues("lives_in"))).toEqual(ids(CITIES));
    expect(ids(relationValues("works_as"))).toEqual(ids(JOBS));
    expect(ids(relationValues("has_pet"))).toEqual(ids(ANIMALS));
    expect(ids(relationValues("likes"))).toEqual(ids(FOODS));
    for (const f of facts) {
      for (const v of relationValues(f.relation)) {
        expect(factSentence(f.entityEn, f.relation, v.en, "en")).toBe(generatorSentence(f.entityEn, f.relation, v.en, "en"));
        expect(factSentence(f.entityKo, f.relation, v.ko, "ko")).toBe(generatorSentence(f.entityKo, f.relation, v.ko, "ko"));
      }
      for (const lang of ["en", "ko"] as const) {
        const name = lang === "en" ? f.entityEn : f.entityKo;
        expect(QUESTION_PHRASINGS[f.relation][lang](name)).toEqual(QUESTIONS[f.relation][lang](name));
      }
    }
  });

  it("relationValues: 12 towns, 13 jobs, 10 pets, 12 foods; the true sentence is among the candidates at truthIndex", () => {
    expect(["lives_in", "works_as", "has_pet", "likes"].map((r) => relationValues(r as never).length)).toEqual([12, 13, 10, 12]);
    for (const f of facts.slice(0, 40)) {
      expect(candidateSentences(f, "en")[truthIndex(f)]).toBe(f.sentenceEn);
      expect(candidateSentences(f, "ko")[truthIndex(f)]).toBe(f.sentenceKo);
    }
    expect(factQuestion(gunwoo, "en")).toBe("Where does Gunwoo Jung live?");
    expect(factQuestion(gunwoo, "ko", 0)).toBe("정건우는 어디에 사나요?");
    expect(() => factQuestion(gunwoo, "en", 3)).toThrow(/phrasing/);
  });
});

describe("confidence", () => {
  it("entropy and normalise by hand", () => {
    expect(entropy([0.5, 0.5])).toBeCloseTo(Math.log(2), 12);
    expect(entropy([1, 0, 0])).toBe(0);
    expect(entropy([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(Math.log(4), 12);
    const p = normalise([0, Math.log(3)]);
    expect(p[0]).toBeCloseTo(0.25, 12);
    expect(p[1]).toBeCloseTo(0.75, 12);
    expect(normalise([-1000, -1000 + Math.log(3)])[1]).toBeCloseTo(0.75, 12); // stable far from 0
  });

  it("probeResult: the most probable value; 'I don't know' only when it outweighs all answers together", () => {
    const [probe] = factProbes({ encode: (s: string) => Array.from(s, (c) => c.charCodeAt(0) % 200), decode: () => "" }, [gunwoo], { mode: "question", langs: ["en"], abstain: true });
    expect(probe.candidates.length).toBe(13);
    expect(probe.abstain).toBe(12);
    const values = (top: number, pTop: number, pAbstain: number) => {
      const rest = (1 - pTop - pAbstain) / 11;
      return [...Array.from({ length: 12 }, (_, i) => (i === top ? pTop : rest)), pAbstain];
    };
    const right = probeResult(probe, values(probe.truth, 0.4, 0.3));
    expect([right.answer, right.correct, right.abstained, right.confidence]).toEqual([probe.truth, true, false, 0.4]);
    expect(right.chance).toBeCloseTo(1 / 12, 12);
    // p(abstain) = 0.45 > 0.4: larger than any one answer but not than all of them → it answers.
    expect(probeResult(probe, values(0, 0.4, 0.45)).abstained).toBe(false);
    const abst = probeResult(probe, values(0, 0.2, 0.6));
    expect([abst.abstained, abst.correct, abst.answer, outcomeOf(abst)]).toEqual([true, false, 12, "abstain"]);
  });
});

describe("calibration", () => {
  // By hand: bins [0.9,1]: 0.95 right → |1 − 0.95| = 0.05; [0.8,0.9): 0.85 wrong → 0.85;
  // [0.6,0.7): 0.62 right → 0.38; [0.3,0.4): 0.35 wrong, 0.31 right → |0.5 − 0.33| = 0.17.
  // ECE = (0.05 + 0.85 + 0.38)/5 + (2/5)·0.17 = 0.256 + 0.068 = 0.324.
  const conf = [0.95, 0.85, 0.62, 0.35, 0.31];
  const right = [true, false, true, false, true];

  it("reliabilityBins: counts, mean confidence and accuracy per bin", () => {
    const bins = reliabilityBins(conf, right);
    expect(bins.length).toBe(10);
    expect(bins.map((b) => b.count)).toEqual([0, 0, 0, 2, 0, 0, 1, 0, 1, 1]);
    expect(bins[3].confidence).toBeCloseTo(0.33, 12);
    expect(bins[3].accuracy).toBe(0.5);
    expect(bins[0].accuracy).toBeNaN();
    expect(reliabilityBins([1, 0.1, 0], [true, true, false]).map((b) => b.count)).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 1]); // 1 in the last bin, 0.1 in the second
  });

  it("expectedCalibrationError = 0.324 on the example; 0 when perfectly calibrated", () => {
    expect(expectedCalibrationError(conf, right)).toBeCloseTo(0.324, 12);
    expect(expectedCalibrationError([0.75, 0.75, 0.75, 0.75], [true, true, true, false])).toBeCloseTo(0, 12);
    expect(expectedCalibrationError([], [])).toBeNaN();
    expect(() => expectedCalibrationError([1.2], [true])).toThrow(/\[0, 1\]/);
    expect(() => expectedCalibrationError([0.5], [])).toThrow(/one of each/);
  });
});

describe("detection", () => {
  it("auroc: 3 of 4 pairs ordered right = 0.75; ties count half; NaN with one class", () => {
    expect(auroc([0.9, 0.8, 0.7, 0.6], [true, false, true, false])).toBeCloseTo(0.75, 12);
    expect(auroc([0.5, 0.5], [true, false])).toBe(0.5);
    expect(auroc([3, 2, 1], [true, true, false])).toBe(1);
    expect(auroc([1, 2, 3], [true, true, false])).toBe(0);
    expect(auroc([0.2, 0.2, 0.9], [true, false, true])).toBeCloseTo(0.75, 12); // (0.5 + 1) / 2
    expect(auroc([1, 2], [true, true])).toBeNaN();
  });

  it("riskCoverage and accuracyAtCoverage by hand (a tie answers both or neither)", () => {
    const points = riskCoverage([0.9, 0.8, 0.8, 0.1], [true, false, true, false]);
    expect(points).toEqual([
      { threshold: 0.9, coverage: 0.25, accuracy: 1 },
      { threshold: 0.8, coverage: 0.75, accuracy: 2 / 3 },
      { threshold: 0.1, coverage: 1, accuracy: 0.5 },
    ]);
    expect(accuracyAtCoverage(points, 0.5)).toBeCloseTo(2 / 3, 12);
    expect(accuracyAtCoverage(points, 1)).toBe(0.5);
  });

  it("agreement: the majority answer and its share", () => {
    expect(agreement([1, 1, 2])).toEqual({ share: 2 / 3, majority: 1 });
    expect(agreement([4, 4, 4, 4, 4, 4]).share).toBe(1);
    expect(() => agreement([])).toThrow(/no answers/);
  });

  it("statedValue: the value named after the resident (−1 when none)", () => {
    const towns = relationValues("lives_in").map((v) => v.id);
    expect(statedValue("Gunwoo Jung lives in Redcliff.", gunwoo, "en")).toBe(towns.indexOf("redcliff"));
    expect(statedValue("정건우는 달마루에 산다.", gunwoo, "ko")).toBe(towns.indexOf("dalmaru"));
    expect(statedValue("Gunwoo Jung likes apples.", gunwoo, "en")).toBe(-1);
    expect(statedValue("Gunwoo Jung lives in Sollim, not in Oakport.", gunwoo, "en")).toBe(towns.indexOf("sollim"));
  });
});

describe("why hallucination must happen, and checking what a model writes", () => {
  it("monofactRate = n₁ / N: facts stated once over all statements", () => {
    // counts 1, 1, 2, 0, 6: two monofacts among 10 statements.
    expect(monofactRate([1, 1, 2, 0, 6])).toBeCloseTo(0.2, 12);
    expect(monofactRate([0, 0])).toBeNaN();
    expect(() => monofactRate([-1])).toThrow(/whole numbers/);
    // The course corpus: 75 facts stated once, 780 statements of facts in all.
    expect(monofactRate(facts.map((f) => f.mentions))).toBeCloseTo(75 / facts.reduce((s, f) => s + f.mentions, 0), 12);
  });

  it("parseStatements + checkStatements: true, false and invented, in both languages", () => {
    const wrongTown = gunwoo.sentenceEn.replace("Dalmaru", "Oakport");
    const job = facts.find((f) => f.entity === "p000" && f.relation === "works_as")!; // 정건우는 사서다.
    const text = `Notes about the residents.\n${gunwoo.sentenceEn} ${wrongTown} Mina Nobody likes bread. The clerk wrote this.\n${gunwoo.sentenceKo} ${job.sentenceKo} 정건우는 교사이다.`;
    const parsed = parseStatements(text);
    expect(parsed.map((s) => [s.name, s.relation, s.value])).toEqual([
      ["Gunwoo Jung", "lives_in", "Dalmaru"],
      ["Gunwoo Jung", "lives_in", "Oakport"],
      ["Mina Nobody", "likes", "bread"],
      ["정건우", "lives_in", "달마루"],
      ["정건우", "works_as", "사서"],
      ["정건우", "works_as", "교사"],
    ]);
    expect(checkStatements(parsed, facts).map((s) => s.verdict)).toEqual(["true", "false", "invented", "true", "true", "false"]);
  });

  it("trigrams and the retriever: the most shared character trigrams (12 for the resident's own sentence)", () => {
    expect([...trigrams("Ab c!")]).toEqual(["abc"]);
    expect(trigrams("ab").size).toBe(0);
    const r = new FactRetriever(facts);
    const top = r.retrieve("Where does Gunwoo Jung live?", 4);
    // "wheredoesgunwoojunglive" and "gunwoojunglivesindalmaru" share gun unw nwo woo ooj oju jun ung ngl gli liv ive.
    expect(top[0]).toMatchObject({ sentence: "Gunwoo Jung lives in Dalmaru.", score: 12 });
    expect(top.every((x) => x.fact.entity === "p000")).toBe(true);
    expect(r.retrieve("정건우는 어디에 사나요?", 4).every((x) => x.fact.entity === "p000" && /[가-힣]/.test(x.sentence))).toBe(true);
    expect(() => r.retrieve("x", 0)).toThrow(/k must be/);
  });
});

describe("cross-checking against sources", () => {
  it("groundedResult keeps only the values the sources state for this resident and relation", () => {
    const [probe] = factProbes({ encode: (s: string) => Array.from(s, (c) => c.charCodeAt(0) % 200), decode: () => "" }, [gunwoo], { mode: "question", langs: ["en"] });
    const towns = relationValues("lives_in").map((v) => v.id);
    const probs = towns.map((t) => (t === "oakport" ? 0.45 : t === "sollim" ? 0.15 : 0.4 / 10));
    const alone = probeResult(probe, probs);
    expect(alone.answer).toBe(towns.indexOf("oakport"));
    const fixed = groundedResult(alone, ["Gunwoo Jung lives in Dalmaru.", "Gunwoo Jung likes apples."]);
    expect([fixed.answer, fixed.correct, fixed.confidence]).toEqual([towns.indexOf("dalmaru"), true, 1]);
    // Two sources disagree: the model's probabilities decide between them, renormalised (0.04 vs 0.15).
    const two = groundedResult(alone, ["Gunwoo Jung lives in Dalmaru.", "Gunwoo Jung lives in Sollim."]);
    expect(two.answer).toBe(towns.indexOf("sollim"));
    expect(two.confidence).toBeCloseTo(0.15 / 0.19, 12);
    // Nothing about this resident's town, or another resident: the answer is the model's own.
    expect(groundedResult(alone, ["Gunwoo Jung likes apples.", "Hajun Song lives in Gureumpo."])).toBe(alone);
  });
});

describe("abstention", () => {
  it("abstentionScore: +1, 0, −t/(1−t)", () => {
    const o = ["correct", "abstain", "wrong", "wrong"] as const;
    expect(abstentionScore([...o], 0.5)).toBeCloseTo((1 + 0 - 1 - 1) / 4, 12);
    expect(abstentionScore([...o], 0.75)).toBeCloseTo((1 + 0 - 3 - 3) / 4, 12);
    expect(abstentionScore([...o], 0)).toBeCloseTo(0.25, 12);
    expect(() => abstentionScore([...o], 1)).toThrow(/\[0, 1\)/);
  });

  it("thresholdOutcomes answers only at or above the threshold", () => {
    const [probe] = factProbes({ encode: (s: string) => Array.from(s, (c) => c.charCodeAt(0) % 200), decode: () => "" }, [gunwoo], { mode: "statement", langs: ["en"] });
    const sure = probeResult(probe, Array.from({ length: 12 }, (_, i) => (i === probe.truth ? 0.89 : 0.01)));
    const unsure = probeResult(probe, Array.from({ length: 12 }, (_, i) => (i === 0 ? 0.12 : 0.08)));
    expect(thresholdOutcomes([sure, unsure], 0.5)).toEqual(["correct", "abstain"]);
    expect(thresholdOutcomes([sure, unsure], 0.1)).toEqual(["correct", unsure.correct ? "correct" : "wrong"]);
  });

  it("abstentionRecords: unknown questions get 'I don't know', capped at unknownPerKnown per known one", () => {
    const rec = (id: string, lang: "en" | "ko"): InstructionRecord => ({ id, task: "qa", lang, prompt: `q${id}`, response: `a${id}` });
    const records = [rec("1", "en"), rec("2", "ko"), rec("3", "en"), rec("4", "en"), rec("5", "ko")];
    const knows = (r: InstructionRecord) => r.id === "1";
    expect(abstentionRecords(records, knows).map((r) => r.response)).toEqual(["a1", ABSTAIN.ko, ABSTAIN.en, ABSTAIN.en, ABSTAIN.ko]);
    const capped = abstentionRecords(records, knows, { unknownPerKnown: 2 });
    expect(capped.map((r) => r.id)).toEqual(["1", "2", "4"]);
    expect(capped.map((r) => r.response)).toEqual(["a1", "모르겠습니다.", "I don't know."]);
  });
});

describe("probing a model", () => {
  const tok = BPETokenizer.load(datasetsDir("models/base.tokenizer"));
  const model = () => new GPT({ vocabSize: tok.vocabSize, contextLength: 128, dModel: 32, nHeads: 2, nLayers: 2 }, { seed: 3 });

  it("probeFacts (shared prompt, KV cache) gives the distribution of scoring each prompt + candidate in full; no tensor leaks", () => {
    const gpt = model();
    const some = facts.slice(0, 6);
    const retriever = new FactRetriever(facts);
    for (const options of [{ mode: "statement" as const }, { mode: "question" as const, abstain: true }, { mode: "question" as const, context: (f: typeof gunwoo, l: "en" | "ko") => retriever.retrieve(factQuestion(f, l), 2, l).map((r) => r.sentence) }]) {
      const probes = factProbes(tok, some, options);
      const before = tf.memory().numTensors;
      const fast = probeFacts(gpt, probes, 20);
      expect(tf.memory().numTensors).toBe(before);
      for (const [i, p] of probes.entries()) {
        const b = promptResponseBatch(p.candidates.map((c) => ({ prompt: p.prompt, response: c })), { padId: 0 });
        const lp = gpt.sequenceLogProbs(b.ids, b.targets, { shape: [b.batchSize, b.length], attentionMask: b.attentionMask });
        const plain = normalise(Array.from(lp.dataSync()));
        lp.dispose();
        fast[i].probs.forEach((q, j) => expect(q).toBeCloseTo(plain[j], 5));
      }
    }
    gpt.dispose();
  });

  it("context sentences are dropped from the end until prompt and answer fit", () => {
    const long = (): string[] => Array.from({ length: 30 }, () => gunwoo.sentenceEn);
    const [p] = factProbes(tok, [gunwoo], { mode: "question", langs: ["en"], context: long });
    expect(p.prompt.length + Math.max(...p.candidates.map((c) => c.length)) - 1).toBeLessThanOrEqual(128);
    expect(p.text.split(gunwoo.sentenceEn).length - 1).toBeGreaterThan(3);
    expect(p.text.split(gunwoo.sentenceEn).length - 1).toBeLessThan(30);
  });

  it("selfConsistency: shares in [0, 1], the same for the same seed, no leaks", () => {
    const gpt = model();
    const probes = factProbes(tok, facts.slice(0, 2), { mode: "question", langs: ["en"] });
    const before = tf.memory().numTensors;
    const a = selfConsistency(gpt, tok, probes, { samples: 4, maxNewTokens: 6, seed: 5, reference: [0, 1] });
    const b = selfConsistency(gpt, tok, probes, { samples: 4, maxNewTokens: 6, seed: 5, reference: [0, 1] });
    expect(tf.memory().numTensors).toBe(before);
    expect(a).toEqual(b);
    for (const x of a) expect(x >= 0 && x <= 1).toBe(true);
    gpt.dispose();
  });
});
