/**
 * Start an HTTP server on `host:port` and name the URL a client on this machine can reach it at.
 * Shared by the service (src/server/http.ts) and the emulator, so both answer the same URL for the
 * same address: an unspecified bind address (`0.0.0.0`, `::`) becomes its loopback address.
 * A bind failure is a `WMP_ERR_LISTEN` error that names the setting which chose the port.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WechatMpError } from '../errors.js';

/** Where to listen. */
export interface ListenOptions {
  /** Bind address (`0.0.0.0`, `::`, `127.0.0.1`, a hostname). */
  host: string;
  /** Port; 0 picks a free one. */
  port: number;
  /**
   * The setting a person changes to pick another port, named when the port is taken
   * (`PORT` for the service, `--port` for the emulator). @default 'PORT'
   */
  portSetting?: string;
}

/** `http://host:port` for a bound address; `0.0.0.0` and `::` are given as their loopback address. */
export function urlOf(address: AddressInfo): string {
  let host = address.address;
  if (host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '[::1]';
  else if (address.family === 'IPv6') host = `[${host}]`;
  return `http://${host}:${address.port}`;
}

/** A bind error in words a person can act on, keeping the system error as `cause`. */
export function listenError(err: NodeJS.ErrnoException, options: ListenOptions): WechatMpError {
  const setting = options.portSetting ?? 'PORT';
  const choose = setting.startsWith('-') ? `pass ${setting} with` : `set ${setting} to`;
  const where = `${options.host}:${options.port}`;
  let message: string;
  if (err.code === 'EADDRINUSE') {
    message = `port ${options.port} is already in use (${where}): stop the process that holds it, or ${choose} a free port`;
  } else if (err.code === 'EACCES') {
    message = `not allowed to listen on port ${options.port} (${where}): ports below 1024 need privileges; ${choose} 1024 or above`;
  } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    message = `cannot listen on host ${options.host} (${err.code}): it is not an address of this machine; use 0.0.0.0, :: or 127.0.0.1`;
  } else {
    message = `cannot listen on ${where}: ${err.message}`;
  }
  return new WechatMpError('WMP_ERR_LISTEN', message, { cause: err });
}

/**
 * Listen, rejecting on a bind error (port in use, bad host) with a `WMP_ERR_LISTEN` error;
 * resolves to the server's URL.
 */
export async function listenOn(server: http.Server, options: ListenOptions): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, options));
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return urlOf(server.address() as AddressInfo);
}
