// Runs the compiled suite with node's test runner, prints the spec report and a plain
// "N passed, N failed" line, and exits non-zero on any failure, when no test ran, or when the run
// left something behind (a temporary folder, a PostgreSQL schema).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import pg from 'pg';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? find(p) : p.endsWith('.test.js') ? [p] : [];
  });
}

const pgUrl = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '') ? process.env.DATABASE_URL : null;

/** What a run may leave behind: folders the tests make under the temp dir, schemas they make in PostgreSQL. */
async function traces() {
  const folders = readdirSync(tmpdir()).filter((n) => n.startsWith('axon-')).map((n) => join(tmpdir(), n));
  if (!pgUrl) return folders;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  const { rows } = await client.query(`select nspname from pg_namespace where nspname like 't\\_%' or nspname like 'e2e\\_%'`);
  await client.end();
  return [...folders, ...rows.map((r) => `schema ${r.nspname}`)];
}

const filter = process.argv.slice(2);
// Only tests whose source still exists: a deleted test must not live on in an old build.
const files = find('dist/test')
  .filter((f) => existsSync(f.replace(/^dist\//, '').replace(/\.js$/, '.ts')))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();
const before = new Set(await traces());
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
// When the runner is done and the loop is empty: late enough that every test file has exited.
let summarised = false;
process.on('beforeExit', async () => {
  if (summarised) return;
  summarised = true;
  const left = (await traces()).filter((t) => !before.has(t));
  if (left.length > 0) {
    process.stdout.write(`\nthe run left behind:\n${left.map((t) => `  ${t}`).join('\n')}\n`);
    failed++;
  }
  const db = pgUrl ? 'postgresql' : 'sqlite';
  process.stdout.write(`\n${db}: ${passed} passed, ${failed} failed\n`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
});
