/**
 * The HTTP client against a real loopback server: the request line it sends (the query exactly as
 * `URLSearchParams` serialises it, a URL's own query kept), the whole-request timeout reaching into
 * a trickled body, and a body too large or cut short.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient, MAX_RESPONSE_BYTES } from '../../src/wechat/http-client.js';
import { UpstreamError } from '../../src/wechat/errors.js';

let server: http.Server;
let base: string;
const seen: string[] = [];
before(async () => {
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    seen.push(url);
    if (url.startsWith('/trickle')) {
      // Headers at once, then one byte every 40 ms: each gap is far under the idle timeout.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
      const t = setInterval(() => res.write(' '), 40);
      res.on('close', () => clearInterval(t));
      return;
    }
    if (url.startsWith('/huge')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.alloc(MAX_RESPONSE_BYTES + 1, 0x20));
      return;
    }
    if (url.startsWith('/cut')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"a":');
      setTimeout(() => res.destroy(), 20);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"errcode":0,"id":12345678901234567890}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = (requestTimeoutMs = 2000): HttpClient => new HttpClient({ requestTimeoutMs, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });

/** The path and query `new URL` + `searchParams.set` make of `url` and `query`. */
function expected(url: string, query: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return `${u.pathname}${u.search}`;
}

describe('HttpClient', () => {
  test('sends the query as URLSearchParams serialises it, and keeps a URL’s own query', async () => {
    const http1 = client();
    const values = ['AbC-_.*09', '', 'a b', "!'()~", '&=+%#?/', '中文 é', '\uD800x', 'x'.repeat(300)];
    const cases: Array<[string, Record<string, string>]> = [
      ...values.map((v): [string, Record<string, string>] => [`${base}/cgi-bin/x`, { access_token: 'T-1_a.b', v }]),
      [`${base}/cgi-bin/x`, { 'k y': 'v' }],
      [`${base}/cgi-bin/x`, {}],
      [`${base}/token?tenant=a&access_token=old`, { access_token: 'new' }],
      [`${base}/p%20q/r`, { a: '1' }],
    ];
    try {
      for (const [url, query] of cases) {
        seen.length = 0;
        const r = await http1.call({ method: 'GET', url, endpoint: '/x', query, retry: false });
        assert.equal(r.json.id, '12345678901234567890', 'a 64-bit id is kept exact');
        assert.deepEqual(seen, [expected(url, query)], `${url} ${JSON.stringify(query)}`);
      }
    } finally {
      await http1.close();
    }
  });

  test('the request timeout bounds a body that trickles in under the idle timeout', async () => {
    const c = client(300);
    try {
      const err = await c.call({ method: 'GET', url: `${base}/trickle`, endpoint: '/trickle', retry: true }).catch((e: unknown) => e);
      assert.ok(err instanceof UpstreamError && err.kind === 'timeout' && err.attempts === 2, String(err));
    } finally {
      await c.close();
    }
  });

  test('a body over the limit is malformed, a body cut short is a network failure', async () => {
    const c = client();
    try {
      const huge = await c.call({ method: 'GET', url: `${base}/huge`, endpoint: '/huge', retry: false }).catch((e: unknown) => e);
      assert.ok(huge instanceof UpstreamError && huge.kind === 'malformed' && /larger than/.test(huge.message), String(huge));
      const cut = await c.call({ method: 'GET', url: `${base}/cut`, endpoint: '/cut', retry: false }).catch((e: unknown) => e);
      assert.ok(cut instanceof UpstreamError && cut.kind === 'network', String(cut));
    } finally {
      await c.close();
    }
  });
});
