/**
 * Loaders for the course datasets in datasets/ (made by `npm run datasets`;
 * see datasets/README.md for what each file holds and which chapter uses it).
 *
 *   loadCorpus("train")            → the text, documents separated by a blank line
 *   loadCorpusDocuments("val")     → [{ id, lang, text }]
 *   loadFacts()                    → [{ entityEn, relation, valueEn, sentenceEn, mentions, … }]
 *   loadInstructions("train")      → [{ task: "qa" | "summarize", prompt, response, … }]
 *   loadPreferences("train")       → [{ prompt, candidates, ruleRanking, ranking, flipped, … }]
 *   loadTranslation("test")        → [{ kind: "number" | "sentence", en, ko }]
 *   loadBaseModel()                → { model, tokenizer, metadata }: the pre-trained base GPT (datasets/models/)
 *   loadFineTunedModel()           → the same for the fine-tuned GPT (chapter 07's `npm run finetune`; chapter 08 starts from it)
 */
import * as fs from "fs";
import * as path from "path";
import { loadModel } from "./model/checkpoint";
import { GPT } from "./model/gpt";
import { BPETokenizer } from "./tokenizer/bpe";
import { datasetsDir } from "./tools/paths";
import type { Fact } from "./tools/datagen/facts";
import type { InstructionRecord } from "./tools/datagen/instructions";
import type { PreferenceRecord } from "./tools/datagen/preferences";
import { detectLang } from "./tools/datagen/text";
import type { TranslationRecord } from "./tools/datagen/translation";
import type { Lang } from "./tools/datagen/world";

export type { Fact, Relation } from "./tools/datagen/facts";
export type { InstructionRecord } from "./tools/datagen/instructions";
export type { Candidate, PreferenceRecord, Style } from "./tools/datagen/preferences";
export type { TranslationRecord } from "./tools/datagen/translation";
export type { Lang } from "./tools/datagen/world";
/** Documents in a corpus file are separated by one blank line. */
export const CORPUS_SEPARATOR = "\n\n";

export interface CorpusDocument {
  id: string; // "train-00042": split and position in the file
  lang: Lang; // "ko" if the document contains any Hangul, else "en"
  text: string;
}

const FIX = "Run `npm run datasets` to regenerate the course datasets.";

/** A dataset file's text; a missing file is an error that names the fix. */
export function readDataset(file: string): string {
  const full = datasetsDir(file);
  if (!fs.existsSync(full)) throw new Error(`Dataset file ${full} is missing. ${FIX}`);
  return fs.readFileSync(full, "utf8");
}

function checkSplit<T extends string>(split: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(split)) throw new Error(`${what}: unknown split "${split}" (use ${allowed.map((s) => `"${s}"`).join(" or ")})`);
  return split as T;
}

function readJsonl<T>(file: string, required: string[]): T[] {
  return parseJsonl<T>(readDataset(file), file, required);
}

/** Parse JSONL text from datasets/<file>, checking that every record has the listed fields. */
export function parseJsonl<T>(text: string, file: string, required: string[]): T[] {
  if (!text.endsWith("\n")) throw new Error(`Dataset file datasets/${file} is truncated (no final newline). ${FIX}`);
  const lines = text.slice(0, -1).split("\n");
  return lines.map((line, i) => {
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      throw new Error(`datasets/${file} line ${i + 1} is not valid JSON (${(err as Error).message}). ${FIX}`);
    }
    if (typeof rec !== "object" || rec === null) throw new Error(`datasets/${file} line ${i + 1} is not a JSON object. ${FIX}`);
    for (const key of required) {
      if (!(key in rec)) throw new Error(`datasets/${file} line ${i + 1} has no "${key}" field. ${FIX}`);
    }
    return rec as T;
  });
}

/** The corpus split as one string: documents separated by a blank line (CORPUS_SEPARATOR). */
export function loadCorpus(split: "train" | "val"): string {
  checkSplit(split, ["train", "val"] as const, "loadCorpus");
  const text = readDataset(`corpus.${split}.txt`);
  if (text.length === 0 || !text.endsWith("\n") || text.includes("\n\n\n")) {
    throw new Error(`Dataset file datasets/corpus.${split}.txt is empty or damaged. ${FIX}`);
  }
  return text;
}

/** The corpus split as documents, in file order. */
export function loadCorpusDocuments(split: "train" | "val"): CorpusDocument[] {
  const text = loadCorpus(split);
  return text
    .slice(0, -1)
    .split(CORPUS_SEPARATOR)
    .map((t, i) => ({ id: `${split}-${String(i).padStart(5, "0")}`, lang: detectLang(t), text: t }));
}

/** The world's fact table, with exact mention counts in corpus.train.txt. */
export function loadFacts(): Fact[] {
  return readJsonl<Fact>("facts.jsonl", ["id", "entityEn", "entityKo", "relation", "valueEn", "valueKo", "sentenceEn", "sentenceKo", "mentions", "mentionsEn", "mentionsKo", "qaSplit"]);
}

/** Fine-tuning pairs: question answering and one-sentence summaries. */
export function loadInstructions(split: "train" | "test"): InstructionRecord[] {
  checkSplit(split, ["train", "test"] as const, "loadInstructions");
  return readJsonl<InstructionRecord>(`instructions.${split}.jsonl`, ["id", "task", "lang", "prompt", "response"]);
}

