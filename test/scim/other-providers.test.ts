import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/harness.js';

/**
 * The identity providers after Okta and Entra, each as it behaves: Google Workspace (probe, schema-driven
 * mapping, suspend, late delete), JumpCloud (its connection test, group take-over by name), OneLogin (value-list
 * removals, custom URN attributes of its template) and Ping (users provisioned disabled, delete on deprovision).
 */

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const ONELOGIN = 'urn:ietf:params:scim:schemas:extension:onelogin:2.0:User';

const q = (s: string) => encodeURIComponent(s);
const rand = () => randomBytes(4).toString('hex');
const patchOps = (...ops: unknown[]) => ({ schemas: [PATCH_SCHEMA], Operations: ops });
const idsOf = (body: { Resources: { id: string }[] }) => body.Resources.map((r) => r.id).sort();

describe('Google Workspace', () => {
  let h: Harness;
  let token: string;
  let userId: string;
  const userName = `ada.${rand()}@example.org`;
  const GOOGLE = { 'user-agent': 'Google-Auto-Provisioning' };

  before(async () => {
    const s = await Harness.withOrgSession('google-ws');
    h = s.h;
    ({ token } = await h.scimToken('google-ws', s.cookie));
  });
  after(() => h.close());

  it('probes with GET /Users?count=1 on an empty directory: 200, a ListResponse with numbers', async () => {
    const r = await h.scim(token, 'GET', 'Users?count=1', undefined, GOOGLE);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/scim\+json/);
    assert.deepEqual(r.body, { schemas: [LIST_SCHEMA], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
  });

  it('builds its mapping from GET /Schemas: the User schema with userName, and the Enterprise extension', async () => {
    const r = await h.scim(token, 'GET', 'Schemas', undefined, GOOGLE);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.schemas, [LIST_SCHEMA]);
    assert.equal(r.body.totalResults, r.body.Resources.length);
    const user = r.body.Resources.find((s: { id: string }) => s.id === USER_SCHEMA);
    assert.ok(user, 'User schema listed');
    const userNameAttr = user.attributes.find((a: { name: string }) => a.name === 'userName');
    assert.equal(userNameAttr.required, true);
    assert.equal(userNameAttr.uniqueness, 'server');
    assert.equal(userNameAttr.type, 'string');
    assert.ok(user.attributes.some((a: { name: string; type: string }) => a.name === 'active' && a.type === 'boolean'));
    assert.ok(user.attributes.some((a: { name: string; multiValued: boolean }) => a.name === 'emails' && a.multiValued));
    const ent = r.body.Resources.find((s: { id: string }) => s.id === ENTERPRISE);
    assert.ok(ent, 'Enterprise extension listed');
    assert.ok(ent.attributes.some((a: { name: string }) => a.name === 'department'));
    assert.ok(ent.attributes.some((a: { name: string }) => a.name === 'manager'));
    assert.ok(r.body.Resources.some((s: { id: string }) => s.id === GROUP_SCHEMA));
    const one = await h.scim(token, 'GET', `Schemas/${USER_SCHEMA}`, undefined, GOOGLE);
    assert.equal(one.status, 200);
    assert.equal(one.body.id, USER_SCHEMA);
    const types = await h.scim(token, 'GET', 'ResourceTypes/User', undefined, GOOGLE);
    assert.deepEqual(types.body.schemaExtensions, [{ schema: ENTERPRISE, required: false }]);
  });

  it('discovery answers without a token, and refuses a filter with 403', async () => {
    const open = await h.call('GET', '/scim/v2/Schemas');
    assert.equal(open.status, 200);
    assert.ok(open.body.Resources.some((s: { id: string }) => s.id === USER_SCHEMA));
    const spc = await h.call('GET', '/scim/v2/ServiceProviderConfig');
    assert.equal(spc.status, 200);
    assert.equal(spc.body.patch.supported, true);
    assert.equal(spc.body.bulk.supported, false);
    const filtered = await h.scim(token, 'GET', `Schemas?filter=${q('id eq "x"')}`, undefined, GOOGLE);
    assert.equal(filtered.status, 403);
    assert.deepEqual(filtered.body.schemas, [ERROR_SCHEMA]);
    assert.equal(filtered.body.status, '403');
  });

  it('provisions, then the probe sees one user', async () => {
    const r = await h.scim(
      token,
      'POST',
      'Users',
      {
        schemas: [USER_SCHEMA, ENTERPRISE],
        userName,
        name: { givenName: 'Ada', familyName: 'Lovelace' },
        emails: [{ value: userName, type: 'work', primary: true }],
        active: true,
        [ENTERPRISE]: { department: 'Analytics' },
      },
      GOOGLE,
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    userId = r.body.id;
    const probe = await h.scim(token, 'GET', 'Users?count=1', undefined, GOOGLE);
    assert.equal(probe.body.totalResults, 1);
    assert.equal(probe.body.Resources[0].id, userId);
  });

  it('suspends with PATCH replace active false: the user stays, inactive', async () => {
    const r = await h.scim(token, 'PATCH', `Users/${userId}`, patchOps({ op: 'replace', path: 'active', value: false }), GOOGLE);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.active, false);
    const got = await h.scim(token, 'GET', `Users/${userId}`, undefined, GOOGLE);
    assert.equal(got.status, 200);
    assert.equal(got.body.active, false);
    assert.equal(got.body[ENTERPRISE].department, 'Analytics');
  });

  it('weeks later DELETE is 204; then GET is 404 and the user is gone from lists', async () => {
    h.clock.advance(21 * 24 * 3600 * 1000);
    const d = await h.scim(token, 'DELETE', `Users/${userId}`, undefined, GOOGLE);
    assert.equal(d.status, 204);
    assert.equal(d.body, null);
    const got = await h.scim(token, 'GET', `Users/${userId}`, undefined, GOOGLE);
    assert.equal(got.status, 404);
    assert.equal(got.body.status, '404');
    const list = await h.scim(token, 'GET', 'Users?count=1', undefined, GOOGLE);
    assert.equal(list.body.totalResults, 0);
    const byName = await h.scim(token, 'GET', `Users?filter=${q(`userName eq "${userName}"`)}`, undefined, GOOGLE);
    assert.equal(byName.body.totalResults, 0);
  });
});

