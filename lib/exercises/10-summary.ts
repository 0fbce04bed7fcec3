/**
 * Chapter 10 exercises: the parameter count of a GPT config (the map's N), sampling the next
 * token with a temperature, causal self-attention on plain arrays, the fine-tuning loss mask —
 * and the course quiz: one exercise per question, where every wrong choice explains itself.
 * Expected values come from the lib (countParams, scaledDotProductAttention, encodeExample +
 * promptResponseBatch) or by hand.
 */
import * as tf from "@tensorflow/tfjs";
import { countParams } from "../model/config";
import { scaledDotProductAttention } from "../model/attention";
import { causalMask } from "../model/masks";
import { promptResponseBatch } from "../training/batches";
import { Exercise } from "./types";

// ---------------------------------------------------------------- exercises

type SmallConfig = { vocabSize: number; contextLength: number; dModel: number; nLayers: number };
const cfg = (c: SmallConfig) => ({ ...c, nHeads: 1, dFF: 0, bias: true, tieEmbeddings: true, positional: "learned" as const });

/** Softmax of logits / T, then the first index whose running sum passes u (T = 0: the argmax). */
function sampleNextReference(logits: number[], temperature: number, u: number): number {
  if (temperature === 0) return logits.indexOf(Math.max(...logits));
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp((l - m) / temperature));
  const z = e.reduce((a, b) => a + b, 0);
  let run = 0;
  for (let i = 0; i < e.length; i++) {
    run += e[i] / z;
    if (u < run) return i;
  }
  return e.length - 1;
}

function attentionReference(q: number[][], k: number[][], v: number[][]): number[][] {
  return tf.tidy(() => {
    const T = q.length;
    const { output } = scaledDotProductAttention(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(v), causalMask(T));
    return output.arraySync() as number[][];
  });
}

/** Targets of one example as promptResponseBatch makes them (−1 = no loss). */
function targetsReference(prompt: number[], response: number[]): number[] {
  const b = promptResponseBatch([{ prompt, response }], { padId: 0 });
  return Array.from(b.targets).slice(0, prompt.length + response.length - 1);
}

const near = (a: unknown, b: number, tol = 1e-6) => typeof a === "number" && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

