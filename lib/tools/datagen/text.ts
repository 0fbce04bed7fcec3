/**
 * Small text helpers the templates need: Korean particles that depend on the
 * previous syllable (은/는, 이/가, 을/를 …), English articles, capitals,
 * character counts, and the one language test the course uses (any Hangul → Korean).
 * (UTF-8 byte counts: `utf8Bytes(s).length` from lib/tokenizer/base.)
 */

/** True for a precomposed Hangul syllable (가 … 힣). */
export function isHangulSyllable(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return c >= 0xac00 && c <= 0xd7a3;
}

/** Final consonant index (0 = none, 8 = ㄹ) of the word's last Hangul syllable. */
export function finalConsonant(word: string): number {
  const last = word.charAt(word.length - 1);
  if (!isHangulSyllable(last)) {
    throw new Error(`finalConsonant: "${word}" does not end in a Hangul syllable (templates must put particles after Korean words only)`);
  }
  return (last.charCodeAt(0) - 0xac00) % 28;
}

/** True when the word's last syllable has a final consonant (받침). */
export function hasBatchim(word: string): boolean {
  return finalConsonant(word) !== 0;
}

// Particle pairs: [after a final consonant, after a vowel]. Either form can be asked for.
const PARTICLES: [string, string][] = [
  ["은", "는"],
  ["이", "가"],
  ["을", "를"],
  ["과", "와"],
  ["아", "야"],
  ["이랑", "랑"],
  ["이다", "다"],
  ["이었다", "였다"],
  ["이에요", "예요"],
  ["이세요", "세요"],
  ["이라는", "라는"],
  ["이라고", "라고"],
  ["이야", "야"],
  ["이나", "나"],
  ["이잖아", "잖아"],
];

/**
 * The word followed by the right form of a particle:
 * `josa("철수", "은")` → "철수는", `josa("지훈", "는")` → "지훈은",
 * `josa("집", "로")` → "집으로", `josa("길", "으로")` → "길로" (ㄹ takes 로).
 */
export function josa(word: string, particle: string): string {
  if (particle === "으로" || particle === "로") {
    const fc = finalConsonant(word);
    return word + (fc === 0 || fc === 8 ? "로" : "으로");
  }
  for (const [withFinal, withoutFinal] of PARTICLES) {
    if (particle === withFinal || particle === withoutFinal) {
      return word + (hasBatchim(word) ? withFinal : withoutFinal);
    }
  }
  throw new Error(`josa: unknown particle "${particle}"`);
}

/** "a" or "an" for an English noun phrase (by its first letter; enough for our lexicon). */
export function article(noun: string): "a" | "an" {
  return /^[aeiou]/i.test(noun) ? "an" : "a";
}

/** "a baker", "an engineer". */
export function withArticle(noun: string): string {
  return `${article(noun)} ${noun}`;
}

/** First letter upper-cased. */
export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Number of Unicode code points (what the course calls "characters"). */
export function charCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++; // count a surrogate pair once
  }
  return n;
}

/** The course's language test for a corpus document: any Hangul syllable → "ko", else "en". */
export function detectLang(text: string): "en" | "ko" {
  return /[\uac00-\ud7a3]/.test(text) ? "ko" : "en";
}
