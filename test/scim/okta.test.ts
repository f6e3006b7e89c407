import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/harness.js';

/**
 * Okta as it provisions: the SCIM 2.0 SPEC test sequence it publishes (its Runscope suite) in its order, the
 * create / update / deactivate / reactivate cycle of a user, and group push. Request shapes are Okta's own.
 */

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const OKTA_UA = { 'user-agent': 'Okta SCIM Client 1.0.0', accept: 'application/scim+json' };

const q = (s: string) => encodeURIComponent(s);
const rand = () => randomBytes(5).toString('hex');

/** The user Okta POSTs: core attributes, a work email, active, and a password it never expects back. */
function oktaUser(userName: string, given = 'Saurabh', family = 'Rai'): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: given, familyName: family },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `${given} ${family}`,
    locale: 'en-US',
    externalId: `00u${rand()}`,
    groups: [],
    password: '1mz050nq',
    active: true,
  };
}

function assertScimJson(r: { headers: Headers }, what: string): void {
  assert.match(r.headers.get('content-type') ?? '', /^application\/scim\+json/, `${what}: content-type`);
}

/** A request as Okta sends it; every answer that has a body must be SCIM JSON, errors included. */
async function okta(h: Harness, token: string, method: string, path: string, body?: unknown) {
  const r = await h.scim(token, method, path, body, OKTA_UA);
  if (r.status !== 204) assertScimJson(r, `${method} ${path} (${r.status})`);
  return r;
}

describe('Okta SCIM 2.0 SPEC test (Runscope sequence)', () => {
  let h: Harness;
  let token: string;
  const userName = `runscope${rand()}@atko.com`;
  let userId: string;

  before(async () => {
    const s = await Harness.withOrgSession('okta-spec');
    h = s.h;
    ({ token } = await h.scimToken('okta-spec', s.cookie));
  });
  after(() => h.close());

  it('GET /Users?count=1&startIndex=1 answers a ListResponse whose counters are numbers', async () => {
    await okta(h, token, 'POST', 'Users', oktaUser(`seed${rand()}@atko.com`));
    const r = await okta(h, token, 'GET', 'Users?count=1&startIndex=1');
    assert.equal(r.status, 200);
    assertScimJson(r, 'list');
    assert.deepEqual(r.body.schemas, [LIST_SCHEMA]);
    assert.equal(typeof r.body.totalResults, 'number');
    assert.equal(typeof r.body.itemsPerPage, 'number');
    assert.equal(typeof r.body.startIndex, 'number');
    assert.equal(r.body.startIndex, 1);
    assert.equal(r.body.itemsPerPage, 1);
    assert.ok(Array.isArray(r.body.Resources));
    assert.equal(r.body.Resources.length, 1);
    assert.equal(r.body.totalResults, 1);
  });

  it('a filter on a userName that does not exist is 200 with an empty list, not 404', async () => {
    const r = await okta(h, token, 'GET', `Users?filter=${q(`userName eq "${randomUUID()}@atko.com"`)}&startIndex=1&count=100`);
    assert.equal(r.status, 200);
    assertScimJson(r, 'empty list');
    assert.equal(r.body.totalResults, 0);
    assert.deepEqual(r.body.Resources, []);
    assert.deepEqual(r.body.schemas, [LIST_SCHEMA]);
  });

  it('POST /Users is 201 with the user, an id, and a Location equal to meta.location; the password is not returned', async () => {
    const r = await okta(h, token, 'POST', 'Users', oktaUser(userName));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assertScimJson(r, 'create');
    assert.equal(typeof r.body.id, 'string');
    assert.ok(r.body.id.length > 0);
    assert.equal(r.body.userName, userName);
    assert.equal(r.body.active, true);
    assert.deepEqual(r.body.name, { givenName: 'Saurabh', familyName: 'Rai' });
    assert.equal(r.body.meta.resourceType, 'User');
    assert.ok(r.headers.get('location'));
    assert.equal(r.headers.get('location'), r.body.meta.location);
    assert.ok(r.body.meta.location.endsWith(`/scim/v2/Users/${r.body.id}`));
    assert.ok(!('password' in r.body));
    assert.ok(!JSON.stringify(r.body).includes('1mz050nq'));
    userId = r.body.id;
  });

  it('GET /Users/{id} gives back the user just created', async () => {
    const r = await okta(h, token, 'GET', `Users/${userId}`);
    assert.equal(r.status, 200);
    assertScimJson(r, 'get');
    assert.equal(r.body.id, userId);
    assert.equal(r.body.userName, userName);
    assert.equal(r.body.emails[0].value, userName);
    assert.ok(!('password' in r.body));
  });

  it('a filter on the userName in another letter case finds the user', async () => {
    const r = await okta(h, token, 'GET', `Users?filter=${q(`userName eq "${userName.toUpperCase()}"`)}&startIndex=1&count=100`);
    assert.equal(r.status, 200);
    assert.equal(r.body.totalResults, 1);
    assert.equal(r.body.Resources[0].id, userId);
    assert.equal(r.body.Resources[0].userName, userName);
  });

  it('POST of the same userName again (other case) is 409 uniqueness, and no second user exists', async () => {
    const r = await okta(h, token, 'POST', 'Users', oktaUser(userName.toUpperCase()));
    assert.equal(r.status, 409);
    assertScimJson(r, 'conflict');
    assert.deepEqual(r.body.schemas, [ERROR_SCHEMA]);
    assert.equal(r.body.status, '409');
    assert.equal(r.body.scimType, 'uniqueness');
    assert.equal(typeof r.body.detail, 'string');
    assert.ok(r.body.detail.length > 0);
    const list = await okta(h, token, 'GET', `Users?filter=${q(`userName eq "${userName}"`)}`);
    assert.equal(list.body.totalResults, 1);
  });

  it('GET /Users/<random uuid> is 404 with the SCIM error body', async () => {
    const r = await okta(h, token, 'GET', `Users/${randomUUID()}`);
    assert.equal(r.status, 404);
    assertScimJson(r, '404');
    assert.deepEqual(r.body.schemas, [ERROR_SCHEMA]);
    assert.equal(r.body.status, '404');
    assert.equal(typeof r.body.detail, 'string');
    assert.ok(!JSON.stringify(r.body).includes(' at '), 'no stack trace');
  });

  it('errors without a token or with a bad filter are SCIM JSON too', async () => {
    const noToken = await h.call('GET', '/scim/v2/Users?count=1', { headers: OKTA_UA });
    assert.equal(noToken.status, 401);
    assertScimJson(noToken, '401');
    assert.equal(noToken.body.status, '401');
    assert.match(noToken.headers.get('www-authenticate') ?? '', /^Bearer realm="SCIM"/);
    const bad = await okta(h, token, 'GET', `Users?filter=${q('userName eq')}`);
    assert.equal(bad.status, 400);
    assertScimJson(bad, '400');
    assert.equal(bad.body.scimType, 'invalidFilter');
    assert.equal(bad.body.status, '400');
  });
});

