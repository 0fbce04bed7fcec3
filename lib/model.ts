/**
 * The model: a Transformer in the files below, one idea each. Read them in this order:
 *
 *   model/config.ts        what a model is made of (GPTConfig, EncoderDecoderConfig), countParams
 *   model/weights.ts       the one table of weight names and shapes
 *   model/layers.ts        linear, LayerNorm, GELU, embeddings, cross-entropy
 *   model/positional.ts    learned and sinusoidal positions
 *   model/masks.ts         causal and padding masks
 *   model/heads.ts         splitting features into heads and merging them back
 *   model/attention.ts     scaled dot-product attention (the textbook formula), self- and cross-attention
 *   model/fastAttention.ts the same numbers, fast on wasm (read only if you care about speed)
 *   model/kvCache.ts       the KV cache for generation
 *   model/block.ts         one Transformer block (pre-LN or post-LN, residuals)
 *   model/transformer.ts   what both models share (embedding, output layer, clone, freeze)
 *   model/gpt.ts           GPT, the decoder-only model
 *   model/encoderDecoder.ts the 2017 encoder–decoder
 *   model/rewardModel.ts   a GPT with a scalar head (stage 3)
 *   model/lora.ts          LoRA: low-rank adapters on a frozen model's matrices (stage 2)
 *   model/checkpoint.ts    saving and loading (safetensors)
 *
 * Notebooks: `import { GPT, gptConfig, countParams } from "./lib/model";`
 */
export { gptConfig, encoderDecoderConfig, countParams, countParamsByComponent, paramShapes, gptParamShapes, encoderDecoderParamShapes, PRESETS } from "./model/config";
export type { GPTConfig, EncoderDecoderConfig, ModelCore, BlockConfig, PresetName, PositionalKind, ActivationKind, NormPlacement } from "./model/config";
export { BLOCK_WEIGHTS } from "./model/weights";
export type { ParamShapes } from "./model/weights";
export { linear, layerNorm, gelu, activation, dropout, embedding, tiedOutput, crossEntropy, toTokenBatch } from "./model/layers";
export { sinusoidalTable, sinusoidalPositions } from "./model/positional";
export { causalMask, attentionMask, MASKED } from "./model/masks";
export type { AttentionMaskSpec } from "./model/masks";
export { splitHeads, mergeHeads } from "./model/heads";
export { scaledDotProductAttention, selfAttention, crossAttention } from "./model/attention";
export type { AttentionImpl, SelfAttentionWeights, CrossAttentionWeights } from "./model/attention";
export { matMul2d } from "./model/fastOps";
export { KVCache } from "./model/kvCache";
export { transformerBlock, feedForward } from "./model/block";
export type { BlockContext } from "./model/block";
export { GPT } from "./model/gpt";
export type { TokenInput, ForwardOptions, ForwardResult, RunOptions } from "./model/gpt";
export { EncoderDecoder } from "./model/encoderDecoder";
export type { Seq2SeqOptions, Memory, DecodeResult } from "./model/encoderDecoder";
export { RewardModel } from "./model/rewardModel";
export { addLoRA, LoRA, loraForward, loraParamCount, LORA_TARGETS } from "./model/lora";
export type { LoRAOptions, LoRAPair, Adaptable } from "./model/lora";
export { saveModel, loadModel, loadWeights, saveSafetensors, loadSafetensors, encodeSafetensors, decodeSafetensors } from "./model/checkpoint";
