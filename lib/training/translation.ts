/**
 * Translation, the task the 2017 Transformer was built for (chapter 04): English → Korean
 * with an encoder–decoder, and the same task with decoder-only models — one stack that
 * reads "source <sep> target" and predicts the next token, the loss on the target only.
 *
 *   translationData("number")              word-level pairs: "three hundred twelve" → 삼 백 십 이 </s>
 *   decoderOnlyExamples(pairs, sep)        the concatenated format: prompt = source + <sep>, response = target + </s>
 *   makeTranslator(variant, vocab, …)      "encoder-decoder" (L + L), "decoder-only" (L), "prefix-lm" (L)
 *   translatorTask(model, variant, data)   the task for lib/train's one loop
 *   exactMatchRate(model, variant, pairs)  share of pairs translated exactly (greedy)
 *   translate(model, variant, source)      greedy translation (lib/generate's loop)
 *   crossAttentionMap(model, source, out)  where each output token looks in the source (mean over heads)
 *
 * Exact match is measured with teacher forcing in one batched pass: greedy decoding writes
 * the reference exactly iff the model's top token is the reference token at every position
 * given the reference before it — the same number as decoding each sentence, far faster.
 */
import * as tf from "@tensorflow/tfjs";
import { loadTranslation } from "../datasets";
import { generate } from "../generation/loop";
import { EncoderDecoder } from "../model/encoderDecoder";
import { GPT } from "../model/gpt";
import { WordTokenizer } from "../tokenizer/word";
import { PromptResponse, promptResponseBatch, seq2seqBatch } from "./batches";
import { TrainingTask } from "./loop";
import { instructionTask, seq2seqTask } from "./tasks";

export type TranslationKind = "number" | "sentence";
export type TranslatorVariant = "encoder-decoder" | "decoder-only" | "prefix-lm";

/** One pair of token ids; the target ends with the end token. */
export interface TranslationPair {
  source: number[];
  target: number[];
}

export interface TranslationData {
  kind: TranslationKind;
  tokenizer: WordTokenizer;
  train: TranslationPair[];
  test: TranslationPair[];
  /** The English and Korean text of each test pair. */
  testText: { en: string; ko: string }[];
  ids: { pad: number; start: number; end: number; sep: number };
  /** Longest source and target (with its end token) over both splits. */
  maxSource: number;
  maxTarget: number;
}

export const SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<sep>"];

/**
 * The translation pairs of the course data set as word-level token ids. Numbers: English
 * number words → Korean numeral syllables (삼 백 십 이). Sentences: English words →
 * Korean words with their particles (톰은 역에서 …).
 */
export function translationData(kind: TranslationKind): TranslationData {
  if (kind !== "number" && kind !== "sentence") throw new Error(`translationData: kind must be "number" or "sentence", got ${JSON.stringify(kind)}.`);
  const train = loadTranslation("train").filter((r) => r.kind === kind);
  const test = loadTranslation("test").filter((r) => r.kind === kind);
  const pattern = kind === "number" ? "[a-z]+|[가-힣]" : "[A-Za-z]+|[가-힣]+|[.]";
  const tokenizer = WordTokenizer.fromTexts([...train, ...test].flatMap((r) => [r.en, r.ko]), { pattern, join: kind === "number" ? "" : " ", specials: SPECIAL_TOKENS });
  const [pad, start, end, sep] = SPECIAL_TOKENS.map((t) => tokenizer.id(t));
  const pairs = (rs: typeof train) => rs.map((r) => ({ source: tokenizer.encode(r.en), target: [...tokenizer.encode(r.ko), end] }));
  const trainPairs = pairs(train);
  const testPairs = pairs(test);
  const all = [...trainPairs, ...testPairs];
  return {
    kind,
    tokenizer,
    train: trainPairs,
    test: testPairs,
    testText: test.map((r) => ({ en: r.en, ko: r.ko })),
    ids: { pad, start, end, sep },
    maxSource: Math.max(...all.map((p) => p.source.length)),
    maxTarget: Math.max(...all.map((p) => p.target.length)),
  };
}

/** The decoder-only format: prompt = source + <sep>, response = target (ending with </s>); the loss goes on the response only. */
export function decoderOnlyExamples(pairs: TranslationPair[], sepId: number): PromptResponse[] {
  return pairs.map((p) => ({ prompt: [...p.source, sepId], response: p.target }));
}

