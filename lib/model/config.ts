/**
 * Model configurations: what a GPT or an encoder–decoder Transformer is made of.
 *
 * A config is a plain object. Write only the fields you care about; `gptConfig()`
 * and `encoderDecoderConfig()` fill in the defaults and check everything, with
 * errors that say what to change:
 *
 *   const config = gptConfig({ vocabSize: 65, contextLength: 64, dModel: 128, nHeads: 4, nLayers: 2 });
 *   countParams(config)   // 413,312 — no tensors allocated
 *
 * `paramShapes(config)` lists every weight by name with its shape (the naming
 * scheme is the table in weights.ts); `countParams` is the sum of their sizes.
 */

import { ParamShapes, addBlockShapes, addLayerShapes, componentOf } from "./weights";

export type { ParamShapes } from "./weights";

/** How a token's position enters the model. */
export type PositionalKind = "learned" | "sinusoidal";
/** The feed-forward non-linearity. "gelu" is GPT-2's tanh approximation. */
export type ActivationKind = "gelu" | "relu";
/** Where LayerNorm sits: "pre" (GPT-2, nanoGPT) or "post" (the 2017 Transformer). */
export type NormPlacement = "pre" | "post";

/** What every Transformer of the course is made of: the shared core of both configs. */
export interface ModelCore {
  /** Number of distinct token ids. */
  vocabSize: number;
  /** Width of the residual stream (embedding size). */
  dModel: number;
  /** Attention heads per layer; dModel must be divisible by it. */
  nHeads: number;
  /** Hidden width of the feed-forward layer (default 4 × dModel). */
  dFF: number;
  /** Dropout on embeddings and on each residual branch while training (default 0). */
  dropout: number;
  /** Biases in the linear layers and LayerNorms (default true, like GPT-2). */
  bias: boolean;
  /** Reuse the token embedding as the output layer (default true, like GPT-2). */
  tieEmbeddings: boolean;
  positional: PositionalKind;
  /**
   * Multiply token embeddings by √dModel, as the 2017 paper does so that the
   * tokens are not drowned by the (±1) sinusoidal positions. Default: true with
   * sinusoidal positions, false with learned ones (GPT-2).
   */
  scaleEmbeddings: boolean;
  activation: ActivationKind;
  norm: NormPlacement;
  /** LayerNorm epsilon (default 1e-5, like PyTorch). */
  layerNormEps: number;
  /** Standard deviation of the initial weights (default 0.02, like GPT-2). */
  initStd: number;
}

/** Decoder-only GPT: the core plus one stack of blocks and a context length. */
export interface GPTConfig extends ModelCore {
  /** Longest sequence the model can look at (learned position table size). */
  contextLength: number;
  /** Transformer blocks. */
  nLayers: number;
}

/** Encoder–decoder Transformer (the 2017 "Attention Is All You Need" layout): the core plus two stacks. */
export interface EncoderDecoderConfig extends ModelCore {
  /** Longest source sequence. */
  sourceLength: number;
  /** Longest target sequence. */
  targetLength: number;
  nEncoderLayers: number;
  nDecoderLayers: number;
}

/** The architecture fields every block needs. */
export type BlockConfig = Pick<ModelCore, "dModel" | "nHeads" | "dFF" | "dropout" | "bias" | "activation" | "norm" | "layerNormEps">;

/** Defaults of the shared core (vocabSize has none: it comes from the tokenizer). */
const CORE_DEFAULTS: Omit<ModelCore, "vocabSize"> = {
  dModel: 128,
  nHeads: 4,
  dFF: 0, // 0 → 4 × dModel
  dropout: 0,
  bias: true,
  tieEmbeddings: true,
  positional: "learned",
  scaleEmbeddings: undefined as unknown as boolean, // → positional === "sinusoidal"
  activation: "gelu",
  norm: "pre",
  layerNormEps: 1e-5,
  initStd: 0.02,
};

const GPT_DEFAULTS: Omit<GPTConfig, "vocabSize"> = { ...CORE_DEFAULTS, contextLength: 64, nLayers: 2 };

const ED_DEFAULTS: Omit<EncoderDecoderConfig, "vocabSize"> = {
  ...CORE_DEFAULTS,
  positional: "sinusoidal", // as the 2017 paper
  sourceLength: 32,
  targetLength: 32,
  nEncoderLayers: 2,
  nDecoderLayers: 2,
};

