/**
 * The committed base model (datasets/models/) is what `npm run pretrain` makes: its metadata
 * names this recipe and this corpus, and replaying the recipe's first steps gives the
 * recorded losses. Also: it loads, its tokenizer matches, and it has learned the corpus.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { loadBaseModel } from "../lib/datasets";
import { BASE_RECIPE, estimateLoss, trainBaseModel } from "../lib/train";
import { datasetsDir } from "../lib/tools/paths";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

describe("the committed base model", () => {
  it("records this recipe and this corpus", () => {
    const { model, tokenizer, metadata } = loadBaseModel();
    expect(JSON.parse(metadata.recipe)).toEqual(JSON.parse(JSON.stringify(BASE_RECIPE)));
    const hash = crypto.createHash("sha256").update(fs.readFileSync(datasetsDir("corpus.train.txt"))).digest("hex");
    expect(metadata.corpus_sha256, "the corpus changed since the base model was trained: run `npm run pretrain` and commit datasets/models/").toBe(hash);
    expect(tokenizer.vocabSize).toBe(BASE_RECIPE.tokenizer.vocabSize);
    expect(model.config.nLayers).toBe(BASE_RECIPE.model.nLayers);
    model.dispose();
  });

  it("replaying the recipe's first steps gives the recorded losses", async () => {
    const { metadata, model: saved } = loadBaseModel();
    saved.dispose();
    const recorded = JSON.parse(metadata.first_losses) as number[];
    expect(recorded.length).toBe(BASE_RECIPE.recordSteps);
    const before = tf.memory().numTensors;
    const run = await trainBaseModel({ stopAfter: BASE_RECIPE.recordSteps });
    run.result.losses.forEach((loss, i) => expect(Math.abs(loss - recorded[i]), `step ${i}`).toBeLessThan(1e-5 * Math.max(1, recorded[i])));
    run.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("has learned the corpus: its validation loss is far below ln(vocabulary)", () => {
    const { model, tokenizer } = loadBaseModel();
    const valIds = tokenizer.encode(fs.readFileSync(datasetsDir("corpus.val.txt"), "utf8"));
    const loss = estimateLoss(model, valIds, { batches: 4 });
    expect(loss).toBeLessThan(0.5 * Math.log(tokenizer.vocabSize));
    model.dispose();
  });

  it("a missing checkpoint is an error that names the fix", () => {
    expect(() => loadBaseModel("/nonexistent-folder")).toThrow(/Run `npm run pretrain`/);
  });
});
