/**
 * `npm run finetune [-- --out DIR]` fine-tunes the committed base model (datasets/models/
 * base.safetensors) with FINETUNE_RECIPE (lib/training/finetune.ts) and writes, into
 * datasets/models/ (or DIR):
 *
 *   sft.safetensors   the fine-tuned GPT (same architecture and tokenizer as the base: base.tokenizer);
 *                     metadata: the recipe, the base checkpoint's SHA-256, the first losses (for the
 *                     replay test), the validation losses, the pre-training loss before and after
 *                     (forgetting), held-out accuracy, the time
 *
 * `npm run finetune -- --styles` then fine-tunes sft.safetensors with STYLE_RECIPE (lib/training/
 * rlhf.ts) into sft-styles.safetensors: chapter 08's starting policy, which can answer in every style.
 *
 * `npm run finetune -- --dpo` then tunes sft-styles.safetensors with DPO_RECIPE into dpo.safetensors:
 * the aligned model π_DPO that chapter 10 compares with π_SFT.
 *
 * Same base, same recipe, same backend → the same checkpoint. Chapter 08 starts from it
 * (loadFineTunedModel() in lib/datasets.ts). Progress goes to stderr, a JSON summary to stdout.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { currentBackend, setupBackend } from "../../backend";
import { loadInstructions } from "../../datasets";
import { GPT, saveModel } from "../../model";
import type { BPETokenizer } from "../../tokenizer";
import { DPO_RECIPE, STYLE_RECIPE, evaluatePolicy, trainAlignedModel, referenceModel, rlPrompts, trainStyleTunedModel } from "../../align";
import { loadFacts, loadPreferences } from "../../datasets";
import { FINETUNE_RECIPE, answerQuestion, instructionExamples, mentionBucket, scoreQuestions, trainFineTunedModel } from "../../train";
import { chrF, mean, rougeL } from "../../eval";
import { datasetsDir } from "../paths";

export const FINETUNED_MODEL_FILE = "sft.safetensors";
export const STYLE_TUNED_MODEL_FILE = "sft-styles.safetensors";
export const ALIGNED_MODEL_FILE = "dpo.safetensors";

/** SHA-256 of a base checkpoint (the fine-tuned model's metadata names the base it started from). */
export function fileHash(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let out = datasetsDir("models");
  let styles = false;
  let dpo = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--out" && args[i + 1]) out = path.resolve(args[++i]);
    else if (args[i] === "--styles") styles = true;
    else if (args[i] === "--dpo") dpo = true;
    else throw new Error(`Unknown option "${args[i]}". Usage: npm run finetune [-- --styles | --dpo] [-- --out DIR]`);
  }
  // The committed checkpoints are remade bit for bit on any machine: training in this process
  // (the threaded build gives the same numbers on any thread count), not on data-parallel
  // workers, whose sums run in another order. TINY_LLM_WORKERS=2 opts in, for speed.
  process.env.TINY_LLM_WORKERS ??= "1";
  await setupBackend({ verbose: false });
  if (styles) return styleTune(out);
  if (dpo) return align(out);
  const started = Date.now();
  const steps = FINETUNE_RECIPE.knobs.steps;
  const { model, tokenizer, run, baseValLoss, valLoss } = await trainFineTunedModel({
    onStep: (i) => {
      if (i.step % 25 === 0) {
        const eta = (((Date.now() - started) / i.step) * (steps - i.step)) / 60000;
        process.stderr.write(`finetune: step ${i.step}/${steps} loss ${i.loss.toFixed(3)} (${eta.toFixed(1)} min left)\n`);
      }
    },
  });
  const seconds = (Date.now() - started) / 1000;
  const test = loadInstructions("test");
  const qa = test.filter((r) => r.task === "qa");
  const scores = scoreQuestions(model, tokenizer, qa);
  const accuracy: Record<string, number> = {};
  for (const key of ["en", "ko", "never", "once", "2–9", "≥10"]) {
    const rows = scores.filter((s) => s.record.lang === key || mentionBucket(s.record.mentions ?? 0) === key);
    accuracy[key] = mean(rows.map((s) => (s.correct ? 1 : 0)));
  }
  const stories = instructionExamples(tokenizer, test.filter((r) => r.task === "summarize"), { contextLength: model.config.contextLength }).records;
  const summaries = stories.map((r) => ({ r, a: answerQuestion(model, tokenizer, r.prompt, { maxNewTokens: 48 }) }));
  const summary = { stories: stories.length, rougeL: mean(summaries.map((s) => rougeL(s.a.text, s.r.response))), chrF: mean(summaries.map((s) => chrF(s.a.text, s.r.response))) };
  fs.mkdirSync(out, { recursive: true });
  saveModel(model, path.join(out, FINETUNED_MODEL_FILE), {
    recipe: JSON.stringify(FINETUNE_RECIPE),
    base_sha256: fileHash(datasetsDir("models", FINETUNE_RECIPE.base)),
    first_losses: JSON.stringify(run.result.losses.slice(0, FINETUNE_RECIPE.recordSteps)),
    val_losses: JSON.stringify(run.result.valLosses),
    pretraining_val_loss: JSON.stringify({ base: baseValLoss, finetuned: valLoss }),
    test_accuracy: JSON.stringify(accuracy),
    test_summaries: JSON.stringify(summary),
    backend: currentBackend()?.description ?? "unknown",
    seconds: seconds.toFixed(0),
  });
  const samples = qa.filter((r) => (r.mentions ?? 0) >= 10).slice(0, 4).map((r) => ({ q: r.prompt, a: answerQuestion(model, tokenizer, r.prompt).text, ref: r.response }));
  console.log(JSON.stringify({ seconds: +seconds.toFixed(0), steps: run.result.steps, finalLoss: run.result.losses[run.result.losses.length - 1], baseValLoss, valLoss, accuracy, summary, samples }, null, 1));
  model.dispose();
}

