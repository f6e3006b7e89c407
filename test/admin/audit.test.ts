import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventHash } from '../../src/services/audit.js';
import { Harness } from '../helpers/harness.js';

describe('audit hash chain', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    await h.createOrg('globex');
    for (let i = 0; i < 3; i++) await h.admin('PATCH', '/api/v1/admin/organizations/acme', { name: `Acme ${i}` });
    await h.admin('GET', '/api/v1/admin/organizations');
  });
  after(() => h.close());

  const verify = async (org?: string) => (await h.admin('GET', `/api/v1/admin/audit/verify${org ? `?org_id=${org}` : ''}`)).body;
  const db = () => h.runtime.database.db;

  it('verifies every chain of an untouched trail', async () => {
    const all = await verify();
    assert.equal(all.valid, true);
    const chains = all.chains.map((c: any) => c.chain);
    assert.ok(chains.includes('acme') && chains.includes('globex') && chains.includes('_operator'));
    const acme = await verify('acme');
    // organization.created, license.issued and the three renames.
    assert.equal(acme.chains[0].events_checked, 5);
  });

  it('keeps one gap-free chain per org under parallel writers', async () => {
    await Promise.all(Array.from({ length: 25 }, () => h.admin('GET', '/api/v1/admin/organizations/globex')));
    const rows = await db().selectFrom('audit_events').select('seq').where('chain', '=', 'globex').orderBy('seq').execute();
    assert.deepEqual(rows.map((r) => Number(r.seq)), rows.map((_, i) => i + 1));
    assert.equal((await verify('globex')).valid, true);
  });

  it('filters by org, action and time', async () => {
    const r = await h.admin('GET', '/api/v1/admin/audit?org_id=acme&action=organization.updated');
    assert.equal(r.body.events.length, 3);
    assert.ok(r.body.events.every((e: any) => e.org_id === 'acme' && e.action === 'organization.updated'));
    const future = await h.admin('GET', `/api/v1/admin/audit?from=${encodeURIComponent('2099-01-01T00:00:00Z')}`);
    assert.equal(future.body.events.length, 0);
    const bad = await h.admin('GET', '/api/v1/admin/audit?from=yesterday');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'from');
  });

  it('detects a row altered after it was written', async () => {
    await db().updateTable('audit_events').set({ details: '{"changed":["nothing"]}' }).where('chain', '=', 'acme').where('seq', '=', 2).execute();
    const r = await verify('acme');
    assert.equal(r.valid, false);
    assert.equal(r.chains[0].broken_at_seq, 2);
    assert.match(r.chains[0].reason, /altered/);
  });

  it('detects a deleted row in the middle and a truncated tail', async () => {
    await h.createOrg('tail');
    await h.admin('PATCH', '/api/v1/admin/organizations/tail', { name: 'T1' });
    await h.admin('PATCH', '/api/v1/admin/organizations/tail', { name: 'T2' });
    const last = await db().selectFrom('audit_events').select((eb) => eb.fn.max('seq').as('m')).where('chain', '=', 'tail').executeTakeFirstOrThrow();
    await db().deleteFrom('audit_events').where('chain', '=', 'tail').where('seq', '=', Number(last.m)).execute();
    const truncated = await verify('tail');
    assert.equal(truncated.valid, false);
    assert.match(truncated.chains[0].reason, /ends at event/);

    await h.createOrg('middle');
    await h.admin('PATCH', '/api/v1/admin/organizations/middle', { name: 'M1' });
    await db().deleteFrom('audit_events').where('chain', '=', 'middle').where('seq', '=', 2).execute();
    const gap = await verify('middle');
    assert.equal(gap.valid, false);
    assert.equal(gap.chains[0].broken_at_seq, 2);
  });

  // What a careful tamperer does: change a row and recompute its hash, so the row is consistent in itself.
  const rewrite = async (chain: string, seq: number, details: string) => {
    const row = await db().selectFrom('audit_events').selectAll().where('chain', '=', chain).where('seq', '=', seq).executeTakeFirstOrThrow();
    const { hash: _old, ...rest } = { ...row, seq: Number(row.seq), details };
    const hash = eventHash(rest);
    await db().updateTable('audit_events').set({ details, hash }).where('id', '=', row.id).execute();
    return hash;
  };

  it('detects a row altered and re-hashed: the next row no longer links to it', async () => {
    await h.createOrg('relink');
    await h.admin('PATCH', '/api/v1/admin/organizations/relink', { name: 'R1' });
    await h.admin('PATCH', '/api/v1/admin/organizations/relink', { name: 'R2' });
    await rewrite('relink', 2, '{"changed":["nothing"]}');
    const r = await verify('relink');
    assert.equal(r.valid, false);
    assert.equal(r.chains[0].broken_at_seq, 3);
    assert.match(r.chains[0].reason, /event 3 does not link to the event before it/);
  });

  it('detects a whole tail rewritten with recomputed hashes and links, against the chain head', async () => {
    await h.createOrg('retail');
    await h.admin('PATCH', '/api/v1/admin/organizations/retail', { name: 'T1' });
    await h.admin('PATCH', '/api/v1/admin/organizations/retail', { name: 'T2' });
    const rows = await db().selectFrom('audit_events').selectAll().where('chain', '=', 'retail').orderBy('seq').execute();
    let prev = rows[0].hash;
    for (const row of rows.slice(1)) {
      const { hash: _old, ...rest } = { ...row, seq: Number(row.seq), prev_hash: prev, details: '{"forged":true}' };
      prev = eventHash(rest);
      await db().updateTable('audit_events').set({ prev_hash: rest.prev_hash, details: rest.details, hash: prev }).where('id', '=', row.id).execute();
    }
    const r = await verify('retail');
    assert.equal(r.valid, false);
    assert.equal(r.chains[0].broken_at_seq, rows.length);
    assert.match(r.chains[0].reason, /the chain was rewritten/);
  });
});

describe("an organization's own audit trail in GraphQL", () => {
  it('shows owners and admins their org events only, and refuses a viewer', async () => {
    const h = await Harness.start();
    try {
      await h.createOrg('acme');
      await h.createOrg('globex');
      const owner = await h.login('acme');
      await h.login('globex');
      const q = '{ organization { auditEvents(first: 100) { edges { node { orgId action actorType } } } } }';
      const r = await h.graphql(q, {}, { cookie: owner });
      const events = r.data.organization.auditEvents.edges.map((e: any) => e.node);
      assert.ok(events.some((e: any) => e.action === 'organization.created'));
      assert.ok(events.some((e: any) => e.action === 'auth.login'));
      assert.ok(events.every((e: any) => e.orgId === 'acme'), 'never another org');
      const viewer = await h.userSession('acme', 'viewer', owner);
      const refused = await h.graphql(q, {}, { cookie: viewer.cookie });
      assert.match(refused.errors[0].message, /audit:read/);
    } finally {
      await h.close();
    }
  });
});
