/**
 * `npm run bench -- tokenizer [--naive-merges=N] [--full]`
 *
 * Figures (one JSON line each):
 *  - train:        our BPE trainer on the course corpus (≥ 1 MB) to vocab 1024;
 *  - train-vs-naive: the same first N merges by our trainer and by the naive
 *                  minbpe-style trainer (recount every pair of the whole text
 *                  after every merge); their ratio (target ≥ 10×). `--full` runs
 *                  the naive trainer for all merges (minutes);
 *  - train-vs-unique-recount: a fairer baseline that recounts only the
 *                  distinct chunks (weighted) after every merge;
 *  - encode-<encoding>: encode throughput (MB/s) of our encoder and of
 *                  js-tiktoken on the same text in the same run, their ratio
 *                  (target ≥ 0.5×), and whether the ids are identical;
 *  - train-no-split: training with no split pattern (the corpus is one chunk);
 *  - encode-long-chunk: single chunks of 100 000 letters (GPT-2) and 200 000
 *                  spaces (cl100k), and the whole
 *                  corpus as one chunk with the no-split tokenizer;
 *  - encode-trained: our trained 1024-token BPE on the same text.
 */
import { performance } from "perf_hooks";
import { BPETokenizer, GPT4_SPLIT_PATTERN, bestPair, getStats, merge, pairKey, splitText, utf8Bytes } from "../../tokenizer";
import { GptEncoding, TiktokenTokenizer, rankFile, referenceTiktoken } from "../../tokenizer/tiktoken";
import { loadCorpus } from "../../datasets";
import { basicTrain } from "../../tokenizer/basic";
import { median } from "../../notebook/timing";
import { Emit, benchCount, benchOption } from "../cli/bench";

const VOCAB_SIZE = 1024;

/** A stronger baseline: count each distinct chunk once (weighted), but still recount everything after each merge. */
export function uniqueRecountTrain(text: string, vocabSize: number, pattern = GPT4_SPLIT_PATTERN): Array<[number, number]> {
  const counts = new Map<string, number>();
  for (const c of splitText(text, pattern)) counts.set(c, (counts.get(c) ?? 0) + 1);
  let chunks: number[][] = [];
  const weights: number[] = [];
  for (const [c, n] of counts) {
    chunks.push(Array.from(utf8Bytes(c)));
    weights.push(n);
  }
  const merges: Array<[number, number]> = [];
  for (let id = 256; id < vocabSize; id++) {
    const stats = new Map<number, number>();
    chunks.forEach((ids, i) => getStats(ids, stats, weights[i]));
    const best = bestPair(stats);
    if (best === null) break;
    chunks = chunks.map((ids) => merge(ids, best.pair, id));
    merges.push(best.pair);
  }
  return merges;
}

