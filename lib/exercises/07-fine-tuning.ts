/**
 * Chapter 07 exercises: the prompt template, the loss mask of a padded fine-tuning batch,
 * a LoRA layer and its parameter count, and ROUGE-L. Expected values come from the lib
 * (lib/train's formatPrompt and promptResponseBatch, lib/model's loraForward and
 * loraParamCount, lib/eval's rougeL) or by hand.
 */
import * as tf from "@tensorflow/tfjs";
import { rougeL, words } from "../eval";
import { loraForward, loraParamCount } from "../model/lora";
import { promptResponseBatch } from "../training/batches";
import { SFT_TOKENS, formatPrompt } from "../training/finetune";
import { Exercise } from "./types";

/** The end token as text: the one character whose byte is SFT_TOKENS.end. */
const END = String.fromCharCode(SFT_TOKENS.end);

function template(question: string, answer: string) {
  return { prompt: formatPrompt(question), response: ` ${answer}${END}` };
}

function rows(flat: Int32Array, batch: number): number[][] {
  const length = flat.length / batch;
  return Array.from({ length: batch }, (_, b) => Array.from(flat.slice(b * length, (b + 1) * length)));
}

function batchOf(examples: { prompt: number[]; response: number[] }[], padId: number) {
  const b = promptResponseBatch(examples, { padId });
  return { ids: rows(b.ids, b.batchSize), targets: rows(b.targets, b.batchSize) };
}

function layer(x: number[][], W: number[][], A: number[][], B: number[][], alpha: number, rank: number): number[][] {
  return tf.tidy(() => loraForward(tf.tensor2d(x), tf.tensor2d(W), tf.tensor2d(A), tf.tensor2d(B), alpha, rank).arraySync());
}

function matMul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

const sameShapeAndClose = (got: unknown, want: number[][], tol = 1e-5) =>
  Array.isArray(got) && got.length === want.length && got.every((r, i) => Array.isArray(r) && r.length === want[i].length && r.every((v, j) => typeof v === "number" && Math.abs(v - want[i][j]) <= tol));

/** Unigram F1 (a bag of words, order ignored) — what a learner who skips the LCS computes. */
function bagOfWordsF1(p: string, r: string): number {
  const a = words(p);
  const b = words(r);
  const counts = new Map<string, number>();
  for (const w of b) counts.set(w, (counts.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of a) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      common++;
      counts.set(w, c - 1);
    }
  }
  return common === 0 ? 0 : (2 * common) / (a.length + b.length);
}

