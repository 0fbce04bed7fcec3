/**
 * The encoder–decoder Transformer of "Attention Is All You Need" (2017), built
 * from the same blocks as GPT:
 *
 *   source ids (B, S) → embedding + position → N × encoder block
 *       (self-attention that sees the whole source, feed-forward) → memory (B·S, C)
 *   target ids (B, T) → embedding + position → N × decoder block
 *       (causal self-attention, cross-attention to the memory, feed-forward)
 *       → logits (B, T, vocab)
 *
 * GPT is the decoder alone, without cross-attention. Both sides share one
 * vocabulary and one token-embedding table (`wte.weight`).
 *
 *   const model = new EncoderDecoder({ vocabSize: 32, sourceLength: 16, targetLength: 16 });
 *   const { logits } = model.forward(src, tgtIn);        // (B, T, 32)
 *   const loss = model.loss(src, tgtIn, tgtOut);
 *
 * Padding: `sourceMask` (1 real, 0 padding) keeps every query away from padded source positions.
 */
import * as tf from "@tensorflow/tfjs";
import { AttentionImpl } from "./attention";
import { normLayer, transformerBlock } from "./block";
import { EncoderDecoderConfig, encoderDecoderConfig, encoderDecoderParamShapes } from "./config";
import { TokenInput, targetIds } from "./gpt";
import { KVCache } from "./kvCache";
import { TokenBatch, crossEntropy, toTokenBatch } from "./layers";
import { ModelOptions, TransformerModel } from "./transformer";

export interface Seq2SeqOptions {
  training?: boolean;
  attention?: AttentionImpl;
  /** Return attention weights: encoder self-, decoder self- and cross-attention, per layer. */
  returnAttention?: boolean;
  /** With Int32Array sources: their (B, S) shape. */
  sourceShape?: [number, number];
  /** With Int32Array targets / decoder inputs: their (B, T) shape. */
  targetShape?: [number, number];
  /** 1 for real source tokens, 0 for padding (B·S): nothing attends to padding. */
  sourceMask?: ArrayLike<number>;
}

/** The encoder's output, ready for decoding. */
export interface Memory {
  /** (B·S, C) encoder output. */
  memory: tf.Tensor2D;
  batch: number;
  length: number;
  /** 1 for real source tokens, 0 for padding (B·S), when a source mask was given. */
  keyMask: ArrayLike<number> | null;
  /** Per encoder layer (B, H, S, S), with returnAttention. */
  attention?: tf.Tensor4D[];
}

export interface DecodeResult {
  logits: tf.Tensor3D;
  selfAttention?: tf.Tensor4D[];
  crossAttention?: tf.Tensor4D[];
}

export class EncoderDecoder extends TransformerModel<EncoderDecoderConfig> {
  constructor(config: Partial<EncoderDecoderConfig>, options: ModelOptions = {}) {
    const c = encoderDecoderConfig(config);
    super(c, encoderDecoderParamShapes(c), c.nEncoderLayers + c.nDecoderLayers, options);
  }

  protected create(config: EncoderDecoderConfig): this {
    return new EncoderDecoder(config, { seed: 0 }) as this;
  }

  /** An empty KV cache for incremental decoding: the decoder's self-attention and its cross-attention (kvCache.ts). */
  createCache(): KVCache {
    return new KVCache(this.config.nDecoderLayers, true);
  }

  /** Run the encoder. The caller disposes `memory.memory` (and the attention tensors). */
  encode(source: TokenInput, options: Seq2SeqOptions = {}): Memory {
    const src = toTokenBatch(source, this.config.vocabSize, options.sourceShape);
    const keyMask = sourceKeyMask(src, options.sourceMask);
    const out = tf.tidy(() => {
      const r = this.encodeRun(src, keyMask, options);
      return (r.attention ? { memory: r.memory, attention: r.attention } : { memory: r.memory }) as unknown as tf.TensorContainer;
    }) as unknown as { memory: tf.Tensor2D; attention?: tf.Tensor4D[] };
    return { ...out, batch: src.batch, length: src.length, keyMask };
  }

  /** Run the decoder on target ids given the encoder's memory (optionally incrementally, with a cache). */
  decode(target: TokenInput, memory: Memory, options: Seq2SeqOptions & { cache?: KVCache } = {}): DecodeResult {
    const tgt = toTokenBatch(target, this.config.vocabSize, options.targetShape);
    return tf.tidy(() => {
      const r = this.decodeRun(tgt, memory, options);
      const out: Record<string, unknown> = { logits: this.outputLogits(r.hidden).reshape([tgt.batch, tgt.length, this.config.vocabSize]) };
      if (r.selfAttention) out.selfAttention = r.selfAttention;
      if (r.crossAttention) out.crossAttention = r.crossAttention;
      return out as unknown as tf.TensorContainer;
    }) as unknown as DecodeResult;
  }

