/**
 * Text shortened on whole characters, and text that is not well-formed UTF-16. Inert (no Buffer, no I/O), so every
 * module may use it, the workflow bundle included.
 *
 * A JavaScript string is UTF-16: a character beyond U+FFFF (😀) is two code units, a high and a low surrogate. A cut
 * by code units (`slice`) can keep the high one alone, which is no text: PostgreSQL refuses it, SQLite stores invalid
 * UTF-8, JSON readers show U+FFFD. A byte budget cut inside a UTF-8 sequence does the same. Every shortening goes
 * through here.
 */

declare global {
  // ES2024 (Node 20 has both); @tsconfig/node20's lib stops at ES2023.
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/** `text` with each lone surrogate replaced by U+FFFD; well-formed text is returned as is. */
export function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/**
 * The longest prefix of `text` with at most `maxChars` characters (code points): a surrogate pair is never split.
 * The result is well-formed ({@link wellFormed}) whatever the input.
 */
export function cutChars(text: string, maxChars: number): string {
  const whole = wellFormed(text);
  if (whole.length <= maxChars) return whole; // code points ≤ code units
  let end = 0;
  let chars = 0;
  while (end < whole.length && chars < maxChars) {
    end += isHighSurrogate(whole.charCodeAt(end)) ? 2 : 1;
    chars++;
  }
  return whole.slice(0, end);
}

/**
 * The longest prefix of `text` whose UTF-8 encoding takes at most `maxBytes` bytes: a character is never split (the
 * result decodes without U+FFFD at its end). The result is well-formed ({@link wellFormed}) whatever the input.
 */
export function cutUtf8(text: string, maxBytes: number): string {
  const whole = wellFormed(text);
  if (whole.length * 3 <= maxBytes) return whole; // a UTF-16 unit is at most 3 bytes of UTF-8 (a pair: 4 for 2)
  let end = 0;
  let bytes = 0;
  while (end < whole.length) {
    const unit = whole.charCodeAt(end);
    const [units, size] = isHighSurrogate(unit) ? [2, 4] : [1, unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3];
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += units;
  }
  return whole.slice(0, end);
}

/**
 * The path (`payload.greeting`, `jobs.0.description`) of the first string or object key in a parsed JSON value that
 * is not well-formed (holds a lone surrogate, as `"\ud800"` parses to), or null if all are. A bad key is named by
 * its path with the key made well-formed; an empty path means the value itself.
 */
export function illFormedPath(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.isWellFormed() ? null : path;
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = illFormedPath(value[i], join(path, String(i)));
      if (found !== null) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const at = join(path, wellFormed(key));
    if (!key.isWellFormed()) return at;
    const found = illFormedPath(item, at);
    if (found !== null) return found;
  }
  return null;
}

const UNIT_WORDS: readonly [number, string][] = [
  [86_400, 'day'],
  [3_600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/** Whole seconds in words, largest unit first: `5400` → `1 hour 30 minutes`; `0` → an empty string. */
export function durationWords(seconds: number): string {
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, word] of UNIT_WORDS) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n) parts.push(`${n} ${word}${n === 1 ? '' : 's'}`);
  }
  return parts.join(' ');
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
