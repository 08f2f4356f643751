/**
 * Start an HTTP server on `host:port` and name the URL a client on this machine can reach it at.
 * Shared by the service (src/server/http.ts) and the emulator, so both answer the same URL for the
 * same address: an unspecified bind address (`0.0.0.0`, `::`) becomes its loopback address.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where to listen. */
export interface ListenOptions {
  /** Bind address (`0.0.0.0`, `::`, `127.0.0.1`, a hostname). */
  host: string;
  /** Port; 0 picks a free one. */
  port: number;
}

/** `http://host:port` for a bound address; `0.0.0.0` and `::` are given as their loopback address. */
export function urlOf(address: AddressInfo): string {
  let host = address.address;
  if (host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '[::1]';
  else if (address.family === 'IPv6') host = `[${host}]`;
  return `http://${host}:${address.port}`;
}

/** Listen, rejecting on a bind error (port in use, bad host); resolves to the server's URL. */
export async function listenOn(server: http.Server, options: ListenOptions): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return urlOf(server.address() as AddressInfo);
}
