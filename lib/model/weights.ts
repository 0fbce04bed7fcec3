/**
 * The one table of a model's weight names. Shapes, parameter counts and the block's
 * accessors are all derived from it.
 *
 * Names follow Hugging Face's GPT-2 checkpoints without the "transformer." prefix (and so
 * are close to nanoGPT's). C = dModel; linear weights are stored (in, out) — y = x @ W + b —
 * like GPT-2's Conv1D (PyTorch's nn.Linear stores the transpose: use W.T when loading them
 * into nn.Linear, as tests/reference/gpt_reference.py does).
 *
 *   wte.weight                 (vocab, C)     token embedding (also the output layer when tied)
 *   wpe.weight                 (context, C)   learned positions (absent with sinusoidal positions)
 *   h.{i}.ln_1                 (C)            LayerNorm before attention (.weight, .bias)
 *   h.{i}.attn.c_attn          (C, 3C)        queries | keys | values, one matrix (.weight, .bias)
 *   h.{i}.attn.c_proj          (C, C)         attention output projection
 *   h.{i}.ln_cross             (C)            } decoder blocks of an encoder–decoder only:
 *   h.{i}.cross_attn.c_q       (C, C)         } queries from the decoder,
 *   h.{i}.cross_attn.c_kv      (C, 2C)        } keys and values from the encoder output,
 *   h.{i}.cross_attn.c_proj    (C, C)         } output projection
 *   h.{i}.ln_2                 (C)            LayerNorm before the feed-forward
 *   h.{i}.mlp.c_fc             (C, dFF)       feed-forward, expand
 *   h.{i}.mlp.c_proj           (dFF, C)       feed-forward, project back
 *   ln_f                       (C)            final LayerNorm (pre-LN only)
 *   lm_head.weight             (C, vocab)     output layer (only when not tied)
 *
 * An encoder–decoder has the blocks under "encoder.h.{i}." and "decoder.h.{i}.", and
 * "encoder.ln_f", "decoder.ln_f", "encoder.wpe.weight", "decoder.wpe.weight"; both sides
 * share "wte.weight". Biases (".bias") exist only with `bias: true`.
 */
import * as tf from "@tensorflow/tfjs";
import type { ParamStore } from "./params";

/** A block's sizes that weight shapes depend on. */
export interface BlockDims {
  dModel: number;
  dFF: number;
  bias: boolean;
}

type Size = (d: BlockDims) => number;
const C: Size = (d) => d.dModel;

/** One entry of the block table: a LayerNorm (C) or a linear layer (in, out). */
export interface BlockWeight {
  name: string;
  kind: "norm" | "linear";
  in?: Size;
  out?: Size;
  /** Only in decoder blocks that read an encoder (cross-attention). */
  cross?: boolean;
}

/** The weights of one Transformer block, in order. */
export const BLOCK_WEIGHTS: readonly BlockWeight[] = [
  { name: "ln_1", kind: "norm" },
  { name: "attn.c_attn", kind: "linear", in: C, out: (d) => 3 * d.dModel },
  { name: "attn.c_proj", kind: "linear", in: C, out: C },
  { name: "ln_cross", kind: "norm", cross: true },
  { name: "cross_attn.c_q", kind: "linear", in: C, out: C, cross: true },
  { name: "cross_attn.c_kv", kind: "linear", in: C, out: (d) => 2 * d.dModel, cross: true },
  { name: "cross_attn.c_proj", kind: "linear", in: C, out: C, cross: true },
  { name: "ln_2", kind: "norm" },
  { name: "mlp.c_fc", kind: "linear", in: C, out: (d) => d.dFF },
  { name: "mlp.c_proj", kind: "linear", in: (d) => d.dFF, out: C },
];

/** A weight's name and shape, in a fixed order. */
export type ParamShapes = Map<string, number[]>;

/** Add a LayerNorm's (or linear layer's) weight and bias shapes under `name`. */
export function addLayerShapes(out: ParamShapes, name: string, w: Pick<BlockWeight, "kind" | "in" | "out">, d: BlockDims): void {
  if (w.kind === "norm") {
    out.set(`${name}.weight`, [d.dModel]);
    if (d.bias) out.set(`${name}.bias`, [d.dModel]);
  } else {
    out.set(`${name}.weight`, [w.in!(d), w.out!(d)]);
    if (d.bias) out.set(`${name}.bias`, [w.out!(d)]);
  }
}

/** The shapes of one block's weights under `prefix` (e.g. "h.0."). */
export function addBlockShapes(out: ParamShapes, prefix: string, d: BlockDims, cross: boolean): void {
  for (const w of BLOCK_WEIGHTS) if (!w.cross || cross) addLayerShapes(out, prefix + w.name, w, d);
}

/** A layer's weight (as the forward pass uses it: with an adapter such as LoRA applied) and (optional) bias. */
export interface LayerWeights {
  weight: tf.Tensor;
  bias: tf.Variable | null;
}

/** The block's layers by table name (e.g. `w["attn.c_attn"].weight`); cross-attention layers only when present. */
export type BlockWeights = Record<string, LayerWeights>;

/** The weights of the block under `prefix`, looked up once by the table's names. */
export function blockWeights(p: ParamStore, prefix: string): BlockWeights {
  const out: BlockWeights = {};
  for (const w of BLOCK_WEIGHTS) {
    if (w.cross && !p.has(`${prefix}${w.name}.weight`)) continue;
    out[w.name] = layerWeights(p, prefix + w.name);
  }
  return out;
}

/** `${name}.weight` (with its adapter applied, if one is attached) and `${name}.bias` (null without biases). */
export function layerWeights(p: ParamStore, name: string): LayerWeights {
  return { weight: p.effective(`${name}.weight`), bias: p.maybe(`${name}.bias`) };
}

/** Which part of the model a weight belongs to (for parameter counts by component). */
export function componentOf(name: string): string {
  if (name === "wte.weight") return "token embedding";
  if (name.endsWith("wpe.weight")) return "position embedding";
  if (name.includes(".cross_attn.")) return "cross-attention";
  if (name.includes(".attn.")) return "attention";
  if (name.includes(".mlp.")) return "feed-forward";
  if (name.includes("ln_")) return "layer norm";
  if (name.startsWith("reward_head.")) return "reward head";
  return "output layer";
}
