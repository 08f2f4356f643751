/**
 * A port that is taken is reported in words a person can act on: which port, and the setting that
 * picks another one (PORT for the service, --port for the emulator).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WechatMpError } from '../../src/errors.js';
import { listenOn } from '../../src/util/listen.js';

let holder: http.Server;
let port: number;
before(async () => {
  holder = http.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  port = (holder.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => holder.close(() => resolve())));

test('EADDRINUSE becomes WMP_ERR_LISTEN naming the port and PORT, with the system error as cause', async () => {
  const err = await listenOn(http.createServer(), { host: '127.0.0.1', port }).then(
    () => assert.fail('listened on a taken port'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WechatMpError);
  assert.equal(err.code, 'WMP_ERR_LISTEN');
  assert.equal(err.message, `port ${port} is already in use (127.0.0.1:${port}): stop the process that holds it, or set PORT to a free port`);
  assert.equal((err.cause as NodeJS.ErrnoException).code, 'EADDRINUSE');
  assert.match(err.action, /PORT for the service/);
});

test('a flag is named as a flag', async () => {
  await assert.rejects(listenOn(http.createServer(), { host: '127.0.0.1', port, portSetting: '--port' }), {
    code: 'WMP_ERR_LISTEN',
    message: `port ${port} is already in use (127.0.0.1:${port}): stop the process that holds it, or pass --port with a free port`,
  });
});

test('a host that is not an address of this machine is named', async () => {
  await assert.rejects(listenOn(http.createServer(), { host: '192.0.2.1', port: 0 }), {
    code: 'WMP_ERR_LISTEN',
    message: /^cannot listen on host 192\.0\.2\.1 \(EADDRNOTAVAIL\)/,
  });
});