describe('JumpCloud', () => {
  let h: Harness;
  let token: string;

  before(async () => {
    const s = await Harness.withOrgSession('jumpcloud');
    h = s.h;
    ({ token } = await h.scimToken('jumpcloud', s.cookie));
  });
  after(() => h.close());

  it('connection test: creates a test user and a test group, removes the member by value list, deletes both', async () => {
    const stamp = Date.now();
    const user = await h.scim(token, 'POST', 'Users', {
      schemas: [USER_SCHEMA],
      userName: `jctest${stamp}@jumpcloud.com`,
      name: { givenName: 'JumpCloud', familyName: 'Test' },
      emails: [{ value: `jctest${stamp}@jumpcloud.com`, primary: true, type: 'work' }],
      active: true,
    });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    const keeper = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName: `keeper${stamp}@jumpcloud.com`, active: true });
    assert.equal(keeper.status, 201);
    const group = await h.scim(token, 'POST', 'Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: `JumpCloud Test Group ${stamp}`,
      members: [{ value: user.body.id }, { value: keeper.body.id }],
    });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    assert.deepEqual(group.body.members.map((m: { value: string }) => m.value).sort(), [user.body.id, keeper.body.id].sort());

    const removed = await h.scim(token, 'PATCH', `Groups/${group.body.id}`, patchOps({ op: 'remove', path: 'members', value: [{ value: user.body.id }] }));
    assert.ok(removed.status === 204 || removed.status === 200, `status ${removed.status}`);
    const after = await h.scim(token, 'GET', `Groups/${group.body.id}`);
    assert.deepEqual(after.body.members.map((m: { value: string }) => m.value), [keeper.body.id], 'only the named member goes');

    assert.equal((await h.scim(token, 'DELETE', `Users/${user.body.id}`)).status, 204);
    assert.equal((await h.scim(token, 'DELETE', `Groups/${group.body.id}`)).status, 204);
    assert.equal((await h.scim(token, 'GET', `Users/${user.body.id}`)).status, 404);
    assert.equal((await h.scim(token, 'GET', `Groups/${group.body.id}`)).status, 404);
    const left = await h.scim(token, 'GET', `Groups?filter=${q(`displayName eq "JumpCloud Test Group ${stamp}"`)}`);
    assert.equal(left.body.totalResults, 0);
    const keeperNow = await h.scim(token, 'GET', `Users/${keeper.body.id}`);
    assert.equal(keeperNow.status, 200);
    assert.deepEqual(keeperNow.body.groups ?? [], []);
  });

  it('takes over a group made earlier by finding it by name, then manages its members', async () => {
    // A group another connector (or an earlier JumpCloud setup) pushed.
    const a = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName: `a.${rand()}@example.com` });
    const b = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName: `b.${rand()}@example.com` });
    const earlier = await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Sales EMEA', externalId: 'okta-00g1', members: [{ value: a.body.id }] });
    assert.equal(earlier.status, 201);

    const found = await h.scim(token, 'GET', `Groups?filter=${q('displayName eq "Sales EMEA"')}`);
    assert.equal(found.status, 200);
    assert.equal(found.body.totalResults, 1);
    const [g] = found.body.Resources;
    assert.equal(g.id, earlier.body.id);
    assert.deepEqual(g.members.map((m: { value: string }) => m.value), [a.body.id]);

    // Creating it again instead would be refused: take-over by name is the way.
    const again = await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Sales EMEA', members: [] });
    assert.equal(again.status, 409);
    assert.equal(again.body.scimType, 'uniqueness');

    const put = await h.scim(token, 'PUT', `Groups/${g.id}`, { schemas: [GROUP_SCHEMA], displayName: 'Sales EMEA', externalId: 'jc-5f1e', members: [{ value: a.body.id }, { value: b.body.id }] });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.externalId, 'jc-5f1e');
    assert.deepEqual(put.body.members.map((m: { value: string }) => m.value).sort(), [a.body.id, b.body.id].sort());
    const rm = await h.scim(token, 'PATCH', `Groups/${g.id}`, patchOps({ op: 'remove', path: 'members', value: [{ value: a.body.id }] }));
    assert.ok(rm.status === 204 || rm.status === 200);
    const now = await h.scim(token, 'GET', `Groups/${g.id}`);
    assert.deepEqual(now.body.members.map((m: { value: string }) => m.value), [b.body.id]);
  });
});

