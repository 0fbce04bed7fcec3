/**
 * Stage 2 (lib/training/finetune.ts): the template and its end token, stories cropped to the
 * context, each fine-tuning variant trains what it says (and only that), the end token
 * masked out gives a model that never stops, teacher-forced exact match agrees with greedy
 * generation — and the committed fine-tuned model (datasets/models/sft.safetensors) is what
 * `npm run finetune` makes: its metadata names this recipe and this base model, and replaying
 * the recipe's first steps gives the recorded losses.
 */
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { loadBaseModel, loadFineTunedModel, loadInstructions } from "../lib/datasets";
import { generate } from "../lib/generate";
import { GPT } from "../lib/model";
import {
  FINETUNE_RECIPE,
  SFT_TOKENS,
  answerQuestion,
  encodeExample,
  finetune,
  formatPrompt,
  instructionExamples,
  instructionTask,
  mentionBucket,
  scoreQuestions,
  trainFineTunedModel,
  withoutTargets,
} from "../lib/train";
import type { InstructionRecord } from "../lib/datasets";
import { fileHash } from "../lib/tools/cli/finetune";
import { datasetsDir } from "../lib/tools/paths";
import { Rng } from "../lib/random";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

/** Characters as token ids (every test string is ASCII), enough to test the template logic. */
const charTok = {
  encode: (s: string) => Array.from(s, (c) => c.charCodeAt(0)),
  decode: (ids: number[]) => String.fromCharCode(...ids),
};
const bytes = (v: tf.Tensor) => Buffer.from((v.dataSync() as Float32Array).buffer).toString("hex");
const rec = (id: string, task: "qa" | "summarize", prompt: string, response: string): InstructionRecord => ({ id, task, lang: "en", prompt, response });

describe("the fine-tuning format", () => {
  it("prompt = 'Q: …\\nA:', response = ' answer' + the end token; the end and pad bytes never occur in the corpus", () => {
    expect(formatPrompt("Where?")).toBe("Q: Where?\nA:");
    const e = encodeExample(charTok, "Hi?", "Yo.");
    expect(charTok.decode(e.prompt)).toBe("Q: Hi?\nA:");
    expect(e.response).toEqual([...charTok.encode(" Yo."), SFT_TOKENS.end]);
    const corpus = fs.readFileSync(datasetsDir("corpus.train.txt"));
    expect(corpus.includes(SFT_TOKENS.end)).toBe(false);
    expect(corpus.includes(SFT_TOKENS.pad)).toBe(false);
    const { tokenizer, model } = loadBaseModel();
    model.dispose();
    expect(tokenizer.encode(String.fromCharCode(SFT_TOKENS.end))).toEqual([SFT_TOKENS.end]); // one token, as text too
  });

  it("a story too long for the context keeps its first sentences; a question that does not fit is an error", () => {
    const story = rec("s", "summarize", "Summarize.\nOne two. Three four. Five six.", "Short.");
    const out = instructionExamples(charTok, [story], { contextLength: 44 }); // "Q: Summarize.\nOne two. Three four.\nA:" (37) + " Short."+END (8) − 1 = 44
    expect(out.cropped).toBe(1);
    expect(out.records[0].prompt).toBe("Summarize.\nOne two. Three four.");
    const e = out.examples[0];
    expect(e.prompt.length + e.response.length - 1).toBeLessThanOrEqual(44);
    expect(instructionExamples(charTok, [story], { contextLength: 200 }).cropped).toBe(0);
    expect(instructionExamples(charTok, [story], { contextLength: 22 }).dropped).toBe(1);
    expect(() => instructionExamples(charTok, [rec("q", "qa", "A long question, really?", "Yes.")], { contextLength: 10 })).toThrow(/longer context/);
  });

  it("the mention buckets: never / once / 2–9 / ≥10", () => {
    expect([0, 1, 2, 9, 10, 150].map(mentionBucket)).toEqual(["never", "once", "2–9", "2–9", "≥10", "≥10"]);
    expect(() => mentionBucket(-1)).toThrow(/whole number ≥ 0/);
  });
});

