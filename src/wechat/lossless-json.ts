/**
 * JSON parsing that keeps 64-bit integers exact.
 *
 * WeChat returns ids such as `msgid` as bare JSON numbers above 2^53, which `JSON.parse` rounds.
 * Node 20 has no reviver access to the source text, so the raw text is scanned once: every integer
 * literal outside a string that is not a safe integer is quoted, then `JSON.parse` runs as usual.
 * Such values come back as strings (`"3147483648123456789"`); safe integers and floats stay numbers.
 */

const DIGIT_0 = 48;
const DIGIT_9 = 57;

/** Parse JSON text, returning unsafe integers as their exact decimal strings. Throws like `JSON.parse`. */
export function parseJsonLossless(text: string): unknown {
  // Fast path: no run of 16+ digits means no integer can exceed 2^53 (16 digits).
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  let out = '';
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Skip a string literal, honouring backslash escapes.
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) {
          i++;
          break;
        } else i++;
      }
      continue;
    }
    if (c === 45 /* - */ || (c >= DIGIT_0 && c <= DIGIT_9)) {
      const start = i;
      i++;
      let integer = true;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d >= DIGIT_0 && d <= DIGIT_9) i++;
        else if (d === 46 /* . */ || d === 101 /* e */ || d === 69 /* E */ || d === 43 /* + */ || d === 45 /* - */) {
          integer = false;
          i++;
        } else break;
      }
      if (integer) {
        const literal = text.slice(start, i);
        if (!Number.isSafeInteger(Number(literal))) {
          out += text.slice(last, start) + '"' + literal + '"';
          last = i;
        }
      }
      continue;
    }
    i++;
  }
  return JSON.parse(last === 0 ? text : out + text.slice(last));
}
