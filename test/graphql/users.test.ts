import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

const ADD = 'mutation($i: AddUserInput!) { addUser(input: $i) { initialPassword user { id role status } } }';
const ROLE = 'mutation($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { id role } }';
const DISABLE = 'mutation($id: ID!) { disableUser(userId: $id) { id status } }';
const ENABLE = 'mutation($id: ID!) { enableUser(userId: $id) { id status } }';
const REMOVE = 'mutation($id: ID!) { removeUser(userId: $id) { id } }';

describe('portal users through GraphQL', () => {
  let h: Harness;
  let orgOwner: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    await h.createOrg('globex');
    orgOwner = await h.login('acme');
  });
  after(() => h.close());

  const session = (cookie: string) => h.call('GET', '/api/v1/auth/session', { cookie });

  it('an owner adds a user: the first password is shown once and works', async () => {
    const r = await h.graphql(ADD, { i: { email: 'ann@acme.example.com', name: 'Ann', role: 'admin' } }, { cookie: orgOwner });
    assert.equal(r.data.addUser.user.role, 'admin');
    assert.ok(r.data.addUser.initialPassword.length >= 20);
    assert.ok(await h.login('acme', r.data.addUser.initialPassword, 'ann@acme.example.com'));
    const dup = await h.graphql(ADD, { i: { email: 'ANN@acme.example.com', name: 'Ann 2', role: 'viewer' } }, { cookie: orgOwner });
    assert.equal(dup.errors[0].extensions.code, 'CONFLICT');
  });

  it('lists the org users for a viewer, and refuses a viewer changes with 403 naming the permission', async () => {
    const viewer = await h.userSession('acme', 'viewer', orgOwner);
    const list = await h.graphql('{ organization { users(first: 50) { edges { node { email role kind } } } } }', {}, { cookie: viewer.cookie });
    const emails = list.data.organization.users.edges.map((e: any) => e.node.email);
    assert.ok(emails.includes('ann@acme.example.com'));
    const r = await h.graphql(ADD, { i: { email: 'x@acme.example.com', name: 'X', role: 'viewer' } }, { cookie: viewer.cookie });
    assert.equal(r.errors[0].extensions.code, 'FORBIDDEN');
    assert.match(r.errors[0].message, /viewer.*users:manage/);
  });

  it('only an owner makes or unmakes an owner; an admin manages the rest', async () => {
    const admin = await h.userSession('acme', 'admin', orgOwner);
    const dev = await h.userSession('acme', 'developer', orgOwner);
    const mkOwner = await h.graphql(ROLE, { id: dev.userId, role: 'owner' }, { cookie: admin.cookie });
    assert.match(mkOwner.errors[0].message, /owners:manage/);
    const addOwner = await h.graphql(ADD, { i: { email: 'o@acme.example.com', name: 'O', role: 'owner' } }, { cookie: admin.cookie });
    assert.match(addOwner.errors[0].message, /owners:manage/);
    const ok = await h.graphql(ROLE, { id: dev.userId, role: 'policy_admin' }, { cookie: admin.cookie });
    assert.equal(ok.data.setUserRole.role, 'policy_admin');
    const byOwner = await h.graphql(ROLE, { id: dev.userId, role: 'owner' }, { cookie: orgOwner });
    assert.equal(byOwner.data.setUserRole.role, 'owner');
    const unmake = await h.graphql(ROLE, { id: dev.userId, role: 'viewer' }, { cookie: admin.cookie });
    assert.match(unmake.errors[0].message, /owners:manage/);
  });

  it('a role change applies on the next request of the changed user', async () => {
    const dev = await h.userSession('acme', 'developer', orgOwner);
    assert.ok((await session(dev.cookie)).body.permissions.includes('keys:manage'));
    await h.graphql(ROLE, { id: dev.userId, role: 'viewer' }, { cookie: orgOwner });
    const after = await session(dev.cookie);
    assert.equal(after.body.role, 'viewer');
    assert.ok(!after.body.permissions.includes('keys:manage'));
  });

  it('disabling ends the sessions at once and blocks login; enabling lets them log in again', async () => {
    const added = await h.graphql(ADD, { i: { email: 'dora@acme.example.com', name: 'Dora', role: 'developer' } }, { cookie: orgOwner });
    const pw = added.data.addUser.initialPassword;
    const id = added.data.addUser.user.id;
    const cookie = await h.login('acme', pw, 'dora@acme.example.com');
    const d = await h.graphql(DISABLE, { id }, { cookie: orgOwner });
    assert.equal(d.data.disableUser.status, 'disabled');
    assert.equal((await session(cookie)).status, 401);
    await assert.rejects(h.login('acme', pw, 'dora@acme.example.com'), /401/);
    await h.graphql(ENABLE, { id }, { cookie: orgOwner });
    assert.ok(await h.login('acme', pw, 'dora@acme.example.com'));
  });

  it('never lets the last owner go, and never touches the organization account', async () => {
    await h.createOrg('solo');
    const account = await h.login('solo');
    const owner = await h.userSession('solo', 'owner', account);
    const other = await h.userSession('solo', 'admin', account);
    for (const [q, v] of [
      [ROLE, { id: owner.userId, role: 'admin' }],
      [DISABLE, { id: owner.userId }],
      [REMOVE, { id: owner.userId }],
    ] as const) {
      const r = await h.graphql(q, v, { cookie: account });
      assert.equal(r.errors[0].extensions.code, 'CONFLICT', JSON.stringify(r));
      assert.match(r.errors[0].message, /last owner/);
    }
    const me = await h.graphql('{ viewer { user { id } } }', {}, { cookie: account });
    const self = await h.graphql(ROLE, { id: me.data.viewer.user.id, role: 'viewer' }, { cookie: owner.cookie });
    assert.equal(self.errors[0].extensions.code, 'INVALID_INPUT');
    assert.match(self.errors[0].message, /organization account/);
    // With a second owner, the first may go.
    await h.graphql(ROLE, { id: other.userId, role: 'owner' }, { cookie: account });
    const removed = await h.graphql(REMOVE, { id: owner.userId }, { cookie: account });
    assert.equal(removed.data.removeUser.id, owner.userId);
    assert.equal((await session(owner.cookie)).status, 401, 'a removed user is out at once');
  });

  it('two owners demoting each other at once leave one owner, on every database', async () => {
    await h.createOrg('duo');
    const account = await h.login('duo');
    const a = await h.userSession('duo', 'owner', account);
    const b = await h.userSession('duo', 'owner', account);
    const [ra, rb] = await Promise.all([
      h.graphql(ROLE, { id: b.userId, role: 'viewer' }, { cookie: a.cookie }),
      h.graphql(ROLE, { id: a.userId, role: 'viewer' }, { cookie: b.cookie }),
    ]);
    const ok = [ra, rb].filter((r) => r.data?.setUserRole).length;
    assert.equal(ok, 1, JSON.stringify([ra, rb]));
    const owners = await h.runtime.database.db
      .selectFrom('users')
      .select('id')
      .where('org_id', '=', 'duo')
      .where('kind', '=', 'person')
      .where('role', '=', 'owner')
      .execute();
    assert.equal(owners.length, 1);
  });

  it("another org's user id is simply not found", async () => {
    const g = await h.userSession('globex', 'viewer');
    for (const q of [DISABLE, REMOVE, ENABLE]) {
      const r = await h.graphql(q, { id: g.userId }, { cookie: orgOwner });
      assert.equal(r.errors[0].extensions.code, 'NOT_FOUND');
    }
    assert.equal((await session(g.cookie)).status, 200, 'untouched');
  });

  it('bad input is a clear error and writes nothing', async () => {
    const before = await h.graphql('{ organization { users(first: 200) { edges { node { id } } } } }', {}, { cookie: orgOwner });
    for (const i of [
      { email: 'not-an-email', name: 'N', role: 'viewer' },
      { email: 'n@acme.example.com', name: '', role: 'viewer' },
      { email: 'n@acme.example.com', name: 'x'.repeat(201), role: 'viewer' },
    ]) {
      const r = await h.graphql(ADD, { i }, { cookie: orgOwner });
      assert.equal(r.errors[0].extensions.code, 'INVALID_INPUT', JSON.stringify(r));
    }
    const badRole = await h.graphql(ADD, { i: { email: 'n@acme.example.com', name: 'N', role: 'superuser' } }, { cookie: orgOwner });
    assert.ok(badRole.errors[0].message.includes('Role'));
    const after = await h.graphql('{ organization { users(first: 200) { edges { node { id } } } } }', {}, { cookie: orgOwner });
    assert.deepEqual(after, before);
  });

  it('user mutations need a portal session: the admin key and runtime keys are refused', async () => {
    const key = await h.apiKey('acme', ['*'], orgOwner);
    const asAdmin = await h.graphql(ADD, { i: { email: 'z@acme.example.com', name: 'Z', role: 'viewer' } }, { headers: { 'x-admin-api-key': 'adm_test_key_0123456789abcdef' } });
    assert.equal(asAdmin.errors[0].extensions.code, 'UNAUTHENTICATED');
    assert.match(asAdmin.errors[0].message, /portal session.*admin API key was presented/);
    const asKey = await h.graphql(ADD, { i: { email: 'z@acme.example.com', name: 'Z', role: 'viewer' } }, { headers: { 'x-api-key': key.key } });
    assert.match(asKey.errors[0].message, /runtime API key was presented/);
    const none = await h.graphql(ADD, { i: { email: 'z@acme.example.com', name: 'Z', role: 'viewer' } });
    assert.deepEqual(none.errors[0].extensions.requiredAuth, ['portal_session']);
  });
});
