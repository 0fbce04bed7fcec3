/**
 * `npm run bench -- generate [--tokens=N]`
 *
 * Generation speed with and without the KV cache: the bench-small model
 * (vocab 65, dModel 128, 4 heads, 2 layers) with a context of 512 so that a
 * 16-token prompt plus 256 new tokens fits in the window. Sampling with a seed
 * (temperature 1, top-k 20); both runs must give the same tokens.
 * Figures: tokens/s with and without the cache (each the faster of two
 * alternating runs), and their ratio (target ≥ 3×). With the committed base model
 * (datasets/models): speculative decoding with chapter 05's draft (DRAFT_RECIPE) for
 * γ = 1…6 — acceptance α, tokens per base-model call against (1 − α^(γ+1))/(1 − α), and
 * the wall-clock speed-up over plain sampling with and without the cache.
 */
import * as tf from "@tensorflow/tfjs";
import { performance } from "perf_hooks";
import { setupBackend } from "../../backend";
import { generate, measureSpeculative } from "../../generate";
import { loadBaseModel } from "../../datasets";
import { trainDraftModel } from "../../train";
import { PRESETS } from "../../model/config";
import { GPT } from "../../model/gpt";
import { Emit, benchCount } from "../cli/bench";

export async function bench(emit: Emit, args: string[]): Promise<void> {
  const info = await setupBackend({ verbose: false });
  const newTokens = benchCount(args, "tokens", 256);
  const config = { ...PRESETS["bench-small"], contextLength: 512 };
  const model = new GPT(config, { seed: 1 });
  const prompt = Array.from({ length: 16 }, (_, i) => (i * 7) % config.vocabSize);
  const options = { maxNewTokens: newTokens, temperature: 1, topK: 20, seed: 42 };
  generate(model, prompt, { ...options, maxNewTokens: 8 }); // warm-up
  generate(model, prompt, { ...options, maxNewTokens: 8, useCache: false });

  const run = (useCache: boolean) => {
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const r = generate(model, prompt, { ...options, useCache });
    const ms = performance.now() - t0;
    return { tokens: r.newTokens, ms, leaked: tf.memory().numTensors - before };
  };
  console.error(`generate bench: ${info.description}, ${newTokens} new tokens, each way twice…`);
  // Alternate the two ways and keep each one's faster run (the machines are shared).
  const faster = <T extends { ms: number }>(a: T, b: T) => (a.ms <= b.ms ? a : b);
  let cached = run(true);
  let plain = run(false);
  cached = faster(cached, run(true));
  plain = faster(plain, run(false));
  const same = cached.tokens.length === plain.tokens.length && cached.tokens.every((t, i) => t === plain.tokens[i]);
  const rate = (r: { ms: number }) => +((newTokens * 1000) / r.ms).toFixed(1);
  emit({ figure: "with-cache", backend: info.description, new_tokens: newTokens, prompt_tokens: prompt.length, ms: Math.round(cached.ms), tokens_per_s: rate(cached), tensors_leaked: cached.leaked });
  emit({ figure: "without-cache", new_tokens: newTokens, ms: Math.round(plain.ms), tokens_per_s: rate(plain), tensors_leaked: plain.leaked });
  emit({ figure: "cache-speedup", ratio: +(plain.ms / cached.ms).toFixed(2), target_ratio: 3, meets_target: plain.ms / cached.ms >= 3, identical_tokens: same });
  model.dispose();

  let base: ReturnType<typeof loadBaseModel>;
  try {
    base = loadBaseModel();
  } catch (err) {
    console.error(`generate bench: no speculative figures — ${(err as Error).message}`);
    return;
  }
  console.error("generate bench: speculative decoding with the base model and chapter 05's draft…");
  const draft = await trainDraftModel(base.tokenizer, base.model.config.contextLength);
  const specPrompt = base.tokenizer.encode("은행 앞에 가서 돈을");
  const tokens = 48;
  const rows = measureSpeculative(base.model, draft, specPrompt, { gammas: [1, 2, 3, 4, 5, 6], tokens, seed: 5 });
  const timeOf = (useCache: boolean) => {
    const t0 = performance.now();
    generate(base.model, specPrompt, { maxNewTokens: tokens, temperature: 1, seed: 5, useCache });
    return performance.now() - t0;
  };
  const plainMs = timeOf(false);
  const cachedMs = timeOf(true);
  for (const r of rows) {
    emit({ figure: "speculative", gamma: r.gamma, alpha: +r.alpha.toFixed(3), tokens_per_call: +r.tokensPerCall.toFixed(2), formula: +r.formula.toFixed(2), ms: r.ms, speedup_vs_no_cache: +(plainMs / r.ms).toFixed(2), speedup_vs_cache: +(cachedMs / r.ms).toFixed(2) });
  }
  draft.dispose();
  base.model.dispose();
}
