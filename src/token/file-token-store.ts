/**
 * Token store in a directory: the embedded default, safe for several processes on one host.
 *
 * - Writes go to a unique temporary file that is then renamed over the token file, so a reader sees the
 *   old token or the new one, never a torn write.
 * - The refresh lease is a lock file created atomically: its content is written to a temporary file that
 *   is then hard-linked to the lock name (`link` fails with EEXIST if the lock exists, like O_EXCL, and
 *   the lock never exists without its content). The content names the owner and the lease expiry.
 * - A crashed holder's lock expires: a lock past its expiry is broken under a second, short-lived
 *   O_EXCL lock (`.break`), and only if it is still the same lock that was seen expired.
 * - Compare-and-invalidate and release first rename the file to a unique name (only one process can),
 *   then check it, and put it back with `link` (which never overwrites a newer file) if it did not match.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidOptionError } from '../errors.js';
import { checkPositive } from '../util/validate.js';
import { TokenStoreError } from './errors.js';
import { APPID_PATTERN, freezeToken, isStoredToken, leaseIsLive, type LeaseRequest, type StoredToken, type TokenStore } from './types.js';

/** A `.break` lock older than this (real file mtime) is left over from a crash and may be removed, ms. */
export const DEFAULT_BREAK_LOCK_STALE_MS = 10_000;

/** Options of {@link FileTokenStore}. */
export interface FileTokenStoreOptions {
  /** Directory of the token and lock files; created (mode 0700) on first write. Required: no implicit working-directory paths. */
  dir: string;
  /** @default DEFAULT_BREAK_LOCK_STALE_MS */
  breakLockStaleMs?: number;
}

interface LeaseContent {
  owner: string;
  expires_at: number;
  nonce: string;
}

function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

/** A {@link TokenStore} in files. */
export class FileTokenStore implements TokenStore {
  readonly dir: string;
  readonly #breakLockStaleMs: number;
  #mkdir: Promise<void> | undefined;

  constructor(options: FileTokenStoreOptions) {
    if (!options || typeof options.dir !== 'string' || options.dir.length === 0) {
      throw new InvalidOptionError('dir', 'a directory path');
    }
    this.dir = path.resolve(options.dir);
    this.#breakLockStaleMs = checkPositive('breakLockStaleMs', options.breakLockStaleMs, 'ms') ?? DEFAULT_BREAK_LOCK_STALE_MS;
  }

  async get(appId: string): Promise<StoredToken | null> {
    const raw = await this.#read(this.#tokenPath(appId), 'get');
    if (raw === null) return null;
    const parsed = parseJson(raw);
    return isStoredToken(parsed) ? freezeToken(parsed) : null;
  }

