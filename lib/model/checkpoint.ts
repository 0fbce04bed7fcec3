/**
 * Checkpoints in the `.safetensors` format (what Hugging Face and most of the
 * field use), written and read here without any library:
 *
 *   [8 bytes]  N, the header length, unsigned 64-bit little-endian
 *   [N bytes]  a JSON header: { "<name>": { "dtype": "F32", "shape": [..],
 *              "data_offsets": [begin, end] }, …, "__metadata__": { "k": "v" } }
 *              (padded with spaces so the data starts at a multiple of 8)
 *   [rest]     the tensors' raw little-endian bytes, back to back; offsets are
 *              relative to the start of this part.
 *
 *   saveModel(model, "tiny.safetensors");          // weights + config
 *   const model = loadModel("tiny.safetensors");   // a GPT or EncoderDecoder again
 *
 * Loading checks everything and names the problem: a truncated or corrupt
 * file, tensors missing or extra for the model, or wrong shapes.
 */
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { EncoderDecoderConfig, GPTConfig } from "./config";
import { EncoderDecoder } from "./encoderDecoder";
import { GPT } from "./gpt";

/** One tensor's raw content. */
export interface TensorData {
  dtype: "float32" | "int32";
  shape: number[];
  data: Float32Array | Int32Array;
}

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 };
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bytesOf(t: TensorData): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Uint8Array(t.data.length * 4);
  const view = new DataView(out.buffer);
  t.data.forEach((v, i) => (t.dtype === "float32" ? view.setFloat32(i * 4, v, true) : view.setInt32(i * 4, v, true)));
  return out;
}

/** Serialise named tensors (and string metadata) to safetensors bytes. */
export function encodeSafetensors(tensors: Map<string, TensorData>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of tensors) {
    if (name === "__metadata__") throw new Error(`A tensor cannot be called "__metadata__" (reserved by the format).`);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`Tensor "${name}": shape [${t.shape}] needs ${size} values but has ${t.data.length}.`);
    const bytes = bytesOf(t);
    header[name] = { dtype: t.dtype === "float32" ? "F32" : "I32", shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const headerBytes0 = new TextEncoder().encode(json).length;
  json += " ".repeat((8 - ((8 + headerBytes0) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + f / 1024);
}

/** Parse safetensors bytes; every inconsistency is an error naming it. `source` names the file in messages. */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors data"): { tensors: Map<string, TensorData>; metadata: Record<string, string> } {
  const bad = (why: string): never => {
    throw new Error(`${source} is not a valid .safetensors file: ${why}. Re-save it (saveModel / saveSafetensors) or check that the download finished.`);
  };
  if (bytes.length < 8) bad(`it has only ${bytes.length} bytes (the 8-byte header length alone is missing)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.length - 8) bad(`the header claims ${n} bytes but only ${bytes.length - 8} follow (truncated file?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    return bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) bad("the header is not a JSON object");
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const meta = header.__metadata__;
  if (meta !== undefined) {
    if (meta === null || typeof meta !== "object") bad("__metadata__ is not an object");
    for (const [k, v] of Object.entries(meta as object)) {
      if (typeof v !== "string") bad(`__metadata__.${k} is not a string`);
      metadata[k] = v as string;
    }
  }
  const spans: [number, number, string][] = [];
  const tensors = new Map<string, TensorData>();
  for (const [name, infoRaw] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const info = infoRaw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!info || typeof info !== "object") bad(`entry "${name}" is not an object`);
    const dtype = info.dtype as string;
    if (!(dtype in BYTES)) bad(`tensor "${name}" has unsupported dtype ${JSON.stringify(info.dtype)} (supported: ${Object.keys(BYTES).join(", ")})`);
    const shape = info.shape as number[];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) bad(`tensor "${name}" has an invalid shape ${JSON.stringify(info.shape)}`);
    const offsets = info.data_offsets as number[];
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) || offsets[1] < offsets[0]) {
      bad(`tensor "${name}" has invalid data_offsets ${JSON.stringify(info.data_offsets)}`);
    }
    const [begin, end] = offsets;
    const size = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== size * BYTES[dtype]) bad(`tensor "${name}" (${dtype} [${shape}]) needs ${size * BYTES[dtype]} bytes but its offsets span ${end - begin}`);
    if (end > dataLength) bad(`tensor "${name}" ends at byte ${end} but the data part has only ${dataLength} bytes (truncated file?)`);
    spans.push([begin, end, name]);
    const src = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, end - begin);
    let data: Float32Array | Int32Array;
    if (dtype === "F32") {
      data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = src.getFloat32(i * 4, true);
    } else if (dtype === "F16") {
      data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = halfToFloat(src.getUint16(i * 2, true));
    } else if (dtype === "BF16") {
      data = new Float32Array(size);
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < size; i++) {
        tmp.setUint32(0, src.getUint16(i * 2, true) << 16);
        data[i] = tmp.getFloat32(0);
      }
    } else if (dtype === "I32") {
      data = new Int32Array(size);
      for (let i = 0; i < size; i++) data[i] = src.getInt32(i * 4, true);
    } else {
      data = new Int32Array(size);
      for (let i = 0; i < size; i++) {
        const v = src.getBigInt64(i * 8, true);
        if (v > BigInt(2147483647) || v < BigInt(-2147483648)) bad(`tensor "${name}" holds ${v}, too large for int32`);
        data[i] = Number(v);
      }
    }
    tensors.set(name, { dtype: dtype === "I32" || dtype === "I64" ? "int32" : "float32", shape, data });
  }
  // The data part must be covered exactly: no overlaps, no holes.
  spans.sort((a, b) => a[0] - b[0]);
  let expected = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== expected) bad(begin < expected ? `tensor "${name}" overlaps the previous tensor's bytes` : `there is a gap of ${begin - expected} bytes before tensor "${name}"`);
    expected = end;
  }
  if (expected !== dataLength) bad(`${dataLength - expected} bytes after the last tensor belong to no tensor`);
  return { tensors, metadata };
}

