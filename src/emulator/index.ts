/**
 * Offline WeChat: a local emulator of api.weixin.qq.com with the real token semantics (rotation,
 * 5-minute grace, quotas, stable_token rules), fault injection and a loopback-only control API.
 * @packageDocumentation
 */
export {
  SANDBOX_APP,
  DEFAULT_EMULATOR_HOST,
  DEFAULT_EMULATOR_PORT,
  DEFAULT_GRACE_SECONDS,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  DEFAULT_DAILY_QUOTA,
  DEFAULT_STABLE_DAILY_QUOTA,
  DEFAULT_STABLE_MINUTE_QUOTA,
  DEFAULT_FORCE_REFRESH_DAILY_LIMIT,
  DEFAULT_FORCE_REFRESH_SPACING_SECONDS,
  DEFAULT_CLEAR_QUOTA_MONTHLY_LIMIT,
  DEFAULT_IP_ERRCODE,
  JSON_CONTENT_TYPE,
} from './constants.js';
export { startEmulator, type Emulator } from './server.js';
export { resolveEmulatorOptions, type EmulatorApp, type StartEmulatorOptions, type ResolvedEmulatorOptions, type ResolvedEmulatorApp } from './options.js';
export { parseFaultSpec, DEFAULT_FAULT_STATUS, MAX_FAULT_DELAY_MS, MAX_FAULT_COUNT, type FaultSpec, type FaultEndpoint, type FaultKind } from './faults.js';
export type { EmulatorStats, AppCallStats } from './stats.js';
export type { SentMessage } from './state.js';
export { isLoopbackAddress, CONTROL_PREFIX } from './control.js';
export { ACCESS_TOKEN_RE } from './ids.js';
export { ERRMSG } from './replies.js';
export { API_DOMAIN_IPS, CALLBACK_IPS } from './api-routes.js';
export type { AccountData, ScanPush, OutboundMessage, QrCodeRecord, TemplateRecord } from './account.js';
export { SANDBOX_TEMPLATES, SANDBOX_SUBSCRIBE_TEMPLATES } from './account.js';
export { DEFAULT_FOLLOWERS, DEFAULT_USER_LIST_PAGE_SIZE, DEFAULT_MEDIA_MAX_BYTES } from './account-constants.js';
export { followerOpenId } from './user-directory.js';
export {
  DEFAULT_SANDBOX_USERS,
  DEFAULT_TICKET_DAILY_QUOTA,
  DEFAULT_TICKET_LIFETIME_SECONDS,
  type SandboxUser,
  type TicketEmulationOptions,
  type TicketType,
} from './h5-options.js';
export type { TicketTypeView, TicketView } from './ticket-state.js';
export { JWEIXIN_PATHS } from './jweixin.js';
export { AUTHORIZE_PATH } from './oauth-page.js';
