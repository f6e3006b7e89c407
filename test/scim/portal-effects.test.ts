import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '../../src/auth/passwords.js';
import { setPasswordHash } from '../../src/db/users.js';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';

/**
 * What provisioning does to the portal: a provisioned user is a portal user of the organization, deactivation
 * and deletion end their sessions at once, group role mappings give members their portal role (a role set by
 * hand stays), the role-mapping routes are for portal admins only, and every change is audited.
 */

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const rand = () => randomBytes(4).toString('hex');
const patchOps = (...ops: unknown[]) => ({ schemas: [PATCH_SCHEMA], Operations: ops });

/** The owner adds a person by hand (GraphQL addUser), as the portal does: their id and initial password. */
async function addPerson(h: Harness, owner: string, email: string, role = 'viewer'): Promise<{ userId: string; password: string }> {
  const res = await h.graphql(
    `mutation($input: AddUserInput!) { addUser(input: $input) { user { id } initialPassword } }`,
    { input: { email, name: `Person ${email}`, role } },
    { cookie: owner },
  );
  assert.ok(res.data?.addUser, JSON.stringify(res.errors));
  return { userId: res.data.addUser.user.id, password: res.data.addUser.initialPassword };
}

async function loginStatus(h: Harness, orgId: string, email: string, password: string): Promise<number> {
  const r = await h.call('POST', '/api/v1/auth/login', {
    body: { org_id: orgId, email, password },
    ip: `192.0.2.${Math.floor(Math.random() * 250) + 1}`,
  });
  return r.status;
}

const session = (h: Harness, cookie: string) => h.call('GET', '/api/v1/auth/session', { cookie });

async function directoryUser(h: Harness, owner: string, userName: string) {
  const res = await h.graphql(
    `query($f: String) { organization { directoryUsers(filter: $f) { totalCount users { id userName active groups { id displayName } } } } }`,
    { f: `userName eq "${userName}"` },
    { cookie: owner },
  );
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data.organization.directoryUsers;
}

async function portalUsers(h: Harness, owner: string): Promise<{ id: string; email: string; source: string; status: string; role: string }[]> {
  const res = await h.graphql(`query { organization { users(first: 50) { edges { node { id email source status role } } } } }`, {}, { cookie: owner });
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data.organization.users.edges.map((e: { node: unknown }) => e.node);
}

describe('a provisioned user is a portal user of the organization', () => {
  let h: Harness;
  let owner: string;
  let token: string;

  before(async () => {
    ({ h, cookie: owner } = await Harness.withOrgSession('portal-dir'));
    ({ token } = await h.scimToken('portal-dir', owner));
  });
  after(() => h.close());

  it('shows up in directoryUsers and in the portal users, source scim, with its groups', async () => {
    const userName = `dora.${rand()}@portal-dir.example.com`;
    const u = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName, name: { givenName: 'Dora', familyName: 'Explorer' }, active: true });
    assert.equal(u.status, 201);
    const g = await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Cartographers', members: [{ value: u.body.id }] });
    assert.equal(g.status, 201);

    const dir = await directoryUser(h, owner, userName);
    assert.equal(dir.totalCount, 1);
    assert.deepEqual(dir.users, [{ id: u.body.id, userName, active: true, groups: [{ id: g.body.id, displayName: 'Cartographers' }] }]);

    const person = (await portalUsers(h, owner)).find((p) => p.id === u.body.id);
    assert.ok(person, 'the provisioned user is a portal user with the same id');
    assert.equal(person.email, userName);
    assert.equal(person.source, 'scim');
    assert.equal(person.status, 'active');
    assert.equal(person.role, 'viewer');
  });

  it('directoryUsers follows deactivation, and a deleted user leaves both lists', async () => {
    const userName = `eve.${rand()}@portal-dir.example.com`;
    const u = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName, active: true });
    await h.scim(token, 'PATCH', `Users/${u.body.id}`, patchOps({ op: 'replace', value: { active: false } }));
    const dir = await directoryUser(h, owner, userName);
    assert.equal(dir.users[0].active, false);
    assert.equal((await portalUsers(h, owner)).find((p) => p.id === u.body.id)?.status, 'disabled');

    assert.equal((await h.scim(token, 'DELETE', `Users/${u.body.id}`)).status, 204);
    assert.equal((await directoryUser(h, owner, userName)).totalCount, 0);
    assert.equal((await portalUsers(h, owner)).find((p) => p.id === u.body.id), undefined);
  });

  it('a bad filter in directoryUsers is an input error, not a crash', async () => {
    const res = await h.graphql(`query { organization { directoryUsers(filter: "nosuch eq \\"x\\"") { totalCount } } }`, {}, { cookie: owner });
    assert.ok(res.errors?.length, 'refused');
    assert.equal(res.errors[0].extensions?.code, 'INVALID_INPUT');
    assert.match(res.errors[0].message, /nosuch/);
  });
});

