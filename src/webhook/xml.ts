/**
 * XML reading with xml2js, configured for WeChat's flat messages and for speed.
 *
 * - One reused `xml2js.Parser` (parsing is synchronous with `async: false`, so no two parses overlap);
 *   building a parser per request costs more than a third of a parse. After any error the parser is
 *   replaced, because xml2js leaves a failed parser half-reset.
 * - `explicitArray: false`, `ignoreAttrs: true`, `emptyTag: ''`: one string per element, no wrapper arrays.
 * - Document type declarations are refused before parsing: sax does not expand declared entities, but
 *   refusing DTDs outright keeps billion-laughs and external-entity payloads out whatever the parser does.
 */
import xml2js from 'xml2js';
import type { XmlRecord } from './messages.js';
import { WebhookRequestError } from './request-error.js';

const PARSER_OPTIONS = {
  explicitArray: false,
  explicitRoot: true,
  ignoreAttrs: true,
  emptyTag: '',
  async: false,
  strict: true,
  trim: false,
  normalize: false,
} as const;

// `<!` is only allowed to open CDATA sections and comments.
const MARKUP_DECLARATION_RE = /<!(?!\[CDATA\[|--)/;

/** xml2js keeps its sax parser here; its `position` tells where the root element ended. */
type WithSax = xml2js.Parser & { saxParser?: { position?: number } };

let parser = new xml2js.Parser(PARSER_OPTIONS) as WithSax;
let sax: WithSax['saxParser'];
let result: unknown;
let failure: unknown;
let rootEnd = -1;
// Called synchronously when the root element closes (or on the first error).
const onParsed = (err: unknown, value: unknown): void => {
  failure = err;
  result = value;
  rootEnd = sax?.position ?? -1;
};
const TRAILING_SPACE_RE = /^\s*$/;

function malformed(reason: string, cause?: unknown): WebhookRequestError {
  return new WebhookRequestError('WMP_ERR_XML', reason, cause === undefined ? undefined : { cause });
}

/**
 * Parse a WeChat XML document whose root is `<xml>` into its children.
 * @throws {WebhookRequestError} 400 `WMP_ERR_XML` for a DTD, malformed XML, or another root.
 */
export function parseXml(text: string): XmlRecord {
  if (text.indexOf('<!') !== -1 && MARKUP_DECLARATION_RE.test(text)) {
    throw malformed('XML document type declarations are not allowed');
  }
  result = undefined;
  failure = null;
  rootEnd = -1;
  sax = parser.saxParser;
  try {
    parser.parseString(text, onParsed);
  } catch (err) {
    failure = err ?? new Error('parse failed');
  }
  const value = result;
  const err = failure;
  result = undefined;
  failure = null;
  if (err) {
    parser = new xml2js.Parser(PARSER_OPTIONS) as WithSax;
    throw malformed('malformed XML', err);
  }
  // xml2js stops at the first root and sax accepts a second one in strict mode: refuse trailing content.
  if (value !== null && value !== undefined && (rootEnd < 0 || (rootEnd < text.length && !TRAILING_SPACE_RE.test(text.slice(rootEnd))))) {
    parser = new xml2js.Parser(PARSER_OPTIONS) as WithSax;
    throw malformed('content after the root element');
  }
  if (value === null || typeof value !== 'object' || !('xml' in value)) {
    if (value === undefined) parser = new xml2js.Parser(PARSER_OPTIONS) as WithSax;
    throw malformed(value === null || value === undefined ? 'empty body' : 'root element must be <xml>');
  }
  const root = (value as { xml: unknown }).xml;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw malformed('<xml> has no fields');
  return root as XmlRecord;
}
