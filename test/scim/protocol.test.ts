import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/harness.js';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

/** A SCIM error answer: the status, the error body in SCIM's media type, and the scimType when one is given. */
function scimError(r: { status: number; body: any; headers: Headers }, status: number, scimType?: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.headers.get('content-type'), 'application/scim+json');
  assert.deepEqual(r.body.schemas, [ERROR]);
  assert.equal(r.body.status, String(status));
  assert.equal(typeof r.body.detail, 'string');
  assert.ok(r.body.detail.length > 0);
  if (scimType !== undefined) assert.equal(r.body.scimType, scimType, r.body.detail);
}

async function start(): Promise<{ h: Harness; token: string }> {
  const { h, cookie } = await Harness.withOrgSession('acme');
  const { token } = await h.scimToken('acme', cookie);
  return { h, token };
}

async function createUser(h: Harness, token: string, body: Record<string, unknown>): Promise<any> {
  const r = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], ...body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

// Letter case varies so that a byte-order sort (uppercase first) and a case-insensitive one differ.
const NAMES = [
  'bob', 'Alice', 'carol', 'Dave', 'eve', 'Frank', 'grace', 'Heidi', 'ivan', 'Judy',
  'kim', 'Liam', 'mallory', 'Nina', 'oscar', 'Peggy', 'quinn', 'Rupert', 'sybil', 'Trent',
  'uma', 'Victor', 'walter', 'Xena', 'yara', 'Zed', 'amy', 'Boris', 'cleo', 'Dora',
];

