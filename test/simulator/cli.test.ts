import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANDBOX_APP } from '../../src/emulator/index.js';
import { WechatCipher } from '../../src/webhook/crypto.js';
import { encryptedReply, replyXml, startReferenceWebhook, type ReferenceWebhook } from './support/reference-webhook.js';

const CLI = fileURLToPath(new URL('../../src/simulator/cli.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const cipher = new WechatCipher(SANDBOX_APP.encodingAESKey, SANDBOX_APP.appId);
let hook: ReferenceWebhook;
let cwd: string;

before(async () => {
  hook = await startReferenceWebhook({ token: SANDBOX_APP.token, appId: SANDBOX_APP.appId, encodingAESKey: SANDBOX_APP.encodingAESKey });
  // An empty working directory: no developer .env is picked up.
  cwd = mkdtempSync(path.join(tmpdir(), 'wmp-sim-cli-'));
});
after(async () => {
  await hook.close();
  rmSync(cwd, { recursive: true, force: true });
});

/** Run the CLI with a clean environment (no WECHAT_* from the caller). */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHAT_|PORT$|WEBHOOK_PATH$)/.test(k)));
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run simulate', () => {
  test('--sandbox text "hello" in safe mode prints the verified reply and exits 0', async () => {
    hook.received.length = 0;
    hook.respond = (msg) => ({ body: encryptedReply(replyXml(msg, { payload: `<Content><![CDATA[you said: ${msg.fields.Content}]]></Content>` }), cipher, SANDBOX_APP.token) });
    const r = await run(['--sandbox', '--url', hook.url, '--mode', 'safe', '--openid', 'oCli', 'text', 'hello', 'there']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\(safe mode\) MsgId \d+/);
    assert.match(r.stdout, /answered HTTP 200 in \d+ ms after 1 attempt/);
    assert.match(r.stdout, /text reply \(encrypted; MsgSignature and AppID verified\)/);
    assert.match(r.stdout, /\| you said: hello there/);
    assert.equal(hook.received[0]!.query.get('openid'), 'oCli');
    assert.deepEqual(hook.received[0]!.problems, []);
  });

  test('reads WECHAT_* and PORT/WEBHOOK_PATH from .env; an invalid reply exits 1 with the reason', async () => {
    const port = new URL(hook.url).port;
    writeFileSync(path.join(cwd, '.env'), `WECHAT_TOKEN=${SANDBOX_APP.token}\nWECHAT_APP_ID=${SANDBOX_APP.appId}\nPORT=${port}\nWEBHOOK_PATH=/wechat\nWECHAT_MESSAGE_MODE=plain\n`);
    try {
      hook.respond = (msg) => ({ body: replyXml(msg, { createTime: Date.now() }) });
      const bad = await run(['event', 'CLICK', 'V1001']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /invalid reply: CreateTime \d+ looks like milliseconds/);
      hook.respond = () => ({ body: 'success' });
      const ok = await run(['event', 'subscribe']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /\(plain mode\)\n/);
      assert.match(ok.stdout, /no reply \("success"\)/);
    } finally {
      rmSync(path.join(cwd, '.env'));
    }
  });

  test('missing configuration or bad words exit 2 with one plain sentence; the usage is on --help only', async () => {
    const noToken = await run(['text', 'x']);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /^simulate: WECHAT_TOKEN is not set: put the webhook Token in the environment or in \.\/\.env/);
    const badWord = await run(['--sandbox', 'sticker']);
    assert.equal(badWord.code, 2);
    assert.equal(
      badWord.stderr,
      'simulate: the simulator does not know the message "sticker"; send one of text, image, voice, video, shortvideo, location, link or event\n' +
        'Run with --help for the messages and options.\n',
    );
    const nothing = await run(['--sandbox']);
    assert.match(nothing.stderr, /^simulate: nothing to send: name a message, for example: text "hello"\n/);
    const badFlag = await run(['--sandbox', '--colour', 'text', 'x']);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /^simulate: there is no option --colour\n/);
    for (const r of [noToken, badWord, nothing, badFlag]) {
      assert.doesNotMatch(r.stderr, /usage:|Invalid option|expected /, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 2, r.stderr);
    }
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: wechat-simulate \[options\] <message>/);
    assert.match(help.stdout, /event CLICK <key>/);
  });
});