describe("fine-tuning variants (a tiny model, a toy task)", () => {
  // Prompt [q, 2]: the answer is q + 4, then END. Vocabulary 12 → END = 4 collides with an answer, so use 16.
  const tiny = { vocabSize: 16, contextLength: 8, dModel: 16, nHeads: 2, nLayers: 2 };
  const examples = [5, 6, 7, 8, 9].map((q) => ({ prompt: [q, 2], response: [q + 5, SFT_TOKENS.end] }));
  const knobs = { steps: 4, batchSize: 4, lr: 1e-2, seed: 1 };
  const snapshot = (m: GPT) => new Map(m.params.entries().map(([n, v]) => [n, bytes(v)]));

  it("last block only: every other weight is byte-identical, and the model is unfrozen afterwards", async () => {
    const model = new GPT(tiny, { seed: 1 });
    const before = snapshot(model);
    const run = await finetune(model, examples, { variant: "last-block", knobs });
    for (const [n, v] of model.params.entries()) {
      if (n.startsWith("h.1.")) continue;
      expect(bytes(v), n).toBe(before.get(n));
    }
    expect(bytes(model.params.get("h.1.mlp.c_fc.weight"))).not.toBe(before.get("h.1.mlp.c_fc.weight"));
    expect(run.trainableParams).toBe(model.params.entries().filter(([n]) => n.startsWith("h.1.")).reduce((s, [, v]) => s + v.size, 0));
    expect(model.trainableParams().length).toBe(model.params.names().length);
    model.dispose();
  });

  it("LoRA: trains r·(in + out) numbers per matrix, merges them into the weights, leaves embeddings and LayerNorms alone, no leaked tensors", async () => {
    const model = new GPT(tiny, { seed: 2 });
    const before = snapshot(model);
    const tensors = tf.memory().numTensors;
    const run = await finetune(model, examples, { variant: "lora", knobs: { ...knobs, loraRank: 2 } });
    expect(tf.memory().numTensors).toBe(tensors);
    const C = tiny.dModel;
    expect(run.trainableParams).toBe(tiny.nLayers * 2 * (C + 3 * C + 2 * C + 5 * C + 5 * C));
    expect(run.lora).toEqual({ rank: 2, alpha: 4, matrices: 8 });
    expect(model.params.adapted()).toEqual([]);
    expect(bytes(model.params.get("h.0.attn.c_attn.weight"))).not.toBe(before.get("h.0.attn.c_attn.weight")); // merged
    for (const n of ["wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.1.attn.c_attn.bias"]) expect(bytes(model.params.get(n)), n).toBe(before.get(n));
    expect(model.trainableParams().length).toBe(model.params.names().length);
    model.dispose();
  });

  it("the end token masked out: it is never a target, so the model never learns to stop; with it kept, it stops", async () => {
    const batchModel = new GPT(tiny, { seed: 3 });
    const kept = instructionTask(batchModel, examples, { padId: SFT_TOKENS.pad, batchSize: 5 }).nextBatch(new Rng(1));
    const b = withoutTargets(instructionTask(batchModel, examples, { padId: SFT_TOKENS.pad, batchSize: 5 }), SFT_TOKENS.end).nextBatch(new Rng(1));
    batchModel.dispose();
    expect(Array.from(kept.targets).filter((t) => t === SFT_TOKENS.end).length).toBe(5);
    expect(Array.from(b.targets)).toEqual(Array.from(kept.targets).map((t) => (t === SFT_TOKENS.end ? -1 : t))); // only the end targets go

    const stops = async (variant: "full" | "no-end") => {
      const model = new GPT(tiny, { seed: 4 });
      await finetune(model, examples, { variant, knobs: { steps: 150, batchSize: 5, lr: 1e-2, seed: 2, warmupSteps: 10 } });
      const rate = examples.filter((e) => generate(model, e.prompt, { maxNewTokens: 4, greedy: true, stopTokens: [SFT_TOKENS.end] }).newTokens.includes(SFT_TOKENS.end)).length / examples.length;
      model.dispose();
      return rate;
    };
    expect(await stops("full")).toBe(1);
    expect(await stops("no-end")).toBe(0);
  });

  it("loss on every token trains on the prompt too (a different loss than the response only)", async () => {
    const losses = async (variant: "full" | "all-tokens") => {
      const model = new GPT(tiny, { seed: 5 });
      const run = await finetune(model, examples, { variant, knobs: { ...knobs, steps: 1 } });
      model.dispose();
      return run.result.losses[0];
    };
    expect(await losses("all-tokens")).not.toBeCloseTo(await losses("full"), 3);
  });
});

describe("the committed fine-tuned model", () => {
  it("records this recipe and the committed base model", () => {
    const { model, metadata } = loadFineTunedModel();
    expect(JSON.parse(metadata.recipe), "FINETUNE_RECIPE changed since sft.safetensors was made: run `npm run finetune` and commit datasets/models/").toEqual(JSON.parse(JSON.stringify(FINETUNE_RECIPE)));
    expect(metadata.base_sha256, "the base model changed since sft.safetensors was made: run `npm run finetune` and commit datasets/models/").toBe(fileHash(datasetsDir("models", FINETUNE_RECIPE.base)));
    const base = loadBaseModel();
    expect(model.config).toEqual(base.model.config);
    base.model.dispose();
    model.dispose();
  });

  it("replaying the recipe's first steps gives the recorded losses", async () => {
    const { metadata, model: saved } = loadFineTunedModel();
    saved.dispose();
    const recorded = JSON.parse(metadata.first_losses) as number[];
    expect(recorded.length).toBe(FINETUNE_RECIPE.recordSteps);
    const before = tf.memory().numTensors;
    const run = await trainFineTunedModel({ stopAfter: FINETUNE_RECIPE.recordSteps });
    run.run.result.losses.forEach((loss, i) => expect(Math.abs(loss - recorded[i]), `step ${i}: replayed ${loss}, recorded ${recorded[i]} — run \`npm run finetune\` again if the recipe or the loop changed`).toBeLessThan(1e-5 * Math.max(1, recorded[i])));
    run.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("answers in the format and stops; teacher-forced exact match agrees with greedy generation; facts stated ≥ 10 times beat unseen ones", () => {
    const { model, tokenizer } = loadFineTunedModel();
    const qa = loadInstructions("test").filter((r) => r.task === "qa");
    const scores = scoreQuestions(model, tokenizer, qa);
    const sample = qa.filter((_, i) => i % 5 === 0);
    let stopped = 0;
    for (const r of sample) {
      const a = answerQuestion(model, tokenizer, r.prompt);
      if (a.stopped) stopped++;
      const s = scores[qa.indexOf(r)];
      expect(a.stopped && a.text === r.response, `${r.id}: generated ${JSON.stringify(a.text)}`).toBe(s.correct);
    }
    expect(stopped / sample.length).toBeGreaterThan(0.9);
    const rate = (b: string) => {
      const rows = scores.filter((s) => mentionBucket(s.record.mentions ?? 0) === b);
      return rows.filter((s) => s.correct).length / rows.length;
    };
    expect(rate("≥10")).toBeGreaterThan(rate("never") + 0.2);
    model.dispose();
  });

  it("a missing checkpoint is an error that names the fix", () => {
    expect(() => loadFineTunedModel("/nonexistent-folder")).toThrow(/Run `npm run finetune`/);
  });
});
