/**
 * Defaults of the local WeChat emulator and the sandbox account it always knows.
 * Facts: docs/protocol.md sections 1-3 and 6.
 */

/**
 * The sandbox account the emulator knows unless `includeSandboxApp: false`. These are fake, public
 * credentials for local development; they work nowhere but the emulator and the simulator.
 */
export const SANDBOX_APP = {
  appId: 'wxsandbox000000001',
  secret: 'sandboxsecret0000000000000000000',
  token: 'sandboxtoken',
  encodingAESKey: 'sandboxAESkey0123456789abcdefghijklmnopqrst',
  accountId: 'gh_sandbox000001',
} as const;

/** Default host the emulator binds (loopback only). */
export const DEFAULT_EMULATOR_HOST = '127.0.0.1';
/** Default port (0: a free port). */
export const DEFAULT_EMULATOR_PORT = 0;
/** Seconds a superseded /cgi-bin/token token keeps working ("about 5 minutes"). */
export const DEFAULT_GRACE_SECONDS = 300;
/** Lifetime of an access_token in seconds. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 7200;
/** /cgi-bin/token calls per appid per day (sandbox accounts really get 200). */
export const DEFAULT_DAILY_QUOTA = 2000;
/** /cgi-bin/stable_token calls per appid per day. */
export const DEFAULT_STABLE_DAILY_QUOTA = 500_000;
/** /cgi-bin/stable_token calls per appid per minute (above it: 45011). */
export const DEFAULT_STABLE_MINUTE_QUOTA = 10_000;
/** force_refresh=true calls honoured per appid per day. */
export const DEFAULT_FORCE_REFRESH_DAILY_LIMIT = 20;
/** Minimum seconds between two honoured force_refresh calls. */
export const DEFAULT_FORCE_REFRESH_SPACING_SECONDS = 30;
/** clear_quota calls per appid per calendar month (above it: 48006). */
export const DEFAULT_CLEAR_QUOTA_MONTHLY_LIMIT = 10;
/** Errcode for a caller outside the IP whitelist (newer docs: 61004). */
export const DEFAULT_IP_ERRCODE = 40164;
/** Largest request body the emulator reads, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Largest multipart/form-data body (a media upload) the emulator reads, in bytes. */
export const MAX_UPLOAD_BODY_BYTES = 32 * 1024 * 1024;
/** Tokens remembered across all apps; the oldest are forgotten (then answer 40001) beyond this. */
export const MAX_REMEMBERED_TOKENS = 100_000;
/** Content-Type of every JSON answer, as WeChat sends it. */
export const JSON_CONTENT_TYPE = 'application/json; encoding=utf-8';
/** Stats key for requests that cannot be attributed to a configured app (unknown appid or token). */
export const UNATTRIBUTED = '-';