describe('lists: pagination and sorting', () => {
  let h: Harness;
  let token: string;
  const users: { id: string; userName: string; familyName?: string; primaryEmail: string }[] = [];

  before(async () => {
    ({ h, token } = await start());
    for (const [i, name] of NAMES.entries()) {
      // Half of them at the same instant: the order must not rest on created time alone.
      if (i % 2 === 0) h.clock.advance(1000);
      const familyName = i % 5 === 0 ? undefined : `${String.fromCharCode(122 - i)}${name.toLowerCase()}`;
      // The primary email is the second one for some: sorting by emails uses the primary value.
      const primaryEmail = `${String.fromCharCode(97 + ((i * 7) % 26))}${i}@primary.example`;
      const other = `${String.fromCharCode(97 + ((i * 11) % 26))}${i}@other.example`;
      const emails = i % 2 === 0 ? [{ value: other, type: 'home' }, { value: primaryEmail, type: 'work', primary: true }] : [{ value: primaryEmail, type: 'work', primary: true }, { value: other, type: 'home' }];
      const u = await createUser(h, token, { userName: `${name}@Example.com`, name: familyName ? { familyName } : { givenName: name }, emails });
      users.push({ id: u.id, userName: u.userName, familyName, primaryEmail });
    }
  });
  after(() => h.close());

  async function list(query: string): Promise<any> {
    const r = await h.scim(token, 'GET', `Users?${query}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.headers.get('content-type'), 'application/scim+json');
    assert.deepEqual(r.body.schemas, [LIST]);
    return r.body;
  }

  it('totalResults, startIndex and itemsPerPage are JSON numbers', async () => {
    const body = await list('startIndex=3&count=4');
    assert.equal(body.totalResults, 30);
    assert.equal(body.startIndex, 3);
    assert.equal(body.itemsPerPage, 4);
    assert.equal(body.Resources.length, 4);
  });

  it('startIndex 0 or negative means 1', async () => {
    const first = await list('startIndex=1&count=5');
    for (const startIndex of ['0', '-1', '-100']) {
      const body = await list(`startIndex=${startIndex}&count=5`);
      assert.equal(body.startIndex, 1);
      assert.deepEqual(body.Resources.map((u: any) => u.id), first.Resources.map((u: any) => u.id));
    }
  });

  it('count 0 gives the total and no resources; a negative count is 0', async () => {
    for (const count of ['0', '-1', '-50']) {
      const body = await list(`count=${count}`);
      assert.equal(body.totalResults, 30);
      assert.equal(body.itemsPerPage, 0);
      assert.equal((body.Resources ?? []).length, 0);
    }
  });

  it('startIndex past the end is 200 with an empty page and the right total', async () => {
    for (const startIndex of [31, 1000]) {
      const body = await list(`startIndex=${startIndex}&count=10`);
      assert.equal(body.totalResults, 30);
      assert.equal(body.startIndex, startIndex);
      assert.equal(body.itemsPerPage, 0);
      assert.equal((body.Resources ?? []).length, 0);
    }
    const last = await list('startIndex=30&count=10');
    assert.equal(last.itemsPerPage, 1);
  });

  it('a filter matching nothing is 200 with an empty list, never 404', async () => {
    const body = await list(`filter=${encodeURIComponent('userName eq "nobody@example.com"')}`);
    assert.equal(body.totalResults, 0);
    assert.equal(body.itemsPerPage, 0);
  });

  it('walking pages of 7 yields each user exactly once, for every order', async () => {
    for (const sort of ['', '&sortBy=userName', '&sortBy=name.familyName&sortOrder=descending', '&sortBy=emails']) {
      const seen: string[] = [];
      for (let start = 1; start <= 30; start += 7) {
        const body = await list(`startIndex=${start}&count=7${sort}`);
        assert.equal(body.totalResults, 30);
        assert.equal(body.itemsPerPage, Math.min(7, 31 - start));
        seen.push(...body.Resources.map((u: any) => u.id));
      }
      assert.equal(seen.length, 30, sort);
      assert.deepEqual([...seen].sort(), users.map((u) => u.id).sort(), sort);
      // The same walk again gives the same order.
      const again: string[] = [];
      for (let start = 1; start <= 30; start += 7) again.push(...(await list(`startIndex=${start}&count=7${sort}`)).Resources.map((u: any) => u.id));
      assert.deepEqual(again, seen, sort);
    }
  });

  it('a startIndex or count that is not an integer is 400 invalidValue', async () => {
    for (const query of ['startIndex=1.5', 'startIndex=abc', 'startIndex=1e3', 'count=ten', 'count=2.5', 'startIndex=']) {
      const r = await h.scim(token, 'GET', `Users?${query}`);
      if (query === 'startIndex=') {
        // An empty parameter is no parameter.
        assert.equal(r.status, 200);
        continue;
      }
      scimError(r, 400, 'invalidValue');
      assert.match(r.body.detail, /startIndex|count/);
    }
  });

  it('sortBy userName ascending and descending, ignoring letter case', async () => {
    const expected = [...users].sort((a, b) => (a.userName.toLowerCase() < b.userName.toLowerCase() ? -1 : 1)).map((u) => u.id);
    const asc = await list('sortBy=userName&count=30');
    assert.deepEqual(asc.Resources.map((u: any) => u.id), expected);
    assert.equal(asc.Resources[0].userName, 'Alice@Example.com');
    assert.equal(asc.Resources[1].userName, 'amy@Example.com');
    const explicit = await list('sortBy=userName&sortOrder=ascending&count=30');
    assert.deepEqual(explicit.Resources.map((u: any) => u.id), expected);
    const desc = await list('sortBy=userName&sortOrder=descending&count=30');
    assert.deepEqual(desc.Resources.map((u: any) => u.id), [...expected].reverse());
    // URN-qualified and in another letter case, the same key.
    const urn = await list(`sortBy=${USER_SCHEMA}:USERNAME&sortOrder=DESCENDING&count=30`);
    assert.deepEqual(urn.Resources.map((u: any) => u.id), [...expected].reverse());
  });

  it('sortBy name.familyName puts users without one last, either way', async () => {
    const withName = users.filter((u) => u.familyName !== undefined);
    const without = users.filter((u) => u.familyName === undefined).map((u) => u.id);
    const byName = [...withName].sort((a, b) => (a.familyName! < b.familyName! ? -1 : 1)).map((u) => u.id);
    const asc = (await list('sortBy=name.familyName&count=30')).Resources.map((u: any) => u.id);
    assert.deepEqual(asc.slice(0, byName.length), byName);
    assert.deepEqual([...asc.slice(byName.length)].sort(), [...without].sort());
    const desc = (await list('sortBy=name.familyName&sortOrder=descending&count=30')).Resources.map((u: any) => u.id);
    assert.deepEqual(desc.slice(0, byName.length), [...byName].reverse());
    assert.deepEqual([...desc.slice(byName.length)].sort(), [...without].sort());
  });

  it('sortBy emails orders by the primary email', async () => {
    const expected = [...users].sort((a, b) => (a.primaryEmail < b.primaryEmail ? -1 : 1)).map((u) => u.id);
    const body = await list('sortBy=emails&count=30');
    assert.deepEqual(body.Resources.map((u: any) => u.id), expected);
  });

  it('an unknown sortBy or a bad sortOrder is 400', async () => {
    for (const query of ['sortBy=shoeSize', 'sortBy=name.nope', 'sortBy=password']) scimError(await h.scim(token, 'GET', `Users?${query}`), 400, 'invalidValue');
    for (const query of ['sortBy=userName&sortOrder=up', 'sortOrder=sideways']) {
      const r = await h.scim(token, 'GET', `Users?${query}`);
      scimError(r, 400, 'invalidValue');
      assert.match(r.body.detail, /sortOrder/);
    }
  });
});

describe('lists: count is capped at 200', () => {
  let h: Harness;
  let token: string;

  before(async () => {
    ({ h, token } = await start());
    for (let i = 0; i < 205; i++) await createUser(h, token, { userName: `user${String(i).padStart(3, '0')}@example.com` });
  });
  after(() => h.close());

  it('count above 200 gives 200, and the default page is 100', async () => {
    for (const count of [201, 500, 100000]) {
      const r = await h.scim(token, 'GET', `Users?count=${count}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.totalResults, 205);
      assert.equal(r.body.itemsPerPage, 200);
      assert.equal(r.body.Resources.length, 200);
    }
    const rest = await h.scim(token, 'GET', 'Users?count=500&startIndex=201');
    assert.equal(rest.body.itemsPerPage, 5);
    const plain = await h.scim(token, 'GET', 'Users');
    assert.equal(plain.body.itemsPerPage, 100);
  });
});

