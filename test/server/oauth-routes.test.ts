/**
 * The service's web-login routes over real HTTP (`startService` on loopback) against the real
 * emulator's authorize and consent endpoints, carrying real Set-Cookie/Cookie headers: the default
 * session cookie, the handlers module's hooks, refused and forged requests, the config checks, and
 * that no cookie key or user token reaches a log line or a response.
 */
import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppConfig } from '../../config/index.js';
import { ConfigError } from '../../src/errors.js';
import { MAX_PENDING_LOGINS } from '../../src/oauth/login.js';
import { startService, type RunningService } from '../../src/server/service.js';
import { readSession, SESSION_COOKIE } from '../../src/server/oauth-session.js';
import { OAUTH_CALLBACK_RATE_LIMIT } from '../../src/server/oauth-routes.js';
import { SANDBOX_APP } from '../../src/emulator/index.js';
import { sandboxConfig, useEmulator, type TestEnv } from './support/sandbox-config.js';
import { DEFAULT_SANDBOX_USERS } from '../../src/emulator/h5-options.js';
import { openIdOf } from '../../src/emulator/oauth-state.js';
import { recordingLogger, type RecordingLogger } from '../support/recording-logger.js';

const KEY = 'cookie-signing-key-for-tests-0123456789abcdef';
const OLD_KEY = 'an-older-cookie-key-still-verifying-0123456789';
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const ALICE = openIdOf(SANDBOX_APP.appId, DEFAULT_SANDBOX_USERS[0]!);
const USER_TOKEN_RE = /\b(?:ut|rt)_[A-Za-z0-9_-]{20,}/;

const sandbox = useEmulator();
const services: RunningService[] = [];
/** Every response body and header seen, to check no secret was ever answered. */
const answered: string[] = [];

after(async () => {
  await Promise.all(services.map((s) => s.close()));
});

const configOf = (extra: TestEnv = {}): AppConfig => sandboxConfig(sandbox.emulator.url, { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'debug', ...extra });

async function start(extra: Record<string, string | undefined> = {}): Promise<{ service: RunningService; logs: RecordingLogger }> {
  const logs = recordingLogger();
  const service = await startService(configOf({ OAUTH_COOKIE_KEYS: `${KEY},${OLD_KEY}`, OAUTH_SCOPE: 'snsapi_userinfo', ...extra }), {
    logger: logs,
    routes: (router) => {
      router.get('/account', (ctx) => {
        ctx.body = { openid: readSession(ctx)?.openid ?? null, appUser: ctx.cookies.get('app_user', { signed: true }) ?? null };
      });
    },
  });
  services.push(service);
  return { service, logs };
}

