/**
 * The errcode hints (src/wechat/errcode-hints.ts) and docs/errors.md's "WeChat errcodes" table say
 * the same thing; each hint reaches the WechatApiError, and an unknown errcode comes through unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERRCODE_HINTS } from '../../src/wechat/errcode-hints.js';
import { WechatApiError } from '../../src/wechat/errors.js';

function docRows(): Array<{ errcode: number; meaning: string; action: string }> {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## WeChat errcodes'));
  return section
    .split('\n')
    .filter((l) => /^\|\s*-?\d+\s*\|/.test(l))
    .map((l) => {
      const cells = l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
      assert.equal(cells.length, 3, l);
      return { errcode: Number(cells[0]), meaning: cells[1]!, action: cells[2]! };
    });
}

test('docs/errors.md lists exactly the hinted errcodes, with the same meaning and what to do', () => {
  const rows = docRows();
  assert.deepEqual(rows.map((r) => r.errcode).sort((a, b) => a - b), Object.keys(ERRCODE_HINTS).map(Number).sort((a, b) => a - b));
  for (const r of rows) assert.deepEqual({ meaning: r.meaning, action: r.action }, ERRCODE_HINTS[r.errcode], `errcode ${r.errcode}`);
});

test('the errcodes users meet first all have a hint', () => {
  for (const code of [-1, 40001, 40003, 40005, 40007, 40037, 41005, 43004, 45009, 45011, 45015, 45047, 48001, 40164, 61004]) {
    assert.ok(ERRCODE_HINTS[code], `hint for ${code}`);
  }
});

test('a hinted errcode carries the hint and says it; an unknown one comes through unchanged', () => {
  const e = new WechatApiError('/cgi-bin/message/custom/send', 45015, 'response out of time limit rid: 0123abcd-0123abcd-0123abcd');
  assert.equal(e.hint, ERRCODE_HINTS[45015]);
  assert.equal(e.rid, '0123abcd-0123abcd-0123abcd');
  assert.ok(e.message.includes(ERRCODE_HINTS[45015]!.action));
  const u = new WechatApiError('/cgi-bin/x', 99999, 'strange hint: [AbC123]');
  assert.equal(u.hint, undefined);
  assert.equal(u.errcode, 99999);
  assert.equal(u.errmsg, 'strange hint: [AbC123]');
  assert.equal(u.rid, 'AbC123');
  assert.equal(u.message, 'WeChat API /cgi-bin/x answered errcode 99999: strange hint: [AbC123]');
});