/** Write tf tensors (name → tensor) to a .safetensors file. */
export function saveSafetensors(path: string, tensors: Map<string, tf.Tensor> | Record<string, tf.Tensor>, metadata: Record<string, string> = {}): void {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const records = new Map<string, TensorData>();
  for (const [name, t] of entries) {
    if (t.dtype !== "float32" && t.dtype !== "int32") throw new Error(`Tensor "${name}" has dtype ${t.dtype}; only float32 and int32 can be saved.`);
    records.set(name, { dtype: t.dtype, shape: t.shape.slice(), data: t.dataSync() as Float32Array | Int32Array });
  }
  fs.writeFileSync(path, encodeSafetensors(records, metadata));
}

/** Read a .safetensors file into tf tensors (the caller disposes them). */
export function loadSafetensors(path: string): { tensors: Map<string, tf.Tensor>; metadata: Record<string, string> } {
  if (!fs.existsSync(path)) throw new Error(`Checkpoint not found: ${path}. Check the path (relative paths start at ${process.cwd()}).`);
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(fs.readFileSync(path)), path);
  const out = new Map<string, tf.Tensor>();
  for (const [name, t] of tensors) out.set(name, tf.tensor(t.data, t.shape, t.dtype));
  return { tensors: out, metadata };
}

const FORMAT = "tiny-llm-course";

/** Save a model's weights with its config in the metadata, so loadModel can rebuild it. */
export function saveModel(model: GPT | EncoderDecoder, path: string, extraMetadata: Record<string, string> = {}): void {
  const adapted = model.params.adapted();
  if (adapted.length) {
    throw new Error(`saveModel: ${adapted.length} weights have LoRA adapters attached, which the file would not contain. Call lora.merge() first to fold them into the weights (or lora.remove() to save the base model).`);
  }
  const kind = model instanceof GPT ? "gpt" : "encoder-decoder";
  saveSafetensors(path, model.weights(), { ...extraMetadata, format: FORMAT, kind, config: JSON.stringify(model.config) });
}

/** Rebuild a model saved with saveModel (a GPT or an EncoderDecoder). */
export function loadModel(path: string): GPT | EncoderDecoder {
  const { tensors, metadata } = loadSafetensors(path);
  try {
    if (metadata.format !== FORMAT || !metadata.config) {
      throw new Error(`${path} has no course model config in its metadata (it was not written by saveModel). Build the model yourself and call loadWeights(model, path).`);
    }
    const config = JSON.parse(metadata.config);
    const model = metadata.kind === "encoder-decoder" ? new EncoderDecoder(config as EncoderDecoderConfig, { seed: 0 }) : new GPT(config as GPTConfig, { seed: 0 });
    try {
      model.setWeights(tensors, `The tensors in ${path}`);
    } catch (e) {
      model.dispose();
      throw e;
    }
    return model;
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

/** Load weights from a .safetensors file into an existing model (names and shapes must match). */
export function loadWeights(model: GPT | EncoderDecoder, path: string): void {
  const { tensors } = loadSafetensors(path);
  try {
    model.setWeights(tensors, `The tensors in ${path}`);
  } finally {
    tf.dispose([...tensors.values()]);
  }
}
