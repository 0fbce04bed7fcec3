/**
 * `npm run bench -- generate [--tokens=N]`
 *
 * Generation speed with and without the KV cache: the bench-small model
 * (vocab 65, dModel 128, 4 heads, 2 layers) with a context of 512 so that a
 * 16-token prompt plus 256 new tokens fits in the window. Sampling with a seed
 * (temperature 1, top-k 20); both runs must give the same tokens.
 * Figures: tokens/s with and without the cache (each the faster of two
 * alternating runs), and their ratio (target ≥ 3×).
 */
import * as tf from "@tensorflow/tfjs";
import { performance } from "perf_hooks";
import { setupBackend } from "../../backend";
import { generate } from "../../generate";
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
}
