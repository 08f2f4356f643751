/**
 * The emulator's HTTP server: reads each request, routes it, counts it, applies a pending fault,
 * and answers. Started by {@link startEmulator}; `cli.ts` wraps it for the command line.
 */
import http from 'node:http';
import { WechatMpError } from '../errors.js';
import { listenOn } from '../util/listen.js';
import type { AccountData } from './account.js';
import { JSON_CONTENT_TYPE, MAX_BODY_BYTES, MAX_UPLOAD_BODY_BYTES, SANDBOX_APP } from './constants.js';
import { CONTROL_PREFIX, handleControl } from './control.js';
import type { FaultSpec } from './faults.js';
import { parseFaultSpec } from './faults.js';
import { newAccessToken } from './ids.js';
import type { StartEmulatorOptions } from './options.js';
import { resolveEmulatorOptions } from './options.js';
import { isMultipart, parseMultipart } from './multipart.js';
import type { Reply } from './replies.js';
import { wechatError } from './replies.js';
import type { EmulatorRequest, RouteMatch } from './request.js';
import { PAGES } from './pages.js';
import { ROUTES } from './routes.js';
import type { SentMessage } from './state.js';
import type { TicketType } from './h5-options.js';
import { pinTicket, readTickets } from './ticket-control.js';
import type { TicketTypeView } from './ticket-state.js';
import { EmulatorState } from './state.js';
import type { EmulatorStats } from './stats.js';

/** A running emulator. */
export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). Use it as `WECHAT_API_BASE`. */
  readonly url: string;
  /** Stop listening, drop open connections and pending delayed answers. */
  close(): Promise<void>;
  /** Emulated time in ms. */
  now(): number;
  /** Move emulated time forward by `seconds` (>= 0). */
  advanceClock(seconds: number): void;
  /** Call counters, the same JSON as `GET /__emulator/stats`. */
  stats(): EmulatorStats;
  /** Schedule a fault, the same as `POST /__emulator/faults`. @throws {WechatMpError} `WMP_ERR_EMULATOR` */
  injectFault(fault: FaultSpec): void;
  /** Pending faults with their remaining counts. */
  pendingFaults(): FaultSpec[];
  /** Forget every token, quota, menu, message, counter and fault, and undo clock advances. */
  reset(): void;
  /** Messages accepted by custom/send, oldest first. */
  messages(): SentMessage[];
  /**
   * The live data of one account (media, followers, tags, templates, QR codes, the customer-service
   * window), for tests to read and to act on as a user would. @default the sandbox account
   */
  account(appId?: string): AccountData;
  /** An app's current and valid tickets (`GET /__emulator/tickets`). @throws {WechatMpError} `WMP_ERR_EMULATOR` */
  tickets(appId: string): Record<TicketType, TicketTypeView>;
  /**
   * Make `ticket` (random when omitted) the app's current ticket of `type`, invalidating the others of
   * that type: a rotation upstream. @throws {WechatMpError} `WMP_ERR_EMULATOR`
   */
  pinTicket(appId: string, type: TicketType, ticket?: string): string;
}

const HTML_TYPE = 'text/html; charset=utf-8';

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendReply(res: http.ServerResponse, reply: Reply): void {
  if (reply.kind === 'json') {
    send(res, reply.status, JSON_CONTENT_TYPE, reply.body);
    return;
  }
  if (res.headersSent || res.destroyed) return;
  res.writeHead(reply.status, { ...reply.headers, 'Content-Type': reply.contentType, 'Content-Length': reply.body.length });
  res.end(reply.body);
}

