/**
 * A model's weights: plain named tensors.
 *
 * Naming scheme (the names of Hugging Face's GPT-2 checkpoints, without the
 * "transformer." prefix — and so close to nanoGPT's):
 *
 *   wte.weight                  (vocab, C)      token embedding (also the output layer when tied)
 *   wpe.weight                  (context, C)    learned positions (absent with sinusoidal positions)
 *   h.{i}.ln_1.weight / .bias   (C)             LayerNorm before attention
 *   h.{i}.attn.c_attn.weight    (C, 3C)         queries | keys | values, one matrix
 *   h.{i}.attn.c_attn.bias      (3C)
 *   h.{i}.attn.c_proj.weight    (C, C)          attention output projection
 *   h.{i}.ln_2.weight / .bias   (C)             LayerNorm before the feed-forward
 *   h.{i}.mlp.c_fc.weight       (C, dFF)        feed-forward, expand
 *   h.{i}.mlp.c_proj.weight     (dFF, C)        feed-forward, project back
 *   ln_f.weight / .bias         (C)             final LayerNorm (pre-LN only)
 *   lm_head.weight              (C, vocab)      output layer (only when not tied)
 *
 * Linear weights are stored (in, out) — y = x @ W + b — like GPT-2's Conv1D.
 * PyTorch's nn.Linear stores the transpose (out, in): when loading these weights
 * into nn.Linear, use W.T (tests/reference/gpt_reference.py does).
 *
 * Encoder–decoder models use the same block names under "encoder.h.{i}." and
 * "decoder.h.{i}.", plus, in decoder blocks, "ln_cross", "cross_attn.c_q" (C, C),
 * "cross_attn.c_kv" (C, 2C) and "cross_attn.c_proj" (C, C); "encoder.ln_f",
 * "decoder.ln_f", "encoder.wpe.weight", "decoder.wpe.weight".
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../random";
import { ParamShapes } from "./config";

let storeCounter = 0;

/** How a weight starts: GPT-2's scheme (see `initialValue`). */
export interface InitOptions {
  /** Standard deviation of normal weights (GPT-2: 0.02). */
  std: number;
  /** Number of residual layers; output projections get std / √(2·nLayers). */
  residualLayers: number;
  rng: Rng;
}

/**
 * GPT-2 initialisation: LayerNorm weights 1, biases 0, other weights
 * normal(0, std), and the projections that write into the residual stream
 * (`c_proj`) normal(0, std / √(2·layers)) so the stream does not grow with depth.
 */
export function initialValue(name: string, shape: number[], opts: InitOptions): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const isNorm = /(^|\.)ln_[^.]*\.weight$/.test(name);
  if (name.endsWith(".bias")) return out;
  if (isNorm) return out.fill(1);
  const std = name.endsWith("c_proj.weight") ? opts.std / Math.sqrt(2 * opts.residualLayers) : opts.std;
  for (let i = 0; i < size; i++) out[i] = opts.rng.normal(0, std);
  return out;
}

/** Named trainable tensors (tf.Variables) of one model. */
export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly prefix: string = "";
  private disposed = false;

  /** Allocate every weight listed in `shapes` with values from `init(name, shape)`. */
  constructor(shapes: ParamShapes, init: (name: string, shape: number[]) => Float32Array) {
    // tfjs variable names must be unique in the process (even if this module is loaded twice).
    const registered = tf.engine().registeredVariables;
    do this.prefix = `m${storeCounter++}/`;
    while ([...shapes.keys()].some((name) => registered[this.prefix + name] !== undefined));
    for (const [name, shape] of shapes) {
      const values = init(name, shape);
      // tidy: tf.variable keeps its own reference, so the initial tensor can go.
      this.vars.set(name, tf.tidy(() => tf.variable(tf.tensor(values, shape, "float32"), true, this.prefix + name)));
    }
  }

  /** The weight called `name`; throws (listing similar names) if there is none. */
  get(name: string): tf.Variable {
    this.assertAlive();
    const v = this.vars.get(name);
    if (!v) {
      const near = [...this.vars.keys()].filter((k) => k.endsWith(name.split(".").slice(-2).join("."))).slice(0, 5);
      throw new Error(`No weight named "${name}" in this model.${near.length ? ` Similar: ${near.join(", ")}.` : ""}`);
    }
    return v;
  }

  /** The weight called `name`, or null if the model has none (e.g. biases with bias: false). */
  maybe(name: string): tf.Variable | null {
    this.assertAlive();
    return this.vars.get(name) ?? null;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  variables(): tf.Variable[] {
    this.assertAlive();
    return [...this.vars.values()];
  }

  entries(): [string, tf.Variable][] {
    this.assertAlive();
    return [...this.vars.entries()];
  }

  /** The name of a variable of this store (inverse of get). */
  nameOf(v: tf.Variable): string {
    return v.name.startsWith(this.prefix) ? v.name.slice(this.prefix.length) : v.name;
  }

  /** Total number of trainable numbers. */
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /**
   * Copy values into the weights. Every weight must be present with the right
   * shape, and nothing else — otherwise the error names each problem.
   */
  assign(tensors: Map<string, tf.Tensor> | Record<string, tf.Tensor>, source = "the given weights"): void {
    this.assertAlive();
    const given = tensors instanceof Map ? tensors : new Map(Object.entries(tensors));
    const missing = [...this.vars.keys()].filter((k) => !given.has(k));
    const extra = [...given.keys()].filter((k) => !this.vars.has(k));
    const misShaped: string[] = [];
    for (const [name, v] of this.vars) {
      const t = given.get(name);
      if (t && !tf.util.arraysEqual(t.shape, v.shape)) misShaped.push(`${name} (has [${t.shape}], model expects [${v.shape}])`);
    }
    if (missing.length || extra.length || misShaped.length) {
      const parts = [];
      if (missing.length) parts.push(`missing tensors: ${missing.join(", ")}`);
      if (extra.length) parts.push(`unexpected tensors: ${extra.join(", ")}`);
      if (misShaped.length) parts.push(`wrong shapes: ${misShaped.join("; ")}`);
      throw new Error(`${source} do not match the model — ${parts.join("; ")}. Build the model with the config the weights were saved with.`);
    }
    tf.tidy(() => {
      for (const [name, v] of this.vars) v.assign(given.get(name)!.toFloat());
    });
  }

  /** Free the weights. The store cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.disposed = true;
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error("This model has been disposed; create a new one.");
  }
}
