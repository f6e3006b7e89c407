import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/harness.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** One seeded user, as the test knows it (the oracle of every expected result set). */
interface Seed {
  key: string;
  userName: string;
  givenName: string;
  familyName?: string;
  title?: string;
  displayName?: string;
  externalId?: string;
  active: boolean;
  emails: { value: string; type?: string; primary?: boolean }[];
  department?: string;
  employeeNumber?: string | number;
  /** Index of the seed whose id is this user's manager.value. */
  manager?: number;
}

const GIVEN = [
  'Alice', 'bob', 'Carol', 'dave', 'Eve', 'Frank', 'Grace', 'heidi', 'Ivan', 'Judy',
  'Mallory', 'niaj', 'Olivia', 'Peggy', 'rupert', 'Sybil', 'Trent', 'Victor', 'Walter', 'Xena',
  'Yara', 'Zoë', 'Åsa', 'åke', 'Émile', 'Ørjan', 'Chloé', 'Dmitri', 'Ines', 'Kai',
];
const FAMILY: (string | undefined)[] = [
  'Anders', 'adams', 'Brown', 'Avery', undefined, 'Ashe', 'Baker', 'archer', 'Clark', undefined,
  'Diaz', 'Evans', 'alvarez', 'Fox', 'Green', undefined, 'Hill', 'Ito', 'Abbott', 'Jones',
  'King', 'Ärger', 'Lund', 'Ahl', 'Moreau', 'Nilsen', 'Öberg', 'Petrov', 'Quinn', undefined,
];
const DEPARTMENTS = ['Engineering', 'Sales', 'engineering', 'Support', undefined, 'ENGINEERING'];

function seedOf(i: number): Seed {
  const given = GIVEN[i];
  const local = given.toLowerCase();
  // Letter case varies on purpose: userName is unique and compared case-insensitively.
  const userName = i % 3 === 0 ? `${given.toUpperCase()}@Corp.Example` : i % 3 === 1 ? `${local}@corp.example` : `${given}@CORP.example`;
  const emails: Seed['emails'] = [];
  if (i % 5 !== 4) emails.push({ value: `${local}@${i % 2 === 0 ? 'x' : 'y'}.example`, type: 'work', primary: i % 2 === 0 });
  if (i % 3 !== 2) emails.push({ value: `${local}.home@mail.example`, type: 'home', primary: i % 2 === 1 });
  if (i === 7) emails.push({ value: 'heidi@x.example', type: 'other' });
  return {
    key: `u${i}`,
    userName,
    givenName: given,
    familyName: FAMILY[i],
    title: i % 4 === 0 ? 'Engineer' : i % 4 === 1 ? 'Senior Engineer' : i % 7 === 2 ? 'Manager' : undefined,
    // Characters outside the Basic Multilingual Plane are two UTF-16 units but one character to SQL.
    displayName: i === 8 ? '🚀 Ivan the 𝒜' : i === 9 ? 'Judy 🚀' : undefined,
    externalId: i % 6 === 5 ? `EXT-Mixed-${i}` : i % 6 === 4 ? undefined : `ext-${i}`,
    active: i % 4 !== 3,
    emails,
    department: DEPARTMENTS[i % DEPARTMENTS.length],
    employeeNumber: i === 13 ? 42 : i % 4 === 2 ? undefined : `E${100 + i}`,
    manager: i <= 1 ? undefined : i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : undefined,
  };
}

const SEEDS: Seed[] = Array.from({ length: 30 }, (_, i) => seedOf(i));
const lower = (s: string | undefined) => s?.toLowerCase();
const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;

