/**
 * A strict check of passive-reply XML, independent of the webhook's own parser: a small hand-written
 * strict reader builds an element tree (no xml2js, no sax), then the tree must match WeChat's reply schema exactly
 * (root <xml>, the common fields, a known MsgType, exactly the children that type allows, CreateTime
 * in seconds, To/From as expected).
 */
export interface XmlNode {
  name: string;
  text: string;
  cdata: boolean;
  children: XmlNode[];
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARS_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/**
 * A deliberately small, strict XML reader for the reply subset: an optional XML declaration, then
 * elements without attributes holding text, CDATA sections and elements. Anything else (DTDs,
 * comments, processing instructions, attributes, stray `<` or `&`, mismatched tags, forbidden
 * characters, a second root) throws.
 */
export function strictTree(xml: string): XmlNode {
  if (FORBIDDEN_CHARS_RE.test(xml)) throw new Error('character not allowed in XML 1.0');
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 30))}`);
  };
  const skipSpace = (): void => {
    while (i < xml.length && ' \t\r\n'.includes(xml[i] as string)) i++;
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated declaration');
    i = end + 2;
  }
  skipSpace();
  const element = (): XmlNode => {
    if (xml[i] !== '<') fail('expected <');
    i++;
    const m = NAME_RE.exec(xml.slice(i));
    if (!m) return fail('expected an element name');
    const name = m[0];
    i += name.length;
    if (xml[i] !== '>') fail(`<${name}> must have no attributes`);
    i++;
    const node: XmlNode = { name, text: '', cdata: false, children: [] };
    for (;;) {
      if (i >= xml.length) fail(`<${name}> is not closed`);
      if (xml.startsWith('<![CDATA[', i)) {
        const end = xml.indexOf(']]>', i + 9);
        if (end < 0) fail('unterminated CDATA');
        node.text += xml.slice(i + 9, end);
        node.cdata = true;
        i = end + 3;
      } else if (xml.startsWith('</', i)) {
        i += 2;
        if (!xml.startsWith(`${name}>`, i)) fail(`expected </${name}>`);
        i += name.length + 1;
        return node;
      } else if (xml[i] === '<') {
        node.children.push(element());
      } else if (xml[i] === '&') {
        const end = xml.indexOf(';', i);
        const entity = end < 0 ? undefined : ENTITIES[xml.slice(i + 1, end)];
        if (entity === undefined) fail('unknown entity');
        node.text += entity;
        i = end + 1;
      } else {
        if (xml.startsWith(']]>', i)) fail('"]]>" outside CDATA');
        node.text += xml[i];
        i++;
      }
    }
  };
  const root = element();
  skipSpace();
  if (i !== xml.length) fail('content after the root element');
  for (const n of walk(root)) if (n.children.length > 0 && n.text.trim() !== '') throw new Error(`<${n.name}> mixes text and elements`);
  return root;
}

function* walk(n: XmlNode): Generator<XmlNode> {
  yield n;
  for (const c of n.children) yield* walk(c);
}

const SCHEMAS: Record<string, { required: string[]; optional: string[] }> = {
  text: { required: ['Content'], optional: [] },
  image: { required: ['Image'], optional: [] },
  voice: { required: ['Voice'], optional: [] },
  video: { required: ['Video'], optional: [] },
  music: { required: ['Music'], optional: [] },
  news: { required: ['ArticleCount', 'Articles'], optional: [] },
  transfer_customer_service: { required: [], optional: ['TransInfo'] },
};
const NESTED: Record<string, { required: string[]; optional: string[] }> = {
  Image: { required: ['MediaId'], optional: [] },
  Voice: { required: ['MediaId'], optional: [] },
  Video: { required: ['MediaId'], optional: ['Title', 'Description'] },
  Music: { required: ['ThumbMediaId'], optional: ['Title', 'Description', 'MusicUrl', 'HQMusicUrl'] },
  TransInfo: { required: ['KfAccount'], optional: [] },
  item: { required: ['Title'], optional: ['Description', 'PicUrl', 'Url'] },
};

function checkChildren(node: XmlNode, schema: { required: string[]; optional: string[] }, where: string): void {
  const names = node.children.map((c) => c.name);
  if (new Set(names).size !== names.length && node.name !== 'Articles') throw new Error(`${where}: repeated children ${names.join(',')}`);
  for (const r of schema.required) if (!names.includes(r)) throw new Error(`${where}: missing <${r}>`);
  for (const n of names) if (!schema.required.includes(n) && !schema.optional.includes(n)) throw new Error(`${where}: unexpected <${n}>`);
  for (const c of node.children) {
    const nested = NESTED[c.name];
    if (nested) checkChildren(c, nested, `${where}/${c.name}`);
    else if (c.name !== 'Articles' && c.children.length > 0) throw new Error(`${where}/${c.name}: unexpected children`);
  }
}

/** The reply's fields after a strict check; throws with the reason when it is not a valid passive reply. */
export function checkReplyXml(xml: string, expect: { toUser: string; fromUser: string; nowSeconds?: number }): { msgType: string; root: XmlNode } {
  const root = strictTree(xml);
  if (root.name !== 'xml') throw new Error(`root is <${root.name}>`);
  const field = (name: string): XmlNode => {
    const found = root.children.filter((c) => c.name === name);
    if (found.length !== 1) throw new Error(`expected one <${name}>, found ${found.length}`);
    return found[0] as XmlNode;
  };
  const to = field('ToUserName');
  const from = field('FromUserName');
  if (!to.cdata || to.text !== expect.toUser) throw new Error(`ToUserName ${to.text} != ${expect.toUser}`);
  if (!from.cdata || from.text !== expect.fromUser) throw new Error(`FromUserName ${from.text} != ${expect.fromUser}`);
  const createTime = field('CreateTime').text;
  if (!/^\d{10}$/.test(createTime)) throw new Error(`CreateTime ${createTime} is not seconds`);
  const now = expect.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(Number(createTime) - now) > 60) throw new Error(`CreateTime ${createTime} is not now`);
  const msgType = field('MsgType').text;
  const schema = SCHEMAS[msgType];
  if (!schema) throw new Error(`unknown MsgType ${msgType}`);
  const rest: XmlNode = { ...root, children: root.children.filter((c) => !['ToUserName', 'FromUserName', 'CreateTime', 'MsgType'].includes(c.name)) };
  checkChildren(rest, schema, `xml(${msgType})`);
  if (msgType === 'news') {
    const count = Number(field('ArticleCount').text);
    const items = field('Articles').children;
    if (items.some((i) => i.name !== 'item')) throw new Error('Articles holds something other than <item>');
    if (count !== items.length || count < 1 || count > 8) throw new Error(`ArticleCount ${count} vs ${items.length} items`);
  }
  return { msgType, root };
}

/** Text of a child path like ['Video', 'Title']. */
export function textAt(root: XmlNode, path: string[]): string | undefined {
  let node: XmlNode | undefined = root;
  for (const p of path) node = node?.children.find((c) => c.name === p);
  return node?.text;
}
