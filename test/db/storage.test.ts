import assert from 'node:assert/strict';
import SQLite from 'better-sqlite3';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { after, before, describe, it } from 'node:test';
import { createDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { Harness, databaseKind } from '../helpers/harness.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the SQLite files at rest', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('creates the database and its WAL owner-only, in an owner-only folder, with no shared-memory file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'axon-files-'));
    dirs.push(root);
    const path = join(root, 'data', 'axonflow.db');
    const database = createDatabase({ kind: 'sqlite', path });
    try {
      await migrateToLatest(database);
      for (const file of [path, `${path}-wal`]) assert.equal(mode(file).toString(8), '600', file);
      // The process holds the file exclusively, so the WAL index lives in its memory, not in a file others could map.
      assert.equal(existsSync(`${path}-shm`), false);
      assert.equal(mode(join(root, 'data')).toString(8), '700');
    } finally {
      await database.close();
    }
  });

  it('holds the file while it runs, unless SQLITE_LOCKING=shared lets other processes read it', async () => {
    for (const locking of ['exclusive', 'shared'] as const) {
      const root = mkdtempSync(join(tmpdir(), 'axon-files-'));
      dirs.push(root);
      const path = join(root, 'axonflow.db');
      const database = createDatabase({ kind: 'sqlite', path, locking });
      try {
        await migrateToLatest(database);
        const other = new SQLite(path, { timeout: 50 });
        try {
          const read = () => other.prepare('select count(*) as n from organizations').get();
          if (locking === 'exclusive') assert.throws(read, /database is locked/);
          else assert.deepEqual(read(), { n: 0 });
        } finally {
          other.close();
        }
      } finally {
        await database.close();
      }
    }
  });

  it('narrows files an older start left readable', async () => {
    const root = mkdtempSync(join(tmpdir(), 'axon-files-'));
    dirs.push(root);
    const path = join(root, 'old.db');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const database = createDatabase({ kind: 'sqlite', path });
    try {
      await sql`select 1`.execute(database.db);
      assert.equal(mode(path).toString(8), '600');
    } finally {
      await database.close();
    }
  });
});

describe('list order is the same on both databases', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());

  // Bytewise order: upper case before lower case, digits before letters, "-" before digits, "_" after "Z".
  const IDS = ['beta', 'Beta-2', 'alpha', 'Alpha_1', 'a_b', 'a-b', 'Zulu', '9lives', 'zeta'];

  it('orders organizations and nodes by code point, whatever the database locale', async () => {
    for (const id of IDS) await h.createOrg(id);
    const list = await h.admin('GET', '/api/v1/admin/organizations?limit=100');
    assert.deepEqual(list.body.organizations.map((o: any) => o.org_id), [...IDS].sort());
    const cookie = await h.login('beta');
    const { key } = await h.apiKey('beta', ['nodes:write'], cookie);
    for (const id of IDS) {
      await h.call('POST', '/api/v1/nodes/heartbeat', { headers: { 'x-api-key': key }, body: { node_id: id, hostname: 'h', role: 'agent', version: '1' } });
    }
    const nodes = await h.call('GET', '/api/v1/nodes', { cookie });
    assert.deepEqual(nodes.body.nodes.map((n: any) => n.node_id), [...IDS].sort());
  });

  it('pins the "C" collation on the sort keys on PostgreSQL (SQLite compares bytes already)', async () => {
    const db = h.runtime.database;
    if (databaseKind() !== 'postgres') {
      const { rows } = await sql<{ c: number }>`select ('B' < 'a') as c`.execute(db.db);
      assert.equal(Number(rows[0].c), 1);
      return;
    }
    const { rows } = await sql<{ table_name: string; column_name: string; collation_name: string | null }>`
      select table_name, column_name, collation_name from information_schema.columns
      where table_schema = ${db.schema!} and (table_name, column_name) in
        (('organizations','org_id'), ('users','id'), ('api_keys','id'), ('nodes','node_id'), ('audit_heads','chain'))
      order by table_name`.execute(db.db);
    assert.equal(rows.length, 5);
    for (const r of rows) assert.equal(r.collation_name, 'C', `${r.table_name}.${r.column_name}`);
  });
});
