/**
 * Chapter 00 exercises: counting parameters, and cutting self-supervised
 * (input → next token) pairs out of raw text. Expected values are worked out
 * by hand from the formulas in the notebook, not by running a solution.
 */
import { Exercise } from "./types";

/** One pre-LN GPT block with biases: attention 4d²+4d, MLP 8d²+5d, two LayerNorms 4d. */
function blockParams(d: number): number {
  return 12 * d * d + 13 * d;
}

export const exercises: Exercise[] = [
  {
    id: "00-block-params",
    title: "Parameters in one transformer block",
    points: 1,
    cases: () => [
      { label: "d = 2", args: [2], expected: 74 }, // 12·4 + 13·2
      { label: "d = 64", args: [64], expected: 49_984 },
      { label: "GPT-2 small, d = 768", args: [768], expected: 7_087_872 },
      { label: "GPT-3, d = 12288", args: [12288], expected: blockParams(12288) },
    ],
    hint: (got, expected, args) => {
      const d = args[0] as number;
      if (typeof got !== "number" || typeof expected !== "number") return undefined;
      const missing = expected - got;
      if (missing === 9 * d) return "off by exactly the biases (3d + d + 4d + d = 9d): each linear layer has a bias vector as long as its output";
      if (missing === 4 * d) return "off by exactly the two LayerNorms (γ and β of width d, twice = 4d)";
      if (missing === 13 * d) return "you counted only the matrices (12d²): add the biases (9d) and the LayerNorms (4d)";
      if (missing === 4 * d * d + 4 * d) return "the attention part (4d² + 4d) is missing";
      if (missing === 8 * d * d + 5 * d) return "the feed-forward part (8d² + 5d) is missing";
      if (missing === 6 * d) return "one LayerNorm is γ and β (2d); a block has two, and the biases of W_q, W_k, W_v are 3d";
      return undefined;
    },
  },
  {
    id: "00-gpt-params",
    title: "Parameters in a whole GPT (tied embeddings)",
    points: 2,
    cases: () => [
      {
        label: "tiny",
        args: [{ vocabSize: 10, contextLength: 4, dModel: 2, nLayers: 1 }],
        expected: 10 * 2 + 4 * 2 + 74 + 2 * 2,
      },
      {
        label: "GPT-2 small",
        args: [{ vocabSize: 50257, contextLength: 1024, dModel: 768, nLayers: 12 }],
        expected: 124_439_808,
      },
      {
        label: "no layers",
        args: [{ vocabSize: 100, contextLength: 8, dModel: 16, nLayers: 0 }],
        expected: 100 * 16 + 8 * 16 + 2 * 16,
      },
    ],
    hint: (got, expected, args) => {
      const c = args[0] as { vocabSize: number; contextLength: number; dModel: number; nLayers: number };
      if (typeof got !== "number" || typeof expected !== "number") return undefined;
      const diff = got - expected;
      if (diff === c.vocabSize * c.dModel) return "the output layer is tied to the token embedding: count that (vocabSize, dModel) matrix once";
      if (-diff === c.vocabSize * c.dModel) return "the token embedding (vocabSize × dModel) is missing";
      if (-diff === c.contextLength * c.dModel) return "the position embedding (contextLength × dModel) is missing";
      if (-diff === 2 * c.dModel) return "the final LayerNorm (γ and β, 2 × dModel) is missing";
      return undefined;
    },
  },
  {
    id: "00-next-token-pairs",
    title: "Self-supervised pairs: every prefix predicts the next token",
    points: 2,
    cases: () => [
      {
        label: "three tokens, context 2",
        args: [["나는", "은행에", "갔다"], 2],
        expected: [
          { input: ["나는"], target: "은행에" },
          { input: ["나는", "은행에"], target: "갔다" },
        ],
      },
      {
        label: "context shorter than text",
        args: [["a", "b", "c", "d"], 2],
        expected: [
          { input: ["a"], target: "b" },
          { input: ["a", "b"], target: "c" },
          { input: ["b", "c"], target: "d" },
        ],
      },
      { label: "one token: nothing to predict", args: [["a"], 3], expected: [] },
      { label: "empty text", args: [[], 3], expected: [] },
    ],
  },
  {
    id: "00-few-shot-prompt",
    title: "Build a few-shot prompt",
    points: 1,
    cases: () => [
      {
        label: "zero-shot",
        args: [[], "사과"],
        expected: "Korean: 사과\nEnglish:",
      },
      {
        label: "two examples",
        args: [
          [
            { input: "은행", output: "bank" },
            { input: "돈", output: "money" },
          ],
          "사과",
        ],
        expected: "Korean: 은행\nEnglish: bank\n\nKorean: 돈\nEnglish: money\n\nKorean: 사과\nEnglish:",
      },
    ],
  },
];