export const exercises: Exercise[] = [
  {
    id: "10-param-count",
    title: "The map's N: parameters of a GPT config, from the shapes alone",
    points: 2,
    cases: () =>
      [
        { vocabSize: 1024, contextLength: 128, dModel: 128, nLayers: 4 },
        { vocabSize: 512, contextLength: 64, dModel: 64, nLayers: 2 },
        { vocabSize: 50257, contextLength: 1024, dModel: 768, nLayers: 12 },
        { vocabSize: 10, contextLength: 4, dModel: 8, nLayers: 1 },
      ].map((c) => ({ label: `V ${c.vocabSize}, context ${c.contextLength}, d ${c.dModel}, ${c.nLayers} layers`, args: [c], expected: countParams(cfg(c)) })),
    hint: (got, expected, args) => {
      const c = args[0] as SmallConfig;
      if (typeof got !== "number") return "return one number.";
      const diff = (expected as number) - got;
      if (diff === c.contextLength * c.dModel) return "add the learned position table: contextLength × dModel numbers.";
      if (diff === -c.vocabSize * c.dModel) return "the output layer reuses the token embedding (tied weights): count that matrix once.";
      if (diff === 2 * c.dModel) return "the final layer norm (before the output) has a scale and a shift of dModel numbers each.";
      if (diff === c.nLayers * 4 * c.dModel) return "each block has two layer norms, each with a scale and a shift (4·dModel per block).";
      if (diff === c.nLayers * (9 * c.dModel)) return "count the biases: q, k, v and the output projection (4·d), the feed-forward's 4·d and d.";
      if (diff === -c.nLayers * 8 * c.dModel * c.dModel || diff === c.nLayers * 4 * c.dModel * c.dModel) return "the feed-forward layer is d → 4d → d: two matrices of 4·d² numbers each.";
      return "per block: 2 layer norms (2·2d), q/k/v and output projections (4d² + 4d), feed-forward d → 4d → d (8d² + 5d); plus the token embedding V·d, the position table T·d and the final layer norm 2d.";
    },
  },
  {
    id: "10-sample-next",
    title: "The generation box: sample the next token from logits with a temperature",
    points: 2,
    cases: () => {
      const logits = [2, 1, 0.5, -1];
      return [
        { label: "T = 0 is greedy: the largest logit", args: [logits, 0, 0.99], expected: 0 },
        { label: "T = 1, u = 0.1 (inside the first token's share)", args: [logits, 1, 0.1], expected: sampleNextReference(logits, 1, 0.1) },
        { label: "T = 1, u = 0.8", args: [logits, 1, 0.8], expected: sampleNextReference(logits, 1, 0.8) },
        { label: "T = 2 flattens: u = 0.6", args: [logits, 2, 0.6], expected: sampleNextReference(logits, 2, 0.6) },
        { label: "T = 0.5 sharpens: u = 0.85", args: [logits, 0.5, 0.85], expected: sampleNextReference(logits, 0.5, 0.85) },
        { label: "large logits must not overflow", args: [[1000, 999, 998], 1, 0.9], expected: sampleNextReference([1000, 999, 998], 1, 0.9) },
        { label: "u near 1: the last token", args: [logits, 1, 0.999999], expected: sampleNextReference(logits, 1, 0.999999) },
      ];
    },
    hint: (got, expected, args) => {
      const [logits, T, u] = args as [number[], number, number];
      if (typeof got !== "number" || !Number.isInteger(got)) return "return the index of the token (a whole number).";
      if (T === 0) return "temperature 0 means greedy decoding: return the index of the largest logit.";
      if (got === sampleNextReference(logits, 1, u) && T !== 1) return "divide the logits by the temperature before the softmax.";
      if (got === sampleNextReference(logits.map((l) => l * T), 1, u)) return "divide the logits by T — do not multiply.";
      if (logits[0] > 100) return "subtract the largest logit before exp (softmax does not change; exp(1000) overflows to Infinity).";
      void expected;
      return "walk the probabilities in order, adding them up, and return the first index where the running sum passes u.";
    },
  },
  {
    id: "10-causal-attention",
    title: "Self-attention with the causal mask, on plain arrays: softmax(QKᵀ/√d) V, row t seeing rows ≤ t",
    points: 2,
    tolerance: 1e-5,
    cases: () => {
      const q = [[1, 0], [0, 1], [1, 1]];
      const k = [[1, 0], [1, 1], [0, 1]];
      const v = [[1, 2], [3, 4], [5, 6]];
      const r = [[0.3, -1.2, 0.5], [1.1, 0.4, -0.3], [-0.7, 0.2, 0.9], [0.05, 0.6, -1.4]];
      return [
        { label: "first row sees only itself", args: [[[2, 0]], [[1, 1]], [[7, 8]]], expected: [[7, 8]] },
        { label: "3 tokens, d = 2", args: [q, k, v], expected: attentionReference(q, k, v) },
        { label: "4 tokens, d = 3", args: [r, r.map((x) => x.map((y) => -y)), r], expected: attentionReference(r, r.map((x) => x.map((y) => -y)), r) },
      ];
    },
    hint: (got, expected, args) => {
      const [q, k, v] = args as number[][][];
      if (!Array.isArray(got) || got.length !== q.length) return "return one output row per query row (T rows of v's width).";
      const e = expected as number[][];
      const noMask = tf.tidy(() => scaledDotProductAttention(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(v)).output.arraySync() as number[][]);
      const same = (a: unknown, b: number[][]) => Array.isArray(a) && a.every((row, i) => Array.isArray(row) && row.every((x, j) => near(x, b[i][j], 1e-4)));
      if (same(got, noMask)) return "mask the future: row t may only weigh keys 0 … t (set later scores to −∞ before the softmax).";
      const unscaled = tf.tidy(() => scaledDotProductAttention(tf.tensor2d(q).mul(Math.sqrt(q[0].length)), tf.tensor2d(k), tf.tensor2d(v), causalMask(q.length)).output.arraySync() as number[][]);
      if (same(got, unscaled)) return "divide the scores by √d (d = the width of q and k).";
      void e;
      return "scores[t][s] = q_t · k_s / √d for s ≤ t; softmax over s; output_t = Σ_s weight[t][s] · v_s.";
    },
  },
  {
    id: "10-loss-mask",
    title: "Fine-tuning's targets: no loss on the prompt, loss on every answer token and the end token",
    points: 2,
    cases: () => [
      { label: "prompt 3, answer 2 + end (by hand)", args: [[11, 12, 13], [21, 22, 4]], expected: [-1, -1, 21, 22, 4] },
      { label: "prompt 1", args: [[7], [8, 4]], expected: targetsReference([7], [8, 4]) },
      { label: "a longer one", args: [[5, 6, 7, 8, 9], [30, 31, 32, 4]], expected: targetsReference([5, 6, 7, 8, 9], [30, 31, 32, 4]) },
    ],
    hint: (got, expected, args) => {
      const [p, r] = args as number[][];
      if (!Array.isArray(got)) return "return one target per input position: the sequence is prompt + answer without its last token.";
      if (got.length === p.length + r.length) return "the model reads prompt + answer without its last token, so there are P + R − 1 targets.";
      const e = expected as number[];
      if (got.length === e.length && got[got.length - 1] === -1) return "keep the end token in the loss: it is how the model learns to stop.";
      if (got.length === e.length && got[p.length - 1] === -1) return "the target at the prompt's last position is the answer's first token — that one counts.";
      if (got.length === e.length && got.slice(0, p.length - 1).some((t) => t !== -1)) return "the prompt's tokens get no loss: their targets are −1.";
      return "target[t] = the token at t + 1 when that token belongs to the answer, else −1.";
    },
  },
];