/** A browser's cookie jar for one origin: keeps what Set-Cookie says, sends it back. */
class Jar {
  readonly cookies = new Map<string, string>();
  readonly raw: string[] = [];
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      this.raw.push(line);
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** GET without following redirects, with and into `jar`. */
async function get(url: string, jar?: Jar): Promise<Response & { text_: string }> {
  const res = await fetch(url, { redirect: 'manual', headers: jar && jar.cookies.size > 0 ? { cookie: jar.header() } : {} });
  jar?.take(res);
  const text_ = await res.text();
  answered.push(text_, JSON.stringify([...res.headers]));
  return Object.assign(res, { text_ });
}

/** Log in through the emulator as `decision` (allow as alice, or deny); the callback's response. */
async function throughConsent(service: RunningService, jar: Jar, returnTo: string, decision: 'allow' | 'deny') {
  const login = await get(`${service.url}/oauth/login?returnTo=${encodeURIComponent(returnTo)}`, jar);
  assert.equal(login.status, 302, login.text_);
  const authorize = new URL(login.headers.get('location')!);
  assert.equal(authorize.origin, new URL(sandbox.emulator.url).origin);
  assert.equal(authorize.pathname, '/connect/oauth2/authorize');
  assert.equal(authorize.searchParams.get('redirect_uri'), `${service.url}/oauth/callback`);
  const page = await get(authorize.href);
  assert.equal(page.status, 200);
  assert.match(page.text_, /id="allow-alice"/);
  const decide = new URL('/connect/oauth2/decide', sandbox.emulator.url);
  for (const k of ['appid', 'redirect_uri', 'scope', 'state']) decide.searchParams.set(k, authorize.searchParams.get(k)!);
  if (decision === 'allow') decide.searchParams.set('user', 'alice');
  decide.searchParams.set('decision', decision);
  const back = await get(decide.href);
  assert.equal(back.status, 302, back.text_);
  const callbackUrl = back.headers.get('location')!;
  assert.ok(callbackUrl.startsWith(`${service.url}/oauth/callback?`), callbackUrl);
  return { callbackUrl, res: await get(callbackUrl, jar) };
}

describe('web login of the service', () => {
  test('login -> emulator consent -> callback sets a signed HttpOnly session cookie with the OpenID -> returnTo', async () => {
    const { service, logs } = await start();
    const jar = new Jar();
    const { callbackUrl, res } = await throughConsent(service, jar, '/account?tab=1', 'allow');
    assert.equal(res.status, 302, res.text_);
    assert.equal(res.headers.get('location'), '/account?tab=1');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const session = jar.raw.find((l) => l.startsWith(`${SESSION_COOKIE}=`));
    assert.ok(session, 'the session cookie is set');
    assert.match(session, /httponly/i);
    assert.match(session, /samesite=lax/i);
    assert.match(session, /path=\//);
    assert.ok(jar.cookies.has(`${SESSION_COOKIE}.sig`), 'signed with app.keys');
    const held = JSON.parse(Buffer.from(jar.cookies.get(SESSION_COOKIE)!, 'base64url').toString('utf8')) as { o: string; e: number };
    assert.equal(held.o, ALICE, 'the OpenID, and nothing else of the grant');
    assert.deepEqual(Object.keys(held).sort(), ['e', 'o']);
    assert.ok(held.e > Date.now() && held.e <= Date.now() + 86_400_000, 'an expiry within OAUTH_SESSION_MAX_AGE_SECONDS');

    const me = await get(`${service.url}/account`, jar);
    assert.deepEqual(JSON.parse(me.text_), { openid: ALICE, appUser: null });
    assert.equal(logs.byEvent('oauth.login').length, 1);

    // The callback URL again (back button): no second exchange, straight to returnTo.
    const sns = sandbox.emulator.stats()[SANDBOX_APP.appId]?.sns;
    const again = await get(callbackUrl, jar);
    assert.equal(again.status, 302);
    assert.equal(again.headers.get('location'), '/account?tab=1');
    assert.equal(sandbox.emulator.stats()[SANDBOX_APP.appId]?.sns, sns);

    // A session cookie changed by hand fails its signature and counts as no session.
    const forged = new Jar();
    for (const [k, v] of jar.cookies) forged.cookies.set(k, v);
    forged.cookies.set(SESSION_COOKIE, Buffer.from(JSON.stringify({ o: 'oSomeoneElse', e: Date.now() + 1e9 })).toString('base64url'));
    assert.deepEqual(JSON.parse((await get(`${service.url}/account`, forged)).text_), { openid: null, appUser: null });

    // Requests were labelled by route, not by their query or an unbounded path.
    const metrics = await get(`${service.url}/metrics`);
    assert.match(metrics.text_, /route="\/oauth\/login"/);
    assert.match(metrics.text_, /route="\/oauth\/callback"/);

    const logged = logs.text();
    for (const secret of [KEY, OLD_KEY]) {
      assert.ok(!logged.includes(secret), 'no cookie key in the log');
      assert.ok(!answered.some((a) => a.includes(secret)), 'no cookie key in a response');
    }
    assert.doesNotMatch(logged, USER_TOKEN_RE, 'no user token in the log');
    assert.ok(!answered.some((a) => USER_TOKEN_RE.test(a)), 'no user token in a response');
  });

  test('a refused consent redirects to returnTo with oauth=denied and sets no session', async () => {
    const { service, logs } = await start();
    const jar = new Jar();
    const { res } = await throughConsent(service, jar, '/account#top', 'deny');
    assert.equal(res.status, 302, res.text_);
    assert.equal(res.headers.get('location'), '/account?oauth=denied#top');
    assert.ok(!jar.cookies.has(SESSION_COOKIE));
    assert.equal(logs.byEvent('oauth.denied').length, 1);
  });

  test('a forged or missing state is 403, a foreign returnTo 400, and no exchange happens', async () => {
    const { service } = await start();
    const jar = new Jar();
    await get(`${service.url}/oauth/login?returnTo=/account`, jar);
    const sns = sandbox.emulator.stats()[SANDBOX_APP.appId]?.sns ?? 0;
    const forged = await get(`${service.url}/oauth/callback?code=abc&state=${'0'.repeat(32)}`, jar);
    assert.equal(forged.status, 403);
    assert.match(forged.text_, /state does not belong to this browser/);
    const missing = await get(`${service.url}/oauth/callback?code=abc`, jar);
    assert.equal(missing.status, 403);
    // A state this browser started, presented by another browser (no cookie): refused too.
    const state = [...jar.cookies.keys()].find((k) => /^wmp_oauth_[0-9a-f]{32}$/.test(k))!.slice('wmp_oauth_'.length);
    const stranger = await get(`${service.url}/oauth/callback?code=abc&state=${state}`);
    assert.equal(stranger.status, 403);
    assert.equal(sandbox.emulator.stats()[SANDBOX_APP.appId]?.sns ?? 0, sns, 'no code was exchanged');

    // Raw `//host` and `/\\host`, and paths that dot segments or a backslash turn into `//host` once resolved.
    const evils = ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/.//evil.example/x', '/..//evil.example', '/%2e//evil.example', '/a/..//evil.example', '/./\\evil.example', '/a\\b'];
    for (const evil of evils) {
      const r = await get(`${service.url}/oauth/login?returnTo=${encodeURIComponent(evil)}`);
      assert.equal(r.status, 400, evil);
      assert.match(r.text_, /returnTo must be a path on this site/);
      assert.equal(r.headers.get('location'), null);
    }
  });

  test('a refused consent after a returnTo with dot segments cannot redirect off the site', async () => {
    const { service } = await start();
    for (const tricky of ['/.//evil.example/x', '/%2e//evil.example']) {
      const r = await get(`${service.url}/oauth/login?returnTo=${encodeURIComponent(tricky)}`);
      assert.equal(r.status, 400, tricky);
    }
    // What is accepted resolves to the same path on this site, and so does its denied target.
    const jar = new Jar();
    const { res } = await throughConsent(service, jar, '/a/./b/../c?x=1', 'deny');
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/a/c?x=1&oauth=denied');
  });

  test('login cookies are Secure when OAUTH_PUBLIC_URL is https, even when the service itself sees http', async () => {
    const { service } = await start({ OAUTH_PUBLIC_URL: 'https://h5.example.com' });
    const res = await fetch(`${service.url}/oauth/login?returnTo=/account`, { redirect: 'manual' });
    await res.text();
    const cookies = res.headers.getSetCookie();
    assert.equal(cookies.length, 2, 'the state cookie and its signature');
    for (const c of cookies) assert.match(c, /;\s*secure/i, c);
    const plain = await start();
    const r2 = await fetch(`${plain.service.url}/oauth/login?returnTo=/account`, { redirect: 'manual' });
    await r2.text();
    for (const c of r2.headers.getSetCookie()) assert.doesNotMatch(c, /;\s*secure/i, 'plain http without a public https origin');
  });

  test('a browser that keeps starting logins holds a bounded number of state cookies', async () => {
    const { service } = await start();
    const jar = new Jar();
    let most = 0;
    for (let i = 0; i < 30; i++) {
      const r = await get(`${service.url}/oauth/login?returnTo=/${'p'.repeat(900)}`, jar);
      assert.equal(r.status, 302);
      const held = [...jar.cookies.keys()].filter((k) => /^wmp_oauth_[0-9a-f]{32}$/.test(k)).length;
      most = Math.max(most, held);
    }
    assert.ok(most <= MAX_PENDING_LOGINS, `${most} state cookies held at most`);
    const header = jar.header();
    assert.ok(header.length < 16_384, `Cookie header of ${header.length} bytes`);
    // The newest login still completes.
    const { res } = await throughConsent(service, jar, '/account', 'allow');
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/account');
  });

  test('callbacks past the per-address limit get 429 with Retry-After, before any state check', async () => {
    const { service, logs } = await start();
    const statuses = new Map<number, number>();
    let retryAfter: string | null = null;
    for (let i = 0; i <= OAUTH_CALLBACK_RATE_LIMIT; i++) {
      const res = await get(`${service.url}/oauth/callback?code=abc&state=${'1'.repeat(32)}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    assert.deepEqual([...statuses], [[403, OAUTH_CALLBACK_RATE_LIMIT], [429, 1]]);
    assert.match(String(retryAfter), /^[1-9][0-9]*$/);
    assert.equal((await get(`${service.url}/oauth/login?returnTo=/account`)).status, 302, 'the login route is not limited');
    assert.equal(logs.byEvent('oauth.rate_limited').length, 1);
  });

  test('OAUTH_PUBLIC_URL builds redirect_uri; without it X-Forwarded-Host counts only with TRUST_PROXY=true', async () => {
    const pub = await start({ OAUTH_PUBLIC_URL: 'https://h5.example.com', OAUTH_LOGIN_PATH: '/login', OAUTH_CALLBACK_PATH: '/auth/back' });
    const viaPublic = new URL((await get(`${pub.service.url}/login`)).headers.get('location')!);
    assert.equal(viaPublic.searchParams.get('redirect_uri'), 'https://h5.example.com/auth/back');
    assert.equal((await get(`${pub.service.url}/oauth/login`)).status, 404, 'only the configured paths');

    const forwarded = { 'x-forwarded-host': 'proxy.example.com', 'x-forwarded-proto': 'https' };
    const redirectOf = async (service: RunningService) => {
      const res = await fetch(`${service.url}/oauth/login`, { redirect: 'manual', headers: forwarded });
      await res.text();
      return new URL(res.headers.get('location')!).searchParams.get('redirect_uri');
    };
    const direct = await start();
    assert.equal(await redirectOf(direct.service), `${direct.service.url}/oauth/callback`, 'forwarded headers ignored');
    const proxied = await start({ TRUST_PROXY: 'true' });
    assert.equal(await redirectOf(proxied.service), 'https://proxy.example.com/oauth/callback');
  });

  test("the handlers module's onLogin and onDenied replace the defaults; the grant's tokens stay out of the log", async () => {
    const calls = ((globalThis as { oauthHookCalls?: { hook: string; grant?: { openid: string; accessToken: string; refreshToken: string }; returnTo?: string }[] }).oauthHookCalls ??= []);
    calls.length = 0;
    const { service, logs } = await start({ WECHAT_HANDLERS: path.join(FIXTURES, 'oauth-hooks.mjs') });
    const jar = new Jar();
    const { res } = await throughConsent(service, jar, '/account', 'allow');
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/account');
    assert.equal(calls.length, 1);
    const grant = calls[0]!.grant!;
    assert.equal(grant.openid, ALICE);
    assert.ok(!jar.cookies.has(SESSION_COOKIE), 'no default session when the module has onLogin');
    assert.deepEqual(JSON.parse((await get(`${service.url}/account`, jar)).text_), { openid: null, appUser: ALICE });

    const denied = await throughConsent(service, new Jar(), '/account', 'deny');
    assert.equal(denied.res.status, 200);
    assert.equal(denied.res.text_, 'you said no');
    assert.deepEqual(calls[1], { hook: 'onDenied', returnTo: '/account' });

    const logged = logs.text();
    assert.ok(!logged.includes(grant.accessToken) && !logged.includes(grant.refreshToken), 'user tokens not logged');
    assert.ok(!answered.some((a) => a.includes(grant.accessToken) || a.includes(grant.refreshToken)), 'user tokens not answered');
    assert.ok(!logged.includes(KEY));
  });

  test('off unless OAUTH_COOKIE_KEYS is set', async () => {
    const logs = recordingLogger();
    const service = await startService(configOf(), { logger: logs });
    services.push(service);
    assert.equal((await get(`${service.url}/oauth/login`)).status, 404);
    assert.equal((await get(`${service.url}/oauth/callback?state=x`)).status, 404);
  });
});

describe('web-login configuration', () => {
  const problemsOf = (extra: Record<string, string | undefined>) => {
    try {
      configOf(extra);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return { problems: err.problems.map((p) => p.variable), message: err.message };
    }
    return { problems: [], message: '' };
  };

  test('bad values stop start-up naming the variable, and never echo a key', () => {
    const shortKey = 'too-short-key';
    const bad = problemsOf({ OAUTH_COOKIE_KEYS: shortKey });
    assert.deepEqual(bad.problems, ['OAUTH_COOKIE_KEYS']);
    assert.ok(!bad.message.includes(shortKey));
    const spaced = `${KEY} with spaces`;
    assert.ok(!problemsOf({ OAUTH_COOKIE_KEYS: spaced }).message.includes(spaced));
    assert.deepEqual(problemsOf({ OAUTH_COOKIE_KEYS: `${KEY},${'x'.repeat(31)}` }).problems, ['OAUTH_COOKIE_KEYS']);

    assert.deepEqual(problemsOf({ OAUTH_COOKIE_KEYS: KEY, OAUTH_SCOPE: 'snsapi_login' }).problems, ['OAUTH_SCOPE']);
    assert.deepEqual(problemsOf({ OAUTH_COOKIE_KEYS: KEY, OAUTH_LOGIN_PATH: 'login' }).problems, ['OAUTH_LOGIN_PATH']);
    assert.deepEqual(problemsOf({ OAUTH_COOKIE_KEYS: KEY, OAUTH_PUBLIC_URL: 'https://h5.example.com/app' }).problems, ['OAUTH_PUBLIC_URL']);
    assert.deepEqual(problemsOf({ OAUTH_COOKIE_KEYS: KEY, OAUTH_SESSION_MAX_AGE_SECONDS: '5' }).problems, ['OAUTH_SESSION_MAX_AGE_SECONDS']);
    assert.deepEqual(problemsOf({ OAUTH_COOKIE_KEYS: KEY, OAUTH_CALLBACK_PATH: '/oauth/login' }).problems, ['OAUTH_CALLBACK_PATH']);
    assert.deepEqual(problemsOf({ OAUTH_COOKIE_KEYS: KEY, OAUTH_CALLBACK_PATH: '/wechat' }).problems, ['OAUTH_CALLBACK_PATH']);
    assert.deepEqual(problemsOf({ OAUTH_COOKIE_KEYS: KEY, OAUTH_LOGIN_PATH: '/metrics' }).problems, ['OAUTH_LOGIN_PATH']);
    assert.deepEqual(problemsOf({ OAUTH_PUBLIC_URL: 'https://h5.example.com' }).problems, ['OAUTH_COOKIE_KEYS'], 'a login setting without the routes on');
    assert.deepEqual(problemsOf({ OAUTH_SESSION_MAX_AGE_SECONDS: '3600' }).problems, ['OAUTH_COOKIE_KEYS']);
    const viaSource = problemsOf({
      OAUTH_COOKIE_KEYS: KEY,
      WECHAT_APP_SECRET: undefined,
      WECHAT_TOKEN_SOURCE: 'http://127.0.0.1:1/internal/access-token',
      WECHAT_TOKEN_SOURCE_SECRET: 'central-token-service-secret-0001',
    });
    assert.deepEqual(viaSource.problems, ['OAUTH_COOKIE_KEYS']);
    assert.match(viaSource.message, /WECHAT_APP_SECRET/);

    const ok = configOf({ OAUTH_COOKIE_KEYS: KEY });
    assert.deepEqual({ ...ok.oauth, cookieKeys: '…' }, { cookieKeys: '…', loginPath: '/oauth/login', callbackPath: '/oauth/callback', scope: 'snsapi_base', publicUrl: undefined, sessionMaxAgeSeconds: 86400 });
  });
});