/** Named configurations used across the course. */
export const PRESETS = {
  /** The speed benchmark's model (`npm run bench -- train`). */
  "bench-small": { vocabSize: 65, contextLength: 64, dModel: 128, nHeads: 4, nLayers: 2 },
  /** A model small enough for unit tests. */
  tiny: { vocabSize: 16, contextLength: 8, dModel: 16, nHeads: 2, nLayers: 1 },
  /** OpenAI's GPT-2 small (124M parameters) — for counting, not for training here. */
  "gpt2-small": { vocabSize: 50257, contextLength: 1024, dModel: 768, nHeads: 12, nLayers: 12 },
} as const;
export type PresetName = keyof typeof PRESETS;

function fail(message: string): never {
  throw new Error(message);
}

/** Edit distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function checkKeys(given: object, allowed: string[], what: string): void {
  for (const key of Object.keys(given)) {
    if (!allowed.includes(key)) {
      const close = allowed.find((a) => editDistance(a.toLowerCase(), key.toLowerCase()) <= 2);
      fail(`${what}: unknown field "${key}"${close ? ` — did you mean "${close}"?` : ""}. Known fields: ${allowed.join(", ")}.`);
    }
  }
}

function positiveInt(value: unknown, name: string, what: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    fail(`${what}: ${name} must be a positive integer, got ${JSON.stringify(value)}. Set ${name} to a whole number ≥ 1.`);
  }
}

function oneOf<T extends string>(value: unknown, name: string, options: readonly T[], what: string): void {
  if (!options.includes(value as T)) {
    fail(`${what}: ${name} must be one of ${options.map((o) => `"${o}"`).join(", ")}, got ${JSON.stringify(value)}.`);
  }
}

function checkBlockFields(c: BlockConfig, what: string): void {
  positiveInt(c.dModel, "dModel", what);
  positiveInt(c.nHeads, "nHeads", what);
  positiveInt(c.dFF, "dFF", what);
  if (c.dModel % c.nHeads !== 0) {
    const ok = [];
    for (let h = 1; h <= c.dModel && ok.length < 6; h++) if (c.dModel % h === 0) ok.push(h);
    fail(
      `${what}: dModel (${c.dModel}) must be divisible by nHeads (${c.nHeads}) so every head gets dModel / nHeads dimensions. ` +
        `Change nHeads to a divisor of ${c.dModel} (e.g. ${ok.join(", ")}) or dModel to a multiple of ${c.nHeads}.`,
    );
  }
  if (typeof c.dropout !== "number" || !(c.dropout >= 0 && c.dropout < 1)) {
    fail(`${what}: dropout must be in [0, 1), got ${JSON.stringify(c.dropout)}. Use 0 to switch dropout off.`);
  }
  if (typeof c.bias !== "boolean") fail(`${what}: bias must be true or false, got ${JSON.stringify(c.bias)}.`);
  oneOf(c.activation, "activation", ["gelu", "relu"], what);
  oneOf(c.norm, "norm", ["pre", "post"], what);
  if (typeof c.layerNormEps !== "number" || !(c.layerNormEps > 0)) {
    fail(`${what}: layerNormEps must be a small positive number such as 1e-5, got ${JSON.stringify(c.layerNormEps)}.`);
  }
}

/** Fill in the defaults that depend on other fields, then check the shared core. */
function completeCore(c: ModelCore, what: string): void {
  if (!c.dFF) c.dFF = 4 * c.dModel;
  if (c.scaleEmbeddings === undefined) c.scaleEmbeddings = c.positional === "sinusoidal";
  if (typeof c.scaleEmbeddings !== "boolean") fail(`${what}: scaleEmbeddings must be true or false.`);
  checkBlockFields(c, what);
  if (typeof c.tieEmbeddings !== "boolean") fail(`${what}: tieEmbeddings must be true or false.`);
  oneOf(c.positional, "positional", ["learned", "sinusoidal"], what);
  if (typeof c.initStd !== "number" || !(c.initStd > 0)) fail(`${what}: initStd must be positive (GPT-2 uses 0.02), got ${JSON.stringify(c.initStd)}.`);
  if (c.positional === "sinusoidal" && c.dModel % 2 !== 0) {
    fail(`${what}: sinusoidal positions need an even dModel (sine and cosine pairs), got ${c.dModel}. Use an even dModel or positional: "learned".`);
  }
}

/** Merge defaults and the given fields, reject unknown ones, check the core and the kind's own sizes. */
function buildConfig<T extends ModelCore>(what: string, defaults: Omit<T, "vocabSize">, sizes: (keyof T & string)[], base: unknown, overrides: object): T {
  if (base === null || typeof base !== "object") fail(`${what}: pass an object such as { vocabSize: 65 }.`);
  const given = { ...(base as object), ...overrides } as Partial<T>;
  checkKeys(given, ["vocabSize", ...Object.keys(defaults)], what);
  if (given.vocabSize === undefined) fail(`${what}: vocabSize is required — use your tokenizer's vocabulary size (e.g. tokenizer.vocabSize).`);
  const c = { ...defaults, ...given } as T;
  positiveInt(c.vocabSize, "vocabSize", what);
  for (const s of sizes) positiveInt(c[s], s, what);
  completeCore(c, what);
  return c;
}

