/**
 * wechat-mp-server/server: the service. `loadConfig` reads and checks the environment (config/),
 * `createApp` composes the Koa app (webhook, token client, health, metrics, token service),
 * `startService` runs it, `listen` is its HTTP lifecycle; `readSession`/`writeSession`/`clearSession`
 * are the web-login session cookie (for handlers and routes of your own). `test/exports.test.ts` pins this list.
 * @packageDocumentation
 */
export { loadConfig, type AppConfig, type LoadConfigOptions } from '../../config/index.js';
export { createApp, type AppDeps, type WechatApp } from './app.js';
export { startService, type StartServiceOptions, type RunningService } from './service.js';
export { readSession, writeSession, clearSession, SESSION_COOKIE, type WebSession, type SessionCookieOptions } from './oauth-session.js';
export type { OAuthHooks } from './oauth-routes.js';
export { listen, type RunningServer, type ListenOptions } from './http.js';
export { ServiceMetrics, type TokenGaugeSource } from '../metrics/metrics.js';
