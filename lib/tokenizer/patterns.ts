/**
 * Regex pre-tokenisation: before BPE sees any bytes, the text is cut into
 * chunks (words with their leading space, runs of digits, runs of punctuation,
 * whitespace). Merges never cross a chunk boundary, so " dog." can never become
 * one token, and "dog" means the same token everywhere.
 *
 * These are the split patterns of the real GPT tokenizers, written exactly as
 * js-tiktoken ships them (JavaScript has no possessive quantifiers, so the
 * cl100k/o200k patterns differ slightly in spelling from OpenAI's Python ones;
 * tests check they equal js-tiktoken's strings). Use them with the "gu" flags.
 */

/** GPT-2 (and GPT-3's r50k/p50k): contractions, ` ?letters`, ` ?digits`, ` ?other`, whitespace. */
export const GPT2_SPLIT_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/**
 * GPT-4's cl100k_base: case-insensitive contractions, one non-letter may lead a
 * word, numbers in groups of at most 3 digits, newlines kept apart.
 */
export const GPT4_SPLIT_PATTERN =
  "('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** GPT-4o's o200k_base: like cl100k, but splits CamelCase words and keeps combining marks in words. */
export const O200K_SPLIT_PATTERN =
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** The patterns by name (also the names accepted in saved tokenizer files). */
export const SPLIT_PATTERNS: Record<string, string> = {
  gpt2: GPT2_SPLIT_PATTERN,
  gpt4: GPT4_SPLIT_PATTERN,
  cl100k: GPT4_SPLIT_PATTERN,
  o200k: O200K_SPLIT_PATTERN,
};

/** Compile a split pattern (global + unicode flags), with a clear error for a bad one. */
export function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern, "gu");
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`Invalid split pattern ${JSON.stringify(pattern)}: ${why}. Use one of GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN, O200K_SPLIT_PATTERN, or "" for no split.`);
  }
}

/**
 * Cut `text` into pre-tokenisation chunks. An empty pattern means "no split":
 * the whole text is one chunk (plain BPE, like minbpe's BasicTokenizer).
 * The chunks always join back to `text` exactly (every pattern above ends in
 * `\s+` and a catch-all, so no character is skipped).
 */
export function splitText(text: string, pattern: string | RegExp): string[] {
  if (text.length === 0) return [];
  if (pattern === "") return [text];
  const re = typeof pattern === "string" ? compilePattern(pattern) : pattern;
  re.lastIndex = 0;
  const out: string[] = [];
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex++; // never loop on an empty match
      continue;
    }
    if (m.index !== end) throw skippedTextError(text, end, m.index);
    out.push(m[0]);
    end = m.index + m[0].length;
  }
  if (end !== text.length) throw skippedTextError(text, end);
  return out;
}

/** The error for a split pattern that matched nothing in text[from, to). */
export function skippedTextError(text: string, from: number, to = text.length): Error {
  return new Error(
    `The split pattern skipped ${JSON.stringify(text.slice(from, Math.min(to, from + 20)))} at index ${from}: ` +
      "a split pattern must match every character, or that text would be lost. End the pattern with a catch-all such as |\\s+|[^]+.",
  );
}