/**
 * A complete, validated GPT config: `gptConfig({ vocabSize: 65 })`, or a preset
 * name with overrides: `gptConfig("bench-small", { nLayers: 4 })`.
 */
export function gptConfig(base: Partial<GPTConfig> | PresetName, overrides: Partial<GPTConfig> = {}): GPTConfig {
  const what = "GPT config";
  if (typeof base === "string") {
    if (!(base in PRESETS)) fail(`${what}: unknown preset "${base}". Presets: ${Object.keys(PRESETS).join(", ")}.`);
    base = { ...PRESETS[base] };
  }
  return buildConfig<GPTConfig>(what, GPT_DEFAULTS, ["contextLength", "nLayers"], base, overrides);
}

/** A complete, validated encoder–decoder config. */
export function encoderDecoderConfig(base: Partial<EncoderDecoderConfig>, overrides: Partial<EncoderDecoderConfig> = {}): EncoderDecoderConfig {
  return buildConfig<EncoderDecoderConfig>("Encoder–decoder config", ED_DEFAULTS, ["sourceLength", "targetLength", "nEncoderLayers", "nDecoderLayers"], base, overrides);
}

/** The embedding, stacks, final norms and output layer of a model: one list of parts for both kinds. */
function modelShapes(c: ModelCore, stacks: { prefix: string; layers: number; positions: number; cross: boolean }[]): ParamShapes {
  const out: ParamShapes = new Map();
  out.set("wte.weight", [c.vocabSize, c.dModel]);
  if (c.positional === "learned") for (const s of stacks) out.set(`${s.prefix}wpe.weight`, [s.positions, c.dModel]);
  for (const s of stacks) {
    for (let i = 0; i < s.layers; i++) addBlockShapes(out, `${s.prefix}h.${i}.`, c, s.cross);
    if (c.norm === "pre") addLayerShapes(out, `${s.prefix}ln_f`, { kind: "norm" }, c);
  }
  if (!c.tieEmbeddings) out.set("lm_head.weight", [c.dModel, c.vocabSize]);
  return out;
}

/** Every weight of a GPT, by name, in a fixed order. */
export function gptParamShapes(config: GPTConfig): ParamShapes {
  const c = gptConfig(config);
  return modelShapes(c, [{ prefix: "", layers: c.nLayers, positions: c.contextLength, cross: false }]);
}

/** Every weight of an encoder–decoder Transformer, by name, in a fixed order. */
export function encoderDecoderParamShapes(config: EncoderDecoderConfig): ParamShapes {
  const c = encoderDecoderConfig(config);
  return modelShapes(c, [
    { prefix: "encoder.", layers: c.nEncoderLayers, positions: c.sourceLength, cross: false },
    { prefix: "decoder.", layers: c.nDecoderLayers, positions: c.targetLength, cross: true },
  ]);
}

function isEncoderDecoder(config: GPTConfig | EncoderDecoderConfig): config is EncoderDecoderConfig {
  return (config as EncoderDecoderConfig).nEncoderLayers !== undefined;
}

/** Name → shape for either kind of model. */
export function paramShapes(config: Partial<GPTConfig> | Partial<EncoderDecoderConfig>): ParamShapes {
  const c = config as GPTConfig | EncoderDecoderConfig;
  return isEncoderDecoder(c) ? encoderDecoderParamShapes(c) : gptParamShapes(c as GPTConfig);
}

/**
 * The number of trainable numbers in a model — computed from the config alone,
 * without allocating any tensor. GPT-2 small gives 124,439,808.
 */
export function countParams(config: Partial<GPTConfig> | Partial<EncoderDecoderConfig>): number {
  let total = 0;
  for (const shape of paramShapes(config).values()) total += shape.reduce((a, b) => a * b, 1);
  return total;
}

/**
 * Parameters grouped by component: "token embedding", "position embedding",
 * "attention", "feed-forward", "layer norm", "output layer" (and "cross-attention"
 * for encoder–decoders). The values sum to countParams(config).
 */
export function countParamsByComponent(config: Partial<GPTConfig> | Partial<EncoderDecoderConfig>): Record<string, number> {
  const groups: Record<string, number> = {};
  for (const [name, shape] of paramShapes(config)) {
    const group = componentOf(name);
    groups[group] = (groups[group] ?? 0) + shape.reduce((a, b) => a * b, 1);
  }
  return groups;
}