export interface TranslatorSize {
  dModel: number;
  nHeads: number;
  /** Layers per stack: the encoder–decoder gets `layers` + `layers`, a decoder-only model `layers`. */
  layers: number;
  seed: number;
}

/** A translator of one variant, sized for the data (learned positions for all, so they differ only in their stacks). */
export function makeTranslator(variant: TranslatorVariant, data: TranslationData, size: TranslatorSize): GPT | EncoderDecoder {
  const common = { vocabSize: data.tokenizer.vocabSize, dModel: size.dModel, nHeads: size.nHeads, positional: "learned" as const };
  if (variant === "encoder-decoder") {
    return new EncoderDecoder({ ...common, sourceLength: data.maxSource, targetLength: data.maxTarget, nEncoderLayers: size.layers, nDecoderLayers: size.layers }, { seed: size.seed });
  }
  if (variant !== "decoder-only" && variant !== "prefix-lm") throw new Error(`makeTranslator: variant must be "encoder-decoder", "decoder-only" or "prefix-lm", got ${JSON.stringify(variant)}.`);
  return new GPT({ ...common, contextLength: data.maxSource + 1 + data.maxTarget, nLayers: size.layers }, { seed: size.seed });
}

function asGPT(model: GPT | EncoderDecoder, variant: TranslatorVariant): GPT {
  if (!(model instanceof GPT)) throw new Error(`the ${variant} variant needs a GPT; got an encoder–decoder (variant "encoder-decoder").`);
  return model;
}

/** The training task of a translator (lib/train's one loop). */
export function translatorTask(model: GPT | EncoderDecoder, variant: TranslatorVariant, data: TranslationData, batchSize = 32): TrainingTask<unknown> {
  if (model instanceof EncoderDecoder) return seq2seqTask(model, data.train, { padId: data.ids.pad, startId: data.ids.start, batchSize }) as TrainingTask<unknown>;
  return instructionTask(asGPT(model, variant), decoderOnlyExamples(data.train, data.ids.sep), { padId: data.ids.pad, batchSize, prefixLM: variant === "prefix-lm" }) as TrainingTask<unknown>;
}

/** Per row: is the argmax right at every counted position (targets ≥ 0)? logits (B·T, V) or (B, T, V). */
export function rowsAllCorrect(logits: tf.Tensor, targets: Int32Array, batch: number): boolean[] {
  const argMax = tf.tidy(() => tf.argMax(logits.reshape([targets.length, -1]), -1));
  const predicted = argMax.dataSync() as Int32Array; // B·T ints, small
  argMax.dispose();
  const length = targets.length / batch;
  return Array.from({ length: batch }, (_, b) => {
    for (let t = 0; t < length; t++) {
      const target = targets[b * length + t];
      if (target >= 0 && predicted[b * length + t] !== target) return false;
    }
    return true;
  });
}

/** For each pair: would greedy decoding write the target exactly? (Teacher forcing, batched — see the top of this file.) */
export function exactMatches(model: GPT | EncoderDecoder, variant: TranslatorVariant, pairs: TranslationPair[], data: TranslationData, batchSize = 250): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < pairs.length; i += batchSize) {
    const chunk = pairs.slice(i, i + batchSize);
    if (model instanceof EncoderDecoder) {
      const b = seq2seqBatch(chunk, { padId: data.ids.pad, startId: data.ids.start });
      const { logits } = model.forward(b.source, b.decoderInput, { sourceShape: [b.batchSize, b.sourceLength], targetShape: [b.batchSize, b.targetLength], sourceMask: b.sourceMask });
      out.push(...rowsAllCorrect(logits, b.targets, b.batchSize));
      logits.dispose();
    } else {
      const b = promptResponseBatch(decoderOnlyExamples(chunk, data.ids.sep), { padId: data.ids.pad });
      const { logits } = asGPT(model, variant).forward(b.ids, { shape: [b.batchSize, b.length], attentionMask: b.attentionMask, prefixLengths: variant === "prefix-lm" ? b.promptLengths : undefined });
      out.push(...rowsAllCorrect(logits, b.targets, b.batchSize));
      logits.dispose();
    }
  }
  return out;
}

