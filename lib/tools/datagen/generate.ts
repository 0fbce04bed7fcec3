/**
 * Generate every file in datasets/ from one seed. Same seed → byte-identical
 * files (no clocks, no Math.random, no locale-dependent sorting).
 *
 * Order: world → planned fact mentions → corpus → exact mention counts
 * (counted in the written text) → instructions → preferences → translation.
 * Each part draws from its own forked generator, so changing one part's
 * templates does not reshuffle the others.
 */
import * as fs from "fs";
import * as path from "path";
import { Rng } from "../../random";
import { CorpusDoc, DocKind, buildCorpus, corpusFile } from "./corpus";
import { Fact, countSentence, listFacts, planMentions } from "./facts";
import { buildInstructions } from "./instructions";
import { buildPreferences } from "./preferences";
import { utf8Bytes } from "../../tokenizer/base";
import { charCount } from "./text";
import { buildTranslation } from "./translation";
import { Lang, makeWorld } from "./world";

/** The seed of the committed datasets. */
export const DATASET_SEED = 2025;

export const DATASET_FILES = [
  "corpus.train.txt",
  "corpus.val.txt",
  "facts.jsonl",
  "instructions.train.jsonl",
  "instructions.test.jsonl",
  "preferences.train.jsonl",
  "preferences.test.jsonl",
  "translation.train.jsonl",
  "translation.test.jsonl",
] as const;
export type DatasetFile = (typeof DATASET_FILES)[number];

export interface DatasetStats {
  seed: number;
  bytes: Record<string, number>;
  records: Record<string, number>;
  corpus: Record<"train" | "val", { documents: number; chars: number; enShare: number; kinds: Partial<Record<DocKind, number>> }>;
  /** How many facts have each mention count (train corpus), e.g. {"0": 250, "1": 75, …}. */
  mentionHistogram: Record<string, number>;
  unseenPeople: number;
}

function jsonl(records: unknown[]): string {
  return records.map((x) => JSON.stringify(x)).join("\n") + "\n";
}

function corpusStats(docs: CorpusDoc[]) {
  const chars: Record<Lang, number> = { en: 0, ko: 0 };
  const kinds: Partial<Record<DocKind, number>> = {};
  for (const d of docs) {
    chars[d.lang] += charCount(d.text);
    kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
  }
  const total = chars.en + chars.ko;
  return { documents: docs.length, chars: total, enShare: Math.round((chars.en / total) * 10000) / 10000, kinds };
}

/** Count each fact's mentions in the training text and check the corpus keeps the promises made in facts.ts. */
function countMentions(facts: Fact[], trainText: string, valText: string, planned: Map<string, number>): void {
  for (const f of facts) {
    f.mentionsEn = countSentence(trainText, f.sentenceEn);
    f.mentionsKo = countSentence(trainText, f.sentenceKo);
    f.mentions = f.mentionsEn + f.mentionsKo;
    if (f.mentions !== (planned.get(f.id) ?? 0)) throw new Error(`fact ${f.id}: planned ${planned.get(f.id) ?? 0} mentions, found ${f.mentions}`);
  }
  // A resident's name appears only inside that resident's fact sentences, and never in validation.
  const byPerson = new Map<string, { en: string; ko: string; en_n: number; ko_n: number }>();
  for (const f of facts) {
    const p = byPerson.get(f.entity) ?? { en: f.entityEn, ko: f.entityKo, en_n: 0, ko_n: 0 };
    p.en_n += f.mentionsEn;
    p.ko_n += f.mentionsKo;
    byPerson.set(f.entity, p);
  }
  const count = (text: string, needle: string) => text.split(needle).length - 1;
  for (const [id, p] of byPerson) {
    if (count(trainText, p.en) !== p.en_n || count(trainText, p.ko) !== p.ko_n) throw new Error(`resident ${id} (${p.en}) appears outside its fact sentences`);
    if (count(valText, p.en) + count(valText, p.ko) !== 0) throw new Error(`resident ${id} (${p.en}) appears in validation`);
  }
}

/** Every dataset file's content, plus summary statistics. */
export function generateDatasets(seed = DATASET_SEED): { files: Record<DatasetFile, string>; stats: DatasetStats } {
  const master = new Rng(seed);
  const worldRng = master.fork(), factRng = master.fork(), corpusRng = master.fork();
  const instrRng = master.fork(), prefRng = master.fork(), transRng = master.fork();

  const world = makeWorld(worldRng);
  const facts = listFacts(world);
  const mentions = planMentions(facts, world, factRng);
  const planned = new Map<string, number>();
  for (const m of mentions) planned.set(m.fact.id, (planned.get(m.fact.id) ?? 0) + 1);

  const corpus = buildCorpus(corpusRng, mentions);
  const trainText = corpusFile(corpus.train);
  const valText = corpusFile(corpus.val);
  countMentions(facts, trainText, valText, planned);

  const taken = new Set<string>([...corpus.train, ...corpus.val].map((d) => d.text));
  const instructions = buildInstructions(instrRng, facts, taken, trainText);
  const preferences = buildPreferences(prefRng, facts);
  const translation = buildTranslation(transRng);

  const files: Record<DatasetFile, string> = {
    "corpus.train.txt": trainText,
    "corpus.val.txt": valText,
    "facts.jsonl": jsonl(facts),
    "instructions.train.jsonl": jsonl(instructions.train),
    "instructions.test.jsonl": jsonl(instructions.test),
    "preferences.train.jsonl": jsonl(preferences.train),
    "preferences.test.jsonl": jsonl(preferences.test),
    "translation.train.jsonl": jsonl(translation.train),
    "translation.test.jsonl": jsonl(translation.test),
  };

  const histogram: Record<string, number> = {};
  for (const f of facts) histogram[String(f.mentions)] = (histogram[String(f.mentions)] ?? 0) + 1;
  const seenPeople = new Set(facts.filter((f) => f.mentions > 0).map((f) => f.entity));
  const bytes: Record<string, number> = {};
  const records: Record<string, number> = {};
  for (const name of DATASET_FILES) {
    bytes[name] = utf8Bytes(files[name]).length;
    if (name.endsWith(".jsonl")) records[name] = files[name].split("\n").length - 1;
  }
  const stats: DatasetStats = {
    seed,
    bytes,
    records,
    corpus: { train: corpusStats(corpus.train), val: corpusStats(corpus.val) },
    mentionHistogram: histogram,
    unseenPeople: world.people.length - seenPeople.size,
  };
  return { files, stats };
}

/** Write every dataset file into `dir` (created if needed). */
export function writeDatasets(dir: string, seed = DATASET_SEED): DatasetStats {
  const { files, stats } = generateDatasets(seed);
  fs.mkdirSync(dir, { recursive: true });
  for (const name of DATASET_FILES) fs.writeFileSync(path.join(dir, name), files[name], "utf8");
  return stats;
}
