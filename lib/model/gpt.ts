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
import { Rng, rng } from "../random";
import { LayerKV } from "./attention";
import { transformerBlock, normLayer } from "./block";
import { GPTConfig, gptConfig, gptParamShapes } from "./config";
import { crossEntropy, dropout, embedding, linear, tiedOutput, toTokenBatch, TokenBatch } from "./layers";
import { installFastSlice } from "./fastOps";
import { ParamStore, initialValue } from "./params";
import { addLearnedPositions, addSinusoidalPositions } from "./positional";

/** Token ids: number[] (one sequence), number[][] (a batch) or an int32 tensor (B, T). */
export type TokenInput = tf.Tensor | number[] | number[][] | Int32Array;

export interface ForwardOptions {
  /** Apply dropout (default false). */
  training?: boolean;
  /** Also return every layer's attention weights (B, H, T, T) — for plots. Uses the reference attention. */
  returnAttention?: boolean;
  /** Incremental decoding: the ids are the *next* tokens after those already in the cache. */
  cache?: KVCache;
  /** "fast" (default) or "reference" attention (the textbook formula; slower, same numbers). */
  attention?: "fast" | "reference";
  /** With an Int32Array of ids: its (B, T) shape. */
  shape?: [number, number];
}

export interface ForwardResult {
  /** (B, T, vocab) next-token scores. */
  logits: tf.Tensor3D;
  /** Per layer, (B, H, T, T_keys) attention weights (only with returnAttention). */
  attention?: tf.Tensor4D[];
}

/**
 * Keys and values of the tokens seen so far, per layer, so generating the next
 * token only computes the new position (see lib/generate.ts).
 */
export class KVCache {
  /** Number of positions cached. */
  length = 0;
  readonly layers: LayerKV[];

  constructor(nLayers: number, public batch = 1) {
    this.layers = Array.from({ length: nLayers }, () => ({ k: null, v: null }));
  }

  /** Free the cached tensors (the cache can be reused from empty). */
  dispose(): void {
    for (const l of this.layers) {
      l.k?.dispose();
      l.v?.dispose();
      l.k = l.v = null;
    }
    this.length = 0;
  }
}

export interface GPTOptions {
  /** Seed for the initial weights (default: drawn from lib/random's global generator). */
  seed?: number;
}

export class GPT {
  readonly config: GPTConfig;
  readonly params: ParamStore;

  constructor(config: Partial<GPTConfig>, options: GPTOptions = {}) {
    this.config = gptConfig(config);
    installFastSlice(); // cheap per-head slicing on wasm (see fastOps.ts)
    const init = options.seed !== undefined ? new Rng(options.seed) : rng().fork();
    this.params = new ParamStore(gptParamShapes(this.config), (name, shape) =>
      initialValue(name, shape, { std: this.config.initStd, residualLayers: this.config.nLayers, rng: init }),
    );
  }

  /** Number of trainable numbers. */
  numParams(): number {
    return this.params.count();
  }

  /** An empty KV cache for incremental decoding of `batch` sequences. */
  createCache(batch = 1): KVCache {
    return new KVCache(this.config.nLayers, batch);
  }

  /** Logits (B, T, vocab) for token ids (B, T); see ForwardOptions. */
  forward(ids: TokenInput, options: ForwardOptions = {}): ForwardResult {
    const tokens = toTokenBatch(ids, this.config.vocabSize, options.shape);
    return tf.tidy(() => {
      const { logits, attention } = this.run(tokens, options);
      const out: ForwardResult = { logits: logits.reshape([tokens.batch, tokens.length, this.config.vocabSize]) };
      if (attention) out.attention = attention;
      return out as unknown as tf.TensorContainer;
    }) as unknown as ForwardResult;
  }

  /**
   * Mean cross-entropy of the next-token predictions: ids (B, T) against targets
   * (B, T) (usually ids shifted by one). Targets < 0 are ignored.
   */
  loss(ids: TokenInput, targets: TokenInput, options: Pick<ForwardOptions, "training" | "attention" | "shape"> = {}): tf.Scalar {
    const tokens = toTokenBatch(ids, this.config.vocabSize, options.shape);
    const t = targetIds(targets, tokens, options.shape);
    return tf.tidy(() => crossEntropy(this.run(tokens, options).logits, t));
  }

  /** The weights as name → tensor (the variables themselves; do not dispose them). */
  weights(): Map<string, tf.Variable> {
    return new Map(this.params.entries());
  }

  /** Replace every weight; names and shapes must match exactly (the error lists any difference). */
  setWeights(tensors: Map<string, tf.Tensor> | Record<string, tf.Tensor>, source?: string): void {
    this.params.assign(tensors, source);
  }

  dispose(): void {
    this.params.dispose();
  }

  /** The forward pass on 2-D activations: logits (B·T, V). */
  private run(tokens: TokenBatch, options: ForwardOptions): { logits: tf.Tensor2D; attention?: tf.Tensor4D[] } {
    const c = this.config;
    const p = this.params;
    const { batch: B, length: T } = tokens;
    const cache = options.cache;
    const start = cache ? cache.length : 0;
    if (cache && cache.layers.length !== c.nLayers) throw new Error(`This KV cache has ${cache.layers.length} layers but the model has ${c.nLayers}: use model.createCache().`);
    if (cache && cache.length > 0 && cache.batch !== B) throw new Error(`This KV cache holds ${cache.batch} sequences but ${B} were given. Use a new cache (model.createCache()) for a different batch.`);
    if (start + T > c.contextLength) {
      throw new Error(
        `The model sees at most ${c.contextLength} tokens (contextLength) but got ${start + T}${cache ? ` (${start} cached + ${T} new)` : ""}. ` +
          `Crop the input to its last ${c.contextLength} tokens${cache ? " or start a new cache" : ""}.`,
      );
    }
    const training = options.training ?? false;

    let x = embedding(tokens.ids, p.get("wte.weight"), c.scaleEmbeddings ? Math.sqrt(c.dModel) : 1); // (B·T, C)
    x = c.positional === "learned" ? addLearnedPositions(x, p.get("wpe.weight"), B, T, start) : addSinusoidalPositions(x, B, T, start);
    x = dropout(x, c.dropout, training) as tf.Tensor2D;

    const attention: tf.Tensor4D[] = [];
    for (let i = 0; i < c.nLayers; i++) {
      const r = transformerBlock(x, p, `h.${i}.`, c, {
        batch: B,
        length: T,
        training,
        impl: options.attention,
        mask: { causal: true, offset: start },
        returnWeights: options.returnAttention,
        cache: cache?.layers[i],
      });
      x = r.x;
      if (r.selfWeights) attention.push(r.selfWeights as tf.Tensor4D);
    }
    if (cache) {
      cache.length += T;
      cache.batch = B;
    }
    if (c.norm === "pre") x = normLayer(x, p, "ln_f", c.layerNormEps);
    const logits = c.tieEmbeddings ? tiedOutput(x, p.get("wte.weight")) : linear(x, p.get("lm_head.weight")); // (B·T, V)
    return options.returnAttention ? { logits, attention } : { logits };
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
