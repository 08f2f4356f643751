/**
 * A small, synchronous reading of WeChat's flat XML (xml2js with sax in strict mode): the root
 * element's name and its children, with helpers that fail with a precise reason.
 */
import xml2js from 'xml2js';

/** A parsed document. */
export interface XmlDocument {
  readonly rootName: string;
  readonly root: Record<string, unknown>;
}

/**
 * Index just past the root element's end tag, in a document sax already found well-formed.
 * CDATA sections, comments, the prolog and processing instructions are skipped, so a `<` inside
 * them cannot fool the count.
 */
function endOfRoot(text: string): number {
  const token = /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|<[?!][^>]*>|<\/[^>]+>|<[^>]*?\/>|<[^>]+>/g;
  let depth = 0;
  for (let m = token.exec(text); m; m = token.exec(text)) {
    const t = m[0];
    if (t.startsWith('<![CDATA[') || t.startsWith('<!') || t.startsWith('<?')) continue;
    if (t.startsWith('</')) depth -= 1;
    else if (!t.endsWith('/>')) depth += 1;
    if (depth === 0) return token.lastIndex;
  }
  return text.length;
}

/** Parse `text`; returns the reason it is not a single well-formed XML document instead. */
export function parseXmlDocument(text: string): XmlDocument | { readonly error: string } {
  const trimmed = text.trim();
  if (!trimmed.startsWith('<')) return { error: 'not XML' };
  let result: unknown;
  let failure: unknown;
  let called = false;
  // With async: false xml2js calls back synchronously; it may call back twice on some errors.
  new xml2js.Parser({ explicitArray: true, explicitRoot: true, async: false, strict: true }).parseString(trimmed, (err: unknown, r: unknown) => {
    if (called) return;
    called = true;
    failure = err;
    result = r;
  });
  if (failure || !called) return { error: `not well-formed XML (${failure instanceof Error ? failure.message.split('\n')[0] : 'parse error'})` };
  if (typeof result !== 'object' || result === null) return { error: 'empty XML document' };
  const [rootName] = Object.keys(result);
  if (rootName === undefined) return { error: 'empty XML document' };
  // sax ignores what follows the root element (even a second root); WeChat would not.
  const end = endOfRoot(trimmed);
  if (end !== trimmed.length) return { error: `content after the root element </${rootName}>` };
  const value = (result as Record<string, unknown>)[rootName];
  const root = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  return { rootName, root };
}

/** The text of child `name` of `node`: undefined when absent; `{error}` when repeated or not text. */
export function childText(node: Record<string, unknown>, name: string): string | undefined | { readonly error: string } {
  const list = node[name];
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.length !== 1) return { error: `<${name}> appears ${Array.isArray(list) ? list.length : 0} times` };
  const v: unknown = list[0];
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && Object.keys(v).every((k) => k === '_' || k === '$')) {
    const t = (v as { _?: unknown })._;
    return typeof t === 'string' ? t : '';
  }
  return { error: `<${name}> must hold text, not elements` };
}

/** Child element `name` of `node`: its children, `undefined` when absent, or `{error}`. */
export function childElement(
  node: Record<string, unknown>,
  name: string,
): { readonly element: Record<string, unknown> } | { readonly error: string } | undefined {
  const list = node[name];
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.length !== 1) return { error: `<${name}> appears ${Array.isArray(list) ? list.length : 0} times` };
  const v: unknown = list[0];
  if (typeof v === 'object' && v !== null) return { element: v as Record<string, unknown> };
  if (v === '') return { element: {} };
  return { error: `<${name}> must hold elements` };
}

/** The list of `name` children (possibly empty). */
export function children(node: Record<string, unknown>, name: string): unknown[] {
  const list = node[name];
  return Array.isArray(list) ? list : [];
}
