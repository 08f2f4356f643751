/**
 * `npm run docs:config`: write `.env.example`, README's and docs/configuration.md's configuration tables from the table in
 * config/variables.ts. `test/config.test.ts` fails until this has been run after a change to the table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderEnvExample, withReadmeTable } from '../config/render.js';

const root = new URL('..', import.meta.url);
writeFileSync(new URL('.env.example', root), renderEnvExample());
const readme = new URL('README.md', root);
writeFileSync(readme, withReadmeTable(readFileSync(readme, 'utf8')));
const full = new URL('docs/configuration.md', root);
writeFileSync(full, withReadmeTable(readFileSync(full, 'utf8'), undefined, 'all'));
process.stdout.write('wrote .env.example, the configuration table of README.md and docs/configuration.md\n');