function seconds(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

function round(x: number, digits = 3): number {
  return Number(x.toPrecision(digits));
}

function sameMerges(x: Array<[number, number]>, y: Array<[number, number]>): boolean {
  return x.length === y.length && x.every(([a, b], i) => pairKey(a, b) === pairKey(y[i][0], y[i][1]));
}

export async function bench(emit: Emit, args: string[]): Promise<void> {
  const text = loadCorpus("train");
  const bytes = utf8Bytes(text).length;
  const mb = bytes / 1e6;
  if (bytes < 1e6) console.error(`note: the corpus is only ${bytes} bytes (< 1 MB)`);
  const full = benchOption(args, "full") !== undefined;
  const naiveMerges = full ? VOCAB_SIZE - 256 : benchCount(args, "naive-merges", 64);

  // --- training -------------------------------------------------------------
  console.error(`training BPE to ${VOCAB_SIZE} on ${mb.toFixed(2)} MB …`);
  let trained = new BPETokenizer();
  const trainSeconds = median(
    [0, 1, 2].map(() => {
      const tok = new BPETokenizer();
      const s = seconds(() => tok.train(text, VOCAB_SIZE));
      trained = tok;
      return s;
    }),
  );
  emit({ figure: "train", corpusBytes: bytes, vocabSize: VOCAB_SIZE, merges: trained.merges.length, seconds: round(trainSeconds) });

  console.error(`naive trainer, ${naiveMerges} merges …`);
  let naive: Array<[number, number]> = [];
  const naiveSeconds = seconds(() => (naive = basicTrain(text, 256 + naiveMerges)));
  let fastSame = new BPETokenizer();
  const fastSameSeconds = median(
    [0, 1, 2].map(() => {
      const tok = new BPETokenizer();
      const s = seconds(() => tok.train(text, 256 + naiveMerges));
      fastSame = tok;
      return s;
    }),
  );
  emit({
    figure: "train-vs-naive",
    corpusBytes: bytes,
    merges: naiveMerges,
    naiveSeconds: round(naiveSeconds),
    oursSeconds: round(fastSameSeconds),
    speedup: round(naiveSeconds / fastSameSeconds),
    naiveProjectedSecondsTo1024: round((naiveSeconds * (VOCAB_SIZE - 256)) / naiveMerges),
    projectedSpeedupTo1024: round((naiveSeconds * (VOCAB_SIZE - 256)) / naiveMerges / trainSeconds),
    sameMerges: sameMerges(naive, fastSame.merges),
    target: ">= 10",
  });

  console.error("unique-chunk recount trainer …");
  let unique: Array<[number, number]> = [];
  const uniqueSeconds = seconds(() => (unique = uniqueRecountTrain(text, VOCAB_SIZE)));
  emit({
    figure: "train-vs-unique-recount",
    corpusBytes: bytes,
    vocabSize: VOCAB_SIZE,
    uniqueRecountSeconds: round(uniqueSeconds),
    oursSeconds: round(trainSeconds),
    speedup: round(uniqueSeconds / trainSeconds),
    sameMerges: sameMerges(unique, trained.merges),
  });

  console.error("training without a split pattern (the whole corpus is one chunk) …");
  let noSplit = new BPETokenizer({ pattern: "" });
  const noSplitSeconds = seconds(() => (noSplit = new BPETokenizer({ pattern: "" }).train(text, VOCAB_SIZE)));
  emit({ figure: "train-no-split", corpusBytes: bytes, vocabSize: VOCAB_SIZE, merges: noSplit.merges.length, seconds: round(noSplitSeconds) });

  // --- encoding -------------------------------------------------------------
  const runs = 3;
  for (const name of ["gpt2", "cl100k_base", "o200k_base"] as GptEncoding[]) {
    console.error(`encode with ${name} …`);
    const data = rankFile(name);
    const ref = referenceTiktoken(name);
    ref.encode(text.slice(0, 20000)); // warm the JIT
    let refIds: number[] = [];
    const refSeconds = median(Array.from({ length: runs }, () => seconds(() => (refIds = ref.encode(text)))));
    // Cold: a fresh encoder each run, so the chunk cache starts empty.
    let ours: number[] = [];
    const coldSeconds = median(
      Array.from({ length: runs }, () => {
        const tok = new TiktokenTokenizer(name, data);
        return seconds(() => (ours = tok.encode(text)));
      }),
    );
    const warmTok = new TiktokenTokenizer(name, data);
    warmTok.encode(text);
    const warmSeconds = median(Array.from({ length: runs }, () => seconds(() => warmTok.encode(text))));
    const identical = ours.length === refIds.length && ours.every((id, i) => id === refIds[i]);
    emit({
      figure: `encode-${name}`,
      corpusBytes: bytes,
      tokens: ours.length,
      identical,
      oursMBps: round(mb / coldSeconds),
      oursWarmCacheMBps: round(mb / warmSeconds),
      jsTiktokenMBps: round(mb / refSeconds),
      ratio: round(refSeconds / coldSeconds),
      target: ">= 0.5",
    });
  }

  // One huge chunk: the heap-based merge loop keeps this O(n log n).
  const letters = "a".repeat(100_000);
  const spaces = " ".repeat(200_000) + "x";
  let lettersIds: number[] = [];
  let spacesIds: number[] = [];
  const gpt2Fresh = new TiktokenTokenizer("gpt2");
  const cl100kFresh = new TiktokenTokenizer("cl100k_base");
  const lettersSeconds = seconds(() => (lettersIds = gpt2Fresh.encode(letters)));
  const spacesSeconds = seconds(() => (spacesIds = cl100kFresh.encode(spaces)));
  const noSplitEncodeSeconds = seconds(() => noSplit.encode(text));
  emit({
    figure: "encode-long-chunk",
    gpt2Letters: { chars: letters.length, tokens: lettersIds.length, seconds: round(lettersSeconds) },
    cl100kSpaces: { chars: spaces.length, tokens: spacesIds.length, seconds: round(spacesSeconds) },
    noSplitCorpusSeconds: round(noSplitEncodeSeconds),
    note: "js-tiktoken is O(n^2) on one long chunk and is not run here",
  });

  const trainedIds = trained.encode(text);
  const fresh = BPETokenizer.deserialize(trained.serialize());
  const trainedSeconds = median(Array.from({ length: runs }, () => {
    const tok = BPETokenizer.deserialize(trained.serialize());
    return seconds(() => tok.encode(text));
  }));
  emit({
    figure: "encode-trained",
    corpusBytes: bytes,
    vocabSize: VOCAB_SIZE,
    tokens: trainedIds.length,
    bytesPerToken: round(bytes / trainedIds.length),
    oursMBps: round(mb / trainedSeconds),
    roundTrip: fresh.decode(trainedIds) === text,
  });
}
