import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/db/database.js';
import { databaseKind, underSchemaLock } from './harness.js';

// The real entry point as a child process (what `npm start` runs), for tests that kill, restart and signal it.
// Compiled (npm test), tests run from dist/ beside dist/src/main.js; under tsx (npx tsx --test) from the sources,
// and the child runs src/main.ts through the same loader.

export interface ChildServer {
  proc: ChildProcess;
  url: string;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

const root = join(import.meta.dirname, '..', '..');
const entry = import.meta.filename.endsWith('.js') ? [join(root, 'src', 'main.js')] : ['--import', import.meta.resolve('tsx'), join(root, 'src', 'main.ts')];

// On the PostgreSQL run each data folder gets a schema of its own, dropped at the end like the folder.
const schemas = new Map<string, string>();
const folders: string[] = [];

function databaseEnv(dataDir: string): Record<string, string> {
  if (databaseKind() !== 'postgres') return {};
  let schema = schemas.get(dataDir);
  if (!schema) {
    schema = `e2e_${randomBytes(6).toString('hex')}`;
    schemas.set(dataDir, schema);
  }
  return { DATABASE_URL: process.env.DATABASE_URL!, DATABASE_SCHEMA: schema };
}

/** A fresh data folder, removed by removeServerData(). */
export function serverDataDir(prefix = 'axon-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

/** The database the child on this data folder uses, for a test to open from its side. */
export function serverDatabase(dataDir: string, sqliteLocking?: 'shared'): DatabaseConfig {
  const env = databaseEnv(dataDir);
  return env.DATABASE_SCHEMA
    ? { kind: 'postgres', url: env.DATABASE_URL, schema: env.DATABASE_SCHEMA }
    : { kind: 'sqlite', path: join(dataDir, 'axonflow.db'), ...(sqliteLocking ? { locking: sqliteLocking } : {}) };
}

/** The admin key development generated into the data folder at first start. */
export const adminKeyOf = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, 'dev-secrets.json'), 'utf8')).ADMIN_API_KEY as string;

/** Starts the service on the data folder (development) and resolves once it listens. */
export async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<ChildServer> {
  const dbEnv = databaseEnv(dataDir);
  if (dbEnv.DATABASE_SCHEMA) {
    // Schemas are made, migrated and dropped one at a time across test files (see the harness).
    return underSchemaLock(dbEnv.DATABASE_URL, async () => {
      const c = new pg.Client({ connectionString: dbEnv.DATABASE_URL });
      await c.connect();
      await c.query(`create schema if not exists ${dbEnv.DATABASE_SCHEMA}`);
      await c.end();
      return spawnServer(dataDir, { ...dbEnv, ...env });
    });
  }
  return spawnServer(dataDir, env);
}

async function spawnServer(dataDir: string, env: Record<string, string>): Promise<ChildServer> {
  const proc = spawn(process.execPath, entry, {
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const m = /"address":"(http:\/\/[^"]+)"/.exec(out);
    if (m) return { proc, url: m[1], port: Number(new URL(m[1]).port), output: () => out, exited };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGKILL');
  throw new Error(`server did not start:\n${out}`);
}

/** Removes every data folder and PostgreSQL schema made here: call it from the test file's after(). */
export async function removeServerData(): Promise<void> {
  folders.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
  if (schemas.size === 0) return;
  await underSchemaLock(process.env.DATABASE_URL!, async () => {
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    for (const schema of schemas.values()) await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  });
  schemas.clear();
}
