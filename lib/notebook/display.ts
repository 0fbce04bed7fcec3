/**
 * Talking to the notebook front end.
 *
 * Inside a tslab kernel, `displayBundle` sends one Jupyter display message that
 * carries several representations at once (e.g. plotly JSON + HTML + plain text);
 * the front end picks the richest one it can render. Outside a kernel (tests,
 * scripts) nothing is displayed and callers fall back to console output.
 */
import { randomBytes } from "crypto";
import { inspect } from "util";
import { displayWidth, padDisplay } from "./textWidth";

/** A Jupyter mime bundle: mime type → content. */
export type MimeBundle = Record<string, unknown>;

type WriteDisplayData = (
  content: { data: MimeBundle; metadata: Record<string, unknown>; transient: { display_id?: string } },
  update: boolean,
) => void;

function writer(): WriteDisplayData | null {
  // Resolve tslab from the running program first (in a kernel, require.main is
  // tslab's own entry point, so this is the very module instance that holds the
  // display channel), then from here.
  const loaders = [require.main?.require.bind(require.main), require];
  for (const load of loaders) {
    if (!load) continue;
    try {
      const jupyter = load("tslab/dist/jupyter") as { lastWriteDisplayData: WriteDisplayData | null };
      if (jupyter.lastWriteDisplayData) return jupyter.lastWriteDisplayData;
    } catch {
      /* not under tslab */
    }
  }
  return null;
}

/** True when running inside a tslab kernel that can show rich output. */
export function inKernel(): boolean {
  return writer() !== null;
}

/** A fresh id for a display that is later updated in place. */
export function newDisplayId(): string {
  return randomBytes(8).toString("hex");
}

export interface DisplayOptions {
  /** Display id: pass the same id with `update: true` to replace an earlier display. */
  id?: string;
  update?: boolean;
}

/**
 * Show one bundle. Returns false (and shows nothing) outside a kernel.
 */
export function displayBundle(bundle: MimeBundle, options: DisplayOptions = {}): boolean {
  const write = writer();
  if (!write) return false;
  write({ data: bundle, metadata: {}, transient: options.id ? { display_id: options.id } : {} }, !!options.update);
  return true;
}

/** Show HTML with a plain-text fallback; prints the plain text outside a kernel. */
export function showHtml(html: string, plain: string, options: DisplayOptions = {}): void {
  if (!displayBundle({ "text/html": html, "text/plain": plain }, options)) console.log(plain);
}

/** Escape text for HTML. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function cellText(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en-US") : String(+v.toPrecision(6));
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/** Render rows as a plain-text table (used for the text/plain fallback). */
export function formatTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "(no rows)";
  const cols = Array.from(new Set(rows.flatMap((r) => Object.keys(r))));
  const cells = rows.map((r) => cols.map((c) => (c in r ? cellText(r[c]) : "")));
  // Display width, not String.length: a Hangul syllable takes two columns in a terminal.
  const widths = cols.map((c, i) => Math.max(displayWidth(c), ...cells.map((row) => displayWidth(row[i]))));
  const line = (vals: string[]) => vals.map((v, i) => padDisplay(v, widths[i])).join("  ").trimEnd();
  return [line(cols), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** Show rows (objects with the same keys) as a table. */
export function showTable(rows: Record<string, unknown>[], options: { title?: string } = {}): void {
  const plain = (options.title ? options.title + "\n" : "") + formatTable(rows);
  const cols = Array.from(new Set(rows.flatMap((r) => Object.keys(r))));
  const head = cols.map((c) => `<th style="text-align:left">${escapeHtml(c)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${cols.map((c) => `<td style="text-align:left;font-family:monospace">${escapeHtml(c in r ? cellText(r[c]) : "")}</td>`).join("")}</tr>`)
    .join("");
  const caption = options.title ? `<caption style="text-align:left;font-weight:bold">${escapeHtml(options.title)}</caption>` : "";
  showHtml(`<table>${caption}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`, plain);
}

/**
 * tslab prints the value of a cell's last expression with console.log; a figure
 * that was just displayed should not be printed again as a big object.
 */
export function quietInKernel<T extends object>(value: T): T {
  Object.defineProperty(value, inspect.custom, {
    enumerable: false,
    value: () => (inKernel() ? "" : inspect({ ...value }, { depth: 1 })),
  });
  return value;
}
