/**
 * The bundled example handlers the service mounts until users bring their own.
 */
import type { HandlerMap } from './registry.js';

/** Default welcome text of {@link exampleHandlers}. */
export const EXAMPLE_WELCOME_TEXT = 'Welcome! Send me a message and I will echo it back.';

/** text -> its own text; subscribe -> a welcome text; menu CLICK -> its EventKey; anything else -> `success`. */
export function exampleHandlers(options: { welcome?: string } = {}): HandlerMap {
  const welcome = options.welcome ?? EXAMPLE_WELCOME_TEXT;
  return {
    text: (message) => message.Content,
    'event:subscribe': () => welcome,
    'event:CLICK': (event) => event.EventKey,
  };
}
