/**
 * GPT: a decoder-only Transformer that predicts the next token.
 *
 *   ids (B, T) → token embedding + position → N × block (causal self-attention,
 *   feed-forward) → final LayerNorm → logits (B, T, vocab)
 *
 * logits[b, t] scores every possible token to come after ids[b, 0..t].
 *
 *   const model = new GPT({ vocabSize: 65, contextLength: 64, dModel: 128, nHeads: 4, nLayers: 2 });
 *   const { logits } = model.forward([[1, 2, 3]]);   // (1, 3, 65)
 *   const loss = model.loss(ids, targets);           // mean cross-entropy
 *   model.dispose();
 */
import * as tf from "@tensorflow/tfjs";
import { AttentionImpl } from "./attention";
import { normLayer, transformerBlock } from "./block";
import { GPTConfig, gptConfig, gptParamShapes } from "./config";
import { KVCache } from "./kvCache";
import { TokenBatch, crossEntropy, sequenceLogProbsFromLogits, toTokenBatch } from "./layers";
import { ModelOptions, TransformerModel } from "./transformer";

/** Token ids: number[] (one sequence), number[][] (a batch), an Int32Array (with `shape`) or a tensor (B, T). */
export type TokenInput = tf.Tensor | number[] | number[][] | Int32Array;

/** Options every forward pass of a GPT understands. */
export interface RunOptions {
  /** Apply dropout (default false). */
  training?: boolean;
  attention?: AttentionImpl;
  /** With an Int32Array of ids: its (B, T) shape. */
  shape?: [number, number];
  /** Padding: 1 for real tokens and 0 for padding (B·T, row-major); nothing attends to padding. */
  attentionMask?: ArrayLike<number>;
  /** Prefix LM: per row, a prefix (e.g. the source) every position sees whole; causal after it. */
  prefixLengths?: ArrayLike<number>;
}

export interface ForwardOptions extends RunOptions {
  /** Also return every layer's attention weights (B, H, T, T) — for plots. Uses the reference attention. */
  returnAttention?: boolean;
  /** Also return the final hidden states (B, T, C): what the output layer (or a reward head) reads. */
  returnHidden?: boolean;
  /** Incremental decoding: the ids are the *next* tokens after those already in the cache. */
  cache?: KVCache;
  /** Ablation: per layer, per head 1 (keep) or 0 (switch the head off). */
  headMask?: number[][];
}

export interface ForwardResult {
  /** (B, T, vocab) next-token scores. */
  logits: tf.Tensor3D;
  /** Per layer, (B, H, T, T_keys) attention weights (only with returnAttention). */
  attention?: tf.Tensor4D[];
  /** (B, T, C) final hidden states (only with returnHidden). */
  hidden?: tf.Tensor3D;
}

export class GPT extends TransformerModel<GPTConfig> {
  constructor(config: Partial<GPTConfig>, options: ModelOptions = {}) {
    const c = gptConfig(config);
    super(c, gptParamShapes(c), c.nLayers, options);
  }

  protected create(config: GPTConfig): this {
    return new GPT(config, { seed: 0 }) as this;
  }

  /**
   * Freeze everything except the last `blocks` Transformer blocks and the final LayerNorm
   * (the embeddings, which the output layer shares, stay frozen): the lower blocks keep
   * what pre-training put there, and a step costs less (no backward pass below the
   * trained blocks). Returns the names frozen; `unfreeze()` undoes it.
   */
  trainOnlyLastBlocks(blocks: number): string[] {
    const L = this.config.nLayers;
    if (!(Number.isInteger(blocks) && blocks >= 1 && blocks <= L)) throw new Error(`trainOnlyLastBlocks: blocks must be a whole number from 1 to nLayers (${L}), got ${blocks}.`);
    const trained = Array.from({ length: blocks }, (_, i) => `h.${L - 1 - i}.`);
    return this.freeze((name) => !(name.startsWith("ln_f") || trained.some((p) => name.startsWith(p))));
  }

  /** An empty KV cache for incremental decoding (see kvCache.ts). */
  createCache(): KVCache {
    return new KVCache(this.config.nLayers);
  }

  /** Logits (B, T, vocab) for token ids (B, T); see ForwardOptions. */
  forward(ids: TokenInput, options: ForwardOptions = {}): ForwardResult {
    const tokens = toTokenBatch(ids, this.config.vocabSize, options.shape);
    const { batch: B, length: T } = tokens;
    return tf.tidy(() => {
      const r = this.run(tokens, options);
      const out: ForwardResult = { logits: this.outputLogits(r.hidden).reshape([B, T, this.config.vocabSize]) };
      if (r.attention) out.attention = r.attention;
      if (options.returnHidden) out.hidden = r.hidden.reshape([B, T, this.config.dModel]) as tf.Tensor3D;
      return out as unknown as tf.TensorContainer;
    }) as unknown as ForwardResult;
  }

