/**
 * `npm run dev` as a person runs it (a child process): a taken port is reported with the flag that
 * picks another one.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSandbox, type SandboxProcess } from '../support/sandbox-process.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wmp-sandbox-'));
const held: net.Server[] = [];
const children: SandboxProcess[] = [];
after(async () => {
  await Promise.all(children.map((c) => c.stop()));
  await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  rmSync(dataDir, { recursive: true, force: true });
});

async function holdPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  held.push(server);
  return (server.address() as net.AddressInfo).port;
}

test('an emulator port in use names --emulator-port; a service port in use names --port', async () => {
  const taken = await holdPort();
  const emu = runSandbox(['--emulator-port', String(taken), '--port', '0', '--data-dir', dataDir]);
  children.push(emu);
  assert.equal(await emu.exited, 1);
  assert.match(emu.stderr(), new RegExp(`port ${taken} is already in use .*pass --emulator-port with a free port`));
  assert.doesNotMatch(emu.stderr(), /pass --port with/);

  const svc = runSandbox(['--emulator-port', '0', '--port', String(taken), '--data-dir', dataDir]);
  children.push(svc);
  assert.equal(await svc.exited, 1);
  assert.match(svc.stderr(), new RegExp(`port ${taken} is already in use .*pass --port with a free port`));
  assert.doesNotMatch(svc.stderr(), /set PORT to/);
});

test('a port flag that is not a port stops the sandbox naming the flag', async () => {
  for (const [flag, value] of [['--port', 'abc'], ['--emulator-port', '70000']] as const) {
    const run = runSandbox([flag, value, '--data-dir', dataDir]);
    children.push(run);
    assert.equal(await run.exited, 1);
    assert.match(run.stderr(), new RegExp(`^${flag}: expected a port from 0 to 65535`));
  }
});
