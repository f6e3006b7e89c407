import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/harness.js';

/**
 * Microsoft Entra ID as it provisions (the request shapes of its SCIM validator and its provisioning service,
 * without the aadOptscim062020 flag): the test connection, users with the enterprise extension, PATCH in both
 * of its dialects, the manager, groups with its ADSCIM schema and member values, and deprovisioning.
 */

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ADSCIM_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
const ADSCIM_URN_GROUP = 'urn:ietf:params:scim:schemas:extension:Adscim:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
// Entra sends no User-Agent of note; it asks for application/scim+json and sends it.
const ENTRA = { accept: 'application/scim+json' };

const q = (s: string) => encodeURIComponent(s);

/** The user Entra POSTs (its documented "Create User" request), with enterprise attributes mapped. */
function entraUser(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const guid = randomUUID();
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    externalId: randomUUID(),
    userName: `Test_User_${guid}`,
    active: true,
    emails: [{ primary: true, type: 'work', value: `Test_User_${guid}@testuser.com` }],
    meta: { resourceType: 'User' },
    name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
    roles: [],
    [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations', costCenter: '4130', organization: 'Universal Studios' },
    ...extra,
  };
}

const patchOps = (...ops: unknown[]) => ({ schemas: [PATCH_SCHEMA], Operations: ops });