// ---------------------------------------------------------------- the quiz

type Choice = "a" | "b" | "c" | "d";

interface Question {
  n: number;
  topic: string;
  answer: Choice;
  /** Why each wrong choice is wrong. */
  why: Partial<Record<Choice, string>>;
}

const QUESTIONS: Question[] = [
  {
    n: 1,
    topic: "tokens",
    answer: "b",
    why: {
      a: "a Hangul syllable is not a single byte: UTF-8 spends 3 bytes on it, and a byte-level tokenizer starts from bytes.",
      c: "nothing is dropped: byte-level BPE can encode every string and decode it back exactly (chapter 01).",
      d: "the model's vocabulary is shared by both languages; Korean gets fewer merges only if the training text has less Korean.",
    },
  },
  {
    n: 2,
    topic: "the first loss",
    answer: "c",
    why: {
      a: "1.0 would mean the model already knows a lot; an untrained model spreads its probability evenly.",
      b: "10 is log₂ 1024 — bits, not nats. The course's cross-entropy uses the natural log.",
      d: "the loss is −log p of the right token; with p = 1/1024 that is ln 1024, not 1024.",
    },
  },
  {
    n: 3,
    topic: "perplexity",
    answer: "a",
    why: {
      b: "perplexity is e^loss, not the loss itself.",
      c: "0.5 is e^−0.69: the (geometric-mean) probability of the right token, the inverse of the perplexity.",
      d: "e^1.39 ≈ 4; e^0.69 ≈ 2 — 'choosing among about two tokens'.",
    },
  },
  {
    n: 4,
    topic: "the causal mask",
    answer: "b",
    why: {
      a: "that is an encoder (BERT, the Transformer's encoder): a GPT predicts the next token, so it must not see it.",
      c: "attention is not limited to the previous token — every earlier position can be weighed (that is how 찾았다 can look back at 은행).",
      d: "the opposite: later tokens are exactly what is hidden.",
    },
  },
  {
    n: 5,
    topic: "why the Transformer scaled",
    answer: "d",
    why: {
      a: "not far fewer: chapter 03's block with a 2d feed-forward has 8d² + 11d parameters against the LSTM's 8d² + 4d, and the course's 4d feed-forward gives about 12d².",
      b: "attention's cost grows with T² — more arithmetic than an RNN, not less. It wins because that arithmetic runs in parallel.",
      c: "it has non-linearities (softmax, GELU); without them stacking layers would add nothing.",
    },
  },
  {
    n: 6,
    topic: "temperature",
    answer: "c",
    why: {
      a: "a high temperature flattens the distribution towards uniform; a temperature near 0 does the opposite.",
      b: "the temperature does not change the length directly; the model still decides when to write the end token.",
      d: "temperature 1 samples from the model's distribution unchanged — it still varies from run to run; only near 0 is the output fixed.",
    },
  },
  {
    n: 7,
    topic: "the fine-tuning mask",
    answer: "a",
    why: {
      b: "stopping is learned from the end token, which stays in the loss; masking the prompt does not teach it (chapter 07's 'end masked' run shows what does).",
      c: "the prompt's tokens are still read (attention sees them); only their prediction is not trained.",
      d: "memory is the same: the masked positions are computed anyway, they just get no loss.",
    },
  },
  {
    n: 8,
    topic: "the reward model",
    answer: "d",
    why: {
      a: "the first token has seen only itself; under the causal mask it knows nothing of the answer.",
      b: "embeddings have no special size at the end; what is special about the last position is what it has read — everything, under the causal mask.",
      c: "the reward model is a GPT body with a scalar head — the same causal attention, so only the last position has read everything.",
    },
  },
  {
    n: 9,
    topic: "the KL leash",
    answer: "b",
    why: {
      a: "a smaller β is a looser leash: the policy may drift further from π_ref, not less.",
      c: "β weighs the KL penalty inside the reward; it does not change how the reward model was trained.",
      d: "chapter 08 measured it: with the loose leash the reward model's score rose while correctness fell — reward hacking.",
    },
  },
  {
    n: 10,
    topic: "DPO",
    answer: "c",
    why: {
      a: "DPO still needs preference pairs (chosen, rejected) — the same rankings RLHF uses.",
      b: "DPO keeps a frozen reference π_ref; β scales the log-ratio against it.",
      d: "DPO trains on fixed pairs, like supervised learning: no sampling during training and no reward model.",
    },
  },
  {
    n: 11,
    topic: "hallucination",
    answer: "a",
    why: {
      b: "never-seen facts cannot be counted in the training data; the theorem uses the share of facts seen exactly once, which (as Good–Turing) estimates how much is missing.",
      c: "more data of the same kind keeps a similar share of once-seen facts; the bound does not vanish.",
      d: "the vocabulary size has nothing to do with it: the argument is about how often facts occur in training.",
    },
  },
  {
    n: 12,
    topic: "compute",
    answer: "b",
    why: {
      a: "6 · 2·10⁷ = 1.2·10⁸ leaves out the N = 10⁶ parameters; 6·N·D = 1.2·10¹⁴.",
      c: "that is 2·N·D (the forward pass only); training also runs the backward pass (about twice the forward): 6·N·D.",
      d: "N · D alone is 2·10¹³; each token costs about 6 FLOPs per parameter in training.",
    },
  },
];

/** The quiz as exercises: "10-quiz-01" … (one point each). The learner's function returns one letter. */
export const quiz: Exercise[] = QUESTIONS.map((q) => ({
  id: `10-quiz-${String(q.n).padStart(2, "0")}`,
  title: `Quiz ${q.n} (${q.topic})`,
  points: 1,
  cases: () => [{ label: "your answer", args: [], expected: q.answer }],
  compare: (got) => {
    if (typeof got !== "string" || !/^[a-d]$/.test(got)) return `answer with one letter: "a", "b", "c" or "d" (got ${JSON.stringify(got)})`;
    return got === q.answer ? null : `"${got}" is not the best answer`;
  },
  hint: (got) => (typeof got === "string" && got in q.why ? `why not (${got}): ${q.why[got as Choice]}` : undefined),
}));

/** How many questions the quiz has (the notebook shows one cell per question). */
export const QUIZ_SIZE = QUESTIONS.length;
