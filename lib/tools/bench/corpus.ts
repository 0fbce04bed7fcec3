/**
 * `npm run bench -- corpus [--steps=N]`
 *
 * Does the course corpus teach a small model something in about a minute? Runs LIVE_RECIPE
 * (lib/training/recipes.ts) through runPretrainRecipe — the same function chapter 06 calls to
 * pre-train in front of the learner: the base tokenizer (BPE, 1024 tokens), a 2-layer GPT
 * (context 64, dModel 64) on datasets/corpus.train.txt. Figures: live-pretrain (losses, time,
 * tokens/s) and sample (generated text in both languages).
 */
import { setupBackend } from "../../backend";
import { generate } from "../../generate";
import { seed } from "../../random";
import { LIVE_RECIPE, baseTokenizer, estimateLoss, runPretrainRecipe } from "../../train";
import { Emit, benchCount } from "../cli/bench";

export async function bench(emit: Emit, args: string[]): Promise<void> {
  await setupBackend({ verbose: false });
  seed(1337);
  const steps = benchCount(args, "steps", LIVE_RECIPE.knobs.steps);
  const data = baseTokenizer();
  let initialValLoss = NaN;
  const run = await runPretrainRecipe(LIVE_RECIPE, {
    knobs: { steps },
    data,
    onStep: (i) => {
      if (i.step % 100 === 0) process.stderr.write(`step ${i.step}/${steps} loss ${i.loss.toFixed(3)}\n`);
    },
    onModel: (m) => {
      initialValLoss = estimateLoss(m, data.valIds, { batches: LIVE_RECIPE.knobs.evalBatches, batchSize: LIVE_RECIPE.knobs.batchSize });
    },
  });
  const { tokenizer, model, result } = run;
  emit({
    figure: "live-pretrain",
    vocabSize: tokenizer.vocabSize,
    params: model.numParams(),
    steps,
    batchSize: LIVE_RECIPE.knobs.batchSize,
    seconds: +(result.elapsedMs / 1000).toFixed(1),
    msPerStep: +result.msPerStep.toFixed(1),
    tokensPerSecond: Math.round(result.tokensPerSecond),
    lnVocab: +Math.log(tokenizer.vocabSize).toFixed(3),
    initialValLoss: +initialValLoss.toFixed(3),
    finalTrainLoss: +result.losses[result.losses.length - 1].toFixed(3),
    finalValLoss: +result.valLosses[result.valLosses.length - 1].loss.toFixed(3),
  });
  for (const prompt of ["은행 앞에 가서", "Mina went to the bank"]) {
    const { newTokens } = generate(model, tokenizer.encode(prompt), { maxNewTokens: 60, temperature: 0.8, seed: 3 });
    emit({ figure: "sample", prompt, text: prompt + tokenizer.decode(newTokens) });
  }
  model.dispose();
}