describe('Entra ID: test connection and user provisioning', () => {
  let h: Harness;
  let token: string;
  let user: Record<string, any>;
  let manager: Record<string, any>;

  const patch = (id: string, ...ops: unknown[]) => h.scim(token, 'PATCH', `Users/${id}`, patchOps(...ops), ENTRA);
  const get = async (id: string) => {
    const r = await h.scim(token, 'GET', `Users/${id}`, undefined, ENTRA);
    assert.equal(r.status, 200);
    return r.body;
  };
  const ids = (list: { Resources: { id: string }[] }) => list.Resources.map((r) => r.id).sort();

  before(async () => {
    const s = await Harness.withOrgSession('entra-users');
    h = s.h;
    ({ token } = await h.scimToken('entra-users', s.cookie));
  });
  after(() => h.close());

  it('test connection: a filter on a random GUID userName is 200 with an empty ListResponse', async () => {
    const r = await h.scim(token, 'GET', `Users?filter=${q(`userName eq "${randomUUID()}"`)}`, undefined, ENTRA);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/scim\+json/);
    assert.deepEqual(r.body, { schemas: [LIST_SCHEMA], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
  });

  it('a request with a wrong token is 401 with the SCIM challenge', async () => {
    const r = await h.scim('scim_not_a_real_token_0000000000000000', 'GET', `Users?filter=${q('userName eq "x"')}`, undefined, ENTRA);
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="SCIM"/);
    assert.deepEqual(r.body.schemas, [ERROR_SCHEMA]);
    assert.equal(r.body.status, '401');
  });

  it('creates a user with the enterprise extension: 201, extension kept, booleans real, meta ignored', async () => {
    const body = entraUser();
    const r = await h.scim(token, 'POST', 'Users', body, ENTRA);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.userName, body.userName);
    assert.equal(r.body.externalId, body.externalId);
    assert.equal(r.body.active, true);
    assert.ok(r.body.schemas.includes(USER_SCHEMA));
    assert.ok(r.body.schemas.includes(ENTERPRISE));
    assert.deepEqual(r.body[ENTERPRISE], body[ENTERPRISE]);
    assert.equal(r.body.meta.resourceType, 'User');
    assert.ok(r.body.meta.created);
    assert.equal(r.headers.get('location'), r.body.meta.location);
    user = r.body;

    const m = await h.scim(token, 'POST', 'Users', entraUser({ displayName: 'The Manager' }), ENTRA);
    assert.equal(m.status, 201);
    manager = m.body;
  });

  it('finds the user by userName and by externalId (case-exact), and by a URN-qualified enterprise attribute', async () => {
    const byName = await h.scim(token, 'GET', `Users?filter=${q(`userName eq "${user.userName.toLowerCase()}"`)}`, undefined, ENTRA);
    assert.deepEqual(ids(byName.body), [user.id]);
    const byExt = await h.scim(token, 'GET', `Users?filter=${q(`externalId eq "${user.externalId}"`)}`, undefined, ENTRA);
    assert.deepEqual(ids(byExt.body), [user.id]);
    const byExtUpper = await h.scim(token, 'GET', `Users?filter=${q(`externalId eq "${user.externalId.toUpperCase()}"`)}`, undefined, ENTRA);
    assert.equal(byExtUpper.body.totalResults, 0);
    const byDept = await h.scim(token, 'GET', `Users?filter=${q(`${ENTERPRISE}:employeeNumber eq "701984"`)}`, undefined, ENTRA);
    assert.deepEqual(ids(byDept.body), [user.id, manager.id].sort());
  });

  it('old dialect: "Replace" of emails[type eq "work"].value and name.familyName in one PATCH', async () => {
    const r = await patch(
      user.id,
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
      { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const got = await get(user.id);
    assert.deepEqual(got.emails, [{ primary: true, type: 'work', value: 'updatedEmail@microsoft.com' }]);
    assert.equal(got.name.familyName, 'updatedFamilyName');
    assert.equal(got.name.givenName, 'givenName');
  });

  it('old dialect: "Add" of emails[type eq "work"].value creates the email when the user has none', async () => {
    const bare = await h.scim(token, 'POST', 'Users', entraUser({ emails: undefined }), ENTRA);
    assert.equal(bare.status, 201);
    assert.equal(bare.body.emails, undefined);
    const r = await patch(bare.body.id, { op: 'Add', path: 'emails[type eq "work"].value', value: 'x@y.example.com' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.emails, [{ type: 'work', value: 'x@y.example.com' }]);
    const found = await h.scim(token, 'GET', `Users?filter=${q('emails[type eq "work" and value eq "X@Y.example.com"]')}`, undefined, ENTRA);
    assert.deepEqual(ids(found.body), [bare.body.id]);
    // A filtered replace with no match creates too (Entra relies on it for phone numbers).
    const phone = await patch(bare.body.id, { op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' });
    assert.equal(phone.status, 200, JSON.stringify(phone.body));
    assert.deepEqual((await get(bare.body.id)).phoneNumbers, [{ type: 'mobile', value: '+1 555 0100' }]);
  });

  it('old dialect: "Replace" of active with the string "False" deactivates, "True" reactivates', async () => {
    const off = await patch(user.id, { op: 'Replace', path: 'active', value: 'False' });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.body.active, false);
    assert.equal((await get(user.id)).active, false);
    const inactive = await h.scim(token, 'GET', `Users?filter=${q('active eq false')}`, undefined, ENTRA);
    assert.deepEqual(ids(inactive.body), [user.id]);
    const on = await patch(user.id, { op: 'Replace', path: 'active', value: 'True' });
    assert.equal(on.status, 200);
    assert.equal(on.body.active, true);
    assert.equal((await get(user.id)).active, true);
  });

  it('app role assignment: "Add" of roles whose primary is the string "False"/"True" is stored as booleans', async () => {
    const r = await patch(user.id, {
      op: 'Add',
      path: 'roles',
      value: [
        { primary: 'False', type: 'WindowsAzureActiveDirectoryRole', value: 'Reader' },
        { primary: 'True', type: 'WindowsAzureActiveDirectoryRole', value: 'Writer' },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual((await get(user.id)).roles, [
      { primary: false, type: 'WindowsAzureActiveDirectoryRole', value: 'Reader' },
      { primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'Writer' },
    ]);
    const byRole = await h.scim(token, 'GET', `Users?filter=${q('roles[value eq "writer" and primary eq true]')}`, undefined, ENTRA);
    assert.deepEqual(ids(byRole.body), [user.id]);
  });

  it('a string that is no boolean for active is 400 invalidValue and changes nothing', async () => {
    const r = await patch(user.id, { op: 'Replace', path: 'active', value: 'maybe' });
    assert.equal(r.status, 400);
    assert.equal(r.body.scimType, 'invalidValue');
    assert.equal((await get(user.id)).active, true);
  });

  it('new dialect: a path-less replace with dotted and URN-qualified keys', async () => {
    const r = await patch(user.id, {
      op: 'replace',
      value: {
        displayName: 'Barbara Jensen',
        'name.givenName': 'Barbara',
        [`${ENTERPRISE}:department`]: 'Finance',
      },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const got = await get(user.id);
    assert.equal(got.displayName, 'Barbara Jensen');
    assert.equal(got.name.givenName, 'Barbara');
    assert.equal(got.name.familyName, 'updatedFamilyName');
    assert.equal(got[ENTERPRISE].department, 'Finance');
    assert.equal(got[ENTERPRISE].employeeNumber, '701984', 'other enterprise attributes stay');
    const byDept = await h.scim(token, 'GET', `Users?filter=${q(`${ENTERPRISE}:department eq "finance"`)}`, undefined, ENTRA);
    assert.deepEqual(ids(byDept.body), [user.id]);
  });

  it('"Replace" of userName renames the user; the old name is no longer found', async () => {
    const newName = `${randomUUID()}@testuser.com`;
    const r = await patch(user.id, { op: 'Replace', path: 'userName', value: newName });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.userName, newName);
    const old = await h.scim(token, 'GET', `Users?filter=${q(`userName eq "${user.userName}"`)}`, undefined, ENTRA);
    assert.equal(old.body.totalResults, 0);
    const now = await h.scim(token, 'GET', `Users?filter=${q(`userName eq "${newName}"`)}`, undefined, ENTRA);
    assert.deepEqual(ids(now.body), [user.id]);
    user.userName = newName;
  });

  it('an empty string clears an attribute', async () => {
    const r = await patch(user.id, { op: 'Replace', path: 'displayName', value: '' });
    assert.equal(r.status, 200);
    assert.equal((await get(user.id)).displayName, undefined);
  });

  it('manager by "Add" of the enterprise manager path with the bare id, then filtered and removed', async () => {
    const r = await patch(user.id, { op: 'Add', path: `${ENTERPRISE}:manager`, value: manager.id });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body[ENTERPRISE].manager.value, manager.id);
    assert.equal((await get(user.id))[ENTERPRISE].manager.value, manager.id);
    const reports = await h.scim(token, 'GET', `Users?filter=${q(`${ENTERPRISE}:manager.value eq "${manager.id}"`)}`, undefined, ENTRA);
    assert.deepEqual(ids(reports.body), [user.id]);
    const gone = await patch(user.id, { op: 'Remove', path: `${ENTERPRISE}:manager` });
    assert.equal(gone.status, 200);
    const after = await get(user.id);
    assert.equal(after[ENTERPRISE].manager, undefined);
    assert.equal(after[ENTERPRISE].department, 'Finance');
  });

  it('a path-less remove is 400 noTarget; a read-only path is 400 mutability', async () => {
    const noTarget = await patch(user.id, { op: 'Remove', value: { displayName: 'x' } });
    assert.equal(noTarget.status, 400);
    assert.equal(noTarget.body.scimType, 'noTarget');
    const readOnly = await patch(user.id, { op: 'Replace', path: 'id', value: 'usr_other' });
    assert.equal(readOnly.status, 400);
    assert.equal(readOnly.body.scimType, 'mutability');
    assert.equal((await get(user.id)).id, user.id);
  });

  it('all operations of one PATCH apply or none does', async () => {
    const before = await get(user.id);
    const r = await patch(user.id, { op: 'Replace', path: 'title', value: 'Director' }, { op: 'Replace', path: 'nosuchattribute', value: 'x' });
    assert.equal(r.status, 400);
    assert.equal(r.body.scimType, 'invalidPath');
    const after = await get(user.id);
    assert.equal(after.title, before.title);
    assert.equal(after.meta.version, before.meta.version);
  });

  it('deprovisioning: "Replace" active "False", then DELETE is 204 and the user is gone', async () => {
    const victim = await h.scim(token, 'POST', 'Users', entraUser(), ENTRA);
    assert.equal(victim.status, 201);
    const off = await patch(victim.body.id, { op: 'Replace', path: 'active', value: 'False' });
    assert.equal(off.status, 200);
    assert.equal(off.body.active, false);
    const del = await h.scim(token, 'DELETE', `Users/${victim.body.id}`, undefined, ENTRA);
    assert.equal(del.status, 204);
    const got = await h.scim(token, 'GET', `Users/${victim.body.id}`, undefined, ENTRA);
    assert.equal(got.status, 404);
    assert.equal(got.body.status, '404');
    const list = await h.scim(token, 'GET', `Users?filter=${q(`userName eq "${victim.body.userName}"`)}`, undefined, ENTRA);
    assert.equal(list.body.totalResults, 0);
    const again = await h.scim(token, 'DELETE', `Users/${victim.body.id}`, undefined, ENTRA);
    assert.equal(again.status, 404);
  });
});

describe('Entra ID: groups', () => {
  let h: Harness;
  let token: string;
  const users: string[] = [];
  let groupId: string;
  const displayName = `Group_${randomBytes(4).toString('hex')}`;

  const patch = (...ops: unknown[]) => h.scim(token, 'PATCH', `Groups/${groupId}`, patchOps(...ops), ENTRA);
  const members = async (): Promise<string[]> => {
    const r = await h.scim(token, 'GET', `Groups/${groupId}`, undefined, ENTRA);
    assert.equal(r.status, 200);
    return (r.body.members ?? []).map((m: { value: string }) => m.value).sort();
  };
  const ok = (r: { status: number; body: unknown }) => assert.ok(r.status === 204 || r.status === 200, `status ${r.status} ${JSON.stringify(r.body)}`);

  before(async () => {
    const s = await Harness.withOrgSession('entra-groups');
    h = s.h;
    ({ token } = await h.scimToken('entra-groups', s.cookie));
    for (let i = 0; i < 4; i++) {
      const r = await h.scim(token, 'POST', 'Users', entraUser(), ENTRA);
      assert.equal(r.status, 201);
      users.push(r.body.id);
    }
  });
  after(() => h.close());

  it('creates a group whose schemas carry the ADSCIM group schema; externalId kept', async () => {
    const externalId = randomUUID();
    const r = await h.scim(
      token,
      'POST',
      'Groups',
      { schemas: [GROUP_SCHEMA, ADSCIM_GROUP], externalId, displayName, meta: { resourceType: 'Group' } },
      ENTRA,
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.displayName, displayName);
    assert.equal(r.body.externalId, externalId);
    assert.deepEqual(r.body.members ?? [], []);
    groupId = r.body.id;
    const byExt = await h.scim(token, 'GET', `Groups?filter=${q(`externalId eq "${externalId}"`)}`, undefined, ENTRA);
    assert.deepEqual(byExt.body.Resources.map((g: { id: string }) => g.id), [groupId]);
  });

  it('accepts the urn: form of the extra ADSCIM schema as well', async () => {
    const r = await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA, ADSCIM_URN_GROUP], displayName: `${displayName}-urn` }, ENTRA);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.displayName, `${displayName}-urn`);
  });

  it('reads with excludedAttributes=members carry no members key, by filter and by id', async () => {
    await patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: users[0] }] });
    const byName = await h.scim(token, 'GET', `Groups?excludedAttributes=members&filter=${q(`displayName eq "${displayName}"`)}`, undefined, ENTRA);
    assert.equal(byName.status, 200);
    assert.equal(byName.body.totalResults, 1);
    const [found] = byName.body.Resources;
    assert.equal(found.id, groupId);
    assert.equal(found.displayName, displayName);
    assert.ok(!('members' in found), JSON.stringify(found));
    const byId = await h.scim(token, 'GET', `Groups/${groupId}?excludedAttributes=members`, undefined, ENTRA);
    assert.equal(byId.status, 200);
    assert.ok(!('members' in byId.body));
    assert.equal(byId.body.displayName, displayName);
    assert.deepEqual(await members(), [users[0]], 'without the exclusion, the members are there');
  });

  it('"Add" of members with [{"$ref": null, "value": id}] values adds them', async () => {
    ok(await patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: users[1] }, { $ref: null, value: users[2] }, { $ref: null, value: users[3] }] }));
    assert.deepEqual(await members(), [...users].sort());
    const u1 = await h.scim(token, 'GET', `Users/${users[1]}`, undefined, ENTRA);
    assert.deepEqual(u1.body.groups.map((g: { value: string }) => g.value), [groupId]);
    const byMember = await h.scim(token, 'GET', `Users?filter=${q(`groups[value eq "${groupId}"]`)}`, undefined, ENTRA);
    assert.equal(byMember.body.totalResults, 4);
  });

  it('"Add" of a member already in the group is a no-op, not a duplicate or an error', async () => {
    ok(await patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: users[1] }] }));
    assert.deepEqual(await members(), [...users].sort());
  });

  it('"Remove" with path "members" and a value list removes only those members; the others stay', async () => {
    ok(await patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: users[1] }] }));
    assert.deepEqual(await members(), [users[0], users[2], users[3]].sort());
    const u1 = await h.scim(token, 'GET', `Users/${users[1]}`, undefined, ENTRA);
    assert.deepEqual(u1.body.groups ?? [], []);
  });

  it('removing a value list of non-members removes nobody', async () => {
    ok(await patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: users[1] }, { value: 'usr_never_existed' }] }));
    assert.deepEqual(await members(), [users[0], users[2], users[3]].sort());
  });

  it('"Remove" on members[value eq "id"] removes that member', async () => {
    ok(await patch({ op: 'Remove', path: `members[value eq "${users[2]}"]` }));
    assert.deepEqual(await members(), [users[0], users[3]].sort());
  });

  it('"Replace" of displayName renames; the group is found by its new name only', async () => {
    const renamed = `${displayName}updatedDisplayName`;
    ok(await patch({ op: 'Replace', path: 'displayName', value: renamed }));
    const r = await h.scim(token, 'GET', `Groups/${groupId}?excludedAttributes=members`, undefined, ENTRA);
    assert.equal(r.body.displayName, renamed);
    const old = await h.scim(token, 'GET', `Groups?excludedAttributes=members&filter=${q(`displayName eq "${displayName}"`)}`, undefined, ENTRA);
    assert.equal(old.body.totalResults, 0);
    assert.deepEqual(await members(), [users[0], users[3]].sort(), 'a rename keeps the members');
    const u0 = await h.scim(token, 'GET', `Users/${users[0]}`, undefined, ENTRA);
    assert.equal(u0.body.groups[0].display, renamed);
  });

  it('deprovisioning a member (active "False" then DELETE) takes them out of the group', async () => {
    const off = await h.scim(token, 'PATCH', `Users/${users[3]}`, patchOps({ op: 'Replace', path: 'active', value: 'False' }), ENTRA);
    assert.equal(off.status, 200);
    assert.deepEqual(await members(), [users[0], users[3]].sort(), 'a deactivated member is still a member');
    const del = await h.scim(token, 'DELETE', `Users/${users[3]}`, undefined, ENTRA);
    assert.equal(del.status, 204);
    assert.deepEqual(await members(), [users[0]]);
  });

  it('DELETE of the group is 204; afterwards it is 404 and out of the lists', async () => {
    const del = await h.scim(token, 'DELETE', `Groups/${groupId}`, undefined, ENTRA);
    assert.equal(del.status, 204);
    const got = await h.scim(token, 'GET', `Groups/${groupId}?excludedAttributes=members`, undefined, ENTRA);
    assert.equal(got.status, 404);
    assert.deepEqual(got.body.schemas, [ERROR_SCHEMA]);
    const list = await h.scim(token, 'GET', 'Groups?excludedAttributes=members', undefined, ENTRA);
    assert.deepEqual(list.body.Resources.map((g: { displayName: string }) => g.displayName), [`${displayName}-urn`]);
  });
});
