/**
 * `npm run pretrain [-- --out DIR] [--steps-report N]` trains the course's base model
 * (BASE_RECIPE in lib/training/recipes.ts) and writes, into datasets/models/ (or DIR):
 *
 *   base.safetensors   the GPT's weights; metadata: the recipe, the corpus's SHA-256, the
 *                      first losses (for the replay test), the validation losses, the time
 *   base.tokenizer     the BPE tokenizer (readable text)
 *
 * Same recipe, same backend → the same checkpoint. It takes tens of minutes once; the
 * chapters load the committed result. Progress goes to stderr; a JSON summary with samples
 * in both languages to stdout.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { currentBackend, setupBackend } from "../../backend";
import { generate } from "../../generate";
import { saveModel } from "../../model";
import { BASE_RECIPE, trainBaseModel } from "../../train";
import { datasetsDir } from "../paths";

export const BASE_MODEL_FILES = { weights: "base.safetensors", tokenizer: "base.tokenizer" };

export function corpusHash(): string {
  return crypto.createHash("sha256").update(fs.readFileSync(datasetsDir("corpus.train.txt"))).digest("hex");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let out = path.join(datasetsDir(), "models");
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--out" && args[i + 1]) out = path.resolve(args[++i]);
    else throw new Error(`Unknown option "${args[i]}". Usage: npm run pretrain [-- --out DIR]`);
  }
  // The committed checkpoints are remade bit for bit on any machine: training in this process
  // (the threaded build gives the same numbers on any thread count), not on data-parallel
  // workers, whose sums run in another order. TINY_LLM_WORKERS=2 opts in, for speed.
  process.env.TINY_LLM_WORKERS ??= "1";
  await setupBackend({ verbose: false });
  const started = Date.now();
  const steps = BASE_RECIPE.knobs.steps;
  const run = await trainBaseModel({
    onStep: (i) => {
      if (i.step % 50 === 0 || i.valLoss !== undefined) {
        const eta = ((Date.now() - started) / i.step) * (steps - i.step) / 60000;
        process.stderr.write(`pretrain: step ${i.step}/${steps} loss ${i.loss.toFixed(3)}${i.valLoss !== undefined ? ` val ${i.valLoss.toFixed(3)}` : ""} (${eta.toFixed(1)} min left)\n`);
      }
    },
  });
  const { model, tokenizer, result } = run;
  fs.mkdirSync(out, { recursive: true });
  const seconds = (Date.now() - started) / 1000;
  saveModel(model, path.join(out, BASE_MODEL_FILES.weights), {
    recipe: JSON.stringify(BASE_RECIPE),
    corpus_sha256: corpusHash(),
    first_losses: JSON.stringify(result.losses.slice(0, BASE_RECIPE.recordSteps)),
    val_losses: JSON.stringify(result.valLosses),
    backend: currentBackend()?.description ?? "unknown",
    seconds: seconds.toFixed(0),
  });
  tokenizer.save(path.join(out, BASE_MODEL_FILES.tokenizer));
  const samples = ["은행 앞에 가서", "Mina went to the bank", "Sua Shin has a", "민수는"].map((prompt) => ({
    prompt,
    text: prompt + tokenizer.decode(generate(model, tokenizer.encode(prompt), { maxNewTokens: 60, temperature: 0.8, seed: 1 }).newTokens),
  }));
  console.log(JSON.stringify({ params: model.numParams(), seconds: +seconds.toFixed(0), finalValLoss: result.valLosses[result.valLosses.length - 1].loss, valLosses: result.valLosses, samples }, null, 1));
  model.dispose();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`pretrain: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
