/**
 * What the emulator's browser-facing paths answer: an HTML page or a redirect.
 */

/** An answer of a browser-facing path. */
export interface PageReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** An HTML page. */
export function html(status: number, body: string): PageReply {
  return { status, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, body };
}

/** A 302 to `location`. */
export function redirect(location: string): PageReply {
  return { status: 302, headers: { Location: location, 'Content-Type': 'text/html; charset=utf-8' }, body: '' };
}
