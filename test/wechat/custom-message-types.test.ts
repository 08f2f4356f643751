/**
 * The customer-service message is a discriminated union: the compiler rejects a wrong `msgtype`, or a
 * body that does not fit its msgtype. Checked with the TypeScript compiler on a virtual file that
 * imports the real type, so `npm test` fails if the union ever loosens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagnose as check } from '../support/typecheck.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const VIRTUAL = path.join(REPO, 'test', 'wechat', '__virtual_custom_message__.ts');

const diagnose = (source: string): string[] => check(VIRTUAL, source);

const HEADER = "import type { CustomMessage } from '../../src/wechat/api/message.js';\n";

test('tsc accepts each msgtype with its body', () => {
  const ok = diagnose(
    `${HEADER}const m: CustomMessage[] = [
      { touser: 'o', msgtype: 'text', text: { content: 'hi' } },
      { touser: 'o', msgtype: 'image', image: { media_id: 'm' } },
      { touser: 'o', msgtype: 'miniprogrampage', miniprogrampage: { title: 't', appid: 'a', pagepath: 'p', thumb_media_id: 'm' } },
    ];
    export { m };`,
  );
  assert.deepEqual(ok, []);
});

test("tsc rejects msgtype: 'txt' and a body that does not fit its msgtype", () => {
  const wrongType = diagnose(`${HEADER}export const m: CustomMessage = { touser: 'o', msgtype: 'txt', text: { content: 'hi' } };`);
  assert.equal(wrongType.length, 1, wrongType.join('\n'));
  assert.match(wrongType[0]!, /"txt"/);
  const wrongBody = diagnose(`${HEADER}export const m: CustomMessage = { touser: 'o', msgtype: 'image', text: { content: 'hi' } };`);
  assert.equal(wrongBody.length, 1, wrongBody.join('\n'));
});
