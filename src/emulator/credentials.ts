/**
 * Credential checks shared by /cgi-bin/token and /cgi-bin/stable_token, in the order the emulator
 * applies them: grant_type (40002), appid missing (41002), appsecret missing (41004), unknown appid
 * (40013), wrong secret (40125; never 40001, which the emulator keeps for bad tokens), frozen
 * secret (40243), caller outside the IP whitelist (40164, or 61004 when configured).
 */
import type { JsonReply } from './replies.js';
import { wechatError } from './replies.js';
import type { AppState, EmulatorState } from './state.js';

/** The parameters of a token request, whatever carried them. */
export interface TokenParams {
  readonly grantType: unknown;
  readonly appId: unknown;
  readonly secret: unknown;
}

/** The app whose credentials these are, or the error to answer. */
export function checkCredentials(
  params: TokenParams,
  state: EmulatorState,
  remoteAddress: string,
): { readonly app: AppState } | { readonly error: JsonReply } {
  if (params.grantType !== 'client_credential') return { error: wechatError(40002) };
  if (typeof params.appId !== 'string' || params.appId.length === 0) return { error: wechatError(41002) };
  if (typeof params.secret !== 'string' || params.secret.length === 0) return { error: wechatError(41004) };
  const app = state.apps.get(params.appId);
  if (!app) return { error: wechatError(40013) };
  if (params.secret !== app.config.secret) return { error: wechatError(40125) };
  if (app.config.secretFrozen) return { error: wechatError(40243) };
  if (app.config.ipNotWhitelisted) {
    const ip = remoteAddress.replace(/^::ffff:/, '');
    const code = app.config.ipErrcode;
    return { error: wechatError(code, code === 61004 ? undefined : `invalid ip ${ip} ipv6 ::ffff:${ip}, not in whitelist`) };
  }
  return { app };
}

/** The configured appid named by `value`, if any (to attribute counters and faults). */
export function knownAppId(state: EmulatorState, value: unknown): string | undefined {
  return typeof value === 'string' && state.apps.has(value) ? value : undefined;
}
