/**
 * Turning answers into plain values and comparing them with a readable reason.
 */

interface TensorLike {
  arraySync(): unknown;
  shape: number[];
}

function isTensorLike(v: unknown): v is TensorLike {
  return typeof v === "object" && v !== null && typeof (v as TensorLike).arraySync === "function" && Array.isArray((v as TensorLike).shape);
}

/**
 * A plain JSON-like copy: tensors → nested arrays, typed arrays → arrays,
 * Map → {key: value} (keys as strings), Set → sorted array.
 */
export function toPlain(value: unknown, depth = 0): unknown {
  if (depth > 50) throw new Error("toPlain: value nested too deeply (a cycle?)");
  if (isTensorLike(value)) return value.arraySync();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map((v) => toPlain(v, depth + 1));
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[typeof k === "string" ? k : JSON.stringify(toPlain(k, depth + 1))] = toPlain(v, depth + 1);
    return out;
  }
  if (value instanceof Set) {
    return Array.from(value, (v) => toPlain(v, depth + 1)).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) out[k] = toPlain((value as Record<string, unknown>)[k], depth + 1);
    return out;
  }
  return value;
}

/** Short, single-line text of a value for messages. */
export function preview(value: unknown, max = 160): string {
  let s: string;
  try {
    s = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(toPlain(value), (_k, v) => (typeof v === "number" && !Number.isInteger(v) ? +v.toPrecision(6) : v));
  } catch {
    s = String(value);
  }
  if (s === undefined) s = String(value);
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/**
 * Compare plain values. Returns null when equal (numbers within `tol`, absolute
 * or relative), else the first difference, e.g. "at [1][0]: expected 0.5, got 0.25".
 */
export function firstDifference(got: unknown, expected: unknown, tol = 1e-6, path = ""): string | null {
  const where = path ? `at ${path}: ` : "";
  if (typeof expected === "number" && typeof got === "number") {
    if (Number.isNaN(expected) && Number.isNaN(got)) return null;
    if (Number.isNaN(got)) return `${where}expected ${expected}, got NaN`;
    if (got === expected) return null;
    const diff = Math.abs(got - expected);
    if (diff <= tol || diff <= tol * Math.abs(expected)) return null;
    return `${where}expected ${preview(expected)}, got ${preview(got)}`;
  }
  if (kind(got) !== kind(expected)) return `${where}expected ${kind(expected)} ${preview(expected, 60)}, got ${kind(got)} ${preview(got, 60)}`;
  if (Array.isArray(expected) && Array.isArray(got)) {
    if (got.length !== expected.length) return `${where}expected length ${expected.length}, got length ${got.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(got[i], expected[i], tol, `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (expected && typeof expected === "object") {
    const g = got as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const missing = Object.keys(e).filter((k) => !(k in g));
    if (missing.length) return `${where}missing key${missing.length > 1 ? "s" : ""} ${missing.slice(0, 5).map((k) => JSON.stringify(k)).join(", ")}`;
    const extra = Object.keys(g).filter((k) => !(k in e));
    if (extra.length) return `${where}unexpected key${extra.length > 1 ? "s" : ""} ${extra.slice(0, 5).map((k) => JSON.stringify(k)).join(", ")}`;
    for (const k of Object.keys(e)) {
      const d = firstDifference(g[k], e[k], tol, `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(got, expected) ? null : `${where}expected ${preview(expected)}, got ${preview(got)}`;
}
