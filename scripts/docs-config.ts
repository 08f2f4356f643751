/**
 * `npm run docs:config`: write `.env.example` and README's configuration table from the table in
 * config/variables.ts. `test/config.test.ts` fails until this has been run after a change to the table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderEnvExample, withReadmeTable } from '../config/render.js';

const root = new URL('..', import.meta.url);
writeFileSync(new URL('.env.example', root), renderEnvExample());
const readme = new URL('README.md', root);
writeFileSync(readme, withReadmeTable(readFileSync(readme, 'utf8')));
process.stdout.write('wrote .env.example and the configuration table of README.md\n');
