/**
 * The error registry (src/errors.ts) and docs/errors.md say the same thing: every code, the classes
 * that carry it, its HTTP status, its meaning and what to do. Each documented class is a real exported
 * class whose instances carry the documented code and status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, createError, type ErrorCode } from '../src/errors.js';
import * as root from '../src/index.js';
import * as testing from '../src/testing.js';
import { statusOf } from '../src/webhook/request-error.js';

interface DocRow {
  code: ErrorCode;
  classes: string[];
  status: number;
  meaning: string;
  action: string;
}

function docRows(): DocRow[] {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  return doc
    .split('\n')
    .filter((line) => /^\|\s*`WMP_ERR_/.test(line))
    .map((line) => {
      const cells = line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\\|/g, '|'));
      assert.equal(cells.length, 5, `five columns: ${line}`);
      return {
        code: cells[0]!.replace(/`/g, '') as ErrorCode,
        classes: cells[1]!.split(',').map((c) => c.trim().replace(/`/g, '')),
        status: Number(cells[2]),
        meaning: cells[3]!,
        action: cells[4]!,
      };
    });
}

/** One instance of every exported error class, built as the code that throws it does. */
const SAMPLES: Record<string, root.WechatMpError> = {
  ConfigError: new root.ConfigError([{ variable: 'PORT', message: 'expected an integer' }]),
  InvalidOptionError: new root.InvalidOptionError('appId', 'the AppID'),
  WechatApiError: new root.WechatApiError('/cgi-bin/menu/get', 46003, 'menu no exist'),
  TokenPermanentError: new root.TokenPermanentError('/cgi-bin/token', 40125, 'invalid_appsecret', 'invalid appsecret'),
  TokenQuotaError: new root.TokenQuotaError('/cgi-bin/token', 'reach max api daily quota limit'),
  UpstreamError: new root.UpstreamError('/cgi-bin/token', 'timeout', 3, 'timed out'),
  TokenStoreError: new root.TokenStoreError('save', 'down'),
  TokenSourceError: new root.TokenSourceError('unauthorized', { status: 401 }),
  WebhookRequestError: new root.WebhookRequestError('WMP_ERR_SIGNATURE', 'invalid signature'),
  SimulationError: new testing.SimulationError('no reply', { attempts: 3 }),
};

test('docs/errors.md documents exactly the codes of the registry, with their status, meaning and what to do', () => {
  const rows = docRows();
  assert.deepEqual(rows.map((r) => r.code).sort(), Object.keys(ERROR_CODES).sort());
  for (const row of rows) {
    const info = ERROR_CODES[row.code];
    assert.equal(row.status, info.status, `${row.code} status`);
    assert.equal(row.meaning, info.meaning, `${row.code} meaning`);
    assert.equal(row.action, info.action, `${row.code} what to do`);
    assert.ok(info.action.length > 0);
  }
});

test('every documented class is exported and its instances carry the documented code and status', () => {
  const exported: Record<string, unknown> = { ...root, ...testing };
  const rows = docRows();
  for (const row of rows) {
    for (const name of row.classes) {
      assert.equal(typeof exported[name], 'function', `${name} (${row.code}) is exported`);
      if (name === 'WechatMpError' || name === 'WebhookRequestError') continue; // these take any code
      assert.equal(SAMPLES[name]?.code, row.code, `${name} carries ${row.code}`);
    }
  }
  // Every exported error class appears in the table under its code.
  for (const [name, sample] of Object.entries(SAMPLES)) {
    assert.ok(sample instanceof root.WechatMpError && sample.name === name, name);
    assert.ok(
      rows.some((r) => r.code === sample.code && r.classes.includes(name)),
      `${name} is documented under ${sample.code}`,
    );
    assert.equal(sample.action, ERROR_CODES[sample.code].action);
  }
});

test('one place decides a status: the registry, unless a factory says otherwise', () => {
  assert.equal(new root.WechatMpError('WMP_ERR_XML', 'bad').statusCode, 400);
  assert.equal(new root.UpstreamError('/x', 'network', 1, 'reset').statusCode, 503);
  // The webhook answers the registry's status for an error from the crypto layer...
  assert.equal(statusOf(new root.WechatMpError('WMP_ERR_APPID_MISMATCH', 'other app')), 401);
  assert.equal(statusOf(new root.WechatMpError('WMP_ERR_BODY_TOO_LARGE', 'big')), 413);
  // ...and nothing for an error that is not the request's fault.
  assert.equal(statusOf(new root.WechatMpError('WMP_ERR_DEDUPE_STORE', 'down')), undefined);
  assert.equal(statusOf(new Error('bug')), undefined);

  const MethodNotAllowed = createError('WMP_ERR_WEBHOOK_REQUEST', 'method not allowed', 405);
  const e = new MethodNotAllowed();
  assert.ok(e instanceof root.WechatMpError);
  assert.deepEqual([e.code, e.statusCode, e.message, MethodNotAllowed.statusCode], ['WMP_ERR_WEBHOOK_REQUEST', 405, 'method not allowed', 405]);
  assert.equal(statusOf(e), 405);
  const Missing = createError('WMP_ERR_WEBHOOK_REQUEST', (name: string) => `missing ${name}`);
  assert.deepEqual([new Missing('echostr').message, new Missing('echostr').statusCode], ['missing echostr', 400]);
});
