/**
 * README stays short and its H5 snippets stay true: the server route and the login middleware
 * compile against the library's types, and the page fetches the route the server snippet mounts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagnose } from '../support/typecheck.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const VIRTUAL = path.join(root, 'test', 'examples', '__virtual_readme_h5__.ts');

/** The fenced blocks of one README section, by language. */
function blocks(heading: string, lang: string): string[] {
  const start = readme.indexOf(`## ${heading}`);
  assert.ok(start >= 0, `README has "## ${heading}"`);
  const next = readme.indexOf('\n## ', start + 3);
  const section = readme.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
}

test('README is under 150 lines', () => {
  const lines = readme.trimEnd().split('\n').length;
  assert.ok(lines < 150, `README has ${lines} lines`);
});

test("README's H5 server route and login middleware compile against the library's types", () => {
  const ts = blocks('Web pages inside WeChat', 'ts');
  assert.equal(ts.length, 2);
  const imports = ts.join('\n').split('\n').filter((l) => l.startsWith('import '));
  const body = ts.join('\n').split('\n').filter((l) => !l.startsWith('import '));
  const source = [
    "import Koa from 'koa';",
    "import Router from 'koa-router';",
    "import type { Wechat } from '../../src/index.js';",
    ...imports.map((l) => l.replace("'wechat-mp-server'", "'../../src/index.js'")),
    'declare const wechat: Wechat;',
    'const app = new Koa();',
    'const router = new Router();',
    ...body,
    'export { app, router };',
  ].join('\n');
  assert.deepEqual(diagnose(VIRTUAL, source), []);
});

test("README's H5 page fetches the route its server snippet mounts, and loads WeChat's JS-SDK", () => {
  const [route] = blocks('Web pages inside WeChat', 'ts');
  const [page] = blocks('Web pages inside WeChat', 'html');
  const path = /router\.get\('([^']+)'/.exec(route!)?.[1];
  assert.ok(path);
  assert.ok(page!.includes(`fetch('${path}?url=' + encodeURIComponent(location.href))`));
  assert.match(page!, /res\.wx\.qq\.com\/open\/js\/jweixin-1\.6\.0\.js/);
  assert.match(page!, /wx\.config\(cfg\)/);
});
