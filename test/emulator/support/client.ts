/**
 * A small HTTP client for the emulator tests: real requests through an undici Agent owned by the
 * test file (closed in its after-hook).
 */
import { after, before, beforeEach } from 'node:test';
import { Agent, FormData, request } from 'undici';
import { SANDBOX_APP, startEmulator, type Emulator, type StartEmulatorOptions } from '../../../src/emulator/index.js';

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

export interface Client {
  get(url: string): Promise<Answer>;
  post(url: string, body: unknown, contentType?: string): Promise<Answer>;
  /** POST a multipart/form-data body. */
  upload(url: string, form: FormData): Promise<Answer & { bytes: Buffer }>;
  /** GET, keeping the body as bytes and the headers. */
  download(url: string): Promise<Answer & { bytes: Buffer; headers: Record<string, string | string[] | undefined> }>;
  /** GET /cgi-bin/token with sandbox credentials (or `appId`/`secret`). */
  token(base: string, appId?: string, secret?: string): Promise<Answer>;
  /** POST /cgi-bin/stable_token for the sandbox (or `appId`/`secret`). */
  stable(base: string, forceRefresh?: boolean, appId?: string, secret?: string): Promise<Answer>;
  close(): Promise<void>;
}

export function makeClient(): Client {
  const agent = new Agent({ keepAliveTimeout: 1000 });
  const send = async (url: string, method: 'GET' | 'POST', body?: string, contentType?: string): Promise<Answer> => {
    const res = await request(url, {
      method,
      dispatcher: agent,
      ...(body === undefined ? {} : { body, headers: { 'content-type': contentType ?? 'application/json' } }),
    });
    const text = await res.body.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), text, json };
  };
  const parse = (bytes: Buffer): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  return {
    upload: async (url, form) => {
      const res = await request(url, { method: 'POST', dispatcher: agent, body: form });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), text: bytes.toString('utf8'), json: parse(bytes), bytes };
    },
    download: async (url) => {
      const res = await request(url, { method: 'GET', dispatcher: agent });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), text: bytes.toString('utf8'), json: parse(bytes), bytes, headers: res.headers };
    },
    get: (url) => send(url, 'GET'),
    post: (url, body, contentType) => send(url, 'POST', typeof body === 'string' ? body : JSON.stringify(body), contentType),
    token: (base, appId = SANDBOX_APP.appId, secret = SANDBOX_APP.secret) =>
      send(`${base}/cgi-bin/token?grant_type=client_credential&appid=${encodeURIComponent(appId)}&secret=${encodeURIComponent(secret)}`, 'GET'),
    stable: (base, forceRefresh = false, appId = SANDBOX_APP.appId, secret = SANDBOX_APP.secret) =>
      send(
        `${base}/cgi-bin/stable_token`,
        'POST',
        JSON.stringify({ grant_type: 'client_credential', appid: appId, secret, force_refresh: forceRefresh }),
      ),
    close: () => agent.close(),
  };
}

/** A fixed base clock: Beijing noon on 2024-05-10, so a day boundary is 12 h away. */
export const FIXED_NOW = Date.UTC(2024, 4, 10, 4, 0, 0);

/** The errcode of an answer (0 when absent). */
export function errcodeOf(a: Answer): number {
  return typeof a.json?.errcode === 'number' ? a.json.errcode : 0;
}

/** The access_token of an answer; throws when absent (so a test fails loudly). */
export function tokenOf(a: Answer): string {
  const t = a.json?.access_token;
  if (typeof t !== 'string') throw new Error(`no access_token in ${a.text}`);
  return t;
}

/** What {@link useEmulatorWithToken} gives a test file. */
export interface EmulatorWithToken {
  readonly client: Client;
  /** The emulator (set by the before-hook). */
  emu: Emulator;
  /** A sandbox access_token, fresh for each test. */
  token: string;
  /** `path` on the emulator with the test's token (and `query`, starting with `&`). */
  api(path: string, query?: string): string;
}

/** Hooks for a test file: one emulator with `options`, reset before each test, which gets a fresh token. */
export function useEmulatorWithToken(options: StartEmulatorOptions): EmulatorWithToken {
  const client = makeClient();
  const state: EmulatorWithToken = {
    client,
    emu: undefined as unknown as Emulator,
    token: '',
    api: (path, query = '') => `${state.emu.url}${path}?access_token=${state.token}${query}`,
  };
  before(async () => {
    state.emu = await startEmulator(options);
  });
  after(async () => {
    await client.close();
    await state.emu?.close();
  });
  beforeEach(async () => {
    state.emu.reset();
    state.token = tokenOf(await client.token(state.emu.url));
  });
  return state;
}