  /** Encoder and decoder in one go: logits (B, T, vocab) for the target ids given the source ids. */
  forward(source: TokenInput, target: TokenInput, options: Seq2SeqOptions = {}): DecodeResult & { encoderAttention?: tf.Tensor4D[] } {
    const mem = this.encode(source, options);
    try {
      const out = this.decode(target, mem, options);
      return mem.attention ? { ...out, encoderAttention: mem.attention } : out;
    } finally {
      mem.memory.dispose();
    }
  }

  /**
   * Mean cross-entropy of predicting `targets` (B, T) from the source and the
   * decoder input (usually [start, …targets without the last]). Targets < 0 are ignored.
   */
  loss(source: TokenInput, decoderInput: TokenInput, targets: TokenInput, options: Seq2SeqOptions = {}): tf.Scalar {
    const src = toTokenBatch(source, this.config.vocabSize, options.sourceShape);
    const tgt = toTokenBatch(decoderInput, this.config.vocabSize, options.targetShape);
    const t = targetIds(targets, tgt, options.targetShape);
    const keyMask = sourceKeyMask(src, options.sourceMask);
    return tf.tidy(() => {
      const enc = this.encodeRun(src, keyMask, options);
      const mem: Memory = { memory: enc.memory, batch: src.batch, length: src.length, keyMask };
      return crossEntropy(this.outputLogits(this.decodeRun(tgt, mem, options).hidden), t);
    });
  }

  private checkLength(side: "encoder" | "decoder", start: number, length: number): void {
    const c = this.config;
    const maxLen = side === "encoder" ? c.sourceLength : c.targetLength;
    const field = side === "encoder" ? "sourceLength" : "targetLength";
    if (start + length > maxLen) throw new Error(`The ${side} sees at most ${maxLen} tokens (${field}) but got ${start + length}. Crop the sequence or raise ${field}.`);
  }

  private encodeRun(src: TokenBatch, keyMask: ArrayLike<number> | null, options: Seq2SeqOptions): { memory: tf.Tensor2D; attention?: tf.Tensor4D[] } {
    const c = this.config;
    const training = options.training ?? false;
    this.checkLength("encoder", 0, src.length);
    let x = this.embed(src.ids, src.batch, src.length, "encoder.wpe.weight", 0, training);
    const attention: tf.Tensor4D[] = [];
    for (let i = 0; i < c.nEncoderLayers; i++) {
      const r = transformerBlock(x, this.params, `encoder.h.${i}.`, c, {
        batch: src.batch,
        length: src.length,
        training,
        attention: options.attention,
        mask: { keyMask }, // the encoder sees the whole source (except padding)
        returnAttention: options.returnAttention,
      });
      x = r.x;
      if (r.selfWeights) attention.push(r.selfWeights as tf.Tensor4D);
    }
    if (c.norm === "pre") x = normLayer(x, this.params, "encoder.ln_f", c.layerNormEps);
    return options.returnAttention ? { memory: x, attention } : { memory: x };
  }

  private decodeRun(tgt: TokenBatch, mem: Memory, options: Seq2SeqOptions & { cache?: KVCache }) {
    const c = this.config;
    const training = options.training ?? false;
    const cache = options.cache;
    const start = cache ? cache.length : 0;
    cache?.check(c.nDecoderLayers, tgt.batch);
    if (mem.batch !== tgt.batch) throw new Error(`The source batch has ${mem.batch} sequences but the target batch has ${tgt.batch}: give one target sequence per source sequence.`);
    this.checkLength("decoder", start, tgt.length);
    let x = this.embed(tgt.ids, tgt.batch, tgt.length, "decoder.wpe.weight", start, training);
    const selfAttention: tf.Tensor4D[] = [];
    const crossAttention: tf.Tensor4D[] = [];
    for (let i = 0; i < c.nDecoderLayers; i++) {
      const r = transformerBlock(x, this.params, `decoder.h.${i}.`, c, {
        batch: tgt.batch,
        length: tgt.length,
        training,
        attention: options.attention,
        mask: { causal: true, offset: start },
        returnAttention: options.returnAttention,
        cache: cache?.self[i],
        cross: { memory: mem.memory, memoryLength: mem.length, mask: { keyMask: mem.keyMask }, cache: cache?.cross[i] },
      });
      x = r.x;
      if (r.selfWeights) selfAttention.push(r.selfWeights as tf.Tensor4D);
      if (r.crossWeights) crossAttention.push(r.crossWeights as tf.Tensor4D);
    }
    cache?.advance(tgt.batch, tgt.length);
    if (c.norm === "pre") x = normLayer(x, this.params, "decoder.ln_f", c.layerNormEps);
    return options.returnAttention ? { hidden: x, selfAttention, crossAttention } : { hidden: x };
  }
}

/** The source mask as given (checked against the batch), or null when there is none. */
function sourceKeyMask(src: TokenBatch, mask: ArrayLike<number> | undefined): ArrayLike<number> | null {
  if (!mask) return null;
  if (mask.length !== src.ids.length) throw new Error(`sourceMask has ${mask.length} entries but the source is ${src.batch} × ${src.length}: give one 1/0 per source token.`);
  return mask;
}
