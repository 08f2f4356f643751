/**
 * Loads the user's handlers from the module named by `WECHAT_HANDLERS`. The module exports a
 * handler map (or a HandlerRegistry) as `default` or `handlers`, or a function returning one, and
 * may export the web-login hooks `onLogin(ctx, grant)` and `onDenied(ctx, returnTo)` (a module with
 * only those keeps the bundled example handlers). TypeScript modules load through tsx when it is
 * installed.
 */
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import { HandlerRegistry, type HandlerMap } from '../webhook/index.js';
import type { OAuthHooks } from './oauth-routes.js';

/** What a handlers module provides. */
export interface HandlersModule {
  /** Undefined when the module exports only web-login hooks. */
  readonly handlers: HandlerMap | HandlerRegistry | undefined;
  readonly oauth: OAuthHooks;
}

const problem = (message: string) => new ConfigError([{ variable: 'WECHAT_HANDLERS', message }]);

/** Import and check a handlers module. @throws {ConfigError} naming WECHAT_HANDLERS. */
export async function loadHandlersModule(file: string): Promise<HandlersModule> {
  if (/\.[cm]?ts$/.test(file)) {
    try {
      const { register } = (await import('tsx/esm/api')) as { register: () => unknown };
      register();
    } catch {
      throw problem('is a TypeScript module but tsx is not installed; compile it to JavaScript or install tsx');
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw problem(`could not be imported (${(err as NodeJS.ErrnoException).code ?? (err as Error).name}: ${(err as Error).message.split('\n')[0]})`);
  }
  const oauth = oauthHooksOf(mod);
  let exported = mod.default ?? mod.handlers;
  if (exported === undefined && (oauth.onLogin || oauth.onDenied)) return { handlers: undefined, oauth };
  if (typeof exported === 'function' && !(exported instanceof HandlerRegistry)) exported = await (exported as () => unknown)();
  if (exported instanceof HandlerRegistry) return { handlers: exported, oauth };
  if (!exported || typeof exported !== 'object') throw problem('must export a handler map (default or `handlers`) or a function returning one');
  for (const [key, value] of Object.entries(exported)) {
    if (typeof value !== 'function') throw problem(`handler "${key}" is not a function`);
  }
  return { handlers: exported as HandlerMap, oauth };
}

/** The module's `onLogin` and `onDenied`, each a function when exported. */
function oauthHooksOf(mod: Record<string, unknown>): OAuthHooks {
  const hooks: { -readonly [K in keyof OAuthHooks]: OAuthHooks[K] } = {};
  for (const name of ['onLogin', 'onDenied'] as const) {
    const v = mod[name];
    if (v === undefined) continue;
    if (typeof v !== 'function') throw problem(`export "${name}" is not a function`);
    hooks[name] = v as never;
  }
  return hooks;
}
