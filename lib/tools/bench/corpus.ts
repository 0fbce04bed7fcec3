/**
 * `npm run bench -- corpus [--steps=N]`
 *
 * Does the course corpus teach a small model something in a few minutes?
 * Trains a character-level GPT (context 64, dModel 128, 4 heads, 2 layers) on
 * datasets/corpus.train.txt and reports the loss reached, the time it took and
 * two samples. Figures: char-model (losses, time) and sample (generated text).
 */
import { setupBackend } from "../../backend";
import { loadCorpus } from "../../datasets";
import { generate } from "../../generate";
import { gptConfig } from "../../model/config";
import { GPT } from "../../model/gpt";
import { seed } from "../../random";
import { CharTokenizer } from "../../tokenizer/char";
import { estimateLoss, train } from "../../train";
import { Emit, benchCount } from "../cli/bench";

export async function bench(emit: Emit, args: string[]): Promise<void> {
  await setupBackend({ verbose: false });
  seed(1337);
  const steps = benchCount(args, "steps", 600);
  const trainText = loadCorpus("train");
  const valText = loadCorpus("val");
  const tokenizer = CharTokenizer.fromText(trainText + valText);
  const trainIds = tokenizer.encode(trainText);
  const valIds = tokenizer.encode(valText);
  const model = new GPT(gptConfig({ vocabSize: tokenizer.vocabSize, contextLength: 64, dModel: 128, nHeads: 4, nLayers: 2 }), { seed: 1 });
  const batchSize = 32;
  const initialVal = estimateLoss(model, valIds, { batches: 8, batchSize, length: 64 });
  const result = await train(model, { train: trainIds, val: valIds }, {
    steps,
    batchSize,
    lr: 3e-3,
    seed: 2,
    onStep: (i) => {
      if (i.step % 100 === 0) process.stderr.write(`step ${i.step}/${steps} loss ${i.loss.toFixed(3)}\n`);
    },
  });
  const finalVal = result.valLosses[result.valLosses.length - 1].loss;
  emit({
    figure: "char-model",
    vocabSize: tokenizer.vocabSize,
    params: model.numParams(),
    steps,
    batchSize,
    seconds: +(result.elapsedMs / 1000).toFixed(1),
    lnVocab: +Math.log(tokenizer.vocabSize).toFixed(3),
    initialValLoss: +initialVal.toFixed(3),
    finalTrainLoss: +result.losses[result.losses.length - 1].toFixed(3),
    finalValLoss: +finalVal.toFixed(3),
  });
  for (const prompt of ["은행 앞에 가서", "Mina went to the bank"]) {
    const { newTokens } = generate(model, tokenizer.encode(prompt), { maxNewTokens: 120, temperature: 0.8, seed: 3 });
    emit({ figure: "sample", prompt, text: prompt + tokenizer.decode(newTokens) });
  }
  model.dispose();
}