/** Preference rankings for RLHF/DPO (default: the train split). */
export function loadPreferences(split: "train" | "test" = "train"): PreferenceRecord[] {
  checkSplit(split, ["train", "test"] as const, "loadPreferences");
  return readJsonl<PreferenceRecord>(`preferences.${split}.jsonl`, ["id", "lang", "prompt", "candidates", "ruleRanking", "ranking", "flipped"]);
}

/** English → Korean pairs (numbers and short sentences). */
export function loadTranslation(split: "train" | "test"): TranslationRecord[] {
  checkSplit(split, ["train", "test"] as const, "loadTranslation");
  return readJsonl<TranslationRecord>(`translation.${split}.jsonl`, ["id", "kind", "en", "ko"]);
}

/** The course's base model: a GPT pre-trained by `npm run pretrain` and its tokenizer, committed in datasets/models/. */
export interface BaseModel {
  model: GPT;
  tokenizer: BPETokenizer;
  /** The checkpoint's metadata: the recipe, the corpus hash, the losses. */
  metadata: Record<string, string>;
}

/**
 * Load the base model (chapters 05–09). `dir` defaults to datasets/models; to use your own,
 * run `npm run pretrain -- --out DIR` and pass DIR. The caller disposes `model`.
 */
export function loadBaseModel(dir = datasetsDir("models")): BaseModel {
  return loadCheckpointWithTokenizer(path.join(dir, "base.safetensors"), path.join(dir, "base.tokenizer"), "Run `npm run pretrain` (tens of minutes, once) or pass the folder you trained into.", "Run `npm run pretrain` again.");
}

/**
 * Load the fine-tuned model (chapter 07's FINETUNE_RECIPE, made by `npm run finetune`; chapter 08
 * starts from it): the base GPT after supervised fine-tuning, with the base model's tokenizer.
 * Prompts use chapter 07's template ("Q: …\nA:", lib/train's formatPrompt) and answers end with
 * SFT_TOKENS.end. The caller disposes `model`.
 */
export function loadFineTunedModel(dir = datasetsDir("models")): BaseModel {
  return loadCheckpointWithTokenizer(path.join(dir, "sft.safetensors"), path.join(dir, "base.tokenizer"), "Run `npm run finetune` (a few minutes, once) or pass the folder you fine-tuned into.", "Run `npm run finetune` again.");
}

/**
 * Load chapter 08's starting policy π_SFT (STYLE_RECIPE in lib/training/rlhf.ts, made by
 * `npm run finetune -- --styles`): the fine-tuned model after demonstrations in every style.
 * The caller disposes `model`.
 */
export function loadStyleTunedModel(dir = datasetsDir("models")): BaseModel {
  return loadCheckpointWithTokenizer(path.join(dir, "sft-styles.safetensors"), path.join(dir, "base.tokenizer"), "Run `npm run finetune -- --styles` (a few minutes, once) or pass the folder you fine-tuned into.", "Run `npm run finetune -- --styles` again.");
}

/**
 * Load the course's aligned model π_DPO (DPO_RECIPE in lib/training/rlhf.ts, made by
 * `npm run finetune -- --dpo` into datasets/models/dpo.safetensors): π_SFT after DPO on the
 * preference data's training rankings. Chapter 10 compares the two.
 */
export function loadAlignedModel(dir = datasetsDir("models")): BaseModel {
  return loadCheckpointWithTokenizer(path.join(dir, "dpo.safetensors"), path.join(dir, "base.tokenizer"), "Run `npm run finetune -- --dpo` (a minute or two, once) or pass the folder you aligned into.", "Run `npm run finetune -- --dpo` again.");
}

function loadCheckpointWithTokenizer(weights: string, tokenizerFile: string, missingFix: string, mismatchFix: string): BaseModel {
  for (const f of [weights, tokenizerFile]) {
    if (!fs.existsSync(f)) throw new Error(`The model file ${f} is missing. ${missingFix}`);
  }
  const model = loadModel(weights);
  if (!(model instanceof GPT)) {
    model.dispose();
    throw new Error(`${weights} holds an encoder–decoder, not a GPT. ${mismatchFix}`);
  }
  const tokenizer = BPETokenizer.load(tokenizerFile);
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    model.dispose();
    throw new Error(`${tokenizerFile} has ${tokenizer.vocabSize} tokens but the model expects ${model.config.vocabSize}: the two files come from different runs. ${mismatchFix}`);
  }
  const metadata = readSafetensorsMetadata(weights);
  return { model, tokenizer, metadata };
}

/** The metadata block of a .safetensors file (without reading its tensors). */
function readSafetensorsMetadata(file: string): Record<string, string> {
  const fd = fs.openSync(file, "r");
  try {
    const head = Buffer.alloc(8);
    fs.readSync(fd, head, 0, 8, 0);
    const n = Number(head.readBigUInt64LE(0));
    const json = Buffer.alloc(n);
    fs.readSync(fd, json, 0, n, 8);
    return (JSON.parse(json.toString("utf8")).__metadata__ ?? {}) as Record<string, string>;
  } finally {
    fs.closeSync(fd);
  }
}