  /**
   * Mean cross-entropy of the next-token predictions: ids (B, T) against targets
   * (B, T) (usually ids shifted by one). Targets < 0 are ignored (padding, a prompt).
   */
  loss(ids: TokenInput, targets: TokenInput, options: RunOptions = {}): tf.Scalar {
    const tokens = toTokenBatch(ids, this.config.vocabSize, options.shape);
    const t = targetIds(targets, tokens, options.shape);
    return tf.tidy(() => crossEntropy(this.outputLogits(this.run(tokens, options).hidden), t));
  }

  /**
   * log p(targets | ids) per sequence (B): the sum of the log-probabilities of each row's
   * counted targets (targets < 0 — a prompt, padding — do not count). For a prompt +
   * response batch (lib/train's promptResponseBatch) it is log π(response | prompt), what
   * DPO and RL compare. Differentiable.
   */
  sequenceLogProbs(ids: TokenInput, targets: TokenInput, options: RunOptions = {}): tf.Tensor1D {
    const tokens = toTokenBatch(ids, this.config.vocabSize, options.shape);
    const t = targetIds(targets, tokens, options.shape);
    return tf.tidy(() => sequenceLogProbsFromLogits(this.outputLogits(this.run(tokens, options).hidden), t, tokens.batch));
  }

  /** The stack on 2-D activations: final hidden states (B·T, C). */
  private run(tokens: TokenBatch, options: ForwardOptions): { hidden: tf.Tensor2D; attention?: tf.Tensor4D[] } {
    const c = this.config;
    const { batch: B, length: T } = tokens;
    const cache = options.cache;
    const start = cache ? cache.length : 0;
    cache?.check(c.nLayers, B);
    if (start + T > c.contextLength) {
      throw new Error(
        `The model sees at most ${c.contextLength} tokens (contextLength) but got ${start + T}${cache ? ` (${start} cached + ${T} new)` : ""}. ` +
          `Crop the input to its last ${c.contextLength} tokens${cache ? " or start a new cache" : ""}.`,
      );
    }
    if (options.attentionMask && cache) throw new Error("attentionMask with a KV cache is not supported: generate padded sequences one at a time.");
    if (options.prefixLengths && cache && start > 0) throw new Error("prefixLengths apply to the first pass over the prompt only: pass them with the prompt, not with later tokens.");
    if (options.headMask && options.headMask.length !== c.nLayers) throw new Error(`headMask has ${options.headMask.length} rows but the model has ${c.nLayers} layers: give one row of 1/0 per layer.`);
    const training = options.training ?? false;

    let x = this.embed(tokens.ids, B, T, "wpe.weight", start, training);
    const attention: tf.Tensor4D[] = [];
    for (let i = 0; i < c.nLayers; i++) {
      const r = transformerBlock(x, this.params, `h.${i}.`, c, {
        batch: B,
        length: T,
        training,
        attention: options.attention,
        mask: { causal: true, offset: start, keyMask: options.attentionMask ?? null, prefix: options.prefixLengths ?? null },
        returnAttention: options.returnAttention,
        cache: cache?.self[i],
        headMask: options.headMask?.[i],
      });
      x = r.x;
      if (r.selfWeights) attention.push(r.selfWeights as tf.Tensor4D);
    }
    cache?.advance(B, T);
    if (c.norm === "pre") x = normLayer(x, this.params, "ln_f", c.layerNormEps);
    return options.returnAttention ? { hidden: x, attention } : { hidden: x };
  }
}

/** Targets as a flat Int32Array matching the ids' shape (values < 0 allowed: ignored). */
export function targetIds(targets: TokenInput, tokens: TokenBatch, shape?: [number, number]): Int32Array {
  let flat: Int32Array;
  if (targets instanceof tf.Tensor) flat = Int32Array.from(targets.dataSync());
  else if (targets instanceof Int32Array) flat = targets;
  else if (targets.length > 0 && Array.isArray(targets[0])) flat = Int32Array.from((targets as number[][]).flat());
  else flat = Int32Array.from(targets as number[]);
  if (flat.length !== tokens.ids.length) {
    throw new Error(`Targets have ${flat.length} ids but the input has ${tokens.batch} × ${tokens.length}${shape ? ` (shape [${shape}])` : ""}: give one target per input token.`);
  }
  return flat;
}