describe('Okta user lifecycle: create, update, deactivate, reactivate', () => {
  let h: Harness;
  let token: string;
  const userName = `isabelle.hughes.${rand()}@atko.com`;
  let id: string;

  before(async () => {
    const s = await Harness.withOrgSession('okta-life');
    h = s.h;
    ({ token } = await h.scimToken('okta-life', s.cookie));
    const r = await okta(h, token, 'POST', 'Users', oktaUser(userName, 'Isabelle', 'Hughes'));
    assert.equal(r.status, 201);
    id = r.body.id;
  });
  after(() => h.close());

  it('a PUT of the unchanged object Okta just read (id, meta, groups, active) succeeds and keeps it active', async () => {
    const read = await okta(h, token, 'GET', `Users/${id}`);
    assert.equal(read.status, 200);
    const sent = { ...read.body, groups: read.body.groups ?? [] };
    const r = await okta(h, token, 'PUT', `Users/${id}`, sent);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assertScimJson(r, 'put');
    assert.equal(r.body.id, id);
    assert.equal(r.body.active, true);
    assert.equal(r.body.userName, userName);
    assert.deepEqual(r.body.name, read.body.name);
    assert.deepEqual(r.body.emails, read.body.emails);
    const again = await okta(h, token, 'GET', `Users/${id}`);
    assert.equal(again.body.active, true);
    assert.equal(again.body.meta.created, read.body.meta.created);
  });

  it('a PUT with a changed name and title replaces them, and a sent id/meta cannot move the user', async () => {
    const read = await okta(h, token, 'GET', `Users/${id}`);
    const sent = {
      ...read.body,
      id: randomUUID(),
      meta: { ...read.body.meta, created: '2001-01-01T00:00:00Z' },
      name: { givenName: 'Izzy', familyName: 'Hughes' },
      title: 'Staff Engineer',
    };
    const r = await okta(h, token, 'PUT', `Users/${id}`, sent);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.id, id);
    assert.equal(r.body.meta.created, read.body.meta.created);
    assert.deepEqual(r.body.name, { givenName: 'Izzy', familyName: 'Hughes' });
    assert.equal(r.body.title, 'Staff Engineer');
    const found = await okta(h, token, 'GET', `Users?filter=${q('title eq "staff engineer"')}`);
    assert.deepEqual(found.body.Resources.map((u: { id: string }) => u.id), [id]);
  });

  it('PATCH replace {"active": false} deactivates: the user stays visible with active false', async () => {
    const r = await okta(h, token, 'PATCH', `Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', value: { active: false } }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assertScimJson(r, 'patch');
    assert.equal(r.body.active, false);
    assert.equal(r.body.userName, userName);
    const got = await okta(h, token, 'GET', `Users/${id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.active, false);
    const inactive = await okta(h, token, 'GET', `Users?filter=${q('active eq false')}`);
    assert.deepEqual(inactive.body.Resources.map((u: { id: string }) => u.id), [id]);
  });

  it('a PUT of the deactivated object as read keeps it inactive', async () => {
    const read = await okta(h, token, 'GET', `Users/${id}`);
    const r = await okta(h, token, 'PUT', `Users/${id}`, read.body);
    assert.equal(r.status, 200);
    assert.equal(r.body.active, false);
  });

  it('PATCH replace {"active": true} reactivates', async () => {
    const r = await okta(h, token, 'PATCH', `Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', value: { active: true } }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.active, true);
    const got = await okta(h, token, 'GET', `Users/${id}`);
    assert.equal(got.body.active, true);
    const inactive = await okta(h, token, 'GET', `Users?filter=${q('active eq false')}`);
    assert.equal(inactive.body.totalResults, 0);
  });

  it('a PATCH that replaces the userName moves the uniqueness with it', async () => {
    const renamed = `isabelle.h.${rand()}@atko.com`;
    const r = await okta(h, token, 'PATCH', `Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'userName', value: renamed }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.userName, renamed);
    const old = await okta(h, token, 'POST', 'Users', oktaUser(userName));
    assert.equal(old.status, 201, 'the old userName is free again');
    const dup = await okta(h, token, 'POST', 'Users', oktaUser(renamed));
    assert.equal(dup.status, 409);
  });
});

