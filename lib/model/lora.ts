/**
 * LoRA — low-rank adapters (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models").
 *
 * Fine-tuning changes a weight W (in, out) by some ΔW. LoRA bets that a small change of
 * rank r is enough and learns it as a product of two thin matrices:
 *
 *     y = x·W + (α/r)·x·A·B          A (in, r), B (r, out), r ≪ in, out
 *
 * - W stays frozen; only A and B train: r·(in + out) numbers per matrix instead of in·out.
 * - B starts at 0, so the adapted model starts out computing exactly what the base model does.
 *   A starts random (normal, std 1/√in) — if both were 0, neither would ever get a gradient.
 * - α/r scales the correction, so changing r does not change how big the initial updates are.
 * - merge(): W ← W + (α/r)·A·B — the adapter folded into the weight, no extra cost when
 *   generating; unmerge() takes it out again.
 *
 * Here the adapter is applied to the weight, x·(W + (α/r)·A·B): the same numbers as the
 * formula above (matrix products distribute), and at our sizes forming the (in, out)
 * correction once per pass is cheaper than two extra products for every token.
 *
 *   const lora = addLoRA(model, { rank: 8, alpha: 16 });       // freezes the model, attaches adapters
 *   await train(instructionTask(model, examples, { padId }), { steps: 100 });   // trains A and B only
 *   lora.numParams();  lora.merge();  …  lora.remove();
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, rng } from "../random";
import type { ParamStore, WeightAdapter } from "./params";

/** The matrices LoRA adapts by default: every attention and feed-forward matrix of every block. */
export const LORA_TARGETS: readonly string[] = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"];

export interface LoRAOptions {
  /** Rank r of the correction (default 8). */
  rank?: number;
  /** Scale α: the correction is multiplied by α/r (default 2·rank, i.e. α/r = 2). */
  alpha?: number;
  /** Which layers: names ending with these (default LORA_TARGETS), e.g. ["attn.c_attn"]. */
  targets?: readonly string[];
  /** Seed of A's random start (default: drawn from lib/random's global generator). */
  seed?: number;
  /** Freeze every weight of the model (default true: only the adapters train). */
  freezeBase?: boolean;
}

/** Anything with a ParamStore (GPT, EncoderDecoder, …). */
export interface Adaptable {
  readonly params: ParamStore;
}

/** One adapted matrix: its A (in, r) and B (r, out). */
export interface LoRAPair {
  A: tf.Variable;
  B: tf.Variable;
}

/** The textbook LoRA layer: x (N, in) → x·W + (α/r)·(x·A)·B (N, out). For exercises and tests; the model uses the adapters below. */
export function loraForward(x: tf.Tensor2D, W: tf.Tensor2D, A: tf.Tensor2D, B: tf.Tensor2D, alpha: number, rank: number): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.matMul(x, W), tf.mul(tf.matMul(tf.matMul(x, A), B), alpha / rank)) as tf.Tensor2D);
}

/** Trainable numbers of LoRA adapters of rank r on matrices of the given (in, out) shapes: Σ r·(in + out). */
export function loraParamCount(shapes: ReadonlyArray<readonly number[]>, rank: number): number {
  return shapes.reduce((sum, [rows, cols]) => sum + rank * (rows + cols), 0);
}

let loraCounter = 0;

/** LoRA adapters attached to a model's matrices (see the top of this file). Made by addLoRA. */
export class LoRA {
  readonly rank: number;
  readonly alpha: number;
  /** α / r. */
  readonly scale: number;
  /** Weight name (e.g. "h.0.attn.c_attn.weight") → its adapter. */
  readonly pairs = new Map<string, LoRAPair>();
  private readonly frozeNow: string[];
  private isMerged = false;
  private removed = false;
  private readonly adapters = new Map<string, WeightAdapter>();

