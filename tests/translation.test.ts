/**
 * Chapter 04's lib: translation data, the decoder-only format and its loss mask, the
 * variants, and exact match by teacher forcing — equal to greedy decoding, pair by pair.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { EncoderDecoder, GPT } from "../lib/model";
import { crossAttentionMap, numberAlignment, decoderOnlyExamples, exactMatches, makeTranslator, promptResponseBatch, train, translate, translationData, translatorTask } from "../lib/train";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

describe("translation data and formats", () => {
  it("numbers are word-level pairs ending with </s>; the tokenizer round-trips the Korean", () => {
    const d = translationData("number");
    expect(d.train.length).toBe(3000);
    expect(d.test.length).toBe(500);
    const first = d.test[0];
    expect(first.target[first.target.length - 1]).toBe(d.ids.end);
    expect(d.tokenizer.decode(first.target.slice(0, -1))).toBe(d.testText[0].ko);
    expect(d.tokenizer.tokenTexts(first.source).join(" ")).toBe(d.testText[0].en.replace(/-/g, " "));
    expect(() => translationData("poem" as never)).toThrow(/kind must be "number" or "sentence"/);
  });

  it("the rule-based alignment of numbers reproduces every Korean reference, syllable by syllable", () => {
    const d = translationData("number");
    for (const [i, p] of [...d.train, ...d.test].entries()) {
      const words = d.tokenizer.tokenTexts(p.source);
      const ko = d.tokenizer.tokenTexts(p.target.slice(0, -1));
      expect(numberAlignment(words).map((a) => a.token), `pair ${i}: ${words.join(" ")}`).toEqual(ko);
    }
    expect(numberAlignment(["three", "hundred", "thirty", "six"]).map((a) => `${a.token}←${a.source}`)).toEqual(["삼←0", "백←1", "삼←2", "십←2", "육←3"]);
    expect(() => numberAlignment(["eleventy"])).toThrow(/not an English number word/);
  });

  it("the decoder-only format puts the loss on the target and its end token only", () => {
    const d = translationData("number");
    const [ex] = decoderOnlyExamples([{ source: [10, 11], target: [20, 21, d.ids.end] }], d.ids.sep);
    expect(ex).toEqual({ prompt: [10, 11, d.ids.sep], response: [20, 21, d.ids.end] });
    const b = promptResponseBatch([ex], { padId: d.ids.pad });
    expect(Array.from(b.ids)).toEqual([10, 11, d.ids.sep, 20, 21]);
    expect(Array.from(b.targets)).toEqual([-1, -1, 20, 21, d.ids.end]);
  });
});

describe("translators", () => {
  it("teacher-forced exact match equals greedy decoding, pair by pair, for every variant", async () => {
    const d = translationData("number");
    const size = { dModel: 32, nHeads: 4, layers: 1, seed: 1 };
    for (const variant of ["encoder-decoder", "decoder-only", "prefix-lm"] as const) {
      const model = makeTranslator(variant, d, size);
      expect(model instanceof EncoderDecoder).toBe(variant === "encoder-decoder");
      await train(translatorTask(model, variant, d), { steps: 120, lr: 5e-3, seed: 2 });
      const pairs = d.test.slice(0, 60);
      const byTeacherForcing = exactMatches(model, variant, pairs, d);
      const byDecoding = pairs.map((p) => translate(model, variant, p.source, d).join() === p.target.slice(0, -1).join());
      expect(byTeacherForcing, variant).toEqual(byDecoding);
      expect(byDecoding.some(Boolean) || byDecoding.some((x) => !x)).toBe(true);
      model.dispose();
    }
  });

  it("cross-attention maps: one row per written token, rows sum to 1 over the source", () => {
    const d = translationData("number");
    const model = makeTranslator("encoder-decoder", d, { dModel: 16, nHeads: 2, layers: 2, seed: 3 }) as EncoderDecoder;
    const before = tf.memory().numTensors;
    const maps = crossAttentionMap(model, d.test[0].source, [5, 6, 7], d.ids.start);
    expect(maps.length).toBe(2);
    expect(maps[0].length).toBe(4);
    for (const row of maps[1]) {
      expect(row.length).toBe(d.test[0].source.length);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    const gpt = makeTranslator("decoder-only", d, { dModel: 16, nHeads: 2, layers: 2, seed: 3 });
    expect(gpt instanceof GPT).toBe(true);
    expect((gpt as GPT).config.contextLength).toBe(d.maxSource + 1 + d.maxTarget);
    gpt.dispose();
  });
});