describe('deactivation and deletion end the portal sessions of a provisioned user at once', () => {
  const ORG = 'portal-sessions';
  let h: Harness;
  let owner: string;
  let token: string;

  before(async () => {
    ({ h, cookie: owner } = await Harness.withOrgSession(ORG));
    ({ token } = await h.scimToken(ORG, owner));
  });
  after(() => h.close());

  /** A user the provider provisions; SSO is not built yet, so the test gives them a password to sign in with. */
  async function provision(name: string, active = true): Promise<{ userId: string; email: string; password: string }> {
    const email = `${name}.${rand()}@${ORG}.example.com`;
    const r = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName: email, name: { givenName: name }, active });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const password = `pw-${randomBytes(12).toString('hex')}`;
    await setPasswordHash(h.runtime.database.db, r.body.id, await hashPassword(password), new Date().toISOString());
    return { userId: r.body.id, email, password };
  }

  it('a person the portal already has is not taken over by their address: 409 uniqueness, and they are untouched', async () => {
    const email = `frank.${rand()}@${ORG}.example.com`;
    const { userId, password } = await addPerson(h, owner, email, 'developer');
    const cookie = await h.login(ORG, password, email);
    const r = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName: email, active: false });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.equal(r.body.scimType, 'uniqueness');
    assert.match(r.body.detail, /not provisioned by SCIM/);
    const people = (await portalUsers(h, owner)).filter((p) => p.email === email);
    assert.deepEqual(people.map((p) => [p.id, p.source, p.status, p.role]), [[userId, 'manual', 'active', 'developer']]);
    assert.equal((await session(h, cookie)).status, 200, 'their session goes on');
    assert.equal((await h.scim(token, 'GET', `Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`)).body.totalResults, 0);
  });

  it('active false ends the session at once and refuses login; active true lets them log in again', async () => {
    const { userId, email, password } = await provision('grace');
    const cookie = await h.login(ORG, password, email);
    const before = await session(h, cookie);
    assert.equal(before.status, 200);
    assert.equal(before.body.email, email);

    const off = await h.scim(token, 'PATCH', `Users/${userId}`, patchOps({ op: 'replace', value: { active: false } }));
    assert.equal(off.status, 200);
    assert.equal((await session(h, cookie)).status, 401);
    assert.equal(await loginStatus(h, ORG, email, password), 401);

    const on = await h.scim(token, 'PATCH', `Users/${userId}`, patchOps({ op: 'replace', value: { active: true } }));
    assert.equal(on.status, 200);
    assert.equal((await session(h, cookie)).status, 401, 'the ended session stays ended');
    const again = await session(h, await h.login(ORG, password, email));
    assert.equal(again.status, 200);
    assert.equal(again.body.email, email);
  });

  it('a PUT with active false (Okta, Ping) ends the session too', async () => {
    const { userId, email, password } = await provision('hank');
    const cookie = await h.login(ORG, password, email);
    const read = await h.scim(token, 'GET', `Users/${userId}`);
    const put = await h.scim(token, 'PUT', `Users/${userId}`, { ...read.body, active: false });
    assert.equal(put.status, 200);
    assert.equal((await session(h, cookie)).status, 401);
  });

  it('a user provisioned already disabled (Ping) cannot log in until the provider activates them', async () => {
    const { userId, email, password } = await provision('ivy', false);
    assert.equal(await loginStatus(h, ORG, email, password), 401);
    await h.scim(token, 'PATCH', `Users/${userId}`, patchOps({ op: 'replace', path: 'active', value: 'True' }));
    assert.equal(await loginStatus(h, ORG, email, password), 200);
  });

  it('the portal cannot undo a deactivation by the identity provider; the provider can', async () => {
    const { userId, email, password } = await provision('lena');
    await h.scim(token, 'PATCH', `Users/${userId}`, patchOps({ op: 'replace', value: { active: false } }));
    const enable = await h.graphql('mutation($id: ID!) { enableUser(userId: $id) { id status } }', { id: userId }, { cookie: owner });
    assert.equal(enable.errors?.[0]?.extensions?.code, 'CONFLICT', JSON.stringify(enable));
    assert.match(enable.errors[0].message, /deactivated by your identity provider/);
    assert.equal(await loginStatus(h, ORG, email, password), 401, 'still refused');
    await h.scim(token, 'PATCH', `Users/${userId}`, patchOps({ op: 'replace', value: { active: true } }));
    assert.equal(await loginStatus(h, ORG, email, password), 200);
  });

  it("the provider's next sync cannot undo a disable in the portal; the portal's enable can", async () => {
    const { userId, email, password } = await provision('milo');
    const cookie = await h.login(ORG, password, email);
    const off = await h.graphql('mutation($id: ID!) { disableUser(userId: $id) { id status } }', { id: userId }, { cookie: owner });
    assert.equal(off.errors, undefined, JSON.stringify(off.errors));
    assert.equal((await session(h, cookie)).status, 401);
    // Okta's routine profile push: the object it read, a title changed, active still true.
    const read = await h.scim(token, 'GET', `Users/${userId}`);
    assert.equal(read.body.active, true, 'SCIM shows what the provider said');
    const put = await h.scim(token, 'PUT', `Users/${userId}`, { ...read.body, title: 'Engineer' });
    assert.equal(put.status, 200);
    assert.equal(await loginStatus(h, ORG, email, password), 401, 'still disabled in the portal');
    const on = await h.graphql('mutation($id: ID!) { enableUser(userId: $id) { id status } }', { id: userId }, { cookie: owner });
    assert.equal(on.data?.enableUser?.status, 'active', JSON.stringify(on));
    assert.equal(await loginStatus(h, ORG, email, password), 200);
  });

  it('DELETE ends the session at once and the person can no longer log in', async () => {
    const { userId, email, password } = await provision('jack');
    const cookie = await h.login(ORG, password, email);
    assert.equal((await session(h, cookie)).status, 200);
    assert.equal((await h.scim(token, 'DELETE', `Users/${userId}`)).status, 204);
    assert.equal((await session(h, cookie)).status, 401);
    assert.equal(await loginStatus(h, ORG, email, password), 401);
    assert.equal((await portalUsers(h, owner)).find((p) => p.id === userId), undefined);
  });

  it("another organization's SCIM token cannot touch this org's users", async () => {
    await h.createOrg('portal-other');
    const { token: other } = await h.scimToken('portal-other');
    const { userId, email, password } = await provision('kim');
    const cookie = await h.login(ORG, password, email);
    const r = await h.scim(other, 'PATCH', `Users/${userId}`, patchOps({ op: 'replace', value: { active: false } }));
    assert.equal(r.status, 404);
    assert.equal((await h.scim(other, 'DELETE', `Users/${userId}`)).status, 404);
    assert.equal((await session(h, cookie)).status, 200);
  });
});

