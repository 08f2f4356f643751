/**
 * The access_token check of every token-authenticated API (docs/protocol.md section 3):
 * missing 41001; characters outside [A-Za-z0-9_-] 40014; unknown 40001; superseded beyond the grace
 * or invalidated by force_refresh 40001; past its lifetime 42001.
 */
import { ACCESS_TOKEN_RE } from './ids.js';
import type { EmulatorState } from './state.js';
import type { TokenRecord } from './token-registry.js';
import { tokenStatus } from './token-registry.js';

/** The errcodes a bad access_token answers. */
export type AuthErrcode = 41001 | 40014 | 40001 | 42001;

/** The token's record when it is valid now, else the errcode to answer. */
export function authenticate(
  token: string | null,
  state: EmulatorState,
): { readonly record: TokenRecord } | { readonly errcode: AuthErrcode } {
  if (token === null || token.length === 0) return { errcode: 41001 };
  if (!ACCESS_TOKEN_RE.test(token)) return { errcode: 40014 };
  const record = state.registry.get(token);
  if (!record) return { errcode: 40001 };
  const status = tokenStatus(record, state.clock.now(), state.graceMs);
  if (status === 'expired') return { errcode: 42001 };
  if (status !== 'valid') return { errcode: 40001 };
  return { record };
}

/** The configured app a token belongs to, whatever its status (to attribute counters and faults). */
export function tokenOwner(token: string | null, state: EmulatorState): string | undefined {
  return token ? state.registry.get(token)?.appId : undefined;
}