  async save(appId: string, token: StoredToken): Promise<void> {
    if (!isStoredToken(token)) throw new InvalidOptionError('token', '{ access_token, expires_at, fetched_at }');
    const file = this.#tokenPath(appId);
    const existing = await this.get(appId);
    // Best effort between processes (read then rename); the refresh lease serialises writers anyway.
    if (existing && existing.fetched_at > token.fetched_at) return;
    await this.#ensureDir();
    const tmp = `${file}.tmp-${randomUUID()}`;
    try {
      await writeFile(tmp, JSON.stringify(freezeToken(token)), { mode: 0o600, flush: true });
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw new TokenStoreError('save', `cannot write ${path.basename(file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
    }
  }

  async invalidate(appId: string, rejected: string): Promise<boolean> {
    return this.#claimIf(this.#tokenPath(appId), 'invalidate', (raw) => {
      const t = parseJson(raw);
      return isStoredToken(t) && t.access_token === rejected;
    });
  }

  async acquireLease(appId: string, lease: LeaseRequest): Promise<boolean> {
    const file = this.#leasePath(appId);
    const content: LeaseContent = { owner: lease.owner, expires_at: lease.now + lease.ttlMs, nonce: randomUUID() };
    const text = JSON.stringify(content);
    await this.#ensureDir();
    // Bounded: create, or inspect the holder and possibly break an expired lock, at most three times.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.#createExclusive(file, text)) return true;
      const raw = await this.#read(file, 'acquireLease');
      if (raw === null) continue; // released between our attempts
      const held = parseJson(raw) as Partial<LeaseContent> | undefined;
      if (held && held.owner === lease.owner) {
        await this.#replace(file, text, 'acquireLease');
        return true;
      }
      const expiresAt = typeof held?.expires_at === 'number' ? held.expires_at : -Infinity;
      if (leaseIsLive(expiresAt, lease)) return false;
      if (!(await this.#breakStale(file, raw))) return false;
    }
    return false;
  }

  async releaseLease(appId: string, owner: string): Promise<void> {
    const file = this.#leasePath(appId);
    const ours = (raw: string) => (parseJson(raw) as Partial<LeaseContent> | undefined)?.owner === owner;
    // Read first and touch only our own lock: moving another holder's lock away, even for a moment,
    // would let a third process create a lock meanwhile, and the put-back would then drop the holder's.
    const raw = await this.#read(file, 'releaseLease');
    if (raw === null || !ours(raw)) return;
    await this.#claimIf(file, 'releaseLease', ours);
  }

  #tokenPath(appId: string): string {
    if (!APPID_PATTERN.test(appId)) throw new InvalidOptionError('appId', 'letters, digits, "_" or "-"');
    return path.join(this.dir, `access-token.${appId}.json`);
  }

  #leasePath(appId: string): string {
    if (!APPID_PATTERN.test(appId)) throw new InvalidOptionError('appId', 'letters, digits, "_" or "-"');
    return path.join(this.dir, `access-token.${appId}.lease`);
  }

  #ensureDir(): Promise<void> {
    this.#mkdir ??= mkdir(this.dir, { recursive: true, mode: 0o700 }).then(
      () => undefined,
      (err: unknown) => {
        this.#mkdir = undefined;
        throw new TokenStoreError('save', `cannot create the token directory (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
      },
    );
    return this.#mkdir;
  }

  async #read(file: string, operation: string): Promise<string | null> {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return null;
      throw new TokenStoreError(operation, `cannot read ${path.basename(file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
    }
  }

  /** Create `file` with `text` only if it does not exist; the file never exists without its content. */
  async #createExclusive(file: string, text: string): Promise<boolean> {
    const tmp = `${file}.tmp-${randomUUID()}`;
    try {
      await writeFile(tmp, text, { mode: 0o600 });
      await link(tmp, file);
      return true;
    } catch (err) {
      if (isErrno(err, 'EEXIST')) return false;
      throw new TokenStoreError('acquireLease', `cannot create ${path.basename(file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  async #replace(file: string, text: string, operation: string): Promise<void> {
    const tmp = `${file}.tmp-${randomUUID()}`;
    try {
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw new TokenStoreError(operation, `cannot write ${path.basename(file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
    }
  }

  /** Remove an expired lock, but only if it is still the one we saw (`seenRaw`). */
  async #breakStale(file: string, seenRaw: string): Promise<boolean> {
    const breaker = `${file}.break`;
    try {
      await writeFile(breaker, String(process.pid), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw new TokenStoreError('acquireLease', 'cannot create the break lock', { cause: err });
      // Another process is breaking the lock right now, or crashed while doing so (its break lock is then old).
      const st = await stat(breaker).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > this.#breakLockStaleMs) await unlink(breaker).catch(() => {});
      return false;
    }
    try {
      const current = await this.#read(file, 'acquireLease');
      if (current === seenRaw) await unlink(file).catch((err: unknown) => (isErrno(err, 'ENOENT') ? undefined : Promise.reject(err)));
      return true;
    } finally {
      await unlink(breaker).catch(() => {});
    }
  }

  /** Remove `file` if `matches(content)`; atomic against other processes doing the same. */
  async #claimIf(file: string, operation: string, matches: (raw: string) => boolean): Promise<boolean> {
    const claimed = `${file}.claim-${randomUUID()}`;
    try {
      await rename(file, claimed);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw new TokenStoreError(operation, `cannot claim ${path.basename(file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
    }
    try {
      const raw = await readFile(claimed, 'utf8');
      if (matches(raw)) return true;
      // Not ours to remove: put it back unless a newer file took its place meanwhile.
      await link(claimed, file).catch((err: unknown) => (isErrno(err, 'EEXIST') ? undefined : Promise.reject(err)));
      return false;
    } catch (err) {
      throw new TokenStoreError(operation, `cannot restore ${path.basename(file)}`, { cause: err });
    } finally {
      await unlink(claimed).catch(() => {});
    }
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
