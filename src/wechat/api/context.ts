/**
 * What every API area receives from the client that hosts it.
 */
import type { Logger } from '../../log/logger.js';
import type { TokenManager } from '../../token/token-manager.js';
import type { Credential, CredentialFetcher } from '../../token/types.js';
import type { HttpClient } from '../http-client.js';
import type { ApiDownload, ApiRequest } from '../request.js';

/** The client's parts an API area may use. */
export interface ApiContext {
  /** The AppID of the client. */
  readonly appId: string;
  /** API base URL, no trailing slash. */
  readonly apiBase: string;
  /** A token-authenticated call with its one recovery from a rejected token (src/wechat/request.ts). */
  readonly request: ApiRequest;
  /** A token-authenticated download (bytes or JSON) with the same recovery. */
  readonly download: ApiDownload;
  /** The client's HTTP client, for calls that do not carry the account's access_token. */
  readonly http: HttpClient;
  /** The client's clock, ms since epoch. */
  readonly now: () => number;
  readonly logger: Logger;
  /** Register work to run when the client closes (timers, caches); runs before the HTTP pool closes. */
  onClose(fn: () => Promise<void> | void): void;
  /**
   * A credential of the token layer beside the access_token (a ticket): memory -> the client's store
   * (under its own key) -> `fetcher`, with the lease, refresh-ahead, cooldowns and events of the token.
   * Closed with the client.
   */
  credential<T>(kind: string, fetcher: CredentialFetcher, present: (c: Credential) => T): TokenManager<T>;
  /** The AppSecret (absent with a central token service); for the calls that carry it (OAuth). */
  readonly appSecret: string | undefined;
}
