// Handlers for the service in TypeScript: WECHAT_HANDLERS=examples/handlers.ts npm run dev (or npm start).
// Keys are typed: each handler gets its own message type, and a typo (`Text`, `event:click`) does not compile.
import type { HandlerMap } from 'wechat-mp-server';

const handlers: HandlerMap = {
  text: (message) => (message.Content === 'help' ? 'Send "news" for an article, anything else for an echo.' : message.Content),
  'event:subscribe': (event) => (event.EventKey?.startsWith('qrscene_') ? `Welcome! You scanned code ${event.EventKey.slice(8)}.` : 'Welcome!'),
  'event:CLICK:V1001_TODAY': () => ({
    type: 'news',
    articles: [{ title: 'Today', description: 'What happened today', url: 'https://example.com/today', picUrl: 'https://example.com/today.jpg' }],
  }),
  'event:CLICK': (event) => `You pressed ${event.EventKey}.`,
  location: (message) => `You are at ${message.Location_X}, ${message.Location_Y}.`,
  fallback: () => undefined, // anything else: "success", no reply
};

export default handlers;