describe('OneLogin', () => {
  let h: Harness;
  let token: string;

  before(async () => {
    const s = await Harness.withOrgSession('onelogin');
    h = s.h;
    ({ token } = await h.scimToken('onelogin', s.cookie));
  });
  after(() => h.close());

  const template = (userName: string, costCenterCode: string) => ({
    schemas: [USER_SCHEMA, ENTERPRISE, ONELOGIN],
    userName,
    name: { givenName: 'Grace', familyName: 'Hopper' },
    emails: [{ value: userName, primary: true }],
    active: true,
    [ENTERPRISE]: { department: 'Navy' },
    [ONELOGIN]: { costCenterCode, badge: { number: 42, colour: 'blue' } },
  });

  it('custom URN attributes of its template are kept and returned by GET', async () => {
    const userName = `grace.${rand()}@example.com`;
    const r = await h.scim(token, 'POST', 'Users', template(userName, 'CC-100'));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body[ONELOGIN], { costCenterCode: 'CC-100', badge: { number: 42, colour: 'blue' } });
    assert.ok(r.body.schemas.includes(ONELOGIN));
    const got = await h.scim(token, 'GET', `Users/${r.body.id}`);
    assert.deepEqual(got.body[ONELOGIN], { costCenterCode: 'CC-100', badge: { number: 42, colour: 'blue' } });
    assert.equal(got.body[ENTERPRISE].department, 'Navy');
    assert.ok(got.body.schemas.includes(ONELOGIN));
    const listed = await h.scim(token, 'GET', `Users?filter=${q(`userName eq "${userName}"`)}`);
    assert.deepEqual(listed.body.Resources[0][ONELOGIN], { costCenterCode: 'CC-100', badge: { number: 42, colour: 'blue' } });
  });

  it('they survive a PUT that sends them back, and a PUT with a new value changes them', async () => {
    const userName = `grace.${rand()}@example.com`;
    const created = await h.scim(token, 'POST', 'Users', template(userName, 'CC-200'));
    const id = created.body.id;
    const read = await h.scim(token, 'GET', `Users/${id}`);
    const same = await h.scim(token, 'PUT', `Users/${id}`, read.body);
    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.deepEqual(same.body[ONELOGIN], { costCenterCode: 'CC-200', badge: { number: 42, colour: 'blue' } });
    const changed = await h.scim(token, 'PUT', `Users/${id}`, { ...template(userName, 'CC-300'), name: { givenName: 'Grace B.', familyName: 'Hopper' } });
    assert.equal(changed.status, 200);
    const got = await h.scim(token, 'GET', `Users/${id}`);
    assert.equal(got.body[ONELOGIN].costCenterCode, 'CC-300');
    assert.equal(got.body.name.givenName, 'Grace B.');
  });

  it('a PATCH of a custom URN attribute path changes only that attribute', async () => {
    const created = await h.scim(token, 'POST', 'Users', template(`grace.${rand()}@example.com`, 'CC-400'));
    const r = await h.scim(token, 'PATCH', `Users/${created.body.id}`, patchOps({ op: 'replace', path: `${ONELOGIN}:costCenterCode`, value: 'CC-401' }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body[ONELOGIN], { costCenterCode: 'CC-401', badge: { number: 42, colour: 'blue' } });
  });

  it('removals with a value list take out only the members named', async () => {
    const users: string[] = [];
    for (let i = 0; i < 3; i++) users.push((await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName: `ol${i}.${rand()}@example.com` })).body.id);
    const g = await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Admirals', members: users.map((value) => ({ value })) });
    assert.equal(g.status, 201);
    const r = await h.scim(token, 'PATCH', `Groups/${g.body.id}`, patchOps({ op: 'remove', path: 'members', value: [{ value: users[0] }, { value: users[2] }] }));
    assert.ok(r.status === 204 || r.status === 200, `status ${r.status}`);
    const got = await h.scim(token, 'GET', `Groups/${g.body.id}`);
    assert.deepEqual(got.body.members.map((m: { value: string }) => m.value), [users[1]]);
  });

  it('a value-list removal on a multi-valued user attribute removes only the matching values', async () => {
    const userName = `multi.${rand()}@example.com`;
    const created = await h.scim(token, 'POST', 'Users', {
      schemas: [USER_SCHEMA],
      userName,
      emails: [
        { value: userName, type: 'work', primary: true },
        { value: 'home@example.net', type: 'home' },
      ],
    });
    const r = await h.scim(token, 'PATCH', `Users/${created.body.id}`, patchOps({ op: 'remove', path: 'emails', value: [{ value: 'HOME@example.net' }] }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.emails, [{ value: userName, type: 'work', primary: true }]);
  });
});

