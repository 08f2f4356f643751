/**
 * Loads the user's handlers from the module named by `WECHAT_HANDLERS`. The module exports a
 * handler map (or a HandlerRegistry) as `default` or `handlers`, or a function returning one.
 * TypeScript modules load through tsx when it is installed.
 */
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import { HandlerRegistry, type HandlerMap } from '../webhook/index.js';

const problem = (message: string) => new ConfigError([{ variable: 'WECHAT_HANDLERS', message }]);

/** Import and check a handlers module. @throws {ConfigError} naming WECHAT_HANDLERS. */
export async function loadHandlersModule(file: string): Promise<HandlerMap | HandlerRegistry> {
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
  let exported = mod.default ?? mod.handlers;
  if (typeof exported === 'function' && !(exported instanceof HandlerRegistry)) exported = await (exported as () => unknown)();
  if (exported instanceof HandlerRegistry) return exported;
  if (!exported || typeof exported !== 'object') throw problem('must export a handler map (default or `handlers`) or a function returning one');
  for (const [key, value] of Object.entries(exported)) {
    if (typeof value !== 'function') throw problem(`handler "${key}" is not a function`);
  }
  return exported as HandlerMap;
}
