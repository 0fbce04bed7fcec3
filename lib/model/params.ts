/**
 * A model's weights: plain named tensors (the names are the table in weights.ts),
 * how they start (GPT-2's initialisation), and which of them train (freezing).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../random";
import { ParamShapes } from "./weights";

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

/**
 * A correction attached to one weight (LoRA, lib/model/lora.ts): while attached, the model
 * computes with `apply(weight)` instead of the stored weight, and the adapter's own
 * variables train with the model's unfrozen weights.
 */
export interface WeightAdapter {
  /** The adapter's trainable tensors. */
  readonly variables: tf.Variable[];
  /** The weight the forward pass uses, from the stored one (called inside the pass's tf.tidy). */
  apply(weight: tf.Variable): tf.Tensor;
}

/** Named trainable tensors (tf.Variables) of one model. */
export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly frozen = new Set<string>();
  private readonly adapters = new Map<string, WeightAdapter>();
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

  /** The weight as the forward pass uses it: the stored one, or its adapter's version of it (see WeightAdapter). */
  effective(name: string): tf.Tensor {
    const v = this.get(name);
    const adapter = this.adapters.get(name);
    return adapter ? adapter.apply(v) : v;
  }

  /** Attach an adapter to the weight `name` (one per weight). */
  attach(name: string, adapter: WeightAdapter): void {
    this.get(name);
    if (this.adapters.has(name)) throw new Error(`The weight "${name}" already has an adapter: remove it first (e.g. lora.remove()).`);
    this.adapters.set(name, adapter);
  }

  /** Detach the adapter of `name` (the model computes with the stored weight again). Returns whether there was one. */
  detach(name: string): boolean {
    return this.adapters.delete(name);
  }

  /** Names of the weights that have an adapter attached. */
  adapted(): string[] {
    return [...this.adapters.keys()];
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

  /**
   * Freeze weights: training leaves them byte-identical. `which` is a list of names, a
   * test on the name (e.g. (n) => !n.startsWith("h.1.")), or nothing (every weight).
   * Returns the names frozen now.
   */
  freeze(which?: string[] | ((name: string) => boolean)): string[] {
    const names = this.select(which, "freeze");
    for (const n of names) this.frozen.add(n);
    return names;
  }

  /** Undo freeze (the same kinds of `which`; nothing = every weight). */
  unfreeze(which?: string[] | ((name: string) => boolean)): string[] {
    const names = this.select(which, "unfreeze");
    for (const n of names) this.frozen.delete(n);
    return names;
  }

  isFrozen(name: string): boolean {
    return this.frozen.has(name);
  }

  /** The variables that train: the weights not frozen, in the store's order, then the attached adapters' variables. */
  trainable(): tf.Variable[] {
    this.assertAlive();
    const own = [...this.vars].filter(([n]) => !this.frozen.has(n)).map(([, v]) => v);
    return [...own, ...[...this.adapters.values()].flatMap((a) => a.variables)];
  }

  private select(which: string[] | ((name: string) => boolean) | undefined, verb: string): string[] {
    this.assertAlive();
    if (which === undefined) return this.names();
    if (typeof which === "function") return this.names().filter(which);
    const unknown = which.filter((n) => !this.vars.has(n));
    if (unknown.length) throw new Error(`${verb}: no weight named ${unknown.map((n) => `"${n}"`).join(", ")}. Weight names: ${this.names().slice(0, 8).join(", ")}, … (model.params.names()).`);
    return which;
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
