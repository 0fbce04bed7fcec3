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
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, rng } from "../random";
import { LayerKV } from "./attention";
import { normLayer, transformerBlock } from "./block";
import { EncoderDecoderConfig, encoderDecoderConfig, encoderDecoderParamShapes } from "./config";
import { TokenInput, targetIds } from "./gpt";
import { crossEntropy, dropout, embedding, linear, tiedOutput, toTokenBatch, TokenBatch } from "./layers";
import { installFastSlice } from "./fastOps";
import { ParamStore, initialValue } from "./params";
import { addLearnedPositions, addSinusoidalPositions } from "./positional";

export interface Seq2SeqOptions {
  training?: boolean;
  /** Return attention weights: encoder self-, decoder self- and cross-attention, per layer. */
  returnAttention?: boolean;
  attention?: "fast" | "reference";
  /** Source positions holding this id are padding: nothing attends to them. */
  sourcePadId?: number;
}

/** The encoder's output, ready for decoding. */
export interface Memory {
  /** (B·S, C) encoder output. */
  memory: tf.Tensor2D;
  batch: number;
  length: number;
  /** 1 for real source tokens, 0 for padding (B·S), when a pad id was given. */
  keyMask: Int32Array | null;
  /** Per encoder layer (B, H, S, S), with returnAttention. */
  attention?: tf.Tensor4D[];
}

export interface DecodeResult {
  logits: tf.Tensor3D;
  selfAttention?: tf.Tensor4D[];
  crossAttention?: tf.Tensor4D[];
}

/** KV cache for incremental decoding: the decoder's self-attention keys/values grow; the cross-attention ones are computed once. */
export class Seq2SeqCache {
  length = 0;
  readonly self: LayerKV[];
  readonly cross: LayerKV[];
  constructor(nLayers: number) {
    this.self = Array.from({ length: nLayers }, () => ({ k: null, v: null }));
    this.cross = Array.from({ length: nLayers }, () => ({ k: null, v: null }));
  }
  dispose(): void {
    for (const l of [...this.self, ...this.cross]) {
      l.k?.dispose();
      l.v?.dispose();
      l.k = l.v = null;
    }
    this.length = 0;
  }
}

/** 1 for real source tokens and 0 for padding (B·S), or null when there is no pad id. */
function padMask(src: TokenBatch, padId: number | undefined): Int32Array | null {
  return padId === undefined ? null : Int32Array.from(src.ids, (id) => (id === padId ? 0 : 1));
}

export class EncoderDecoder {
  readonly config: EncoderDecoderConfig;
  readonly params: ParamStore;

  constructor(config: Partial<EncoderDecoderConfig>, options: { seed?: number } = {}) {
    this.config = encoderDecoderConfig(config);
    installFastSlice(); // cheap per-head slicing on wasm (see fastOps.ts)
    const init = options.seed !== undefined ? new Rng(options.seed) : rng().fork();
    const layers = this.config.nEncoderLayers + this.config.nDecoderLayers;
    this.params = new ParamStore(encoderDecoderParamShapes(this.config), (name, shape) =>
      initialValue(name, shape, { std: this.config.initStd, residualLayers: layers, rng: init }),
    );
  }

  numParams(): number {
    return this.params.count();
  }

  createCache(): Seq2SeqCache {
    return new Seq2SeqCache(this.config.nDecoderLayers);
  }

  /** Run the encoder. The caller disposes `memory.memory` (and the attention tensors). */
  encode(source: TokenInput, options: Seq2SeqOptions = {}): Memory {
    const src = toTokenBatch(source, this.config.vocabSize);
    const keyMask = padMask(src, options.sourcePadId);
    const out = tf.tidy(() => {
      const r = this.encodeRun(src, keyMask, options);
      return (r.attention ? { memory: r.memory, attention: r.attention } : { memory: r.memory }) as unknown as tf.TensorContainer;
    }) as unknown as { memory: tf.Tensor2D; attention?: tf.Tensor4D[] };
    return { ...out, batch: src.batch, length: src.length, keyMask };
  }

