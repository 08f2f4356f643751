/**
 * A real headless browser for tests: Debian's `chromium` (installed by .ci/run), driven by
 * puppeteer-core with the system executable. `launchBrowser()` fails with a clear message when
 * chromium is missing rather than letting a test pass without a browser.
 */
import { accessSync, constants } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

/** The chromium executable: `CHROMIUM_PATH`, else the first Debian path that exists. */
export function chromiumPath(): string {
  const given = process.env.CHROMIUM_PATH;
  for (const p of given ? [given] : CANDIDATES) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `chromium not found (looked at ${given ?? CANDIDATES.join(', ')}). The browser tests need Debian's chromium: ` +
      'apt-get update && apt-get install -y chromium (.ci/run does this), or set CHROMIUM_PATH.',
  );
}

/** Launch headless chromium (with --no-sandbox when running as root, which chromium requires). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return puppeteer.launch({
    executablePath,
    headless: true,
    args: [...(asRoot ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}