describe('Okta group push', () => {
  let h: Harness;
  let token: string;
  const users: string[] = [];
  let groupId: string;

  const members = async (): Promise<string[]> => {
    const r = await okta(h, token, 'GET', `Groups/${groupId}`);
    assert.equal(r.status, 200);
    return (r.body.members ?? []).map((m: { value: string }) => m.value).sort();
  };
  const patch = (ops: unknown[]) => okta(h, token, 'PATCH', `Groups/${groupId}`, { schemas: [PATCH_SCHEMA], Operations: ops });

  before(async () => {
    const s = await Harness.withOrgSession('okta-push');
    h = s.h;
    ({ token } = await h.scimToken('okta-push', s.cookie));
    for (let i = 0; i < 4; i++) {
      const r = await okta(h, token, 'POST', 'Users', oktaUser(`push${i}.${rand()}@atko.com`, `P${i}`, 'User'));
      assert.equal(r.status, 201);
      users.push(r.body.id);
    }
  });
  after(() => h.close());

  it('POST /Groups with empty members is 201 with no members and a Location', async () => {
    const r = await okta(h, token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Engineering', members: [] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assertScimJson(r, 'group create');
    assert.equal(r.body.displayName, 'Engineering');
    assert.deepEqual(r.body.members ?? [], []);
    assert.equal(r.headers.get('location'), r.body.meta.location);
    groupId = r.body.id;
    assert.deepEqual(await members(), []);
  });

  it('a path-less replace with {id, displayName} renames the group', async () => {
    const r = await patch([{ op: 'replace', value: { id: groupId, displayName: 'Engineering Team' } }]);
    assert.ok(r.status === 204 || r.status === 200, `status ${r.status} ${JSON.stringify(r.body)}`);
    const got = await okta(h, token, 'GET', `Groups/${groupId}`);
    assert.equal(got.body.displayName, 'Engineering Team');
    assert.equal(got.body.id, groupId);
    const byOld = await okta(h, token, 'GET', `Groups?filter=${q('displayName eq "Engineering"')}`);
    assert.equal(byOld.body.totalResults, 0);
  });

  it('a rename that carries another id is refused as mutability and changes nothing', async () => {
    const r = await patch([{ op: 'replace', value: { id: 'grp_someone_else', displayName: 'Hijacked' } }]);
    assert.equal(r.status, 400);
    assert.equal(r.body.scimType, 'mutability');
    const got = await okta(h, token, 'GET', `Groups/${groupId}`);
    assert.equal(got.body.displayName, 'Engineering Team');
  });

  it('adds members by a value list', async () => {
    const r = await patch([{ op: 'add', path: 'members', value: [{ value: users[0], display: 'P0 User' }, { value: users[1], display: 'P1 User' }] }]);
    assert.ok(r.status === 204 || r.status === 200, `status ${r.status}`);
    assert.deepEqual(await members(), [users[0], users[1]].sort());
    const u0 = await okta(h, token, 'GET', `Users/${users[0]}`);
    assert.deepEqual(u0.body.groups.map((g: { value: string; display: string }) => [g.value, g.display]), [[groupId, 'Engineering Team']]);
  });

  it('one PATCH mixing a remove by members[value eq] and an add by value list applies both', async () => {
    const r = await patch([
      { op: 'remove', path: `members[value eq "${users[0]}"]` },
      { op: 'add', path: 'members', value: [{ value: users[2], display: 'P2 User' }, { value: users[3], display: 'P3 User' }] },
    ]);
    assert.ok(r.status === 204 || r.status === 200, `status ${r.status}`);
    assert.deepEqual(await members(), [users[1], users[2], users[3]].sort());
    const u0 = await okta(h, token, 'GET', `Users/${users[0]}`);
    assert.deepEqual(u0.body.groups ?? [], []);
  });

  it('a PATCH naming an unknown member applies none of its operations', async () => {
    const r = await patch([
      { op: 'remove', path: `members[value eq "${users[1]}"]` },
      { op: 'add', path: 'members', value: [{ value: 'usr_not_provisioned' }] },
    ]);
    assert.equal(r.status, 400);
    assertScimJson(r, 'member error');
    assert.deepEqual(await members(), [users[1], users[2], users[3]].sort());
  });

  it('a full replace of members leaves exactly the list sent', async () => {
    const r = await patch([{ op: 'replace', path: 'members', value: [{ value: users[0] }, { value: users[3] }] }]);
    assert.ok(r.status === 204 || r.status === 200, `status ${r.status}`);
    assert.deepEqual(await members(), [users[0], users[3]].sort());
  });

  it('a replace of members with [] empties the group, which still exists', async () => {
    const r = await patch([{ op: 'replace', path: 'members', value: [] }]);
    assert.ok(r.status === 204 || r.status === 200, `status ${r.status}`);
    assert.deepEqual(await members(), []);
    const got = await okta(h, token, 'GET', `Groups/${groupId}`);
    assert.equal(got.body.displayName, 'Engineering Team');
  });

  it('a PATCH with ?attributes answers 200 with the group body', async () => {
    const r = await okta(h, token, 'PATCH', `Groups/${groupId}?attributes=members,displayName`, {
      schemas: [PATCH_SCHEMA],
      Operations: [{ op: 'add', path: 'members', value: [{ value: users[2] }] }],
    });
    assert.equal(r.status, 200);
    assertScimJson(r, 'patch with attributes');
    assert.equal(r.body.displayName, 'Engineering Team');
    assert.deepEqual(r.body.members.map((m: { value: string }) => m.value), [users[2]]);
  });

  it('Okta import: GET /Groups?filter=displayName eq finds the group whatever the case, and an unknown name is an empty list', async () => {
    const r = await okta(h, token, 'GET', `Groups?filter=${q('displayName eq "engineering team"')}&startIndex=1&count=100`);
    assert.equal(r.status, 200);
    assert.equal(r.body.totalResults, 1);
    assert.equal(r.body.Resources[0].id, groupId);
    assert.equal(r.body.Resources[0].displayName, 'Engineering Team');
    const none = await okta(h, token, 'GET', `Groups?filter=${q('displayName eq "Nobody Here"')}`);
    assert.equal(none.status, 200);
    assert.equal(none.body.totalResults, 0);
    assert.deepEqual(none.body.Resources, []);
  });

  it('POST of a second group with the same displayName (other case) is 409 uniqueness', async () => {
    const r = await okta(h, token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'ENGINEERING TEAM', members: [] });
    assert.equal(r.status, 409);
    assert.equal(r.body.scimType, 'uniqueness');
    assertScimJson(r, 'group conflict');
  });

  it('DELETE /Groups/{id} is 204, then 404, and the members lose the group', async () => {
    const d = await okta(h, token, 'DELETE', `Groups/${groupId}`);
    assert.equal(d.status, 204);
    const got = await okta(h, token, 'GET', `Groups/${groupId}`);
    assert.equal(got.status, 404);
    assert.equal(got.body.status, '404');
    const u2 = await okta(h, token, 'GET', `Users/${users[2]}`);
    assert.equal(u2.status, 200);
    assert.deepEqual(u2.body.groups ?? [], []);
  });
});