describe('group role mappings give members their portal role', () => {
  const ORG = 'portal-roles';
  let h: Harness;
  let owner: string;
  let token: string;
  let adminGroup: string;
  let devGroup: string;

  /** A provisioned (not adopted) user and a session of theirs. Provisioned users sign in through SSO, which
   * this deployment does not offer yet: the test gives them a password directly and logs in for real. */
  async function provisioned(name: string): Promise<{ id: string; cookie: string; email: string }> {
    const email = `${name}.${rand()}@${ORG}.example.com`;
    const r = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName: email, displayName: name, active: true });
    assert.equal(r.status, 201);
    const password = `pw-${randomBytes(12).toString('hex')}`;
    await setPasswordHash(h.runtime.database.db, r.body.id, await hashPassword(password), new Date().toISOString());
    return { id: r.body.id, email, cookie: await h.login(ORG, password, email) };
  }
  const roleOf = async (cookie: string) => {
    const r = await session(h, cookie);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.role;
  };
  const mapRole = (groupId: string, roleId: unknown, cookie = owner) => h.call('PUT', `/api/v1/scim/groups/${groupId}/role-mapping`, { cookie, body: { role_id: roleId } });
  const members = (groupId: string, op: string, ids: string[]) =>
    h.scim(token, 'PATCH', `Groups/${groupId}`, patchOps({ op, path: 'members', value: ids.map((value) => ({ value })) }));

  before(async () => {
    ({ h, cookie: owner } = await Harness.withOrgSession(ORG));
    ({ token } = await h.scimToken(ORG, owner));
    adminGroup = (await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Platform Admins', members: [] })).body.id;
    devGroup = (await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Developers', members: [] })).body.id;
  });
  after(() => h.close());

  it('GET /api/v1/scim/roles lists the five system roles, most privileged first', async () => {
    const r = await h.call('GET', '/api/v1/scim/roles', { cookie: owner });
    assert.equal(r.status, 200);
    assert.equal(r.body.count, 5);
    assert.deepEqual(r.body.roles.map((x: { id: string }) => x.id), ['owner', 'admin', 'policy_admin', 'developer', 'viewer']);
    assert.deepEqual(r.body.roles[2], { id: 'policy_admin', name: 'policy_admin', display_name: 'Policy Admin' });
  });

  it('mapping a group to admin updates its members at once: users_updated counts them, their session says admin', async () => {
    const ann = await provisioned('ann');
    const bob = await provisioned('bob');
    assert.equal(await roleOf(ann.cookie), 'viewer');
    await members(adminGroup, 'add', [ann.id, bob.id]);
    assert.equal(await roleOf(ann.cookie), 'viewer', 'membership of an unmapped group gives nothing');

    const r = await mapRole(adminGroup, 'admin');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { group_id: adminGroup, role_id: 'admin', role_name: 'admin', users_updated: 2 });
    assert.equal(await roleOf(ann.cookie), 'admin');
    assert.equal(await roleOf(bob.cookie), 'admin');
    const again = await mapRole(adminGroup, 'admin');
    assert.equal(again.body.users_updated, 0, 'nothing changes the second time');

    const list = await h.call('GET', '/api/v1/scim/groups/role-mappings', { cookie: owner });
    assert.equal(list.status, 200);
    assert.equal(list.body.count, 1);
    assert.equal(list.body.mappings[0].group_id, adminGroup);
    assert.equal(list.body.mappings[0].group_name, 'Platform Admins');
    assert.equal(list.body.mappings[0].role_id, 'admin');
    assert.ok(list.body.mappings[0].mapped_at);

    // An admin can now do what a viewer could not: list the SCIM tokens.
    assert.equal((await h.call('GET', '/api/v1/scim/tokens', { cookie: ann.cookie })).status, 200);
  });

  it('a member removed from the group is a viewer again; added back, an admin again', async () => {
    const cid = await provisioned('cid');
    await members(adminGroup, 'add', [cid.id]);
    assert.equal(await roleOf(cid.cookie), 'admin');
    await h.scim(token, 'PATCH', `Groups/${adminGroup}`, patchOps({ op: 'remove', path: `members[value eq "${cid.id}"]` }));
    assert.equal(await roleOf(cid.cookie), 'viewer');
    assert.equal((await h.call('GET', '/api/v1/scim/tokens', { cookie: cid.cookie })).status, 403);
    await members(adminGroup, 'add', [cid.id]);
    assert.equal(await roleOf(cid.cookie), 'admin');
    await members(adminGroup, 'remove', [cid.id]);
    assert.equal(await roleOf(cid.cookie), 'viewer', 'an Entra-style value-list removal too');
  });

  it('a member of two mapped groups gets the more privileged role; leaving it, the other', async () => {
    const dee = await provisioned('dee');
    const m = await mapRole(devGroup, 'developer');
    assert.equal(m.status, 200);
    await members(devGroup, 'add', [dee.id]);
    assert.equal(await roleOf(dee.cookie), 'developer');
    await members(adminGroup, 'add', [dee.id]);
    assert.equal(await roleOf(dee.cookie), 'admin');
    await members(adminGroup, 'remove', [dee.id]);
    assert.equal(await roleOf(dee.cookie), 'developer');
  });

  it('a role an owner set by hand (setUserRole) is not overwritten by SCIM membership or mapping changes', async () => {
    const eli = await provisioned('eli');
    await members(adminGroup, 'add', [eli.id]);
    assert.equal(await roleOf(eli.cookie), 'admin');
    const set = await h.graphql(`mutation($id: ID!) { setUserRole(userId: $id, role: policy_admin) { id role } }`, { id: eli.id }, { cookie: owner });
    assert.deepEqual(set.data?.setUserRole, { id: eli.id, role: 'policy_admin' }, JSON.stringify(set.errors));
    assert.equal(await roleOf(eli.cookie), 'policy_admin');

    await members(adminGroup, 'remove', [eli.id]);
    assert.equal(await roleOf(eli.cookie), 'policy_admin');
    await members(devGroup, 'add', [eli.id]);
    assert.equal(await roleOf(eli.cookie), 'policy_admin');
    const remap = await mapRole(devGroup, 'viewer');
    assert.equal(remap.status, 200);
    assert.equal(await roleOf(eli.cookie), 'policy_admin');
    await mapRole(devGroup, 'developer');
  });

  it('mapping a group to owner, or changing an owner mapping, takes an owner: an admin is refused', async () => {
    const admin = await h.userSession(ORG, 'admin', owner);
    const g = await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: `Founders ${rand()}` });
    const refused = await mapRole(g.body.id, 'owner', admin.cookie);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /owners:manage/);
    assert.equal((await mapRole(g.body.id, 'owner')).status, 200, 'an owner may');
    const unmap = await mapRole(g.body.id, null, admin.cookie);
    assert.equal(unmap.status, 403, 'nor may an admin take an owner mapping away');
    assert.equal((await mapRole(g.body.id, 'developer', admin.cookie)).status, 403);
    assert.equal((await mapRole(g.body.id, null)).status, 200);
    assert.equal((await mapRole(g.body.id, 'developer', admin.cookie)).status, 200, 'other roles stay the admins\' business');
  });

  it('clearing a mapping with null gives its members viewer back and drops it from the list', async () => {
    const gus = await provisioned('gus');
    const g = (await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Policy', members: [{ value: gus.id }] })).body.id;
    assert.equal((await mapRole(g, 'policy_admin')).body.users_updated, 1);
    assert.equal(await roleOf(gus.cookie), 'policy_admin');
    const cleared = await mapRole(g, null);
    assert.equal(cleared.status, 200);
    assert.deepEqual(cleared.body, { group_id: g, role_id: null, role_name: null, users_updated: 1 });
    assert.equal(await roleOf(gus.cookie), 'viewer');
    const list = await h.call('GET', '/api/v1/scim/groups/role-mappings', { cookie: owner });
    assert.ok(!list.body.mappings.some((x: { group_id: string }) => x.group_id === g));
  });

  it('deleting a mapped group takes its role away from its members', async () => {
    const hal = await provisioned('hal');
    const g = (await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Temporary Admins', members: [{ value: hal.id }] })).body.id;
    await mapRole(g, 'admin');
    assert.equal(await roleOf(hal.cookie), 'admin');
    assert.equal((await h.scim(token, 'DELETE', `Groups/${g}`)).status, 204);
    assert.equal(await roleOf(hal.cookie), 'viewer');
    const list = await h.call('GET', '/api/v1/scim/groups/role-mappings', { cookie: owner });
    assert.ok(!list.body.mappings.some((x: { group_id: string }) => x.group_id === g));
  });

  it('a role id that is no system role is 400 and changes nothing', async () => {
    for (const bad of ['superuser', 'Admin', '', 42]) {
      const r = await mapRole(devGroup, bad);
      assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${JSON.stringify(r.body)}`);
      assert.match(JSON.stringify(r.body.error), /role/i);
    }
    const missing = await h.call('PUT', `/api/v1/scim/groups/${devGroup}/role-mapping`, { cookie: owner, body: {} });
    assert.equal(missing.status, 400);
    const list = await h.call('GET', '/api/v1/scim/groups/role-mappings', { cookie: owner });
    assert.equal(list.body.mappings.find((x: { group_id: string }) => x.group_id === devGroup)?.role_id, 'developer');
  });

  it('an unknown group is 404', async () => {
    const r = await mapRole('grp_does_not_exist', 'admin');
    assert.equal(r.status, 404, JSON.stringify(r.body));
  });

  it("another organization's group is 404 to this org's owner", async () => {
    await h.createOrg('portal-roles-b');
    const { token: other } = await h.scimToken('portal-roles-b');
    const theirs = (await h.scim(other, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Theirs' })).body.id;
    const r = await mapRole(theirs, 'admin');
    assert.equal(r.status, 404);
  });

  it('a SCIM token on the role-mapping route is 401 and is told the route needs a portal session', async () => {
    for (const [method, path, body] of [
      ['PUT', `/api/v1/scim/groups/${adminGroup}/role-mapping`, { role_id: 'owner' }],
      ['GET', '/api/v1/scim/groups/role-mappings', undefined],
      ['GET', '/api/v1/scim/roles', undefined],
    ] as const) {
      const r = await h.call(method, path, { headers: { authorization: `Bearer ${token}` }, ...(body ? { body } : {}) });
      assert.equal(r.status, 401, `${method} ${path}`);
      assert.match(r.body.error.message, /portal session/);
      assert.match(r.body.error.message, /SCIM bearer token was presented/);
    }
    const list = await h.call('GET', '/api/v1/scim/groups/role-mappings', { cookie: owner });
    assert.equal(list.body.mappings.find((x: { group_id: string }) => x.group_id === adminGroup)?.role_id, 'admin');
  });

  it('a viewer session is 403 on the role-mapping routes; no credential is 401', async () => {
    const viewer = await h.userSession(ORG, 'viewer', owner);
    const put = await mapRole(adminGroup, 'owner', viewer.cookie);
    assert.equal(put.status, 403);
    assert.match(put.body.error.message, /viewer/);
    assert.equal((await h.call('GET', '/api/v1/scim/groups/role-mappings', { cookie: viewer.cookie })).status, 403);
    assert.equal((await h.call('GET', '/api/v1/scim/roles', { cookie: viewer.cookie })).status, 403);
    const none = await h.call('PUT', `/api/v1/scim/groups/${adminGroup}/role-mapping`, { body: { role_id: 'owner' } });
    assert.equal(none.status, 401);
    const list = await h.call('GET', '/api/v1/scim/groups/role-mappings', { cookie: owner });
    assert.equal(list.body.mappings.find((x: { group_id: string }) => x.group_id === adminGroup)?.role_id, 'admin');
  });
});

describe('every provisioning change writes an audit event', () => {
  const ORG = 'portal-audit';
  let h: Harness;
  let owner: string;
  let token: string;

  interface Event {
    action: string;
    actor_type: string;
    target_type: string | null;
    target_id: string | null;
    org_id: string;
    details: Record<string, unknown>;
  }
  const audit = async (query = ''): Promise<Event[]> => {
    const r = await h.call('GET', `/api/v1/admin/audit?org_id=${ORG}&limit=500${query}`, { headers: { 'x-admin-api-key': ADMIN_KEY } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.events;
  };
  const eventsFor = (events: Event[], id: string) => events.filter((e) => e.target_id === id && e.action.startsWith('scim.')).map((e) => e.action).sort();

  before(async () => {
    ({ h, cookie: owner } = await Harness.withOrgSession(ORG));
    ({ token } = await h.scimToken(ORG, owner));
  });
  after(() => h.close());

  it('user created, updated, deactivated, reactivated and deleted: one event each, by the SCIM token', async () => {
    const userName = `audit.${rand()}@${ORG}.example.com`;
    const id = (await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName, active: true })).body.id;
    await h.scim(token, 'PATCH', `Users/${id}`, patchOps({ op: 'replace', path: 'title', value: 'Auditor' }));
    await h.scim(token, 'PATCH', `Users/${id}`, patchOps({ op: 'replace', value: { active: false } }));
    await h.scim(token, 'PATCH', `Users/${id}`, patchOps({ op: 'replace', value: { active: true } }));
    assert.equal((await h.scim(token, 'DELETE', `Users/${id}`)).status, 204);

    const events = await audit();
    assert.deepEqual(eventsFor(events, id), ['scim.user_created', 'scim.user_deactivated', 'scim.user_deleted', 'scim.user_reactivated', 'scim.user_updated']);
    const created = events.find((e) => e.action === 'scim.user_created' && e.target_id === id)!;
    assert.equal(created.actor_type, 'scim');
    assert.equal(created.target_type, 'user');
    assert.equal(created.org_id, ORG);
    assert.equal(created.details.user_name, userName);
    const deactivated = events.find((e) => e.action === 'scim.user_deactivated' && e.target_id === id)!;
    assert.equal(typeof deactivated.details.sessions_ended, 'number');
  });

  it('the action filter returns only that action', async () => {
    const only = await audit('&action=scim.user_deactivated');
    assert.ok(only.length >= 1);
    assert.ok(only.every((e) => e.action === 'scim.user_deactivated'));
  });

  it('group created, renamed, members changed, role mapped and deleted: each audited with its counts', async () => {
    const u1 = (await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName: `m1.${rand()}@${ORG}.example.com` })).body.id;
    const u2 = (await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName: `m2.${rand()}@${ORG}.example.com` })).body.id;
    const g = (await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Audited', members: [{ value: u1 }] })).body.id;
    await h.scim(token, 'PATCH', `Groups/${g}`, patchOps({ op: 'replace', value: { id: g, displayName: 'Audited Group' } }));
    await h.scim(token, 'PATCH', `Groups/${g}`, patchOps({ op: 'add', path: 'members', value: [{ value: u2 }] }, { op: 'remove', path: `members[value eq "${u1}"]` }));
    assert.equal((await h.call('PUT', `/api/v1/scim/groups/${g}/role-mapping`, { cookie: owner, body: { role_id: 'developer' } })).status, 200);
    assert.equal((await h.scim(token, 'DELETE', `Groups/${g}`)).status, 204);

    const events = await audit();
    const mine = events.filter((e) => e.target_id === g);
    assert.deepEqual(mine.map((e) => e.action).sort(), ['scim.group_created', 'scim.group_deleted', 'scim.group_role_mapped', 'scim.group_updated', 'scim.group_updated']);
    assert.equal(mine.find((e) => e.action === 'scim.group_created')!.details.members_added, 1);
    const memberChange = mine.find((e) => e.action === 'scim.group_updated' && e.details.members_added === 1);
    assert.ok(memberChange, JSON.stringify(mine));
    assert.equal(memberChange.details.members_removed, 1);
    assert.equal(memberChange.details.display_name, 'Audited Group');
    const mapped = mine.find((e) => e.action === 'scim.group_role_mapped')!;
    assert.equal(mapped.actor_type, 'user', 'a role mapping is done by a portal admin, not the IdP');
    assert.deepEqual({ from: mapped.details.from, to: mapped.details.to, users_updated: mapped.details.users_updated }, { from: null, to: 'developer', users_updated: 1 });
  });

  it('a refused change writes no event', async () => {
    const before = (await audit()).length;
    const dup = await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Dup', members: [] });
    assert.equal(dup.status, 201);
    const again = await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'dup', members: [] });
    assert.equal(again.status, 409);
    const bad = await h.scim(token, 'PATCH', `Groups/${dup.body.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: 'usr_nobody' }] }));
    assert.equal(bad.status, 400);
    const after = await audit();
    assert.equal(after.length, before + 1, 'only the first group creation');
    assert.equal(after.filter((e) => e.target_id === dup.body.id).length, 1);
  });
});
