import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type LogEvent, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Tables } from './tables.js';

export type DatabaseConfig =
  | {
      kind: 'sqlite';
      path: string;
      /** 'exclusive' (the default) holds the file for the process's life; 'shared' lets other processes read it. */
      locking?: 'exclusive' | 'shared';
    }
  | { kind: 'postgres'; url: string; schema?: string };

export type DB = Kysely<Tables>;
export type Trx = Transaction<Tables>;
/** Either the root handle or an open transaction: query functions take this so callers choose. */
export type Executor = DB | Trx;

export interface Database {
  db: DB;
  dialect: 'sqlite' | 'postgres';
  /** The PostgreSQL schema when one was chosen (test runs); migrations keep their bookkeeping there. */
  schema?: string;
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// COUNT and SUM come back from pg as strings (int8/numeric); the query files convert with Number().
export interface DatabaseOptions {
  /** Called after every query (tests count round trips with it). */
  onQuery?: (sql: string) => void;
  /** An idle PostgreSQL connection the server closed (restart, failover): the pool drops it and carries on. */
  onConnectionError?: (err: Error) => void;
}

export function createDatabase(config: DatabaseConfig, options: DatabaseOptions = {}): Database {
  const log = options.onQuery
    ? (event: LogEvent) => {
        if (event.level === 'query') options.onQuery!(event.query.sql);
      }
    : undefined;
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') ownerOnlyFiles(config.path);
    const native = new SQLite(config.path);
    // WAL + synchronous=FULL: an acknowledged commit survives power loss, not only a process crash.
    native.pragma('journal_mode = WAL');
    native.pragma('synchronous = FULL');
    native.pragma('foreign_keys = ON');
    native.pragma('busy_timeout = 5000');
    // The embedded database belongs to one process (several instances take PostgreSQL). Holding the file's
    // lock for the connection's life spares every statement the fcntl and stat calls of shared locking,
    // which cost as much as a point read; a second process on the same file waits, then fails. Shared
    // locking is there for tools that read the live file (sqlite3 .backup, Litestream, npm run migrate).
    if (config.locking !== 'shared') native.pragma('locking_mode = EXCLUSIVE');
    const cached = withStatementCache(native);
    const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: cached }), log });
    directReaders.set(db, (sqlText, parameters) => {
      if (native.inTransaction) return undefined;
      const rows = cached.prepare(sqlText).all(parameters);
      options.onQuery?.(sqlText);
      return rows;
    });
    return {
      db,
      dialect: 'sqlite',
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      close: () => db.destroy(),
    };
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: 10,
    // A schema per test run keeps runs apart; production uses the URL's default search_path.
    ...(config.schema ? { options: `-c search_path=${quoteIdent(config.schema)}` } : {}),
  });
  // Unheard, the pool's 'error' event would end the process.
  pool.on('error', (err) => options.onConnectionError?.(err));
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }), log });
  return {
    db,
    dialect: 'postgres',
    schema: config.schema,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/**
 * The database holds password hashes and audit trails: its file is the owner's alone. SQLite makes the WAL,
 * shared-memory and journal files with the main file's mode, so creating that one 0600 covers them; files
 * from an older start are narrowed too.
 */
function ownerOnlyFiles(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    if (existsSync(path + suffix)) chmodSync(path + suffix, 0o600);
  }
}

type DirectReader = (sql: string, parameters: readonly unknown[]) => unknown[] | undefined;
const directReaders = new WeakMap<Executor, DirectReader>();

/**
 * On SQLite, a read can run on the connection itself, synchronously, when no transaction is open on it:
 * it cannot interleave with anything, and it skips Kysely's connection queue and its promise chain. While
 * a transaction is open (another request's, awaiting), undefined: the read must queue behind it through
 * Kysely, or it would see that transaction's uncommitted rows. Never for a transaction's own executor.
 */
export function directReader(executor: Executor): DirectReader | undefined {
  return directReaders.get(executor);
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every statement anew; preparing costs more than running a point lookup.
 * Statements are reusable and the connection is used by one query at a time, so the text of a compiled
 * query can keep its statement (least recently used out first; queries built with IN lists vary).
 */
function withStatementCache(native: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  return new Proxy(native, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') return Reflect.get(target, prop, receiver);
      return (sqlText: string) => {
        let stmt = cache.get(sqlText);
        if (stmt) {
          cache.delete(sqlText);
        } else {
          stmt = target.prepare(sqlText);
          if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        }
        cache.set(sqlText, stmt);
        return stmt;
      };
    },
  });
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid schema name ${name}`);
  return name;
}

/**
 * Runs fn in a transaction. SQLite serialises them through Kysely's single connection; on PostgreSQL (read
 * committed) a change that reads before it writes takes its own row lock first (lockOrganization, an upsert).
 */
export function inTransaction<T>(db: DB, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}
