/**
 * The consent page standing in for `open.weixin.qq.com/connect/oauth2/authorize` (docs/protocol.md
 * section 8). It checks the parameters as WeChat does (their order, `response_type=code`, the scope,
 * `state` of at most 128 characters of [a-zA-Z0-9], the `#wechat_redirect` fragment, which only the
 * page's script can see), lists the sandbox users, and on Allow redirects to
 * `redirect_uri?code=CODE&state=STATE`; on Deny to `redirect_uri?state=STATE` (no code).
 * A snsapi_base request has no Deny (WeChat asks no consent for it).
 */
import type { SandboxUser } from './h5-options.js';
import type { OAuthScope } from './oauth-state.js';
import { html, redirect, type PageReply } from './page-replies.js';
import type { EmulatorRequest } from './request.js';
import type { AppState, EmulatorState } from './state.js';

/** Path of the consent page, as on open.weixin.qq.com. */
export const AUTHORIZE_PATH = '/connect/oauth2/authorize';
/** Path the consent page's buttons submit to. */
export const DECIDE_PATH = '/connect/oauth2/decide';

const ORDER = ['appid', 'redirect_uri', 'response_type', 'scope', 'state'];
const STATE_RE = /^[a-zA-Z0-9]{0,128}$/;
const MAX_REDIRECT_URI = 2048;

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function errorPage(errcode: number | undefined, reason: string): PageReply {
  const code = errcode === undefined ? '' : `<p>errcode: <span id="errcode">${errcode}</span></p>`;
  return html(200, `<!doctype html><html><head><meta charset="utf-8"><title>Error</title></head><body><h1>Parameter error</h1><p id="reason">${esc(reason)}</p>${code}</body></html>`);
}

interface AuthorizeRequest {
  readonly app: AppState;
  readonly redirectUri: URL;
  readonly scope: OAuthScope;
  readonly state: string;
}

/** The checked parameters, or the error page WeChat would show. */
function checkParams(q: URLSearchParams, state: EmulatorState, fromLink: boolean): AuthorizeRequest | PageReply {
  if (fromLink) {
    const seen = [...q.keys()].filter((k) => ORDER.includes(k));
    const expected = ORDER.filter((k) => seen.includes(k));
    if (seen.join() !== expected.join()) return errorPage(undefined, `parameters out of order: expected ${ORDER.join(', ')}`);
  }
  const appid = q.get('appid');
  if (!appid) return errorPage(10012, 'appid missing');
  const app = state.apps.get(appid);
  if (!app) return errorPage(40013, 'invalid appid');
  const raw = q.get('redirect_uri');
  if (!raw) return errorPage(10011, 'redirect_uri missing');
  let redirectUri: URL;
  try {
    if (raw.length > MAX_REDIRECT_URI) throw new Error('too long');
    redirectUri = new URL(raw);
  } catch {
    return errorPage(10003, 'redirect_uri is not a valid absolute URL');
  }
  if (redirectUri.protocol !== 'http:' && redirectUri.protocol !== 'https:') return errorPage(10003, 'redirect_uri must be http or https');
  const hosts = app.config.oauthRedirectHosts;
  if (hosts.length > 0 && !hosts.includes(redirectUri.host)) return errorPage(10003, 'redirect_uri domain differs from the configured one');
  if (fromLink && q.get('response_type') !== 'code') return errorPage(undefined, 'response_type must be code');
  const scope = q.get('scope');
  if (!scope) return errorPage(10010, 'scope missing');
  if (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo') return errorPage(10005, 'no permission for this scope');
  const st = q.get('state') ?? '';
  if (!STATE_RE.test(st)) return errorPage(undefined, 'state must be at most 128 characters of a-zA-Z0-9');
  return { app, redirectUri, scope, state: st };
}

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${name}" value="${esc(value)}">`;
}

/** GET /connect/oauth2/authorize */
export function authorizePage(req: EmulatorRequest, state: EmulatorState): PageReply {
  const r = checkParams(req.query, state, true);
  if ('status' in r) return r;
  const common =
    hidden('appid', r.app.config.appId) + hidden('redirect_uri', r.redirectUri.href) + hidden('scope', r.scope) + hidden('state', r.state);
  const users = state.options.oauthUsers
    .map(
      (u: SandboxUser) =>
        `<li><form method="get" action="${DECIDE_PATH}">${common}${hidden('user', u.key)}${hidden('decision', 'allow')}` +
        `<button type="submit" id="allow-${esc(u.key)}">Allow as ${esc(u.nickname)}</button></form></li>`,
    )
    .join('');
  const deny =
    r.scope === 'snsapi_userinfo'
      ? `<form method="get" action="${DECIDE_PATH}">${common}${hidden('decision', 'deny')}<button type="submit" id="deny">Deny</button></form>`
      : '';
  const ask = r.scope === 'snsapi_userinfo' ? 'wants your nickname and avatar' : 'wants your identity (silent in WeChat)';
  // WeChat refuses a link without the #wechat_redirect fragment; only the page itself can see it.
  const fragmentCheck = `<script>if (location.hash !== '#wechat_redirect') { document.getElementById('consent').hidden = true; document.getElementById('fragment-error').hidden = false; }</script>`;
  return html(
    200,
    `<!doctype html><html><head><meta charset="utf-8"><title>WeChat authorization (emulator)</title></head><body>` +
      `<div id="consent"><h1>${esc(r.app.config.appId)} ${ask}</h1><p>scope: <span id="scope">${r.scope}</span></p><ul>${users}</ul>${deny}</div>` +
      `<div id="fragment-error" hidden><h1>Parameter error</h1><p id="reason">the link must end with #wechat_redirect</p></div>${fragmentCheck}</body></html>`,
  );
}

/** GET /connect/oauth2/decide: the consent page's answer; redirects to the app. */
export function decidePage(req: EmulatorRequest, state: EmulatorState): PageReply {
  const r = checkParams(req.query, state, false);
  if ('status' in r) return r;
  const target = new URL(r.redirectUri.href);
  const decision = req.query.get('decision');
  if (decision === 'deny' && r.scope === 'snsapi_userinfo') {
    target.searchParams.append('state', r.state);
    return redirect(target.href);
  }
  const user = state.options.oauthUsers.find((u) => u.key === req.query.get('user'));
  if (decision !== 'allow' || !user) return errorPage(undefined, 'choose a user or deny');
  target.searchParams.append('code', r.app.oauth.issueCode(user, r.scope, state.clock.now()));
  target.searchParams.append('state', r.state);
  return redirect(target.href);
}