function errorPage(status: number): string {
  const title = `${status} ${http.STATUS_CODES[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

/** A JSON body cut short, as a proxy that drops a connection mid-body would leave it. */
function truncatedBody(match: RouteMatch): string {
  if (match.faultEndpoint === 'api') return '{"errcode":0,"errmsg":"ok","ip_li';
  if (match.faultEndpoint === 'ticket') return '{"errcode":0,"errmsg":"ok","ticket":"sM4AOVdWfPE4D';
  return `{"access_token":"${newAccessToken().slice(0, 40)}`;
}

/** Read the whole body, or undefined when it exceeds `limit` bytes. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Start an emulator of api.weixin.qq.com on `host:port` (loopback and a free port by default).
 * It knows {@link SANDBOX_APP} unless `includeSandboxApp: false`.
 * @throws {InvalidOptionError} for a bad option.
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  const resolved = resolveEmulatorOptions(options);
  const state = new EmulatorState(resolved);
  const delayed = new Set<NodeJS.Timeout>();

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawContentType = req.headers['content-type'] ?? '';
    const contentType = rawContentType.toLowerCase();
    const body = await readBody(req, isMultipart(contentType) ? MAX_UPLOAD_BODY_BYTES : MAX_BODY_BYTES);
    if (body === undefined) {
      res.shouldKeepAlive = false;
      sendReply(res, wechatError(-1, 'request body too large', 413));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const request: EmulatorRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: url.searchParams,
      body,
      contentType,
      remoteAddress: req.socket.remoteAddress ?? '',
      ...(isMultipart(contentType) ? { form: (await parseMultipart(body, rawContentType)) ?? null } : {}),
    };
    if (request.path.startsWith(CONTROL_PREFIX)) {
      const out = handleControl(request, state);
      send(res, out.status, JSON_CONTENT_TYPE, JSON.stringify(out.body));
      return;
    }
    const page = PAGES.get(request.path);
    if (page) {
      const out = page(request, state);
      if (!res.headersSent) res.writeHead(out.status, { ...out.headers, 'Content-Length': Buffer.byteLength(out.body) }).end(out.body);
      return;
    }
    const route = ROUTES.get(request.path);
    if (!route) {
      sendReply(res, wechatError(-1, `invalid url ${request.path} (not emulated: the emulator lacks this endpoint)`, 404));
      return;
    }
    const match = route(request, state);
    state.counters.hit(match.appId, match.counter, request.path);
    const fault = state.faults.take(match.appId, match.faultEndpoint, match.forceRefresh);
    switch (fault?.kind) {
      case undefined:
        sendReply(res, match.respond());
        return;
      case 'errcode':
        sendReply(res, wechatError(fault.errcode ?? -1));
        return;
      case 'http': {
        const status = fault.status ?? 502;
        send(res, status, HTML_TYPE, errorPage(status));
        return;
      }
      case 'malformed':
        send(res, 200, JSON_CONTENT_TYPE, truncatedBody(match));
        return;
      case 'drop':
        req.socket.destroy();
        return;
      case 'delay': {
        // The request is processed when the delay ends, even if the client gave up meanwhile: a
        // real token call that timed out on the client side may still have rotated the token.
        const timer = setTimeout(() => {
          delayed.delete(timer);
          sendReply(res, match.respond());
        }, fault.delayMs ?? 0);
        delayed.add(timer);
        return;
      }
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      // Only a bug gets here (routes return errcodes, they do not throw); answer like WeChat does.
      sendReply(res, wechatError(-1));
    });
  });
  const url = await listenOn(server, { host: resolved.host, port: resolved.port, portSetting: resolved.portSetting });

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const t of delayed) clearTimeout(t);
        delayed.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
    now: () => state.clock.now(),
    advanceClock: (seconds) => state.clock.advance(seconds),
    stats: () => state.counters.snapshot(),
    injectFault: (fault) => state.faults.add(parseFaultSpec(fault)),
    pendingFaults: () => state.faults.list(),
    reset: () => state.reset(),
    messages: () => state.messages.map((m) => ({ ...m })),
    account: (appId = SANDBOX_APP.appId) => {
      const app = state.apps.get(appId);
      if (!app) throw new WechatMpError('WMP_ERR_EMULATOR', `no emulated account ${appId}`);
      return app.account;
    },
    tickets: (appId) => readTickets(state, appId),
    pinTicket: (appId, type, ticket) => pinTicket(state, appId, type, ticket).ticket,
  };
}
