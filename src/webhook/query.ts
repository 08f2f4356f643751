/**
 * The webhook's query string, reduced to the six values WeChat sends. Cheaper than Koa's `ctx.query`
 * (a URLSearchParams walk into a fresh object per request), and strict: a value given twice counts as
 * missing, so `?signature=a&signature=b` cannot be read two ways.
 */

/** Query values the webhook reads; undefined when absent, empty, repeated or not decodable. */
export interface WebhookQuery {
  signature: string | undefined;
  timestamp: string | undefined;
  nonce: string | undefined;
  echostr: string | undefined;
  encrypt_type: string | undefined;
  msg_signature: string | undefined;
}

type Name = keyof WebhookQuery;
const NAMES = new Map<string, { name: Name; bit: number }>(
  (['signature', 'timestamp', 'nonce', 'echostr', 'encrypt_type', 'msg_signature'] as const).map((name, i) => [name, { name, bit: 1 << i }]),
);

function decode(raw: string): string | undefined {
  if (raw.indexOf('%') === -1 && raw.indexOf('+') === -1) return raw;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return undefined; // malformed percent-encoding
  }
}

/** Parse a raw query string (without `?`). */
export function parseWebhookQuery(querystring: string): WebhookQuery {
  const q: WebhookQuery = { signature: undefined, timestamp: undefined, nonce: undefined, echostr: undefined, encrypt_type: undefined, msg_signature: undefined };
  let seen = 0;
  let start = 0;
  // Bounded by the query string's length: each round consumes one `&`-separated pair.
  while (start <= querystring.length) {
    let end = querystring.indexOf('&', start);
    if (end === -1) end = querystring.length;
    const eq = querystring.indexOf('=', start);
    if (eq !== -1 && eq < end) {
      const known = NAMES.get(querystring.slice(start, eq));
      if (known !== undefined) {
        if (seen & known.bit) q[known.name] = undefined; // repeated: ambiguous, treat as missing
        else {
          seen |= known.bit;
          const value = decode(querystring.slice(eq + 1, end));
          q[known.name] = value === '' ? undefined : value;
        }
      }
    }
    start = end + 1;
  }
  return q;
}