/** Share of pairs translated exactly (greedy). */
export function exactMatchRate(model: GPT | EncoderDecoder, variant: TranslatorVariant, pairs: TranslationPair[], data: TranslationData): number {
  const m = exactMatches(model, variant, pairs, data);
  return m.filter(Boolean).length / m.length;
}

/** Greedy translation of one source (token ids), without the end token. */
export function translate(model: GPT | EncoderDecoder, variant: TranslatorVariant, source: number[], data: TranslationData): number[] {
  const options = { maxNewTokens: data.maxTarget, greedy: true, stopTokens: [data.ids.end] };
  const out =
    model instanceof EncoderDecoder
      ? generate(model, [data.ids.start], { ...options, source })
      : generate(asGPT(model, variant), [...source, data.ids.sep], { ...options, prefixLength: variant === "prefix-lm" ? source.length + 1 : undefined });
  return out.newTokens.filter((t) => t !== data.ids.end);
}

/**
 * Cross-attention of an encoder–decoder for one translation: per decoder layer, rows =
 * the output tokens (what the decoder writes next from each position), columns = the
 * source tokens, averaged over heads.
 */
export function crossAttentionMap(model: EncoderDecoder, source: number[], output: number[], startId: number): number[][][] {
  const decoderInput = [startId, ...output];
  const out = model.forward([source], [decoderInput], { returnAttention: true });
  const crossAttention = out.crossAttention!;
  const maps = crossAttention.map((layer) => {
    const heads = (layer.arraySync() as number[][][][])[0]; // (H, T, S)
    return heads[0].map((row, t) => row.map((_, s) => heads.reduce((sum, h) => sum + h[t][s], 0) / heads.length));
  });
  tf.dispose([out.logits, ...crossAttention, ...(out.selfAttention ?? []), ...(out.encoderAttention ?? [])]);
  return maps;
}

const DIGITS: Record<string, string> = { one: "일", two: "이", three: "삼", four: "사", five: "오", six: "육", seven: "칠", eight: "팔", nine: "구" };
const TEENS: Record<string, string> = { ten: "", eleven: "일", twelve: "이", thirteen: "삼", fourteen: "사", fifteen: "오", sixteen: "육", seventeen: "칠", eighteen: "팔", nineteen: "구" };
const TENS: Record<string, string> = { twenty: "이", thirty: "삼", forty: "사", fifty: "오", sixty: "육", seventy: "칠", eighty: "팔", ninety: "구" };

/** Which Korean token a word of an English number produces, and what kind of token it is. */
export interface AlignedToken {
  token: string;
  /** Index of the English word it translates. */
  source: number;
  kind: "digit" | "천" | "백" | "십 (teen)" | "십 (after a tens digit)" | "tens digit";
}

/**
 * The rule-based alignment of an English number (as words, "forty-four" split in two) to
 * its Korean syllables: three thousand five hundred thirty six → 삼←three 천←thousand
 * 오←five 백←hundred 삼←thirty 십←thirty 육←six. No 일 before 천/백/십; teens and tens
 * give two syllables from one word. An unknown word is an error.
 */
export function numberAlignment(words: string[]): AlignedToken[] {
  const out: AlignedToken[] = [];
  words.forEach((w, i) => {
    const next = words[i + 1];
    if (w in DIGITS) {
      if ((next === "thousand" || next === "hundred") && w === "one") return; // 천, 백: no 일 in front
      out.push({ token: DIGITS[w], source: i, kind: "digit" });
    } else if (w === "thousand") out.push({ token: "천", source: i, kind: "천" });
    else if (w === "hundred") out.push({ token: "백", source: i, kind: "백" });
    else if (w in TEENS) {
      out.push({ token: "십", source: i, kind: "십 (teen)" });
      if (TEENS[w]) out.push({ token: TEENS[w], source: i, kind: "digit" });
    } else if (w in TENS) {
      out.push({ token: TENS[w], source: i, kind: "tens digit" });
      out.push({ token: "십", source: i, kind: "십 (after a tens digit)" });
    } else throw new Error(`numberAlignment: "${w}" is not an English number word this course uses (one … nineteen, twenty … ninety, hundred, thousand).`);
  });
  return out;
}