/**
 * Judge a tuned policy's samples at T 0.7 (64 training prompts, the gold rule), save it with
 * `metadata` plus those rates, and print a JSON summary. Shared by --styles and --dpo.
 */
function judgeSaveAndReport(model: GPT, tokenizer: BPETokenizer, file: string, metadata: Record<string, string>, summary: Record<string, unknown>): void {
  const reference = referenceModel(model);
  const prompts = rlPrompts(tokenizer, loadPreferences("train").slice(0, 64), loadFacts());
  const { samples, kl: _kl, ...judged } = evaluatePolicy(model, reference, tokenizer, prompts, { temperature: 0.7, seed: 1 });
  void _kl; // against itself: always 0
  reference.dispose();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  saveModel(model, file, { ...metadata, samples_t07: JSON.stringify(judged), backend: currentBackend()?.description ?? "unknown" });
  console.log(JSON.stringify({ ...summary, samples: judged, examples: samples.slice(0, 4).map((s) => s.text) }, null, 1));
  model.dispose();
}

/** STYLE_RECIPE: sft.safetensors → sft-styles.safetensors, with the gold judgement of its samples. */
async function styleTune(out: string): Promise<void> {
  const started = Date.now();
  const steps = STYLE_RECIPE.knobs.steps;
  const { model, tokenizer, run } = await trainStyleTunedModel({
    onStep: (i) => {
      if (i.step % 25 === 0) process.stderr.write(`finetune --styles: step ${i.step}/${steps} loss ${i.loss.toFixed(3)}\n`);
    },
  });
  const seconds = (Date.now() - started) / 1000;
  judgeSaveAndReport(
    model,
    tokenizer,
    path.join(out, STYLE_TUNED_MODEL_FILE),
    {
      recipe: JSON.stringify(STYLE_RECIPE),
      base_sha256: fileHash(datasetsDir("models", STYLE_RECIPE.from)),
      first_losses: JSON.stringify(run.result.losses.slice(0, STYLE_RECIPE.recordSteps)),
      seconds: seconds.toFixed(0),
    },
    { seconds: +seconds.toFixed(0), steps: run.result.steps, finalLoss: run.result.losses[run.result.losses.length - 1] },
  );
}

/** DPO_RECIPE: sft-styles.safetensors → dpo.safetensors, with the gold judgement of its samples. */
async function align(out: string): Promise<void> {
  const started = Date.now();
  const { model, tokenizer, losses } = await trainAlignedModel({
    onStep: (i) => {
      if (i.step % 10 === 0) process.stderr.write(`finetune --dpo: step ${i.step}/${DPO_RECIPE.knobs.steps} loss ${i.loss.toFixed(3)}\n`);
    },
  });
  const seconds = (Date.now() - started) / 1000;
  judgeSaveAndReport(
    model,
    tokenizer,
    path.join(out, ALIGNED_MODEL_FILE),
    {
      recipe: JSON.stringify(DPO_RECIPE),
      base_sha256: fileHash(datasetsDir("models", DPO_RECIPE.from)),
      first_losses: JSON.stringify(losses.slice(0, DPO_RECIPE.recordSteps)),
      losses: JSON.stringify(losses),
      seconds: seconds.toFixed(0),
    },
    { seconds: +seconds.toFixed(0), steps: losses.length, firstLoss: losses[0], finalLoss: losses[losses.length - 1] },
  );
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`finetune: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
