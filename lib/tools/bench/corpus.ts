/**
 * `npm run bench -- corpus [--steps=N]`
 *
 * Does the course corpus teach a small model something in a few minutes? Runs
 * CORPUS_CHAR_RECIPE (lib/training/recipes.ts — the same function a notebook calls):
 * a character-level GPT (context 64, dModel 128, 4 heads, 2 layers) on
 * datasets/corpus.train.txt. Figures: char-model (losses, time) and sample (generated text).
 */
import { setupBackend } from "../../backend";
import { generate } from "../../generate";
import { seed } from "../../random";
import { CORPUS_CHAR_RECIPE, trainCorpusCharModel } from "../../train";
import { Emit, benchCount } from "../cli/bench";

export async function bench(emit: Emit, args: string[]): Promise<void> {
  await setupBackend({ verbose: false });
  seed(1337);
  const steps = benchCount(args, "steps", CORPUS_CHAR_RECIPE.knobs.steps);
  const run = await trainCorpusCharModel({ steps }, (i) => {
    if (i.step % 100 === 0) process.stderr.write(`step ${i.step}/${steps} loss ${i.loss.toFixed(3)}\n`);
  });
  const { tokenizer, model, result } = run;
  emit({
    figure: "char-model",
    vocabSize: tokenizer.vocabSize,
    params: model.numParams(),
    steps,
    batchSize: CORPUS_CHAR_RECIPE.knobs.batchSize,
    seconds: +(result.elapsedMs / 1000).toFixed(1),
    lnVocab: +Math.log(tokenizer.vocabSize).toFixed(3),
    initialValLoss: +run.initialValLoss.toFixed(3),
    finalTrainLoss: +result.losses[result.losses.length - 1].toFixed(3),
    finalValLoss: +result.valLosses[result.valLosses.length - 1].loss.toFixed(3),
  });
  for (const prompt of ["은행 앞에 가서", "Mina went to the bank"]) {
    const { newTokens } = generate(model, tokenizer.encode(prompt), { maxNewTokens: 120, temperature: 0.8, seed: 3 });
    emit({ figure: "sample", prompt, text: prompt + tokenizer.decode(newTokens) });
  }
  model.dispose();
}
