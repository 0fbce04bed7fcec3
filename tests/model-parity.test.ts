/**
 * Same weights, same logits: our GPT against an independent PyTorch
 * implementation (tests/reference/gpt_reference.py), within 1e-4.
 * Runs only when `/usr/bin/python3 -c "import torch"` works
 * (Debian: apt-get install -y python3-torch libopenblas0-pthread).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { GPT, saveModel } from "../lib/model";
import { runReference, torchUnavailableReason } from "../lib/tools/reference/torch";
import { Rng } from "../lib/random";

const why = torchUnavailableReason();
if (why) console.warn(`Skipping the PyTorch parity test: ${why}`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-parity-"));
beforeAll(async () => {
  await setupBackend({ verbose: false });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(why !== null)("PyTorch parity", () => {
  it.each([
    ["GPT-2 style (pre-LN, tied, learned positions, GELU)", {}],
    ["post-LN, untied, sinusoidal (√d-scaled embeddings), ReLU, no bias", { norm: "post", tieEmbeddings: false, positional: "sinusoidal", activation: "relu", bias: false }],
    ["pre-LN, tied, sinusoidal without scaling", { positional: "sinusoidal", scaleEmbeddings: false }],
  ])("logits match within 1e-4: %s", (name, extra) => {
    const model = new GPT({ vocabSize: 23, contextLength: 12, dModel: 16, nHeads: 4, nLayers: 2, initStd: 0.2, ...(extra as object) }, { seed: 11 });
    // Make the LayerNorm weights and biases non-trivial too.
    tf.tidy(() => {
      const r = new Rng(3);
      for (const [n, v] of model.params.entries()) {
        if (n.includes("ln_")) v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => r.normal(n.endsWith("weight") ? 1 : 0, 0.3)), v.shape));
      }
    });
    const file = path.join(dir, "model.safetensors");
    const idsFile = path.join(dir, "ids.json");
    const outFile = path.join(dir, "logits.json");
    const r = new Rng(8);
    const ids = [0, 1, 2].map(() => Array.from({ length: 12 }, () => r.int(23)));
    saveModel(model, file);
    fs.writeFileSync(idsFile, JSON.stringify(ids));
    runReference(["logits", file, idsFile, outFile]);
    const torch = JSON.parse(fs.readFileSync(outFile, "utf8")) as { shape: number[]; logits: number[] };
    const { logits } = model.forward(ids);
    expect(torch.shape).toEqual(logits.shape);
    const ours = logits.dataSync();
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < ours.length; i++) {
      worst = Math.max(worst, Math.abs(ours[i] - torch.logits[i]));
      scale = Math.max(scale, Math.abs(torch.logits[i]));
    }
    console.log(`parity ${name}: max abs diff ${worst.toExponential(2)}, max abs logit ${scale.toFixed(2)}`);
    expect(scale).toBeGreaterThan(0.5); // a meaningful comparison, not near-zero logits
    expect(worst, `${name}: max |Δlogit| ${worst}`).toBeLessThanOrEqual(1e-4);
    logits.dispose();
    model.dispose();
  });
});

describe.skipIf(why === null)("PyTorch parity (skipped)", () => {
  it("needs PyTorch", () => {
    console.warn(`PyTorch parity skipped: ${why}`);
  });
});