  constructor(private readonly model: Adaptable, options: LoRAOptions = {}) {
    const rank = options.rank ?? 8;
    if (!(Number.isInteger(rank) && rank >= 1)) throw new Error(`LoRA: rank must be a whole number ≥ 1, got ${rank}.`);
    const alpha = options.alpha ?? 2 * rank;
    if (!(alpha > 0)) throw new Error(`LoRA: alpha must be positive, got ${alpha}.`);
    this.rank = rank;
    this.alpha = alpha;
    this.scale = alpha / rank;
    const p = model.params;
    const targets = options.targets ?? LORA_TARGETS;
    const names = p.names().filter((n) => n.endsWith(".weight") && targets.some((t) => n.endsWith(`${t}.weight`)));
    if (names.length === 0) throw new Error(`LoRA: no weight matches the targets ${JSON.stringify(targets)}. Weight names look like ${p.names().slice(2, 5).join(", ")}; give layer names such as "attn.c_attn" or "mlp.c_fc".`);
    const already = names.filter((n) => p.adapted().includes(n));
    if (already.length) throw new Error(`LoRA: ${already.join(", ")} already ${already.length === 1 ? "has" : "have"} an adapter — call remove() on the earlier LoRA first.`);
    const random = options.seed !== undefined ? new Rng(options.seed) : rng().fork();
    const id = loraCounter++;
    for (const name of names) {
      const [rows, cols] = p.get(name).shape as [number, number];
      if (rank > Math.min(rows, cols)) throw new Error(`LoRA: rank ${rank} is larger than ${name}'s smaller side (${Math.min(rows, cols)}); use rank ≤ ${Math.min(rows, cols)}.`);
      const a = new Float32Array(rows * rank);
      const std = 1 / Math.sqrt(rows);
      for (let i = 0; i < a.length; i++) a[i] = random.normal(0, std);
      const pair: LoRAPair = {
        A: tf.tidy(() => tf.variable(tf.tensor2d(a, [rows, rank]), true, `lora${id}/${name}.A`)),
        B: tf.tidy(() => tf.variable(tf.zeros([rank, cols]), true, `lora${id}/${name}.B`)),
      };
      this.pairs.set(name, pair);
      const scale = this.scale;
      this.adapters.set(name, {
        variables: [pair.A, pair.B],
        apply: (w) => tf.add(w, tf.mul(tf.matMul(pair.A, pair.B), scale)), // W + (α/r)·A·B  (in, out)
      });
    }
    this.frozeNow = options.freezeBase === false ? [] : p.names().filter((n) => !p.isFrozen(n));
    p.freeze(this.frozeNow);
    for (const [name, adapter] of this.adapters) p.attach(name, adapter);
  }

  /** The adapters' variables (what trains). */
  params(): tf.Variable[] {
    return [...this.pairs.values()].flatMap((q) => [q.A, q.B]);
  }

  /** Trainable numbers in the adapters: Σ r·(in + out) over the adapted matrices. */
  numParams(): number {
    return this.params().reduce((n, v) => n + v.size, 0);
  }

  /** The adapted matrices' shapes (in, out), in order. */
  shapes(): number[][] {
    return [...this.pairs.keys()].map((n) => this.model.params.get(n).shape.slice());
  }

  get merged(): boolean {
    return this.isMerged;
  }

  /** Fold the adapters into the weights (W ← W + (α/r)·A·B) and detach them: same outputs, no extra work per pass. */
  merge(): void {
    this.assertAlive();
    if (this.isMerged) return;
    const p = this.model.params;
    for (const [name, pair] of this.pairs) {
      const w = p.get(name);
      tf.tidy(() => w.assign(tf.add(w, tf.mul(tf.matMul(pair.A, pair.B), this.scale))));
      p.detach(name);
    }
    this.isMerged = true;
  }

  /** Take the adapters out of the weights again (W ← W − (α/r)·A·B) and re-attach them. */
  unmerge(): void {
    this.assertAlive();
    if (!this.isMerged) return;
    const p = this.model.params;
    for (const [name, pair] of this.pairs) {
      const w = p.get(name);
      tf.tidy(() => w.assign(tf.sub(w, tf.mul(tf.matMul(pair.A, pair.B), this.scale))));
      p.attach(name, this.adapters.get(name)!);
    }
    this.isMerged = false;
  }

  /**
   * Detach the adapters (unless merged: then the weights keep them), unfreeze what addLoRA froze
   * and free A and B. The model is a plain model again.
   */
  remove(): void {
    if (this.removed) return;
    const p = this.model.params;
    for (const name of this.pairs.keys()) p.detach(name);
    p.unfreeze(this.frozeNow);
    for (const v of this.params()) v.dispose();
    this.removed = true;
  }

  private assertAlive(): void {
    if (this.removed) throw new Error("This LoRA was removed; attach a new one with addLoRA(model).");
  }
}

/** Attach LoRA adapters to a model's matrices (default: attention and feed-forward of every block) and freeze the rest. */
export function addLoRA(model: Adaptable, options: LoRAOptions = {}): LoRA {
  return new LoRA(model, options);
}
