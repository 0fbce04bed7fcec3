/**
 * Values on the wire between the grader and a grading kernel, as JSON.
 *
 * JSON alone loses what exercises use: NaN, ±Infinity, -0, undefined, typed arrays,
 * Map, Set and tensors. `encodeValue` turns those into tagged objects {"$": tag, …};
 * `decodeValue` turns them back. Plain objects that happen to have a "$" key are escaped.
 * The grader sends case arguments this way (expected values never leave the grader) and
 * reads the kernel's answers back the same way (with tensors refused: answers are plain).
 *
 * Loaded inside grading kernels too (by the code the grader sends), so it stays small,
 * dependency-free and TypeScript 5.0-compatible.
 */

type Tagged = { $: string; [key: string]: unknown };

const TYPED = ["Float32Array", "Float64Array", "Int8Array", "Int16Array", "Int32Array", "Uint8Array", "Uint16Array", "Uint32Array", "Uint8ClampedArray"];

interface TensorLike {
  dtype: string;
  shape: number[];
  dataSync(): ArrayLike<number> | string[];
  arraySync(): unknown;
}

function isTensor(v: unknown): v is TensorLike {
  const t = v as TensorLike;
  return typeof v === "object" && v !== null && Array.isArray(t.shape) && typeof t.dtype === "string" && typeof t.dataSync === "function";
}

// Operators only (no Object.is / Number.isNaN): in a kernel, a notebook may have patched those.
function encodeNumber(n: number): unknown {
  if (n !== n) return { $: "number", value: "NaN" };
  if (n === Infinity) return { $: "number", value: "Infinity" };
  if (n === -Infinity) return { $: "number", value: "-Infinity" };
  if (n === 0 && 1 / n < 0) return { $: "number", value: "-0" };
  return n;
}

/**
 * A JSON-safe copy of `value`. With `lenient`, values that cannot travel (functions, symbols,
 * cycles, very deep nesting) become {"$": "unsupported", …} instead of throwing (used for
 * answers, so a strange answer is a wrong answer, not a crash).
 */
export function encodeValue(value: unknown, lenient = false, depth = 0, seen: unknown[] = []): unknown {
  const fail = (why: string): unknown => {
    if (lenient) return { $: "unsupported", what: why };
    throw new Error(`cannot send ${why} to a grading kernel`);
  };
  if (depth > 100) return fail("a value nested more than 100 levels deep");
  if (value === undefined) return { $: "undefined" };
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return encodeNumber(value);
  if (typeof value === "bigint") return { $: "bigint", value: value.toString() };
  if (typeof value === "function") return fail(`a function (${(value as { name?: string }).name || "anonymous"})`);
  if (typeof value !== "object") return fail(`a ${typeof value}`);
  if (seen.indexOf(value) >= 0) return fail("a value that contains itself");
  seen.push(value);
  try {
    if (isTensor(value)) {
      const data = Array.from(value.dataSync() as ArrayLike<number>, (x) => encodeNumber(x as number));
      return { $: "tensor", dtype: value.dtype, shape: value.shape.slice(), values: data };
    }
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const name = value.constructor.name;
      if (TYPED.indexOf(name) < 0) return fail(`a ${name}`);
      return { $: name, values: Array.from(value as unknown as ArrayLike<number>, encodeNumber) };
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) out.push(encodeValue(value[i], lenient, depth + 1, seen));
      return out;
    }
    if (value instanceof Map) {
      return { $: "Map", entries: Array.from(value, ([k, v]) => [encodeValue(k, lenient, depth + 1, seen), encodeValue(v, lenient, depth + 1, seen)]) };
    }
    if (value instanceof Set) return { $: "Set", values: Array.from(value, (v) => encodeValue(v, lenient, depth + 1, seen)) };
    if (value instanceof Date) return { $: "Date", value: value.getTime() };
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) out[k] = encodeValue((value as Record<string, unknown>)[k], lenient, depth + 1, seen);
    return "$" in out ? { $: "object", entries: out } : out;
  } finally {
    seen.pop();
  }
}

export interface DecodeOptions {
  /** Build tensors for {"$": "tensor"} (needs tfjs); when false they are an error (answers). */
  tensors?: boolean;
}

function decodeNumber(v: unknown): number {
  if (typeof v === "number") return v;
  const t = v as Tagged;
  if (t && typeof t === "object" && t.$ === "number") {
    if (t.value === "NaN") return NaN;
    if (t.value === "Infinity") return Infinity;
    if (t.value === "-Infinity") return -Infinity;
    if (t.value === "-0") return -0;
  }
  throw new Error("malformed number on the wire");
}

function ownObject(entries: Record<string, unknown>, options: DecodeOptions, depth: number): Record<string, unknown> {
  // Own data properties only (a "__proto__" key stays a key, never a prototype).
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(entries)) {
    Object.defineProperty(out, k, { value: decodeValue(entries[k], options, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Inverse of encodeValue. Throws on anything malformed. */
export function decodeValue(value: unknown, options: DecodeOptions = {}, depth = 0): unknown {
  if (depth > 200) throw new Error("value nested too deeply");
  if (value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number") return value;
  if (Array.isArray(value)) return value.map((v) => decodeValue(v, options, depth + 1));
  if (typeof value !== "object") throw new Error(`unexpected ${typeof value} on the wire`);
  const t = value as Tagged;
  if (!("$" in t)) return ownObject(t, options, depth);
  switch (t.$) {
    case "undefined":
      return undefined;
    case "number":
      return decodeNumber(t);
    case "bigint":
      if (typeof t.value !== "string" || !/^-?\d+$/.test(t.value)) throw new Error("malformed bigint");
      return BigInt(t.value);
    case "Date":
      return new Date(decodeNumber(t.value));
    case "object":
      if (!t.entries || typeof t.entries !== "object" || Array.isArray(t.entries)) throw new Error("malformed object");
      return ownObject(t.entries as Record<string, unknown>, options, depth);
    case "Map":
      if (!Array.isArray(t.entries)) throw new Error("malformed Map");
      return new Map(
        (t.entries as unknown[]).map((e) => {
          if (!Array.isArray(e) || e.length !== 2) throw new Error("malformed Map entry");
          return [decodeValue(e[0], options, depth + 1), decodeValue(e[1], options, depth + 1)] as [unknown, unknown];
        }),
      );
    case "Set":
      if (!Array.isArray(t.values)) throw new Error("malformed Set");
      return new Set((t.values as unknown[]).map((v) => decodeValue(v, options, depth + 1)));
    case "unsupported":
      return { unsupported: String(t.what) };
    case "tensor": {
      if (!options.tensors) throw new Error("a tensor where only plain values are allowed");
      if (!Array.isArray(t.shape) || !Array.isArray(t.values) || typeof t.dtype !== "string") throw new Error("malformed tensor");
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const tf = require("@tensorflow/tfjs") as { tensor(values: unknown, shape: number[], dtype: string): unknown };
      const values = t.dtype === "string" ? t.values : (t.values as unknown[]).map(decodeNumber);
      return tf.tensor(values, t.shape as number[], t.dtype);
    }
    default:
      if (TYPED.indexOf(t.$) >= 0 && Array.isArray(t.values)) {
        const Ctor = (globalThis as unknown as Record<string, new (values: number[]) => unknown>)[t.$];
        return new Ctor((t.values as unknown[]).map(decodeNumber));
      }
      throw new Error(`unknown tag ${JSON.stringify(t.$)} on the wire`);
  }
}
