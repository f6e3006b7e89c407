// Runs the compiled suite with node's test runner, prints the spec report and a plain
// "N passed, N failed" line, and exits non-zero on any failure or when no test ran.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? find(p) : p.endsWith('.test.js') ? [p] : [];
  });
}

const filter = process.argv.slice(2);
// Only tests whose source still exists: a deleted test must not live on in an old build.
const files = find('dist/test')
  .filter((f) => existsSync(f.replace(/^dist\//, '').replace(/\.js$/, '.ts')))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();
let passed = 0;
let failed = 0;
const stream = run({ files, concurrency: 2, timeout: 120_000 });
stream.on('test:pass', (e) => {
  if (e.details?.type !== 'suite') passed++;
});
stream.on('test:fail', (e) => {
  if (e.details?.type !== 'suite') failed++;
});
stream.compose(spec).pipe(process.stdout);
process.on('exit', () => {
  const db = /^postgres/.test(process.env.DATABASE_URL ?? '') ? 'postgresql' : 'sqlite';
  process.stdout.write(`\n${db}: ${passed} passed, ${failed} failed\n`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
});
