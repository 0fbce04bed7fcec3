/**
 * What GPT and the encoder–decoder share: named weights with GPT-2's initialisation,
 * the token + position embedding at the bottom, the output layer at the top, and the
 * model-level operations — counting, freezing, cloning, reading and replacing weights.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, rng } from "../random";
import { ModelCore } from "./config";
import { installFastKernels } from "./fastOps";
import { dropout, embedding, linear, tiedOutput } from "./layers";
import { ParamStore, initialValue } from "./params";
import { addLearnedPositions, addSinusoidalPositions } from "./positional";
import { ParamShapes } from "./weights";

export interface ModelOptions {
  /** Seed for the initial weights (default: drawn from lib/random's global generator). */
  seed?: number;
}

export abstract class TransformerModel<C extends ModelCore> {
  readonly params: ParamStore;

  protected constructor(readonly config: C, shapes: ParamShapes, residualLayers: number, options: ModelOptions) {
    installFastKernels(); // cheap per-head slicing and clones on wasm (see fastOps.ts)
    const init = options.seed !== undefined ? new Rng(options.seed) : rng().fork();
    this.params = new ParamStore(shapes, (name, shape) => initialValue(name, shape, { std: config.initStd, residualLayers, rng: init }));
  }

  /** A new model of the same kind and config, with fresh weights. */
  protected abstract create(config: C): this;

  /** Number of trainable numbers (frozen ones included). */
  numParams(): number {
    return this.params.count();
  }

  /** The weights that train: all of them unless some were frozen. */
  trainableParams(): tf.Variable[] {
    return this.params.trainable();
  }

  /** Freeze weights (names, a test on the name, or all): training leaves them unchanged. Returns the names frozen. */
  freeze(which?: string[] | ((name: string) => boolean)): string[] {
    return this.params.freeze(which);
  }

  unfreeze(which?: string[] | ((name: string) => boolean)): string[] {
    return this.params.unfreeze(which);
  }

  /**
   * An independent copy: same config, same weights (and the same frozen set), its own
   * tensors — training one leaves the other unchanged (e.g. the frozen reference model of RLHF and DPO).
   */
  clone(): this {
    const copy = this.create({ ...this.config });
    copy.setWeights(this.weights(), "the original model's weights");
    for (const name of this.params.names()) if (this.params.isFrozen(name)) copy.params.freeze([name]);
    return copy;
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

  /** Token embedding + positions (`wpe` for learned ones) for ids (B·T) starting at position `start` → (B·T, C). */
  protected embed(ids: Int32Array, batch: number, length: number, wpe: string, start: number, training: boolean): tf.Tensor2D {
    const c = this.config;
    let x = embedding(ids, this.params.get("wte.weight"), c.scaleEmbeddings ? Math.sqrt(c.dModel) : 1); // (B·T, C)
    x = c.positional === "learned" ? addLearnedPositions(x, this.params.get(wpe), batch, length, start) : addSinusoidalPositions(x, batch, length, start);
    return dropout(x, c.dropout, training) as tf.Tensor2D;
  }

  /** The output layer: (B·T, C) → (B·T, vocab) next-token scores. */
  protected outputLogits(x: tf.Tensor): tf.Tensor2D {
    return this.config.tieEmbeddings ? tiedOutput(x, this.params.get("wte.weight")) : linear(x, this.params.get("lm_head.weight"));
  }
}