describe('projection and letter case', () => {
  let h: Harness;
  let token: string;
  let user: any;

  before(async () => {
    ({ h, token } = await start());
    user = await createUser(h, token, {
      schemas: [USER_SCHEMA, ENTERPRISE],
      userName: 'ada@example.com',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      displayName: 'Ada Lovelace',
      emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
      [ENTERPRISE]: { department: 'Research', employeeNumber: '1815' },
      password: 'Sup3r-Secret-Pass!',
    });
  });
  after(() => h.close());

  it('attributes=userName,name.givenName returns only those, with schemas and id', async () => {
    const r = await h.scim(token, 'GET', `Users/${user.id}?attributes=userName,name.givenName`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { schemas: user.schemas, id: user.id, userName: 'ada@example.com', name: { givenName: 'Ada' } });
    const listed = await h.scim(token, 'GET', 'Users?attributes=userName,name.givenName');
    assert.deepEqual(listed.body.Resources, [r.body]);
  });

  it('excludedAttributes=emails,meta leaves the rest', async () => {
    const r = await h.scim(token, 'GET', `Users/${user.id}?excludedAttributes=emails,meta`);
    assert.equal(r.status, 200);
    assert.equal(r.body.emails, undefined);
    assert.equal(r.body.meta, undefined);
    assert.equal(r.body.userName, 'ada@example.com');
    assert.deepEqual(r.body.name, { givenName: 'Ada', familyName: 'Lovelace' });
    assert.equal(r.body[ENTERPRISE].department, 'Research');
  });

  it('URN-qualified names in attributes and excludedAttributes', async () => {
    const r = await h.scim(token, 'GET', `Users/${user.id}?attributes=${ENTERPRISE}:department,${USER_SCHEMA}:displayName`);
    assert.deepEqual(r.body, { schemas: user.schemas, id: user.id, displayName: 'Ada Lovelace', [ENTERPRISE]: { department: 'Research' } });
    const whole = await h.scim(token, 'GET', `Users/${user.id}?attributes=${ENTERPRISE}`);
    assert.deepEqual(whole.body[ENTERPRISE], { department: 'Research', employeeNumber: '1815' });
    assert.equal(whole.body.userName, undefined);
    const ex = await h.scim(token, 'GET', `Users/${user.id}?excludedAttributes=${ENTERPRISE}:employeeNumber`);
    assert.deepEqual(ex.body[ENTERPRISE], { department: 'Research' });
  });

  it('id is always returned, even when excluded or not asked for', async () => {
    const ex = await h.scim(token, 'GET', `Users/${user.id}?excludedAttributes=id,schemas`);
    assert.equal(ex.body.id, user.id);
    assert.deepEqual(ex.body.schemas, user.schemas);
    const only = await h.scim(token, 'GET', `Users/${user.id}?attributes=displayName`);
    assert.equal(only.body.id, user.id);
  });

  it('password is never returned, even when asked for', async () => {
    assert.equal(user.password, undefined);
    const r = await h.scim(token, 'GET', `Users/${user.id}?attributes=password,userName`);
    assert.deepEqual(Object.keys(r.body).sort(), ['id', 'schemas', 'userName']);
    const full = await h.scim(token, 'GET', `Users/${user.id}`);
    assert.ok(!JSON.stringify(full.body).includes('Sup3r-Secret-Pass!'));
    const put = await h.scim(token, 'PUT', `Users/${user.id}`, { ...full.body, password: 'An0ther-Secret!' });
    assert.equal(put.status, 200);
    assert.ok(!JSON.stringify(put.body).includes('An0ther-Secret!'));
    const patched = await h.scim(token, 'PATCH', `Users/${user.id}`, patch({ op: 'replace', path: 'password', value: 'Th1rd-Secret!' }));
    assert.equal(patched.status, 200);
    assert.ok(!JSON.stringify(patched.body).includes('Th1rd-Secret!'));
    assert.ok(!JSON.stringify((await h.scim(token, 'GET', `Users/${user.id}`)).body).includes('Secret'));
  });

  it('attributes apply to POST, PUT and PATCH responses', async () => {
    const post = await h.scim(token, 'POST', 'Users?attributes=userName', { userName: 'grace@example.com', displayName: 'Grace Hopper' });
    assert.equal(post.status, 201);
    assert.deepEqual(Object.keys(post.body).sort(), ['id', 'schemas', 'userName']);
    assert.match(post.headers.get('location') ?? '', new RegExp(`/scim/v2/Users/${post.body.id}$`));
    const put = await h.scim(token, 'PUT', `Users/${post.body.id}?attributes=displayName`, { userName: 'grace@example.com', displayName: 'Rear Admiral Hopper' });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, { schemas: [USER_SCHEMA], id: post.body.id, displayName: 'Rear Admiral Hopper' });
    const pat = await h.scim(token, 'PATCH', `Users/${post.body.id}?excludedAttributes=meta,name,emails`, patch({ op: 'replace', path: 'title', value: 'Admiral' }));
    assert.equal(pat.status, 200);
    assert.equal(pat.body.meta, undefined);
    assert.equal(pat.body.title, 'Admiral');
    const group = await h.scim(token, 'POST', 'Groups?attributes=displayName', { displayName: 'Navy', members: [{ value: post.body.id }] });
    assert.equal(group.status, 201);
    assert.deepEqual(Object.keys(group.body).sort(), ['displayName', 'id', 'schemas']);
  });

  it('attribute names in a body are matched in any letter case', async () => {
    const r = await h.scim(token, 'POST', 'Users', {
      SCHEMAS: [USER_SCHEMA],
      USERNAME: 'Linus@Example.com',
      Name: { GivenName: 'Linus', FAMILYNAME: 'Torvalds' },
      EMAILS: [{ VALUE: 'linus@example.com', Type: 'work', PRIMARY: true }],
      Active: false,
      [ENTERPRISE.toUpperCase()]: { DEPARTMENT: 'Kernel' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const got = (await h.scim(token, 'GET', `Users/${r.body.id}`)).body;
    assert.equal(got.userName, 'Linus@Example.com');
    assert.deepEqual(got.name, { givenName: 'Linus', familyName: 'Torvalds' });
    assert.deepEqual(got.emails, [{ value: 'linus@example.com', type: 'work', primary: true }]);
    assert.equal(got.active, false);
    assert.deepEqual(got[ENTERPRISE], { department: 'Kernel' });
    // PATCH paths and dotted keys of a path-less value, in any case.
    const p = await h.scim(
      token,
      'PATCH',
      `Users/${r.body.id}`,
      patch({ op: 'Replace', value: { 'Name.GivenName': 'L.', ACTIVE: 'True' } }, { op: 'REPLACE', path: 'NAME.FAMILYNAME', value: 'T.' }),
    );
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.deepEqual(p.body.name, { givenName: 'L.', familyName: 'T.' });
    assert.equal(p.body.active, true);
  });

  it('query parameter names are matched in any letter case', async () => {
    const a = await h.scim(token, 'GET', 'Users?sortby=USERNAME&SORTORDER=descending&startindex=2&COUNT=1&Attributes=userName');
    assert.equal(a.status, 200);
    assert.equal(a.body.startIndex, 2);
    assert.equal(a.body.itemsPerPage, 1);
    const all = await h.scim(token, 'GET', 'Users?sortBy=userName&sortOrder=descending');
    assert.equal(a.body.Resources[0].id, all.body.Resources[1].id);
    assert.deepEqual(Object.keys(a.body.Resources[0]).sort(), ['id', 'schemas', 'userName']);
    const f = await h.scim(token, 'GET', `Users?FILTER=${encodeURIComponent('userName eq "ADA@example.com"')}&EXCLUDEDATTRIBUTES=emails`);
    assert.equal(f.body.totalResults, 1);
    assert.equal(f.body.Resources[0].id, user.id);
    assert.equal(f.body.Resources[0].emails, undefined);
  });
});

describe('writes: atomicity, mutability, versions', () => {
  let h: Harness;
  let token: string;

  before(async () => {
    ({ h, token } = await start());
  });
  after(() => h.close());

  it('a PATCH whose second operation is invalid changes nothing', async () => {
    const u = await createUser(h, token, { userName: 'atomic@example.com', displayName: 'Before', title: 'Old' });
    for (const bad of [
      { op: 'replace', path: 'shoeSize', value: 44 },
      { op: 'replace', path: 'active', value: 'maybe' },
      { op: 'remove' },
      { op: 'frobnicate', path: 'title' },
    ]) {
      const r = await h.scim(token, 'PATCH', `Users/${u.id}`, patch({ op: 'replace', path: 'displayName', value: 'After' }, { op: 'replace', path: 'title', value: 'New' }, bad));
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.match(r.body.detail, /Operations\[2\]/);
    }
    const now = await h.scim(token, 'GET', `Users/${u.id}`);
    assert.equal(now.body.displayName, 'Before');
    assert.equal(now.body.title, 'Old');
    assert.equal(now.body.meta.version, u.meta.version);
    assert.equal(now.body.meta.lastModified, u.meta.lastModified);
  });

  it('a Group PATCH adding three members and one unknown id adds none', async () => {
    const a = await createUser(h, token, { userName: 'm1@example.com' });
    const b = await createUser(h, token, { userName: 'm2@example.com' });
    const c = await createUser(h, token, { userName: 'm3@example.com' });
    const g = await h.scim(token, 'POST', 'Groups', { displayName: 'Atomic', members: [] });
    assert.equal(g.status, 201);
    const one = await h.scim(token, 'PATCH', `Groups/${g.body.id}`, patch({ op: 'add', path: 'members', value: [{ value: a.id }, { value: b.id }, { value: 'usr_doesnotexist00' }, { value: c.id }] }));
    scimError(one, 400, 'invalidValue');
    assert.match(one.body.detail, /usr_doesnotexist00/);
    // Across operations too: the first one's members are not kept when the second fails.
    const two = await h.scim(
      token,
      'PATCH',
      `Groups/${g.body.id}`,
      patch({ op: 'add', path: 'members', value: [{ value: a.id }, { value: b.id }, { value: c.id }] }, { op: 'add', path: 'members', value: [{ value: 'usr_doesnotexist00' }] }),
    );
    scimError(two, 400, 'invalidValue');
    const after = await h.scim(token, 'GET', `Groups/${g.body.id}`);
    assert.deepEqual(after.body.members ?? [], []);
    assert.equal(after.body.meta.version, g.body.meta.version);
    const ofUser = await h.scim(token, 'GET', `Users/${a.id}`);
    assert.equal(ofUser.body.groups, undefined);
  });

  it('a path-less remove is 400 noTarget', async () => {
    const u = await createUser(h, token, { userName: 'notarget@example.com', title: 'Keep' });
    for (const op of [{ op: 'remove' }, { op: 'Remove', path: '' }, { op: 'remove', value: { title: 'Keep' } }]) {
      scimError(await h.scim(token, 'PATCH', `Users/${u.id}`, patch(op)), 400, 'noTarget');
    }
    assert.equal((await h.scim(token, 'GET', `Users/${u.id}`)).body.title, 'Keep');
  });

  it('read-only paths are 400 mutability; a path-less replace carrying the own id is fine', async () => {
    const u = await createUser(h, token, { userName: 'mutable@example.com' });
    for (const op of [
      { op: 'replace', path: 'id', value: 'usr_other' },
      { op: 'replace', path: 'meta.created', value: '2000-01-01T00:00:00Z' },
      { op: 'add', path: 'meta', value: { version: 'W/"9"' } },
      { op: 'remove', path: 'groups' },
      { op: 'replace', value: { id: 'usr_someoneelse', displayName: 'X' } },
    ]) {
      scimError(await h.scim(token, 'PATCH', `Users/${u.id}`, patch(op)), 400, 'mutability');
    }
    // Okta sends the id it read back with a change.
    const okta = await h.scim(token, 'PATCH', `Users/${u.id}`, patch({ op: 'replace', value: { id: u.id, displayName: 'Renamed', active: false } }));
    assert.equal(okta.status, 200, JSON.stringify(okta.body));
    assert.equal(okta.body.id, u.id);
    assert.equal(okta.body.displayName, 'Renamed');
    assert.equal(okta.body.active, false);
    assert.equal(okta.body.meta.created, u.meta.created);
    const g = await h.scim(token, 'POST', 'Groups', { displayName: 'Okta Group', members: [] });
    const rename = await h.scim(token, 'PATCH', `Groups/${g.body.id}`, patch({ op: 'replace', value: { id: g.body.id, displayName: 'Okta Renamed' } }));
    assert.equal(rename.status, 204);
    assert.equal((await h.scim(token, 'GET', `Groups/${g.body.id}`)).body.displayName, 'Okta Renamed');
  });

  it('client-sent id and meta on POST are ignored', async () => {
    const r = await h.scim(token, 'POST', 'Users', {
      schemas: [USER_SCHEMA],
      id: 'client-chosen-id',
      userName: 'clientid@example.com',
      meta: { created: '2000-01-01T00:00:00Z', lastModified: '2000-01-01T00:00:00Z', version: 'W/"99"', location: 'https://evil.example/x' },
    });
    assert.equal(r.status, 201);
    assert.notEqual(r.body.id, 'client-chosen-id');
    assert.match(r.body.id, /^usr_/);
    assert.equal(r.body.meta.created, h.clock.now().toISOString());
    assert.equal(r.body.meta.version, 'W/"1"');
    assert.equal(r.body.meta.location, `http://localhost/scim/v2/Users/${r.body.id}`);
    assert.equal(r.headers.get('location'), r.body.meta.location);
    scimError(await h.scim(token, 'GET', 'Users/client-chosen-id'), 404);
    const g = await h.scim(token, 'POST', 'Groups', { id: 'grp-client', displayName: 'Client Id', meta: { version: 'W/"5"' } });
    assert.equal(g.status, 201);
    assert.notEqual(g.body.id, 'grp-client');
    assert.equal(g.body.meta.version, 'W/"1"');
  });

  it('ETag is meta.version; If-None-Match with it is 304', async () => {
    const u = await createUser(h, token, { userName: 'etag@example.com' });
    const r = await h.scim(token, 'GET', `Users/${u.id}`);
    assert.equal(r.headers.get('etag'), 'W/"1"');
    assert.equal(r.headers.get('etag'), r.body.meta.version);
    const same = await h.scim(token, 'GET', `Users/${u.id}`, undefined, { 'if-none-match': 'W/"1"' });
    assert.equal(same.status, 304);
    assert.ok(same.body === null || same.body === '');
    assert.equal(same.headers.get('etag'), 'W/"1"');
    const other = await h.scim(token, 'GET', `Users/${u.id}`, undefined, { 'if-none-match': 'W/"2"' });
    assert.equal(other.status, 200);
    assert.equal(other.body.id, u.id);
  });

  it('If-Match with a stale version is 412 on PUT, PATCH and DELETE, and nothing changes', async () => {
    const u = await createUser(h, token, { userName: 'stale@example.com', displayName: 'Original' });
    await h.scim(token, 'PATCH', `Users/${u.id}`, patch({ op: 'replace', path: 'title', value: 'v2' }));
    const stale = { 'if-match': 'W/"1"' };
    scimError(await h.scim(token, 'PUT', `Users/${u.id}`, { userName: 'stale@example.com', displayName: 'Put' }, stale), 412);
    scimError(await h.scim(token, 'PATCH', `Users/${u.id}`, patch({ op: 'replace', path: 'displayName', value: 'Patched' }), stale), 412);
    scimError(await h.scim(token, 'DELETE', `Users/${u.id}`, undefined, stale), 412);
    const now = await h.scim(token, 'GET', `Users/${u.id}`);
    assert.equal(now.status, 200);
    assert.equal(now.body.displayName, 'Original');
    assert.equal(now.body.title, 'v2');
    assert.equal(now.body.meta.version, 'W/"2"');
  });

  it('If-Match with the current version succeeds, and each change moves the version', async () => {
    const u = await createUser(h, token, { userName: 'current@example.com' });
    const p = await h.scim(token, 'PATCH', `Users/${u.id}`, patch({ op: 'replace', path: 'title', value: 'One' }), { 'if-match': 'W/"1"' });
    assert.equal(p.status, 200);
    assert.equal(p.body.meta.version, 'W/"2"');
    assert.equal(p.headers.get('etag'), 'W/"2"');
    const put = await h.scim(token, 'PUT', `Users/${u.id}`, { userName: 'current@example.com', title: 'Two' }, { 'if-match': '"2"' });
    assert.equal(put.status, 200);
    assert.equal(put.body.meta.version, 'W/"3"');
    // A PUT that changes nothing is no change: the version stays.
    const again = await h.scim(token, 'PUT', `Users/${u.id}`, { userName: 'current@example.com', title: 'Two' });
    assert.equal(again.body.meta.version, 'W/"3"');
    const del = await h.scim(token, 'DELETE', `Users/${u.id}`, undefined, { 'if-match': 'W/"3"' });
    assert.equal(del.status, 204);
    scimError(await h.scim(token, 'GET', `Users/${u.id}`), 404);
  });

  it("a Group member change moves the group's version", async () => {
    const a = await createUser(h, token, { userName: 'gv1@example.com' });
    const b = await createUser(h, token, { userName: 'gv2@example.com' });
    const g = await h.scim(token, 'POST', 'Groups', { displayName: 'Versioned', members: [{ value: a.id }] });
    assert.equal(g.body.meta.version, 'W/"1"');
    h.clock.advance(1000);
    const add = await h.scim(token, 'PATCH', `Groups/${g.body.id}`, patch({ op: 'add', path: 'members', value: [{ value: b.id }] }), { 'if-match': 'W/"1"' });
    assert.equal(add.status, 204);
    assert.equal(add.headers.get('etag'), 'W/"2"');
    const read = await h.scim(token, 'GET', `Groups/${g.body.id}`);
    assert.equal(read.body.meta.version, 'W/"2"');
    assert.equal(read.body.meta.lastModified, h.clock.now().toISOString());
    assert.equal(read.body.members.length, 2);
    scimError(await h.scim(token, 'PATCH', `Groups/${g.body.id}`, patch({ op: 'remove', path: `members[value eq "${a.id}"]` }), { 'if-match': 'W/"1"' }), 412);
    // Adding a member already there is no change.
    const noop = await h.scim(token, 'PATCH', `Groups/${g.body.id}`, patch({ op: 'add', path: 'members', value: [{ value: b.id }] }));
    assert.equal(noop.headers.get('etag'), 'W/"2"');
    // A member deleted leaves the group: that is a change of the group too.
    assert.equal((await h.scim(token, 'DELETE', `Users/${a.id}`)).status, 204);
    const afterDelete = await h.scim(token, 'GET', `Groups/${g.body.id}`);
    assert.equal(afterDelete.body.meta.version, 'W/"3"');
    assert.deepEqual(afterDelete.body.members.map((m: any) => m.value), [b.id]);
    const del = await h.scim(token, 'DELETE', `Groups/${g.body.id}`, undefined, { 'if-match': 'W/"2"' });
    scimError(del, 412);
    assert.equal((await h.scim(token, 'DELETE', `Groups/${g.body.id}`, undefined, { 'if-match': 'W/"3"' })).status, 204);
  });
});

describe('malformed bodies', () => {
  let h: Harness;
  let token: string;

  before(async () => {
    ({ h, token } = await start());
  });
  after(() => h.close());

  async function nobodyCreated(): Promise<void> {
    const r = await h.scim(token, 'GET', 'Users');
    assert.equal(r.body.totalResults, 0);
  }

  it('a body that is not JSON, not UTF-8, or not an object is 400 invalidSyntax', async () => {
    scimError(await h.scim(token, 'POST', 'Users', '{"userName": "a@example.com"'), 400, 'invalidSyntax');
    scimError(await h.scim(token, 'POST', 'Users', 'userName=a@example.com'), 400, 'invalidSyntax');
    const bytes = new Uint8Array([...Buffer.from('{"userName": "'), 0xff, 0xfe, 0xc3, ...Buffer.from('@example.com"}')]);
    const utf8 = await h.call('POST', '/scim/v2/Users', { rawBody: bytes, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' } });
    scimError(utf8, 400, 'invalidSyntax');
    assert.match(utf8.body.detail, /UTF-8/);
    scimError(await h.scim(token, 'POST', 'Users', '[{"userName": "a@example.com"}]'), 400, 'invalidSyntax');
    scimError(await h.scim(token, 'POST', 'Users', '"a@example.com"'), 400, 'invalidSyntax');
    scimError(await h.scim(token, 'POST', 'Users', 'null'), 400, 'invalidSyntax');
    scimError(await h.scim(token, 'POST', 'Users', ''), 400, 'invalidSyntax');
    await nobodyCreated();
  });

  it('a JSON body sent as text/plain is 400', async () => {
    const r = await h.scim(token, 'POST', 'Users', '{"userName": "plain@example.com"}', { 'content-type': 'text/plain' });
    scimError(r, 400, 'invalidSyntax');
    assert.match(r.body.detail, /text\/plain/);
    // application/json is accepted as well as application/scim+json.
    const json = await h.scim(token, 'POST', 'Users', '{"userName": "json@example.com"}', { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(json.status, 201);
    assert.equal(json.headers.get('content-type'), 'application/scim+json');
    assert.equal((await h.scim(token, 'DELETE', `Users/${json.body.id}`)).status, 204);
    await nobodyCreated();
  });

  it('a missing userName or a bad value is 400 invalidValue', async () => {
    for (const body of [{ displayName: 'No Name' }, { userName: '' }, { userName: '   ' }, { userName: true }, { userName: ['a@example.com'] }, { userName: 'maybe@example.com', active: 'maybe' }, { userName: 'n@example.com', name: 'Just A String' }]) {
      const r = await h.scim(token, 'POST', 'Users', body);
      scimError(r, 400, 'invalidValue');
    }
    // A NUL character is refused the same way on both databases.
    scimError(await h.scim(token, 'POST', 'Users', { userName: 'nul\u0000@example.com' }), 400, 'invalidValue');
    scimError(await h.scim(token, 'POST', 'Users', { userName: 'nul@example.com', title: 'a\u0000b' }), 400, 'invalidValue');
    scimError(await h.scim(token, 'POST', 'Groups', { displayName: 'Nul', members: [{ value: 'usr_\u0000' }] }), 400, 'invalidValue');
    const g = await h.scim(token, 'POST', 'Groups', { members: [] });
    scimError(g, 400, 'invalidValue');
    assert.match(g.body.detail, /displayName/);
    await nobodyCreated();
  });

  it('over 100 emails is 400 tooMany; 100 are kept', async () => {
    const emails = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `e${i}@example.com`, type: 'other' }));
    const r = await h.scim(token, 'POST', 'Users', { userName: 'many@example.com', emails: emails(101) });
    scimError(r, 400, 'tooMany');
    await nobodyCreated();
    const ok = await h.scim(token, 'POST', 'Users', { userName: 'many@example.com', emails: emails(100) });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.emails.length, 100);
    const patched = await h.scim(token, 'PATCH', `Users/${ok.body.id}`, patch({ op: 'add', path: 'emails', value: [{ value: 'one-more@example.com' }] }));
    scimError(patched, 400, 'tooMany');
    assert.equal((await h.scim(token, 'GET', `Users/${ok.body.id}`)).body.emails.length, 100);
    assert.equal((await h.scim(token, 'DELETE', `Users/${ok.body.id}`)).status, 204);
  });

  it('a 2 MiB body is 413 and creates nothing', async () => {
    const big = JSON.stringify({ userName: 'big@example.com', displayName: 'x'.repeat(2 * 1024 * 1024) });
    const r = await h.scim(token, 'POST', 'Users', big);
    scimError(r, 413);
    await nobodyCreated();
  });
});

describe('routes and discovery', () => {
  let h: Harness;
  let token: string;

  before(async () => {
    ({ h, token } = await start());
  });
  after(() => h.close());

  it('/Me and /Bulk answer 501 with a SCIM error body', async () => {
    for (const [method, path] of [['GET', 'Me'], ['PATCH', 'Me'], ['POST', 'Bulk']] as const) {
      const r = await h.scim(token, method, path, method === 'GET' ? undefined : { schemas: [PATCH_OP], Operations: [] });
      scimError(r, 501);
    }
  });

  it('an unknown endpoint is 404 with a SCIM error body; an unknown or malformed id too', async () => {
    scimError(await h.scim(token, 'GET', 'Foo'), 404);
    scimError(await h.scim(token, 'GET', 'Users/usr_unknown000000'), 404);
    // A NUL in an id cannot be in any database (PostgreSQL refuses it outright): not found, not a server error.
    scimError(await h.scim(token, 'GET', 'Users/%00%20not-an-id'), 404);
    scimError(await h.scim(token, 'DELETE', 'Users/usr_%00'), 404);
    scimError(await h.scim(token, 'PATCH', 'Groups/grp_%00', patch({ op: 'replace', path: 'displayName', value: 'X' })), 404);
    scimError(await h.scim(token, 'GET', 'Groups/grp_unknown'), 404);
    scimError(await h.call('GET', '/scim/v2/ResourceTypes/Device'), 404);
    scimError(await h.call('GET', '/scim/v2/Schemas/urn:example:nope'), 404);
  });

  it('a wrong method is 405 with Allow', async () => {
    const put = await h.scim(token, 'PUT', 'Users', { userName: 'x@example.com' });
    scimError(put, 405);
    assert.equal(put.headers.get('allow'), 'GET, HEAD, POST');
    const del = await h.scim(token, 'DELETE', 'Groups');
    scimError(del, 405);
    assert.equal(del.headers.get('allow'), 'GET, HEAD, POST');
    const post = await h.scim(token, 'POST', 'Users/usr_x', { userName: 'x@example.com' });
    scimError(post, 405);
    assert.equal(post.headers.get('allow'), 'DELETE, GET, HEAD, PATCH, PUT');
    const spc = await h.call('POST', '/scim/v2/ServiceProviderConfig', { body: {} });
    scimError(spc, 405);
    assert.equal(spc.headers.get('allow'), 'GET, HEAD');
  });

  it('discovery is public and advertises what is supported', async () => {
    const spc = await h.call('GET', '/scim/v2/ServiceProviderConfig');
    assert.equal(spc.status, 200);
    assert.equal(spc.headers.get('content-type'), 'application/scim+json');
    assert.equal(spc.body.patch.supported, true);
    assert.equal(spc.body.filter.supported, true);
    assert.equal(spc.body.filter.maxResults, 200);
    assert.equal(spc.body.sort.supported, true);
    assert.equal(spc.body.etag.supported, true);
    assert.equal(spc.body.bulk.supported, false);
    assert.equal(spc.body.changePassword.supported, false);
    assert.ok(spc.body.authenticationSchemes.some((s: any) => s.type === 'oauthbearertoken'));

    const types = await h.call('GET', '/scim/v2/ResourceTypes');
    assert.equal(types.status, 200);
    assert.deepEqual(types.body.schemas, [LIST]);
    assert.equal(types.body.totalResults, 2);
    assert.deepEqual(types.body.Resources.map((t: any) => t.id).sort(), ['Group', 'User']);
    const userType = await h.call('GET', '/scim/v2/ResourceTypes/User');
    assert.equal(userType.status, 200);
    assert.equal(userType.body.endpoint, '/Users');
    assert.equal(userType.body.schema, USER_SCHEMA);
    assert.deepEqual(userType.body.schemaExtensions, [{ schema: ENTERPRISE, required: false }]);

    const list = await h.call('GET', '/scim/v2/Schemas');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.schemas, [LIST]);
    assert.deepEqual(list.body.Resources.map((s: any) => s.id).sort(), [ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA].sort());
    const user = await h.call('GET', `/scim/v2/Schemas/${USER_SCHEMA}`);
    assert.equal(user.status, 200);
    assert.equal(user.body.id, USER_SCHEMA);
    assert.ok(user.body.attributes.some((a: any) => a.name === 'userName' && a.required === true && a.caseExact === false && a.uniqueness === 'server'));
    assert.ok(!user.body.attributes.some((a: any) => a.name === 'password'));
  });

  it('a filter on a discovery endpoint is 403', async () => {
    for (const path of ['ServiceProviderConfig', 'ResourceTypes', 'Schemas']) {
      scimError(await h.call('GET', `/scim/v2/${path}?filter=${encodeURIComponent('id eq "User"')}`), 403);
    }
  });

  it('every attribute the User schemas list round-trips through POST and GET', async () => {
    const core = (await h.call('GET', `/scim/v2/Schemas/${USER_SCHEMA}`)).body.attributes;
    const ext = (await h.call('GET', `/scim/v2/Schemas/${ENTERPRISE}`)).body.attributes;
    const valueOf = (a: any, path: string): unknown => {
      if (a.type === 'complex') {
        const o: Record<string, unknown> = {};
        for (const s of a.subAttributes) if (s.mutability !== 'readOnly') o[s.name] = valueOf({ ...s, multiValued: false }, `${path}.${s.name}`);
        return a.multiValued ? [o] : o;
      }
      const one =
        a.type === 'boolean' ? true
        : a.type === 'reference' ? `https://example.com/${path}`
        : a.type === 'binary' ? 'TUlJQ2VqQ0NBZU9nQXdJQkFnSUpBTA=='
        : a.type === 'dateTime' ? '2026-01-02T03:04:05Z'
        : a.canonicalValues ? a.canonicalValues[0]
        : `v-${path}`;
      return a.multiValued ? [one] : one;
    };
    const body: Record<string, unknown> = { schemas: [USER_SCHEMA, ENTERPRISE] };
    const written: string[] = [];
    for (const a of core) {
      if (a.mutability === 'readOnly') continue;
      body[a.name] = valueOf(a, a.name);
      written.push(a.name);
    }
    body.userName = 'round.trip@example.com';
    const enterprise: Record<string, unknown> = {};
    for (const a of ext) if (a.mutability !== 'readOnly') enterprise[a.name] = valueOf(a, a.name);
    body[ENTERPRISE] = enterprise;
    assert.ok(written.length >= 15, `${written.length} writable attributes`);
    const r = await h.scim(token, 'POST', 'Users', body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const got = (await h.scim(token, 'GET', `Users/${r.body.id}`)).body;
    for (const name of written) assert.deepEqual(got[name], body[name], name);
    assert.deepEqual(got[ENTERPRISE], enterprise);

    const group = (await h.call('GET', `/scim/v2/Schemas/${GROUP_SCHEMA}`)).body.attributes;
    assert.deepEqual(group.map((a: any) => a.name).sort(), ['displayName', 'members']);
    const g = await h.scim(token, 'POST', 'Groups', { displayName: 'Round Trip', members: [{ value: r.body.id }] });
    const gotGroup = (await h.scim(token, 'GET', `Groups/${g.body.id}`)).body;
    assert.equal(gotGroup.displayName, 'Round Trip');
    assert.deepEqual(gotGroup.members.map((m: any) => m.value), [r.body.id]);
  });
});