describe('SCIM filters over a seeded directory', () => {
  let h: Harness;
  let token: string;
  const idOf = new Map<string, string>();
  const created = new Map<string, string>();
  const keyOf = new Map<string, string>();
  const groups: Record<string, string> = {};
  let modifiedAt = '';

  const ids = (keys: string[]) => keys.map((k) => idOf.get(k)!).sort();
  const where = (pred: (s: Seed, i: number) => boolean) => SEEDS.filter(pred).map((s) => s.key);

  async function users(filter: string): Promise<string[]> {
    const r = await h.scim(token, 'GET', `Users?${q(filter)}&count=200`);
    assert.equal(r.status, 200, `${filter}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.totalResults, r.body.Resources.length, filter);
    return r.body.Resources.map((u: any) => u.id).sort();
  }

  /** The filter finds exactly these seeds: a non-empty, proper subset, so a filter that ignores its test fails. */
  async function finds(filter: string, keys: string[]): Promise<void> {
    assert.ok(keys.length > 0 && keys.length < SEEDS.length, `bad oracle for ${filter}: ${keys.length} users`);
    const got = await users(filter);
    assert.deepEqual(
      got.map((id) => keyOf.get(id)).sort(),
      [...keys].sort(),
      `filter ${filter}`,
    );
    assert.deepEqual(got, ids(keys));
  }

  async function invalid(filter: string, detail?: RegExp): Promise<void> {
    for (const r of [
      await h.scim(token, 'GET', `Users?${q(filter)}`),
      await h.scim(token, 'POST', 'Users/.search', { schemas: [SEARCH], filter }),
    ]) {
      assert.equal(r.status, 400, `${filter.slice(0, 80)}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.headers.get('content-type'), 'application/scim+json');
      assert.deepEqual(r.body.schemas, [ERROR]);
      assert.equal(r.body.status, '400');
      assert.equal(r.body.scimType, 'invalidFilter', filter.slice(0, 80));
      assert.equal(typeof r.body.detail, 'string');
      if (detail) assert.match(r.body.detail, detail);
    }
  }

  before(async () => {
    let cookie: string;
    ({ h, cookie } = await Harness.withOrgSession('acme'));
    ({ token } = await h.scimToken('acme', cookie));
    for (const [i, s] of SEEDS.entries()) {
      // A minute apart, so meta.created tells them apart.
      if (i > 0) h.clock.advance(60_000);
      const enterprise: Record<string, unknown> = {};
      if (s.department !== undefined) enterprise.department = s.department;
      if (s.employeeNumber !== undefined) enterprise.employeeNumber = s.employeeNumber;
      if (s.manager !== undefined) enterprise.manager = { value: idOf.get(SEEDS[s.manager].key) };
      const body: Record<string, unknown> = {
        schemas: [USER_SCHEMA, ENTERPRISE],
        userName: s.userName,
        name: { givenName: s.givenName, ...(s.familyName ? { familyName: s.familyName } : {}) },
        active: s.active,
        emails: s.emails,
        ...(s.title ? { title: s.title } : {}),
        ...(s.displayName ? { displayName: s.displayName } : {}),
        ...(s.externalId ? { externalId: s.externalId } : {}),
        ...(Object.keys(enterprise).length ? { [ENTERPRISE]: enterprise } : {}),
      };
      const r = await h.scim(token, 'POST', 'Users', body);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      idOf.set(s.key, r.body.id);
      keyOf.set(r.body.id, s.key);
      created.set(s.key, r.body.meta.created);
    }
    h.clock.advance(3600_000);
    const g = async (displayName: string, members: string[]) => {
      const r = await h.scim(token, 'POST', 'Groups', { displayName, members: members.map((k) => ({ value: idOf.get(k) })) });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as string;
    };
    groups.engineers = await g('Engineers', ['u0', 'u1', 'u2', 'u3', 'u4']);
    groups.sales = await g('Sales Team', ['u0', 'u5', 'u6']);
    groups.empty = await g('Empty', []);
    // Two users change an hour later: their lastModified moves, their created does not.
    h.clock.advance(3600_000);
    modifiedAt = h.clock.now().toISOString();
    for (const k of ['u3', 'u17']) {
      const r = await h.scim(token, 'PATCH', `Users/${idOf.get(k)}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'nickName', value: 'changed' }] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.meta.lastModified, modifiedAt);
    }
  });
  after(() => h.close());

  it('without a filter, lists all 30 users', async () => {
    const all = await users('userName pr');
    assert.deepEqual(all, ids(SEEDS.map((s) => s.key)));
    const r = await h.scim(token, 'GET', 'Users?count=200');
    assert.equal(r.body.totalResults, 30);
  });

  describe('each operator', () => {
    it('eq on userName ignores letter case on either side', async () => {
      await finds('userName eq "alice@corp.example"', ['u0']);
      await finds('userName eq "BOB@CORP.EXAMPLE"', ['u1']);
      await finds('userName eq "Carol@Corp.Example"', ['u2']);
    });

    it('ne keeps every user whose value differs, users without the attribute included', async () => {
      await finds('title ne "engineer"', where((s) => lower(s.title) !== 'engineer'));
      await finds(`${ENTERPRISE}:department ne "Engineering"`, where((s) => lower(s.department) !== 'engineering'));
    });

    it('co finds a substring anywhere, case-insensitively', async () => {
      await finds('userName co "AR"', where((s) => s.userName.toLowerCase().includes('ar')));
      await finds('name.givenName co "i"', where((s) => s.givenName.toLowerCase().includes('i')));
    });

    it('sw and ew match the start and the end', async () => {
      await finds('userName sw "e"', where((s) => s.userName.toLowerCase().startsWith('e')));
      await finds('name.familyName ew "S"', where((s) => !!s.familyName && s.familyName.toLowerCase().endsWith('s')));
      await finds('emails ew "@y.example"', where((s) => s.emails.some((e) => e.value.endsWith('@y.example'))));
    });

    it('gt, ge, lt and le order strings', async () => {
      const emp = (s: Seed) => (s.employeeNumber === undefined ? undefined : String(s.employeeNumber).toLowerCase());
      await finds(`${ENTERPRISE}:employeeNumber gt "E120"`, where((s) => emp(s) !== undefined && emp(s)! > 'e120'));
      await finds(`${ENTERPRISE}:employeeNumber ge "E120"`, where((s) => emp(s) !== undefined && emp(s)! >= 'e120'));
      await finds(`${ENTERPRISE}:employeeNumber lt "e105"`, where((s) => emp(s) !== undefined && emp(s)! < 'e105'));
      await finds(`${ENTERPRISE}:employeeNumber le "e105"`, where((s) => emp(s) !== undefined && emp(s)! <= 'e105'));
      // Boundaries: ge and le include the value itself, gt and lt do not.
      assert.ok((await users(`${ENTERPRISE}:employeeNumber ge "E120"`)).includes(idOf.get('u20')!));
      assert.ok(!(await users(`${ENTERPRISE}:employeeNumber gt "E120"`)).includes(idOf.get('u20')!));
      await finds('name.givenName lt "c"', where((s) => s.givenName.toLowerCase() < 'c'));
    });

    it('pr finds users that have the attribute', async () => {
      await finds('title pr', where((s) => s.title !== undefined));
      await finds('name.familyName pr', where((s) => s.familyName !== undefined));
      await finds('emails pr', where((s) => s.emails.length > 0));
      await finds('externalId pr', where((s) => s.externalId !== undefined));
    });

    it('a number literal compares with a string attribute sent as a number', async () => {
      await finds(`${ENTERPRISE}:employeeNumber eq 42`, ['u13']);
      await finds(`${ENTERPRISE}:employeeNumber eq "42"`, ['u13']);
    });
  });

  describe('logic', () => {
    it('and and or, with and binding tighter than or', async () => {
      const dept = (s: Seed, d: string) => lower(s.department) === d;
      await finds('name.familyName pr and active eq false', where((s) => s.familyName !== undefined && !s.active));
      await finds(
        `${ENTERPRISE}:department eq "sales" or ${ENTERPRISE}:department eq "support" and active eq false`,
        where((s) => dept(s, 'sales') || (dept(s, 'support') && !s.active)),
      );
      await finds(
        `(${ENTERPRISE}:department eq "sales" or ${ENTERPRISE}:department eq "support") and active eq false`,
        where((s) => (dept(s, 'sales') || dept(s, 'support')) && !s.active),
      );
    });

    it('not negates, users without the attribute counting as not matching the inner test', async () => {
      await finds('not (title pr)', where((s) => s.title === undefined));
      await finds(`not (${ENTERPRISE}:department eq "engineering")`, where((s) => lower(s.department) !== 'engineering'));
      await finds('not (emails co "@y.example") and active eq true', where((s) => !s.emails.some((e) => e.value.includes('@y.example')) && s.active));
      await finds('not (title eq "engineer" or title eq "senior engineer")', where((s) => s.title !== 'Engineer' && s.title !== 'Senior Engineer'));
    });

    it('operators, logic words and attribute names take any letter case', async () => {
      await finds('USERNAME EQ "alice@corp.example"', ['u0']);
      await finds('Name.FamilyName SW "A"', where((s) => !!s.familyName && s.familyName.toLowerCase().startsWith('a')));
      await finds('TITLE Eq "Engineer" AND Active EQ true', where((s) => s.title === 'Engineer' && s.active));
      await finds('NOT (TITLE PR) OR userName Eq "alice@corp.example"', where((s) => s.title === undefined || s.key === 'u0'));
      await finds('EMAILS[TYPE EQ "HOME" AND VALUE SW "B"]', ['u1']);
      await finds(`${ENTERPRISE.toUpperCase()}:DEPARTMENT eq "SALES"`, where((s) => lower(s.department) === 'sales'));
      await finds('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@corp.example"', ['u1']);
    });
  });

  describe('multi-valued attributes', () => {
    it('a value path matches users with one value meeting every condition', async () => {
      await finds('emails[type eq "work" and value co "@x"]', where((s) => s.emails.some((e) => e.type === 'work' && e.value.includes('@x'))));
      // heidi's work email is @y and her other one is @x: no single work value is @x.
      assert.ok(!(await users('emails[type eq "work" and value co "@x"]')).includes(idOf.get('u7')!));
      assert.ok((await users('emails co "@x"')).includes(idOf.get('u7')!));
      await finds('emails[primary eq true and value ew "@mail.example"]', where((s) => s.emails.some((e) => e.primary === true && e.value.endsWith('@mail.example'))));
      await finds('emails[type eq "home" or type eq "other"]', where((s) => s.emails.some((e) => e.type === 'home' || e.type === 'other')));
    });

    it('the attribute alone means any of its values', async () => {
      await finds('emails co "x"', where((s) => s.emails.some((e) => e.value.toLowerCase().includes('x'))));
      await finds('emails eq "bob.home@mail.example"', ['u1']);
    });

    it('a sub-attribute of a multi-valued attribute means some value has it', async () => {
      await finds('emails.type eq "home"', where((s) => s.emails.some((e) => e.type === 'home')));
      await finds('emails.type eq "HOME" and not (emails.type eq "work")', where((s) => s.emails.some((e) => e.type === 'home') && !s.emails.some((e) => e.type === 'work')));
      await finds('emails.primary eq true', where((s) => s.emails.some((e) => e.primary === true)));
    });

    it('groups.value and groups[...] find the members of a group', async () => {
      await finds(`groups.value eq "${groups.engineers}"`, ['u0', 'u1', 'u2', 'u3', 'u4']);
      await finds(`groups[value eq "${groups.sales}"]`, ['u0', 'u5', 'u6']);
      await finds(`groups.value eq "${groups.engineers}" and groups.value eq "${groups.sales}"`, ['u0']);
      await finds('groups.display eq "sales team"', ['u0', 'u5', 'u6']);
      await finds('groups pr', ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6']);
      assert.deepEqual(await users(`groups.value eq "${groups.empty}"`), []);
    });
  });

  describe('sub-attributes and the enterprise extension', () => {
    it('name.familyName sw "a"', async () => {
      await finds('name.familyName sw "a"', where((s) => !!s.familyName && s.familyName.toLowerCase().startsWith('a')));
    });

    it('URN-qualified enterprise attributes, department in any letter case', async () => {
      await finds(`${ENTERPRISE}:department eq "engineering"`, where((s) => lower(s.department) === 'engineering'));
      await finds(`${ENTERPRISE}:department eq "Support"`, where((s) => s.department === 'Support'));
      await finds(`${ENTERPRISE}:department pr`, where((s) => s.department !== undefined));
    });

    it('manager.value, bare and URN-qualified, is case-exact', async () => {
      const managedBy0 = where((s) => s.manager === 0);
      await finds(`${ENTERPRISE}:manager.value eq "${idOf.get('u0')}"`, managedBy0);
      await finds(`manager.value eq "${idOf.get('u1')}"`, where((s) => s.manager === 1));
      assert.deepEqual(await users(`manager.value eq "${idOf.get('u0')!.toUpperCase()}"`), []);
    });
  });

  describe('literals and case rules', () => {
    it('true, false and null', async () => {
      await finds('active eq false', where((s) => !s.active));
      await finds('active eq true', where((s) => s.active));
      await finds('active ne true', where((s) => !s.active));
      await finds('title eq null', where((s) => s.title === undefined));
      await finds('title ne null', where((s) => s.title !== undefined));
      await finds('emails[primary eq false]', where((s) => s.emails.some((e) => e.primary !== true)));
    });

    it('externalId is case-exact: the value as stored finds it, another letter case finds nothing', async () => {
      await finds('externalId eq "EXT-Mixed-5"', ['u5']);
      await finds('externalId eq "ext-0"', ['u0']);
      assert.deepEqual(await users('externalId eq "ext-mixed-5"'), []);
      assert.deepEqual(await users('externalId eq "EXT-0"'), []);
      await finds('externalId sw "EXT-"', where((s) => !!s.externalId?.startsWith('EXT-')));
    });

    it('id is case-exact', async () => {
      const id = idOf.get('u9')!;
      await finds(`id eq "${id}"`, ['u9']);
      assert.notEqual(id.toUpperCase(), id);
      assert.deepEqual(await users(`id eq "${id.toUpperCase()}"`), []);
      if (id.toLowerCase() !== id) assert.deepEqual(await users(`id eq "${id.toLowerCase()}"`), []);
    });

    it('non-ASCII values compare by their letters, whatever their case', async () => {
      await finds('name.givenName eq "ZOË"', ['u21']);
      await finds('name.givenName eq "zoë"', ['u21']);
      await finds('name.givenName eq "åsa"', ['u22']);
      await finds('name.givenName eq "ÅSA"', ['u22']);
      await finds('userName eq "åsa@corp.example"', ['u22']);
      await finds('name.givenName sw "Å"', ['u22', 'u23']);
      await finds('name.familyName co "RG"', where((s) => !!s.familyName && s.familyName.toLowerCase().includes('rg')));
      await finds('name.givenName ew "É"', ['u26']);
      await finds('name.familyName eq "ÖBERG"', ['u26']);
      // An emoji or a mathematical letter is one character, at the start, the end or inside.
      await finds('displayName sw "🚀"', ['u8']);
      await finds('displayName sw "🚀 ivan"', ['u8']);
      await finds('displayName ew "🚀"', ['u9']);
      await finds('displayName ew "THE 𝒜"', ['u8']);
      await finds('displayName co "🚀"', ['u8', 'u9']);
      // Ordering is by code point, the same on both databases: every letter beyond z sorts after it.
      await finds('name.givenName gt "z"', ['u21', 'u22', 'u23', 'u24', 'u25']);
    });
  });

  describe('dates', () => {
    it('meta.created gt/ge/lt/le compare instants', async () => {
      const t10 = created.get('u10')!;
      await finds(`meta.created gt "${t10}"`, where((_s, i) => i > 10));
      await finds(`meta.created ge "${t10}"`, where((_s, i) => i >= 10));
      await finds(`meta.created lt "${t10}"`, where((_s, i) => i < 10));
      await finds(`meta.created le "${t10}"`, where((_s, i) => i <= 10));
      await finds(`meta.created eq "${t10}"`, ['u10']);
      // Another spelling of the same instant (no milliseconds, an offset) means the same.
      const noMillis = t10.replace('.000Z', 'Z');
      await finds(`meta.created eq "${noMillis}"`, ['u10']);
      const offset = new Date(t10);
      const plus2 = `${new Date(offset.getTime() + 2 * 3600_000).toISOString().slice(0, 19)}+02:00`;
      await finds(`meta.created eq "${plus2}"`, ['u10']);
    });

    it('meta.lastModified finds the users changed later', async () => {
      await finds(`meta.lastModified ge "${modifiedAt}"`, ['u3', 'u17']);
      await finds(`meta.lastModified lt "${modifiedAt}"`, where((s) => s.key !== 'u3' && s.key !== 'u17'));
      // Joining a group changes a user's representation (its groups), so u0 to u6 moved when the groups were made.
      await finds(`meta.lastModified gt "${created.get('u29')}" and meta.created lt "${created.get('u10')}"`, ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6']);
      await finds(`meta.lastModified ge "${modifiedAt}" and meta.created lt "${created.get('u10')}"`, ['u3']);
    });
  });

  describe('bad filters are 400 invalidFilter, never a server error', () => {
    it('an unknown attribute or sub-attribute', async () => {
      await invalid('foo eq "x"', /foo/);
      await invalid('name.nickname eq "x"');
      await invalid('emails.foo eq "x"');
      await invalid('password eq "secret"');
      await invalid('urn:ietf:params:scim:schemas:extension:other:2.0:User:department eq "x"');
    });

    it('bad syntax and an unterminated string', async () => {
      await invalid('userName eq');
      await invalid('userName is "x"');
      await invalid('(userName eq "x"');
      await invalid('userName eq "x")');
      await invalid('userName eq "x" and');
      await invalid('userName eq "abc', /does not parse/);
    });

    it('a comparison the attribute type cannot take', async () => {
      await invalid('active gt true');
      await invalid('userName gt true');
      await invalid('active co "x"');
      await invalid('active eq "maybe"');
      await invalid('title co null');
      await invalid('meta.created sw "2026"');
    });

    it('a dateTime that is not one', async () => {
      await invalid('meta.created gt "yesterday"', /dateTime/);
      await invalid('meta.created gt "2026-13-45T99:00:00Z"');
      await invalid('meta.lastModified lt 5');
      await invalid('meta.created eq true');
    });

    it('unknown sub-attributes in a value path, and nested value paths', async () => {
      await invalid('emails[foo eq "x"]');
      await invalid('emails[type eq "work" and foo eq "x"]');
      await invalid('emails[type[value eq "x"]]', /nest/);
      await invalid('title[value eq "x"]');
      await invalid('groups[type eq "direct"]');
    });

    it('a filter over 2048 characters', async () => {
      const at = (n: number) => `userName eq "${'a'.repeat(n - 'userName eq ""'.length)}"`;
      assert.equal(at(2048).length, 2048);
      assert.deepEqual(await users(at(2048)), []);
      await invalid(at(2049), /2048/);
    });

    it('nesting deeper than 8 levels', async () => {
      const nested = (n: number) => `${'not ('.repeat(n)}title pr${')'.repeat(n)}`;
      // Seven nots and a comparison are eight levels: allowed.
      await finds(nested(7), where((s) => s.title === undefined));
      await invalid(nested(8), /8 levels/);
      await invalid(nested(40));
    });

    it('more than 50 comparisons', async () => {
      const many = (n: number) => Array.from({ length: n }, (_, i) => `externalId eq "ext-${i}"`).join(' or ');
      await finds(many(50), where((s) => !!s.externalId && /^ext-\d+$/.test(s.externalId)));
      await invalid(many(51), /50 comparisons/);
    });
  });

  describe('groups', () => {
    async function groupIds(filter: string): Promise<string[]> {
      const r = await h.scim(token, 'GET', `Groups?${q(filter)}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.totalResults, r.body.Resources.length);
      return r.body.Resources.map((g: any) => g.id).sort();
    }

    it('displayName eq ignores letter case', async () => {
      assert.deepEqual(await groupIds('displayName eq "engineers"'), [groups.engineers]);
      assert.deepEqual(await groupIds('DISPLAYNAME eq "SALES TEAM"'), [groups.sales]);
      assert.deepEqual(await groupIds('displayName sw "e"'), [groups.empty, groups.engineers].sort());
      assert.deepEqual(await groupIds('displayName eq "nobody"'), []);
    });

    it('members[value eq] and members.value eq find the groups of a user', async () => {
      assert.deepEqual(await groupIds(`members[value eq "${idOf.get('u0')}"]`), [groups.engineers, groups.sales].sort());
      assert.deepEqual(await groupIds(`members.value eq "${idOf.get('u5')}"`), [groups.sales]);
      assert.deepEqual(await groupIds(`members[value eq "${idOf.get('u2')}" or value eq "${idOf.get('u6')}"]`), [groups.engineers, groups.sales].sort());
      assert.deepEqual(await groupIds(`members.value eq "${idOf.get('u29')}"`), []);
      // Member ids are case-exact.
      assert.deepEqual(await groupIds(`members.value eq "${idOf.get('u5')!.toUpperCase()}"`), []);
      assert.deepEqual(await groupIds('members pr'), [groups.engineers, groups.sales].sort());
      assert.deepEqual(await groupIds('not (members pr)'), [groups.empty]);
    });

    it('an attribute groups do not have is 400 invalidFilter', async () => {
      for (const filter of ['userName eq "x"', 'members.display eq "x"', 'members[type eq "User"]']) {
        const r = await h.scim(token, 'GET', `Groups?${q(filter)}`);
        assert.equal(r.status, 400, filter);
        assert.equal(r.body.scimType, 'invalidFilter', filter);
      }
    });
  });

  describe('POST /.search', () => {
    it('a SearchRequest body gives what the GET gives', async () => {
      const filter = `emails[type eq "work" and value co "@x"] and active eq true`;
      const get = await h.scim(token, 'GET', `Users?${q(filter)}&sortBy=userName&sortOrder=descending&startIndex=2&count=3&attributes=userName`);
      const post = await h.scim(token, 'POST', 'Users/.search', {
        schemas: [SEARCH],
        filter,
        sortBy: 'userName',
        sortOrder: 'descending',
        startIndex: 2,
        count: 3,
        attributes: ['userName'],
      });
      assert.equal(get.status, 200);
      assert.equal(post.status, 200, JSON.stringify(post.body));
      assert.deepEqual(post.body, get.body);
      assert.equal(post.body.itemsPerPage, 3);
      assert.equal(post.body.startIndex, 2);
      assert.deepEqual(Object.keys(post.body.Resources[0]).sort(), ['id', 'schemas', 'userName']);
    });

    it('on Groups too', async () => {
      const get = await h.scim(token, 'GET', `Groups?${q('displayName sw "E"')}&excludedAttributes=members`);
      const post = await h.scim(token, 'POST', 'Groups/.search', { schemas: [SEARCH], filter: 'displayName sw "E"', excludedAttributes: ['members'] });
      assert.equal(post.status, 200);
      assert.deepEqual(post.body, get.body);
      assert.equal(post.body.totalResults, 2);
      assert.ok(post.body.Resources.every((g: any) => g.members === undefined));
    });
  });
});
