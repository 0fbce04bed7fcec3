import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import {
  EncoderDecoder,
  GPT,
  countParams,
  countParamsByComponent,
  encoderDecoderConfig,
  gptConfig,
  paramShapes,
} from "../lib/model";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

describe("countParams", () => {
  it("gives GPT-2 small's 124,439,808 parameters without allocating tensors", () => {
    const before = tf.memory().numTensors;
    const config = { vocabSize: 50257, contextLength: 1024, dModel: 768, nHeads: 12, nLayers: 12, tieEmbeddings: true };
    expect(countParams(config)).toBe(124_439_808);
    expect(countParams(gptConfig("gpt2-small"))).toBe(124_439_808);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("counts the bench-small model by hand", () => {
    // wte 65·128 + wpe 64·128 + 2 × (2 LNs 2·256 + c_attn 128·384+384 + c_proj 128·128+128 + c_fc 128·512+512 + proj 512·128+128) + ln_f 256
    const perLayer = 2 * 256 + (128 * 384 + 384) + (128 * 128 + 128) + (128 * 512 + 512) + (512 * 128 + 128);
    expect(countParams(gptConfig("bench-small"))).toBe(65 * 128 + 64 * 128 + 2 * perLayer + 256);
  });

  it.each([
    {},
    { tieEmbeddings: false },
    { bias: false },
    { positional: "sinusoidal" as const },
    { norm: "post" as const, activation: "relu" as const, dFF: 40 },
  ])("equals the sum of the model's tensor sizes (GPT %j)", (extra) => {
    const config = { vocabSize: 11, contextLength: 9, dModel: 12, nHeads: 3, nLayers: 2, ...extra };
    const model = new GPT(config, { seed: 1 });
    let total = 0;
    for (const v of model.params.variables()) total += v.size;
    expect(countParams(config)).toBe(total);
    expect(model.numParams()).toBe(total);
    const byComponent = countParamsByComponent(config);
    expect(Object.values(byComponent).reduce((a, b) => a + b, 0)).toBe(total);
    model.dispose();
  });

  it("equals the sum of tensor sizes for an encoder–decoder", () => {
    const config = { vocabSize: 13, sourceLength: 7, targetLength: 5, dModel: 8, nHeads: 2, nEncoderLayers: 2, nDecoderLayers: 1, positional: "learned" as const };
    const model = new EncoderDecoder(config, { seed: 1 });
    let total = 0;
    for (const v of model.params.variables()) total += v.size;
    expect(countParams(config)).toBe(total);
    expect(countParamsByComponent(config)["cross-attention"]).toBe((8 * 8 + 8) + (8 * 16 + 16) + (8 * 8 + 8)); // c_q, c_kv, c_proj (ln_cross counts as layer norm)
    model.dispose();
  });

  it("names weights like GPT-2 with (in, out) linear weights", () => {
    const shapes = paramShapes(gptConfig({ vocabSize: 10, contextLength: 4, dModel: 8, nHeads: 2, nLayers: 1 }));
    expect([...shapes.keys()]).toEqual([
      "wte.weight", "wpe.weight",
      "h.0.ln_1.weight", "h.0.ln_1.bias", "h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias",
      "h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias", "h.0.ln_2.weight", "h.0.ln_2.bias",
      "h.0.mlp.c_fc.weight", "h.0.mlp.c_fc.bias", "h.0.mlp.c_proj.weight", "h.0.mlp.c_proj.bias",
      "ln_f.weight", "ln_f.bias",
    ]);
    expect(shapes.get("h.0.attn.c_attn.weight")).toEqual([8, 24]);
    expect(shapes.get("h.0.mlp.c_proj.weight")).toEqual([32, 8]);
  });
});

describe("config validation", () => {
  const base = { vocabSize: 65, contextLength: 64, dModel: 128, nHeads: 4, nLayers: 2 };
  it.each([
    [{ ...base, nHeads: 3 }, /dModel \(128\) must be divisible by nHeads \(3\).*Change nHeads to a divisor of 128 \(e\.g\. 1, 2, 4/],
    [{ ...base, vocabSize: undefined }, /vocabSize is required/],
    [{ ...base, nLayers: 0 }, /nLayers must be a positive integer, got 0/],
    [{ ...base, contextLength: 2.5 }, /contextLength must be a positive integer/],
    [{ ...base, dropout: 1 }, /dropout must be in \[0, 1\)/],
    [{ ...base, nhead: 4 }, /unknown field "nhead".*did you mean "nHeads"\?/],
    [{ ...base, positional: "rotary" }, /positional must be one of "learned", "sinusoidal"/],
    [{ ...base, dModel: 9, nHeads: 3, positional: "sinusoidal" }, /even dModel/],
  ])("rejects %j", (config, message) => {
    expect(() => gptConfig(config as never)).toThrow(message);
    expect(() => new GPT(config as never)).toThrow(message);
  });

  it("fills in defaults", () => {
    const c = gptConfig({ vocabSize: 65 });
    expect(c).toMatchObject({ contextLength: 64, dModel: 128, nHeads: 4, nLayers: 2, dFF: 512, dropout: 0, bias: true, tieEmbeddings: true, positional: "learned", scaleEmbeddings: false, activation: "gelu", norm: "pre" });
    expect(gptConfig({ vocabSize: 65, positional: "sinusoidal" }).scaleEmbeddings).toBe(true); // the 2017 paper's √dModel
    expect(gptConfig("bench-small", { nLayers: 4 }).nLayers).toBe(4);
    expect(() => gptConfig("gpt5" as never)).toThrow(/unknown preset "gpt5"/);
  });

  it("validates encoder–decoder configs", () => {
    expect(() => encoderDecoderConfig({ vocabSize: 10, dModel: 10, nHeads: 4 })).toThrow(/divisible by nHeads/);
    expect(() => encoderDecoderConfig({ vocabSize: 10, nEncoderLayers: -1 })).toThrow(/nEncoderLayers must be a positive integer/);
    expect(encoderDecoderConfig({ vocabSize: 10 }).positional).toBe("sinusoidal");
    expect(encoderDecoderConfig({ vocabSize: 10 }).scaleEmbeddings).toBe(true);
    expect(encoderDecoderConfig({ vocabSize: 10, positional: "learned" }).scaleEmbeddings).toBe(false);
  });
});
