/**
 * One Transformer block — the unit GPT and the encoder–decoder stack N times.
 *
 * Pre-LN (GPT-2, nanoGPT; the default):
 *     x = x + Attention(LayerNorm₁(x))
 *     x = x + CrossAttention(LayerNorm_cross(x), memory)     // decoder blocks of an encoder–decoder only
 *     x = x + FeedForward(LayerNorm₂(x))
 * Post-LN (the 2017 paper):
 *     x = LayerNorm₁(x + Attention(x))  …  x = LayerNorm₂(x + FeedForward(x))
 *
 * FeedForward(x) = GELU(x W_fc + b_fc) W_proj + b_proj, applied to every token
 * on its own. The additions are the residual connections: each sub-layer only
 * adds a correction to the stream of token vectors.
 */
import * as tf from "@tensorflow/tfjs";
import { AttentionMaskSpec, LayerKV, crossAttention, selfAttention } from "./attention";
import { BlockConfig } from "./config";
import { activation, dropout, layerNorm, linear } from "./layers";
import { ParamStore } from "./params";

/** Everything a block needs besides its weights. */
export interface BlockContext {
  batch: number;
  length: number;
  training: boolean;
  impl?: "fast" | "reference";
  /** Self-attention mask (causal for decoders). */
  mask: AttentionMaskSpec;
  returnWeights?: boolean;
  cache?: LayerKV;
  /** Decoder blocks: the encoder output (B·S, C) to attend to. */
  cross?: { memory: tf.Tensor; memoryLength: number; mask: AttentionMaskSpec; cache?: LayerKV };
}

export interface BlockResult {
  x: tf.Tensor2D;
  /** (B, H, T, T) self-attention weights, when asked for. */
  selfWeights?: tf.Tensor;
  /** (B, H, T, S) cross-attention weights, when asked for. */
  crossWeights?: tf.Tensor;
}

/** LayerNorm with the weights `${name}.weight` / `${name}.bias`. */
export function normLayer(x: tf.Tensor, p: ParamStore, name: string, eps: number): tf.Tensor2D {
  return layerNorm(x, p.get(`${name}.weight`), p.maybe(`${name}.bias`), eps);
}

/** The position-wise feed-forward network: (N, C) → (N, dFF) → (N, C). */
export function feedForward(x: tf.Tensor, p: ParamStore, prefix: string, c: BlockConfig): tf.Tensor2D {
  const h = activation(linear(x, p.get(`${prefix}mlp.c_fc.weight`), p.maybe(`${prefix}mlp.c_fc.bias`)), c.activation); // (N, dFF)
  return linear(h, p.get(`${prefix}mlp.c_proj.weight`), p.maybe(`${prefix}mlp.c_proj.bias`)); // (N, C)
}

/** One block on x (B·T, C) → (B·T, C); weights under `prefix` (e.g. "h.0."). */
export function transformerBlock(x: tf.Tensor, p: ParamStore, prefix: string, c: BlockConfig, ctx: BlockContext): BlockResult {
  const eps = c.layerNormEps;
  const pre = c.norm === "pre";
  const out: BlockResult = { x: x as tf.Tensor2D };
  const attnOpts = {
    batch: ctx.batch,
    length: ctx.length,
    heads: c.nHeads,
    impl: ctx.impl,
    returnWeights: ctx.returnWeights,
  };
  const residual = (stream: tf.Tensor, branch: tf.Tensor, norm: string): tf.Tensor2D => {
    const sum = tf.add(stream, dropout(branch, c.dropout, ctx.training)) as tf.Tensor2D;
    return pre ? sum : normLayer(sum, p, `${prefix}${norm}`, eps);
  };

  // Self-attention.
  const a = selfAttention(pre ? normLayer(x, p, `${prefix}ln_1`, eps) : x, {
    cAttnW: p.get(`${prefix}attn.c_attn.weight`),
    cAttnB: p.maybe(`${prefix}attn.c_attn.bias`),
    cProjW: p.get(`${prefix}attn.c_proj.weight`),
    cProjB: p.maybe(`${prefix}attn.c_proj.bias`),
  }, { ...attnOpts, mask: ctx.mask, cache: ctx.cache });
  out.selfWeights = a.weights;
  let h = residual(x, a.y, "ln_1");

  // Cross-attention (decoder blocks of an encoder–decoder).
  if (ctx.cross) {
    const cr = crossAttention(pre ? normLayer(h, p, `${prefix}ln_cross`, eps) : h, ctx.cross.memory, ctx.cross.memoryLength, {
      cQW: p.get(`${prefix}cross_attn.c_q.weight`),
      cQB: p.maybe(`${prefix}cross_attn.c_q.bias`),
      cKvW: p.get(`${prefix}cross_attn.c_kv.weight`),
      cKvB: p.maybe(`${prefix}cross_attn.c_kv.bias`),
      cProjW: p.get(`${prefix}cross_attn.c_proj.weight`),
      cProjB: p.maybe(`${prefix}cross_attn.c_proj.bias`),
    }, { ...attnOpts, mask: ctx.cross.mask, cache: ctx.cross.cache });
    out.crossWeights = cr.weights;
    h = residual(h, cr.y, "ln_cross");
  }

  // Feed-forward.
  const f = feedForward(pre ? normLayer(h, p, `${prefix}ln_2`, eps) : h, p, prefix, c);
  out.x = residual(h, f, "ln_2");
  return out;
}
