/**
 * The service's HTTP lifecycle (src/server/http.ts) on a real loopback server: shutdown on busy
 * keep-alive connections, the header and request timeouts as configured, the connection cap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { listen } from '../../src/server/http.js';
import { deferred } from '../support/deferred.js';

function get(agent: http.Agent, url: string, path: string): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}${path}`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      })
      .on('error', reject);
  });
}

test('hardening: after shutdown starts, a busy keep-alive connection gets Connection: close and no further request', async () => {
  const release = deferred();
  const started = deferred();
  let served = 0;
  const running = await listen(
    (req, res) => {
      served++;
      if (req.url === '/slow') {
        started.resolve();
        void release.promise.then(() => res.end('slow'));
      } else res.end('fast');
    },
    { host: '127.0.0.1', port: 0 },
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    assert.equal((await get(agent, running.url, '/fast')).connection, 'keep-alive');
    const slow = get(agent, running.url, '/slow');
    await started.promise;
    const closed = running.close(5_000);
    release.resolve();
    const answer = await slow;
    assert.equal(answer.status, 200, 'the request in flight is answered');
    assert.equal(answer.connection, 'close', 'and told the connection ends');
    const servedBefore = served;
    // The client's next request can only go to a new connection, which is refused.
    await assert.rejects(get(agent, running.url, '/fast'));
    assert.equal(served, servedBefore, 'nothing more is served after shutdown started');
    await closed;
  } finally {
    agent.destroy();
    await running.close(0);
  }
});

/** Sends `head` and then one byte of `trickle` every 200 ms, for at most `steps` steps; resolves with the steps sent before the server closed. */
async function trickle(url: string, head: string, trickleBytes: string, steps: number): Promise<number> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await once(socket, 'connect');
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => (closed = true));
  socket.resume();
  socket.write(head);
  let sent = 0;
  for (; sent < steps && !closed; sent++) {
    await new Promise((r) => setTimeout(r, 200));
    if (!closed) socket.write(trickleBytes[sent % trickleBytes.length] ?? 'x');
  }
  socket.destroy();
  return closed ? sent : Infinity;
}

test('hardening: a client trickling its headers is cut near headersTimeout, not at Node\'s 30 s check', { timeout: 30_000 }, async () => {
  const running = await listen((_req, res) => res.end('ok'), { host: '127.0.0.1', port: 0, headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 });
  try {
    // 1 s headers timeout, checked every second: closed within ~2 s; 25 steps are 5 s.
    const steps = await trickle(running.url, 'GET / HTTP/1.1\r\nHost: x\r\n', 'X-a: b\r\n', 25);
    assert.ok(steps < 25, `closed after ${steps} steps`);
  } finally {
    await running.close(0);
  }
});

test('hardening: a client trickling its body is cut near requestTimeout', { timeout: 30_000 }, async () => {
  const running = await listen((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  }, { host: '127.0.0.1', port: 0, headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 });
  try {
    const steps = await trickle(running.url, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n', 'abcdef', 25);
    assert.ok(steps < 25, `closed after ${steps} steps`);
  } finally {
    await running.close(0);
  }
});

test('connections beyond maxConnections are closed at once', async () => {
  const running = await listen((_req, res) => res.end('ok'), { host: '127.0.0.1', port: 0, maxConnections: 3 });
  const { port } = new URL(running.url);
  const sockets: net.Socket[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const s = net.connect(Number(port), '127.0.0.1');
      await once(s, 'connect');
      sockets.push(s);
    }
    const extra = net.connect(Number(port), '127.0.0.1');
    sockets.push(extra);
    extra.on('error', () => {});
    extra.resume();
    await once(extra, 'close');
    assert.equal(running.server.maxConnections, 3);
  } finally {
    for (const s of sockets) s.destroy();
    await running.close(0);
  }
});
