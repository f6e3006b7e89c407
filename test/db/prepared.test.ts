import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findOrganization } from '../../src/db/organizations.js';
import { Harness } from '../helpers/harness.js';

// Hot reads are compiled once and, on SQLite, run on the connection directly when no transaction is open
// on it. A read made while another request's transaction is open must not see that transaction's rows.
describe('prepared hot reads', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('prep');
  });
  after(() => h.close());

  it('bind their arguments afresh on every call', async () => {
    await h.createOrg('prep-two');
    const { db } = h.runtime.database;
    assert.equal((await findOrganization(db, 'prep'))?.orgId, 'prep');
    assert.equal((await findOrganization(db, 'PREP-TWO'))?.orgId, 'prep-two');
    assert.equal(await findOrganization(db, 'prep-none'), null);
  });

  it('do not see the uncommitted rows of a transaction open meanwhile', async () => {
    const { db } = h.runtime.database;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let updated!: () => void;
    const inside = new Promise<void>((r) => (updated = r));
    const transaction = db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable('organizations').set({ name: 'Uncommitted' }).where('org_id', '=', 'prep').execute();
        updated();
        await gate;
        throw new Error('rolled back');
      })
      .catch((err: Error) => err.message);
    await inside;
    const read = findOrganization(db, 'prep');
    release();
    assert.equal(await transaction, 'rolled back');
    assert.equal((await read)?.name, 'prep Inc');
  });
});
