/**
 * Store keys of the credentials beside an app's access_token. A ticket is kept by every store under
 * its own key, `<appId>__<kind>` (for example `wx1234__jsapi_ticket`), in the same shape as a token
 * (`access_token` holds the ticket). So the MongoDB, file, memory and custom stores keep tickets with
 * no change, their leases coordinate ticket refreshes exactly as token refreshes, and a previous
 * release's instances on the same database never read these keys (they ask only for `<appId>`).
 */
import { createHash } from 'node:crypto';
import { APPID_PATTERN } from './types.js';

/** The store key of `kind` (a lower-case name such as `jsapi_ticket`) of `appId`. */
export function credentialKey(appId: string, kind: string): string {
  const key = `${appId}__${kind}`;
  if (APPID_PATTERN.test(key)) return key;
  // Keys are at most 64 characters; a long AppID is shortened to a digest of itself.
  return `${createHash('sha256').update(appId).digest('hex').slice(0, 40)}__${kind}`.slice(0, 64);
}
