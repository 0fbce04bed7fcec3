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
import { AttentionImpl, crossAttention, selfAttention } from "./attention";
import { BlockConfig } from "./config";
import { LayerKV } from "./kvCache";
import { activation, dropout, layerNorm, linear } from "./layers";
import { AttentionMaskSpec } from "./masks";
import { ParamStore } from "./params";
import { blockWeights, layerWeights } from "./weights";

/** Everything a block needs besides its weights. */
export interface BlockContext {
  batch: number;
  length: number;
  training: boolean;
  attention?: AttentionImpl;
  /** Self-attention mask (causal for decoders; keyMask for padding). */
  mask: AttentionMaskSpec;
  returnAttention?: boolean;
  cache?: LayerKV;
  /** Per head 1/0: switch heads of this block's self-attention off (ablation). */
  headMask?: number[];
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
  const w = layerWeights(p, name);
  return layerNorm(x, w.weight, w.bias, eps);
}

/** The position-wise feed-forward network: (N, C) → (N, dFF) → (N, C). */
export function feedForward(x: tf.Tensor, p: ParamStore, prefix: string, c: BlockConfig): tf.Tensor2D {
  const fc = layerWeights(p, `${prefix}mlp.c_fc`);
  const proj = layerWeights(p, `${prefix}mlp.c_proj`);
  const h = activation(linear(x, fc.weight, fc.bias), c.activation); // (N, dFF)
  return linear(h, proj.weight, proj.bias); // (N, C)
}

/** One block on x (B·T, C) → (B·T, C); weights under `prefix` (e.g. "h.0."). */
export function transformerBlock(x: tf.Tensor, p: ParamStore, prefix: string, c: BlockConfig, ctx: BlockContext): BlockResult {
  const w = blockWeights(p, prefix);
  const eps = c.layerNormEps;
  const pre = c.norm === "pre";
  const norm = (h: tf.Tensor, name: string) => layerNorm(h, w[name].weight, w[name].bias, eps);
  const out: BlockResult = { x: x as tf.Tensor2D };
  const attnOpts = { batch: ctx.batch, length: ctx.length, heads: c.nHeads, attention: ctx.attention, returnAttention: ctx.returnAttention };
  const residual = (stream: tf.Tensor, branch: tf.Tensor, name: string): tf.Tensor2D => {
    const sum = tf.add(stream, dropout(branch, c.dropout, ctx.training)) as tf.Tensor2D;
    return pre ? sum : norm(sum, name);
  };

  // Self-attention.
  const a = selfAttention(
    pre ? norm(x, "ln_1") : x,
    { cAttnW: w["attn.c_attn"].weight, cAttnB: w["attn.c_attn"].bias, cProjW: w["attn.c_proj"].weight, cProjB: w["attn.c_proj"].bias },
    { ...attnOpts, mask: ctx.mask, cache: ctx.cache, headMask: ctx.headMask },
  );
  out.selfWeights = a.weights;
  let h = residual(x, a.y, "ln_1");

  // Cross-attention (decoder blocks of an encoder–decoder).
  if (ctx.cross) {
    const cr = crossAttention(
      pre ? norm(h, "ln_cross") : h,
      ctx.cross.memory,
      ctx.cross.memoryLength,
      {
        cQW: w["cross_attn.c_q"].weight, cQB: w["cross_attn.c_q"].bias,
        cKvW: w["cross_attn.c_kv"].weight, cKvB: w["cross_attn.c_kv"].bias,
        cProjW: w["cross_attn.c_proj"].weight, cProjB: w["cross_attn.c_proj"].bias,
      },
      { ...attnOpts, mask: ctx.cross.mask, cache: ctx.cross.cache },
    );
    out.crossWeights = cr.weights;
    h = residual(h, cr.y, "ln_cross");
  }

  // Feed-forward.
  const f = feedForward(pre ? norm(h, "ln_2") : h, p, prefix, c);
  out.x = residual(h, f, "ln_2");
  return out;
}
