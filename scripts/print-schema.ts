import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printedSchema } from '../src/graphql/schema.js';

// dist/scripts/print-schema.js -> the repository root.
const target = join(import.meta.dirname, '..', '..', 'schema.graphql');
const printed = printedSchema();

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // missing counts as different
  }
  if (committed !== printed) {
    process.stderr.write('schema.graphql differs from the schema the code builds; run `npm run schema` and commit it\n');
    process.exit(1);
  }
  process.stdout.write('schema.graphql is up to date\n');
} else if (process.argv.includes('--write')) {
  writeFileSync(target, printed);
  process.stdout.write(`wrote ${target}\n`);
} else {
  process.stdout.write(printed);
}