  /** Run the decoder on target ids given the encoder's memory (optionally incrementally, with a cache). */
  decode(target: TokenInput, memory: Memory, options: Seq2SeqOptions & { cache?: Seq2SeqCache } = {}): DecodeResult {
    const tgt = toTokenBatch(target, this.config.vocabSize);
    return tf.tidy(() => {
      const r = this.decodeRun(tgt, memory, options);
      const out: Record<string, unknown> = { logits: r.logits.reshape([tgt.batch, tgt.length, this.config.vocabSize]) };
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
    const src = toTokenBatch(source, this.config.vocabSize);
    const tgt = toTokenBatch(decoderInput, this.config.vocabSize);
    const t = targetIds(targets, tgt);
    const keyMask = padMask(src, options.sourcePadId);
    return tf.tidy(() => {
      const enc = this.encodeRun(src, keyMask, options);
      const mem: Memory = { memory: enc.memory, batch: src.batch, length: src.length, keyMask };
      return crossEntropy(this.decodeRun(tgt, mem, options).logits, t);
    });
  }

  weights(): Map<string, tf.Variable> {
    return new Map(this.params.entries());
  }

  setWeights(tensors: Map<string, tf.Tensor> | Record<string, tf.Tensor>, source?: string): void {
    this.params.assign(tensors, source);
  }

  dispose(): void {
    this.params.dispose();
  }

  private embed(tokens: TokenBatch, side: "encoder" | "decoder", start: number, training: boolean): tf.Tensor2D {
    const c = this.config;
    const maxLen = side === "encoder" ? c.sourceLength : c.targetLength;
    if (start + tokens.length > maxLen) {
      throw new Error(`The ${side} sees at most ${maxLen} tokens (${side === "encoder" ? "sourceLength" : "targetLength"}) but got ${start + tokens.length}. Crop the sequence or raise ${side === "encoder" ? "sourceLength" : "targetLength"}.`);
    }
    let x = embedding(tokens.ids, this.params.get("wte.weight"), c.scaleEmbeddings ? Math.sqrt(c.dModel) : 1); // (B·T, C)
    x =
      c.positional === "learned"
        ? addLearnedPositions(x, this.params.get(`${side}.wpe.weight`), tokens.batch, tokens.length, start)
        : addSinusoidalPositions(x, tokens.batch, tokens.length, start);
    return dropout(x, c.dropout, training) as tf.Tensor2D;
  }

  private encodeRun(src: TokenBatch, keyMask: Int32Array | null, options: Seq2SeqOptions): { memory: tf.Tensor2D; attention?: tf.Tensor4D[] } {
    const c = this.config;
    const training = options.training ?? false;
    let x = this.embed(src, "encoder", 0, training);
    const attention: tf.Tensor4D[] = [];
    for (let i = 0; i < c.nEncoderLayers; i++) {
      const r = transformerBlock(x, this.params, `encoder.h.${i}.`, c, {
        batch: src.batch,
        length: src.length,
        training,
        impl: options.attention,
        mask: { keyMask }, // the encoder sees the whole source (except padding)
        returnWeights: options.returnAttention,
      });
      x = r.x;
      if (r.selfWeights) attention.push(r.selfWeights as tf.Tensor4D);
    }
    if (c.norm === "pre") x = normLayer(x, this.params, "encoder.ln_f", c.layerNormEps);
    return options.returnAttention ? { memory: x, attention } : { memory: x };
  }

  private decodeRun(tgt: TokenBatch, mem: Memory, options: Seq2SeqOptions & { cache?: Seq2SeqCache }) {
    const c = this.config;
    const training = options.training ?? false;
    const cache = options.cache;
    const start = cache ? cache.length : 0;
    if (mem.batch !== tgt.batch) throw new Error(`The source batch has ${mem.batch} sequences but the target batch has ${tgt.batch}: give one target sequence per source sequence.`);
    let x = this.embed(tgt, "decoder", start, training);
    const selfAttention: tf.Tensor4D[] = [];
    const crossAttention: tf.Tensor4D[] = [];
    for (let i = 0; i < c.nDecoderLayers; i++) {
      const r = transformerBlock(x, this.params, `decoder.h.${i}.`, c, {
        batch: tgt.batch,
        length: tgt.length,
        training,
        impl: options.attention,
        mask: { causal: true, offset: start },
        returnWeights: options.returnAttention,
        cache: cache?.self[i],
        cross: { memory: mem.memory, memoryLength: mem.length, mask: { keyMask: mem.keyMask }, cache: cache?.cross[i] },
      });
      x = r.x;
      if (r.selfWeights) selfAttention.push(r.selfWeights as tf.Tensor4D);
      if (r.crossWeights) crossAttention.push(r.crossWeights as tf.Tensor4D);
    }
    if (cache) cache.length += tgt.length;
    if (c.norm === "pre") x = normLayer(x, this.params, "decoder.ln_f", c.layerNormEps);
    const logits = c.tieEmbeddings ? tiedOutput(x, this.params.get("wte.weight")) : linear(x, this.params.get("lm_head.weight"));
    return options.returnAttention ? { logits, selfAttention, crossAttention } : { logits };
  }
}
