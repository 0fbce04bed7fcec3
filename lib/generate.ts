/**
 * Generation: from a model's scores to text, one token at a time.
 *
 *   generation/sampling.ts   the decoding rules: greedy, temperature, top-k, top-p, min-p, repetition penalty
 *   generation/loop.ts       generate(model, prompt, options) — one loop for GPT and the encoder–decoder,
 *                            generateSamples(gpt, prompt, k, options): k samples of one prompt as one batch (RL),
 *                            with the KV cache (lib/model/kvCache.ts)
 *   generation/beam.ts       beam search with length normalisation
 *   generation/speculative.ts speculative decoding: a draft proposes, the model checks — exactly its distribution
 *
 * Notebooks: `import { generate, nextTokenProbabilities } from "./lib/generate";`
 */
export { generate, generateSamples } from "./generation/loop";
export type { GenerateOptions, GenerateResult, SamplesOptions } from "./generation/loop";
export { nextTokenProbabilities, sampleToken, applyRepetitionPenalty } from "./generation/sampling";
export type { SampleOptions } from "./generation/sampling";
export { beamSearch } from "./generation/beam";
export type { Beam, BeamOptions } from "./generation/beam";
export { speculativeGenerate, speculativeAccept, expectedTokensPerCall, measureSpeculative } from "./generation/speculative";
export type { SpeculativeOptions, SpeculativeResult, SpeculativeRow } from "./generation/speculative";
