import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { EncoderDecoder, GPT, decodeSafetensors, encodeSafetensors, loadModel, loadSafetensors, loadWeights, saveModel, saveSafetensors } from "../lib/model";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-ckpt-"));
beforeAll(async () => {
  await setupBackend({ verbose: false });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const tiny = { vocabSize: 9, contextLength: 6, dModel: 8, nHeads: 2, nLayers: 2 };
const ids = [[1, 2, 3, 4], [4, 3, 2, 1]];

function logitsOf(model: GPT): Float32Array {
  const { logits } = model.forward(ids);
  const out = logits.dataSync() as Float32Array;
  logits.dispose();
  return Float32Array.from(out);
}

/** A valid file's bytes, to corrupt in tests. */
function validBytes(): Uint8Array {
  return encodeSafetensors(new Map([
    ["a", { dtype: "float32" as const, shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }],
    ["b", { dtype: "int32" as const, shape: [3], data: new Int32Array([5, -6, 7]) }],
  ]), { note: "hi" });
}

describe("safetensors format", () => {
  it("round-trips tensors and metadata, with the documented layout", () => {
    const bytes = validBytes();
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0); // data starts aligned
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.a).toEqual({ dtype: "F32", shape: [2, 2], data_offsets: [0, 16] });
    expect(header.b).toEqual({ dtype: "I32", shape: [3], data_offsets: [16, 28] });
    expect(header.__metadata__).toEqual({ note: "hi" });
    expect(new DataView(bytes.buffer, 8 + n).getFloat32(4, true)).toBe(2); // little-endian raw data
    const back = decodeSafetensors(bytes);
    expect(Array.from(back.tensors.get("a")!.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(back.tensors.get("b")!.data)).toEqual([5, -6, 7]);
    expect(back.metadata).toEqual({ note: "hi" });
  });

  it("reads F16 and BF16 tensors (as written by other tools)", () => {
    const header = JSON.stringify({ h: { dtype: "F16", shape: [3], data_offsets: [0, 6] }, g: { dtype: "BF16", shape: [2], data_offsets: [6, 10] } });
    const hb = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + hb.length + 10);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(0, BigInt(hb.length), true);
    bytes.set(hb, 8);
    const base = 8 + hb.length;
    [0x3c00, 0xc000, 0x3555].forEach((h, i) => view.setUint16(base + 2 * i, h, true)); // 1, -2, ~0.3333
    [0x3f80, 0x4049].forEach((h, i) => view.setUint16(base + 6 + 2 * i, h, true)); // 1, ~3.14
    const t = decodeSafetensors(bytes).tensors;
    expect(t.get("h")!.data[0]).toBe(1);
    expect(t.get("h")!.data[1]).toBe(-2);
    expect(t.get("h")!.data[2]).toBeCloseTo(1 / 3, 3);
    expect(t.get("g")!.data[1]).toBeCloseTo(3.14, 2);
  });

  const corrupt: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
    ["too short", (b) => b.subarray(0, 5), /only 5 bytes/],
    ["truncated data", (b) => b.subarray(0, b.length - 4), /ends at byte 28 but the data part has only 24 bytes/],
    ["header length beyond the file", (b) => { const c = b.slice(); new DataView(c.buffer).setBigUint64(0, BigInt(1e9), true); return c; }, /header claims 1000000000 bytes/],
    ["invalid JSON", (b) => { const c = b.slice(); c[8] = 0x5b; c[9] = 0x7b; return c; }, /header is not valid JSON/],
    ["trailing bytes", (b) => { const c = new Uint8Array(b.length + 4); c.set(b); return c; }, /4 bytes after the last tensor belong to no tensor/],
  ];
  it.each(corrupt)("rejects a corrupt file: %s", (_, mutate, message) => {
    expect(() => decodeSafetensors(mutate(validBytes()), "model.safetensors")).toThrow(message);
    expect(() => decodeSafetensors(mutate(validBytes()), "model.safetensors")).toThrow(/model\.safetensors is not a valid \.safetensors file/);
  });

  it.each([
    [{ a: { dtype: "F32", shape: [2, 2], data_offsets: [0, 12] } }, /needs 16 bytes but its offsets span 12/],
    [{ a: { dtype: "Q4", shape: [1], data_offsets: [0, 4] } }, /unsupported dtype "Q4"/],
    [{ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, /overlaps/],
    [{ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, /gap of 4 bytes before tensor "a"/],
  ])("rejects inconsistent headers %#", (header, message) => {
    const hb = new TextEncoder().encode(JSON.stringify(header));
    const bytes = new Uint8Array(8 + hb.length + 8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(hb.length), true);
    bytes.set(hb, 8);
    expect(() => decodeSafetensors(bytes)).toThrow(message);
  });
});

describe("model checkpoints", () => {
  it("save → load gives identical logits and the same config", () => {
    const model = new GPT(tiny, { seed: 5 });
    const file = path.join(dir, "gpt.safetensors");
    saveModel(model, file);
    const before = tf.memory().numTensors;
    const loaded = loadModel(file) as GPT;
    expect(loaded).toBeInstanceOf(GPT);
    expect(loaded.config).toEqual(model.config);
    expect(logitsOf(loaded)).toEqual(logitsOf(model));
    const fresh = new GPT(tiny, { seed: 6 });
    expect(logitsOf(fresh)).not.toEqual(logitsOf(model));
    loadWeights(fresh, file);
    expect(logitsOf(fresh)).toEqual(logitsOf(model));
    loaded.dispose();
    fresh.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it("round-trips an encoder–decoder", () => {
    const model = new EncoderDecoder({ vocabSize: 9, sourceLength: 5, targetLength: 4, dModel: 8, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1 }, { seed: 1 });
    const file = path.join(dir, "ed.safetensors");
    saveModel(model, file);
    const loaded = loadModel(file) as EncoderDecoder;
    const a = model.forward([[1, 2, 3]], [[4, 5]]).logits;
    const b = loaded.forward([[1, 2, 3]], [[4, 5]]).logits;
    expect(b.dataSync()).toEqual(a.dataSync());
    tf.dispose([a, b]);
    model.dispose();
    loaded.dispose();
  });

  it("names missing, unexpected and mis-shaped tensors", () => {
    const model = new GPT(tiny, { seed: 1 });
    const w = new Map<string, tf.Tensor>(model.weights());
    w.delete("h.1.mlp.c_fc.bias");
    w.set("h.2.ln_1.weight", tf.ones([8]));
    w.set("wte.weight", tf.zeros([10, 8]));
    const file = path.join(dir, "bad.safetensors");
    saveSafetensors(file, w);
    const other = new GPT(tiny, { seed: 2 });
    let message = "";
    try {
      loadWeights(other, file);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/missing tensors: h\.1\.mlp\.c_fc\.bias/);
    expect(message).toMatch(/unexpected tensors: h\.2\.ln_1\.weight/);
    expect(message).toMatch(/wrong shapes: wte\.weight \(has \[10,8\], model expects \[9,8\]\)/);
    expect(message).toContain(file);
    // Nothing was half-loaded.
    const twin = new GPT(tiny, { seed: 2 });
    expect(logitsOf(other)).toEqual(logitsOf(twin));
    twin.dispose();
    expect(() => loadModel(file)).toThrow(/no course model config in its metadata/);
    expect(() => loadModel(path.join(dir, "nope.safetensors"))).toThrow(/Checkpoint not found/);
    tf.dispose([w.get("h.2.ln_1.weight")!, w.get("wte.weight")!]);
    model.dispose();
    other.dispose();
  });

  it("loads tensors as tf tensors with loadSafetensors", () => {
    const file = path.join(dir, "raw.safetensors");
    fs.writeFileSync(file, validBytes());
    const { tensors, metadata } = loadSafetensors(file);
    expect(tensors.get("a")!.shape).toEqual([2, 2]);
    expect(tensors.get("b")!.dtype).toBe("int32");
    expect(metadata.note).toBe("hi");
    tf.dispose([...tensors.values()]);
  });
});