describe('Ping Identity', () => {
  let h: Harness;
  let token: string;

  before(async () => {
    const s = await Harness.withOrgSession('ping');
    h = s.h;
    ({ token } = await h.scimToken('ping', s.cookie));
  });
  after(() => h.close());

  it('provisions a user already disabled: 201 with active false, and the user exists inactive', async () => {
    const userName = `disabled.${rand()}@pingidentity.example`;
    const r = await h.scim(token, 'POST', 'Users', {
      schemas: [USER_SCHEMA],
      userName,
      name: { givenName: 'Dee', familyName: 'Sabled' },
      emails: [{ value: userName, type: 'work', primary: true }],
      active: false,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.active, false);
    const got = await h.scim(token, 'GET', `Users/${r.body.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.active, false);
    const inactive = await h.scim(token, 'GET', `Users?filter=${q('active eq false')}`);
    assert.deepEqual(idsOf(inactive.body), [r.body.id]);
    // Enabled later by a PUT of the whole user, as Ping's connector sends updates.
    const on = await h.scim(token, 'PUT', `Users/${r.body.id}`, { schemas: [USER_SCHEMA], userName, name: { givenName: 'Dee', familyName: 'Sabled' }, active: true });
    assert.equal(on.status, 200);
    assert.equal(on.body.active, true);
  });

  it('disable on deprovision: a PUT with active false keeps the user, inactive', async () => {
    const userName = `disable.${rand()}@pingidentity.example`;
    const created = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName, active: true });
    const off = await h.scim(token, 'PUT', `Users/${created.body.id}`, { schemas: [USER_SCHEMA], userName, active: false });
    assert.equal(off.status, 200);
    assert.equal(off.body.active, false);
    assert.equal((await h.scim(token, 'GET', `Users/${created.body.id}`)).body.active, false);
  });

  it('delete on deprovision: DELETE is 204 and the user is gone, by id and from lists', async () => {
    const userName = `gone.${rand()}@pingidentity.example`;
    const created = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName, active: true, externalId: randomUUID() });
    assert.equal(created.status, 201);
    const d = await h.scim(token, 'DELETE', `Users/${created.body.id}`);
    assert.equal(d.status, 204);
    const got = await h.scim(token, 'GET', `Users/${created.body.id}`);
    assert.equal(got.status, 404);
    assert.deepEqual(got.body.schemas, [ERROR_SCHEMA]);
    const list = await h.scim(token, 'GET', `Users?filter=${q(`externalId eq "${created.body.externalId}"`)}`);
    assert.equal(list.body.totalResults, 0);
    // The same person can be provisioned afresh later.
    const back = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName, active: true });
    assert.equal(back.status, 201);
    assert.notEqual(back.body.id, created.body.id);
  });
});
