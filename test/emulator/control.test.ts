import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { isLoopbackAddress, SANDBOX_APP, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { FIXED_NOW, errcodeOf, makeClient, tokenOf } from './support/client.js';

const client = makeClient();
let emu: Emulator;

before(async () => {
  emu = await startEmulator({ clock: () => FIXED_NOW });
});
after(async () => {
  await client.close();
  await emu.close();
});

/** A non-loopback IPv4 address of this machine, if it has one. */
function externalIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

describe('control API', () => {
  test('isLoopbackAddress', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) assert.ok(isLoopbackAddress(a), a);
    for (const a of ['192.0.2.2', '10.0.0.1', '::ffff:10.0.0.1', 'fd00::2', '128.0.0.1', '', undefined, '127.0.0.1.evil']) {
      assert.ok(!isLoopbackAddress(a), String(a));
    }
  });

  const ext = externalIPv4();
  test('refuses non-loopback clients with 403 while still serving the WeChat API to them', { skip: ext ? false : 'no non-loopback IPv4 interface' }, async () => {
    // Bound to this machine's own interface address: the client's source address is then that
    // address (not loopback), yet the traffic never leaves the machine.
    const exposed = await startEmulator({ host: ext! });
    try {
      const denied = await client.get(`${exposed.url}/__emulator/stats`);
      assert.equal(denied.status, 403);
      assert.equal(denied.json?.error, 'WMP_ERR_EMULATOR');
      const clock = await client.post(`${exposed.url}/__emulator/clock`, { advanceSeconds: 100 });
      assert.equal(clock.status, 403);
      assert.equal((await client.post(`${exposed.url}/__emulator/reset`, '')).status, 403);
      tokenOf(await client.token(exposed.url));
      assert.equal(exposed.stats()[SANDBOX_APP.appId]!.token, 1, 'reset was refused');
    } finally {
      await exposed.close();
    }
  });

  test('POST clock advances emulated time; bad bodies answer 400 with a reason', async () => {
    emu.reset();
    const t = tokenOf(await client.token(emu.url));
    tokenOf(await client.token(emu.url));
    const r = await client.post(`${emu.url}/__emulator/clock`, { advanceSeconds: 301 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { now: FIXED_NOW + 301_000, advancedSeconds: 301 });
    assert.equal(emu.now(), FIXED_NOW + 301_000);
    assert.equal(errcodeOf(await client.get(`${emu.url}/cgi-bin/getcallbackip?access_token=${t}`)), 40001);
    for (const body of [{ advanceSeconds: -1 }, { advanceSeconds: 'x' }, { advance: 1 }, {}, '[]', 'nope', { advanceSeconds: 1, x: 1 }]) {
      const bad = await client.post(`${emu.url}/__emulator/clock`, body);
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(bad.json?.error, 'WMP_ERR_EMULATOR');
      assert.ok(String(bad.json?.message).length > 5);
    }
    assert.equal(emu.now(), FIXED_NOW + 301_000, 'refused bodies changed nothing');
    assert.deepEqual((await client.get(`${emu.url}/__emulator/clock`)).json, { now: FIXED_NOW + 301_000, advancedSeconds: 301 });
  });

  test('hardening: the emulator refuses an absurd clock move, and token calls keep working', async () => {
    emu.reset();
    for (const advanceSeconds of [1e300, Number.MAX_SAFE_INTEGER, 11 * 366 * 86_400]) {
      const bad = await client.post(`${emu.url}/__emulator/clock`, { advanceSeconds });
      assert.equal(bad.status, 400, String(advanceSeconds));
      assert.equal(bad.json?.error, 'WMP_ERR_EMULATOR');
    }
    assert.equal(emu.now(), FIXED_NOW, 'refused moves changed nothing');
    assert.equal((await client.post(`${emu.url}/__emulator/clock`, { advanceSeconds: 86_400 })).status, 200, 'a day ahead is fine');
    const t = tokenOf(await client.token(emu.url));
    assert.equal(errcodeOf(await client.get(`${emu.url}/cgi-bin/getcallbackip?access_token=${t}`)), 0);
  });

  test('POST reset forgets tokens, counters, faults and clock advances', async () => {
    const t = tokenOf(await client.token(emu.url));
    emu.advanceClock(50);
    emu.injectFault({ appId: '*', endpoint: '*', kind: 'drop', count: 5 });
    const r = await client.post(`${emu.url}/__emulator/reset`, '');
    assert.deepEqual(r.json, { ok: true });
    assert.equal(emu.now(), FIXED_NOW);
    assert.deepEqual(emu.pendingFaults(), []);
    assert.equal(errcodeOf(await client.get(`${emu.url}/cgi-bin/getcallbackip?access_token=${t}`)), 40001);
    const stats = emu.stats();
    assert.equal(stats['-']!.api, 1, 'the forgotten token names no app any more');
    assert.deepEqual(stats[SANDBOX_APP.appId], { token: 0, stable_token: 0, api: 0, clear_quota: 0, ticket: 0, sns: 0, endpoints: {} });
  });

  test('unknown control paths 404, wrong methods 405', async () => {
    assert.equal((await client.get(`${emu.url}/__emulator/nope`)).status, 404);
    assert.equal((await client.get(`${emu.url}/__emulator/reset`)).status, 405);
    assert.equal((await client.post(`${emu.url}/__emulator/stats`, '')).status, 405);
  });

  test('advanceClock rejects negative or non-finite seconds', () => {
    for (const s of [-1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => emu.advanceClock(s), /advanceSeconds/);
  });
});

describe('options', () => {
  test('bad options throw InvalidOptionError naming the option', async () => {
    const cases: [Parameters<typeof startEmulator>[0], string][] = [
      [{ port: -1 }, 'port'],
      [{ port: 70000 }, 'port'],
      [{ apps: [{ appId: '', secret: 'x' }] }, 'apps[0].appId'],
      [{ apps: [{ appId: 'wxa', secret: '' }] }, 'apps[0].secret'],
      [{ apps: [{ appId: 'wxa', secret: 'x' }, { appId: 'wxa', secret: 'y' }] }, 'apps[1].appId'],
      [{ apps: [{ appId: 'wxa', secret: 'x', dailyQuota: -1 }] }, 'apps[0].dailyQuota'],
      [{ graceSeconds: 8000 }, 'graceSeconds'],
      [{ tokenLifetimeSeconds: 0 }, 'tokenLifetimeSeconds'],
    ];
    for (const [opts, option] of cases) {
      await assert.rejects(startEmulator(opts), (e: unknown) => e instanceof InvalidOptionError && e.option === option, option);
    }
  });

  test('includeSandboxApp: false leaves the sandbox unknown (40013); custom lifetime and grace apply', async () => {
    const e = await startEmulator({
      includeSandboxApp: false,
      apps: [{ appId: 'wxmine0000000000001', secret: 'mine' }],
      clock: () => FIXED_NOW,
      tokenLifetimeSeconds: 600,
      graceSeconds: 10,
    });
    try {
      assert.equal(errcodeOf(await client.token(e.url)), 40013);
      const a = await client.token(e.url, 'wxmine0000000000001', 'mine');
      assert.equal(a.json?.expires_in, 600);
      tokenOf(await client.token(e.url, 'wxmine0000000000001', 'mine'));
      e.advanceClock(10);
      assert.equal(errcodeOf(await client.get(`${e.url}/cgi-bin/getcallbackip?access_token=${tokenOf(a)}`)), 40001);
    } finally {
      await e.close();
    }
  });
});

describe('CLI', () => {
  test('npm run emulator prints its URL and the sandbox credentials, serves tokens, stops on SIGTERM', async () => {
    const cli = fileURLToPath(new URL('../../src/emulator/cli.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--app', 'wxcli00000000000001:clisecret'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
        child.stdout.on('data', (d: string) => {
          out += d;
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m && out.includes('Control API')) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.once('exit', () => reject(new Error(`exited early: ${out}`)));
      });
      assert.ok(out.includes(SANDBOX_APP.appId) && out.includes(SANDBOX_APP.secret) && out.includes(SANDBOX_APP.encodingAESKey));
      assert.ok(!out.includes('clisecret'), 'secrets given with --app are not printed');
      tokenOf(await client.token(url));
      tokenOf(await client.token(url, 'wxcli00000000000001', 'clisecret'));
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('a bad flag exits 2 with the usage', async () => {
    const cli = fileURLToPath(new URL('../../src/emulator/cli.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--app', 'nocolon'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (err += d));
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(err, /--app expects APPID:SECRET/);
  });
});
