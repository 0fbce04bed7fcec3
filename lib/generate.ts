/**
 * Generation: from a model's scores to text, one token at a time.
 *
 *   generation/sampling.ts   the decoding rules: greedy, temperature, top-k, top-p, min-p, repetition penalty
 *   generation/loop.ts       generate(model, prompt, options) — one loop for GPT and the encoder–decoder,
 *                            with the KV cache (lib/model/kvCache.ts)
 *
 * Notebooks: `import { generate, nextTokenProbabilities } from "./lib/generate";`
 */
export { generate } from "./generation/loop";
export type { GenerateOptions, GenerateResult } from "./generation/loop";
export { nextTokenProbabilities, sampleToken, applyRepetitionPenalty } from "./generation/sampling";
export type { SampleOptions } from "./generation/sampling";