export const exercises: Exercise[] = [
  {
    id: "07-prompt-template",
    title: "The prompt template: question and answer markers, and the end token",
    points: 1,
    cases: () => [
      { label: "an English question (by hand)", args: ["Where does Mina Kim live?", "Mina Kim lives in Oakport."], expected: { prompt: "Q: Where does Mina Kim live?\nA:", response: ` Mina Kim lives in Oakport.${END}` } },
      { label: "a Korean question", args: ["김민아는 어디에 사나요?", "김민아는 오크포트에 산다."], expected: template("김민아는 어디에 사나요?", "김민아는 오크포트에 산다.") },
      { label: "a story to summarise (the prompt has a newline inside)", args: ["Summarize the story in one sentence.\nTom lost his cat.", "Tom lost his cat."], expected: template("Summarize the story in one sentence.\nTom lost his cat.", "Tom lost his cat.") },
    ],
    hint: (got, expected) => {
      const g = got as { prompt?: string; response?: string };
      const e = expected as { prompt: string; response: string };
      if (!g || typeof g.response !== "string" || typeof g.prompt !== "string") return "return an object { prompt, response } of two strings.";
      if (g.response === e.response.slice(0, -1)) return "end the response with the end token END: a model that never sees it as a target never learns to stop.";
      if (g.response === e.response.slice(1)) return 'start the response with a space (" " + answer): after "A:" the text continues with a space, as everywhere in the corpus.';
      if (g.prompt !== e.prompt && g.prompt.replace("\n", "") === e.prompt.replace("\n", "")) return 'put the answer marker on its own line: "\\nA:".';
      return undefined;
    },
  },
  {
    id: "07-loss-mask",
    title: "A padded fine-tuning batch: inputs, and targets with −1 where there is no loss",
    points: 2,
    cases: () => {
      const PAD = 0;
      const END_ID = SFT_TOKENS.end;
      const a = { prompt: [11, 12, 13], response: [21, 22, END_ID] };
      const b = { prompt: [31], response: [41, END_ID] };
      const c = { prompt: [51, 52], response: [END_ID] };
      return [
        {
          label: "two rows, one padded (by hand)",
          args: [[a, b], PAD],
          // row a: 11 12 13 21 22 | END — inputs drop the last token; targets are the next token, −1 on the prompt.
          // row b: 31 41 | END, padded to 5 inputs; its padding gets −1.
          expected: { ids: [[11, 12, 13, 21, 22], [31, 41, PAD, PAD, PAD]], targets: [[-1, -1, 21, 22, END_ID], [41, END_ID, -1, -1, -1]] },
        },
        { label: "a response that is only the end token", args: [[c, a], PAD], expected: batchOf([c, a], PAD) },
        { label: "another padding id", args: [[b, c, a], 7], expected: batchOf([b, c, a], 7) },
      ];
    },
    hint: (got, expected) => {
      const g = got as { ids?: number[][]; targets?: number[][] };
      const e = expected as { ids: number[][]; targets: number[][] };
      if (!g || !Array.isArray(g.targets) || !Array.isArray(g.ids)) return "return { ids, targets }, each a list of rows (number[][]).";
      const flatG = g.targets.flat();
      const flatE = e.targets.flat();
      if (flatG.length !== flatE.length) return "every row has the same length: the longest prompt + response minus one (inputs drop the last token); pad the shorter rows.";
      const diff = flatE.map((t, i) => [t, flatG[i]]).filter(([t, x]) => t !== x);
      if (diff.length && diff.every(([t, x]) => t === SFT_TOKENS.end && x === -1)) return "the end token is masked out: it must stay a target (masking every pad/end id is the bug that makes a model ramble).";
      if (diff.length && diff.every(([t, x]) => t === -1 && x >= 0)) return "something that should get no loss has a target: the prompt's next tokens and the padding get −1.";
      if (diff.length && diff.every(([t, x]) => t >= 0 && x === -1)) return "the last prompt position predicts the first answer token — its target counts (mask from the first prompt position up to, not including, the last).";
      return undefined;
    },
  },
  {
    id: "07-lora-forward",
    title: "A LoRA layer: x·W + (α/r)·x·A·B",
    points: 2,
    tolerance: 1e-5,
    cases: () => {
      const x = [[1, 2], [0, -1]];
      const W = [[1, 0, 2], [0, 1, -1]];
      const A = [[1], [2]];
      const B = [[0.5, -1, 0]];
      // By hand, r = 1, α = 2: x·W = [[1, 2, 0], [0, −1, 1]]; x·A = [[5], [−2]]; x·A·B = [[2.5, −5, 0], [−1, 2, 0]]; ×2.
      return [
        { label: "r = 1, α = 2 (by hand)", args: [x, W, A, B, 2, 1], expected: [[6, -8, 0], [-2, 3, 1]] },
        { label: "B = 0: exactly the base layer", args: [x, W, A, [[0, 0, 0]], 16, 1], expected: matMul(x, W) },
        { label: "r = 2, α = 1", args: [[[0.5, -0.5, 1]], [[1, 0], [0, 1], [1, 1]], [[1, 0], [0, 1], [1, -1]], [[1, 2], [3, 4]], 1, 2], expected: layer([[0.5, -0.5, 1]], [[1, 0], [0, 1], [1, 1]], [[1, 0], [0, 1], [1, -1]], [[1, 2], [3, 4]], 1, 2) },
      ];
    },
    hint: (got, expected, args) => {
      const [x, W, A, B, alpha, rank] = args as [number[][], number[][], number[][], number[][], number, number];
      if (alpha === rank) return undefined;
      const unscaled = layer(x, W, A, B, rank, rank);
      if (sameShapeAndClose(got, unscaled)) return "scale the low-rank part by α/r — it is missing.";
      const inverted = layer(x, W, A, B, rank * rank / alpha, rank);
      if (sameShapeAndClose(got, inverted)) return "the scale is α/r, not r/α.";
      if (sameShapeAndClose(got, matMul(x, W)) && !sameShapeAndClose(expected, matMul(x, W))) return "add the low-rank correction (α/r)·(x·A)·B to x·W.";
      return undefined;
    },
  },
  {
    id: "07-lora-params",
    title: "LoRA's trainable parameters: r·(in + out) per adapted matrix",
    points: 1,
    tolerance: 0,
    cases: () => {
      const block = [[128, 384], [128, 128], [128, 512], [512, 128]];
      return [
        { label: "one 128 × 384 matrix, r = 8 (by hand: 8·512)", args: [[[128, 384]], 8], expected: 4096 },
        { label: "our base model: attention + feed-forward of 4 blocks, r = 8", args: [[...block, ...block, ...block, ...block], 8], expected: loraParamCount([...block, ...block, ...block, ...block], 8) },
        { label: "r = 1 on two matrices", args: [[[10, 20], [20, 10]], 1], expected: 60 },
      ];
    },
    hint: (got, _e, args) => {
      const [shapes, rank] = args as [number[][], number];
      if (got === shapes.reduce((s, [i, o]) => s + i * o, 0)) return "that is the full matrices' size — LoRA trains A (in × r) and B (r × out) instead.";
      if (got === shapes.reduce((s, [i, o]) => s + rank * i * o, 0)) return "A is in × r and B is r × out: r·in + r·out numbers, not r·in·out.";
      return undefined;
    },
  },
  {
    id: "07-rouge-l",
    title: "ROUGE-L: F1 of the longest common subsequence of words",
    points: 2,
    tolerance: 1e-9,
    cases: () => [
      // LCS "the cat sat" = 3 of 3 predicted and 3 of 4 reference words: P 1, R 0.75 → F1 6/7.
      { label: "a shorter prediction (by hand)", args: ["the cat sat", "the cat sat down"], expected: 6 / 7 },
      { label: "the same words in another order", args: ["down sat cat the", "the cat sat down"], expected: rougeL("down sat cat the", "the cat sat down") },
      { label: "Korean words, one ending differs", args: ["동현은 시장에서 밀가루를 구했다.", "동현은 시장에서 밀가루를 샀다."], expected: 0.75 },
      { label: "nothing in common", args: ["a b", "c d"], expected: 0 },
      { label: "case and punctuation do not count", args: ["Zoe went to the bank.", "zoe went to the bank"], expected: 1 },
    ],
    hint: (got, _e, args) => {
      const [p, r] = args as [string, string];
      if (typeof got === "number" && Math.abs(got - bagOfWordsF1(p, r)) < 1e-9 && Math.abs(bagOfWordsF1(p, r) - rougeL(p, r)) > 1e-9) return "order matters: count the longest common subsequence of words, not the shared words in any order.";
      if (typeof got === "number" && got > 1) return "return the F1 score (between 0 and 1), not the length of the subsequence.";
      return undefined;
    },
  },
];
