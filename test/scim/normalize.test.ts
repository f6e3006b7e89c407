import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rejects } from './faults.js';
import { membersOf, normalizeResource } from '../../src/scim/normalize.js';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, GROUP_TYPE, USER_SCHEMA, USER_TYPE } from '../../src/scim/schemas.js';


const user = (extra: Record<string, unknown> = {}) => normalizeResource(USER_TYPE, { userName: 'ada@example.com', ...extra });

describe('normalizeResource: users', () => {
  it('accepts the whole object Okta sends back on PUT, dropping what the server owns', () => {
    const doc = normalizeResource(USER_TYPE, {
      schemas: [USER_SCHEMA],
      id: '5f1c',
      meta: { resourceType: 'User', created: '2024-01-01T00:00:00Z' },
      groups: [{ value: 'g1', display: 'Admins' }],
      userName: 'ada@example.com',
      password: 'hunter2!',
      active: false,
      name: { givenName: 'Ada', familyName: 'Lovelace' },
    });
    assert.deepEqual(doc, {
      schemas: [USER_SCHEMA],
      userName: 'ada@example.com',
      active: false,
      name: { givenName: 'Ada', familyName: 'Lovelace' },
    });
  });

  it('matches attribute and sub-attribute names case-insensitively and stores them canonically', () => {
    const doc = normalizeResource(USER_TYPE, {
      UserName: 'ada',
      NAME: { GivenName: 'Ada' },
      Emails: [{ Value: 'ada@example.com', Type: 'work', Primary: 'True' }],
      ExternalID: 'okta-1',
    });
    assert.deepEqual(doc, {
      schemas: [USER_SCHEMA],
      userName: 'ada',
      name: { givenName: 'Ada' },
      emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
      externalId: 'okta-1',
    });
  });

  it('stores the enterprise extension under its canonical URN, from an object or qualified keys', () => {
    const doc = user({
      'URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER': { Department: 'R&D', employeeNumber: 701 },
      [`${ENTERPRISE_SCHEMA}:costCenter`]: 'CC-9',
    });
    assert.deepEqual(doc.schemas, [USER_SCHEMA, ENTERPRISE_SCHEMA]);
    // IdPs map numeric HR fields straight through; the schema says string.
    assert.deepEqual(doc[ENTERPRISE_SCHEMA], { department: 'R&D', employeeNumber: '701', costCenter: 'CC-9' });
  });

  it("takes Entra's bare manager id as the manager's value", () => {
    const doc = user({ [ENTERPRISE_SCHEMA]: { manager: 'boss-id' } });
    assert.deepEqual(doc[ENTERPRISE_SCHEMA], { manager: { value: 'boss-id' } });
  });

  it('merges attributes sent under the core schema URN as core ones', () => {
    const doc = normalizeResource(USER_TYPE, { [USER_SCHEMA]: { userName: 'ada', title: 'Countess' } });
    assert.equal(doc.userName, 'ada');
    assert.equal(doc.title, 'Countess');
  });

  it('keeps unknown URN extensions verbatim (OneLogin templates) and lists them in schemas', () => {
    const custom = 'urn:onelogin:params:scim:schemas:extension:Custom:1.0:User';
    const doc = user({ [custom]: { BadgeId: 42, Site: { Floor: 3 } }, 'urn:acme:shoeSize': '44' });
    assert.deepEqual(doc[custom], { BadgeId: 42, Site: { Floor: 3 } });
    assert.equal(doc['urn:acme:shoeSize'], '44');
    assert.deepEqual(doc.schemas, [USER_SCHEMA, custom]);
  });

  it('drops unknown plain attributes silently', () => {
    assert.deepEqual(user({ favouriteColour: 'blue' }), { schemas: [USER_SCHEMA], userName: 'ada@example.com' });
  });

  it('clears attributes sent as null or "", and omits empty lists', () => {
    const doc = user({ title: null, nickName: '', emails: [], name: { givenName: '' } });
    assert.deepEqual(doc, { schemas: [USER_SCHEMA], userName: 'ada@example.com' });
  });

  it('accepts booleans as strings in any case, and rejects other values', () => {
    assert.equal(user({ active: 'False' }).active, false);
    assert.equal(user({ active: 'TRUE' }).active, true);
    rejects(() => user({ active: 'no' }), 'value', /active must be true or false/);
    rejects(() => user({ active: 1 }), 'value', /active/);
  });

  it('leaves active absent when the body omits it, for the caller to default', () => {
    assert.equal('active' in user(), false);
  });

  it('checks types against the schema', () => {
    rejects(() => user({ name: 'Ada Lovelace' }), 'value', /name must be an object/);
    rejects(() => user({ emails: 'ada@example.com' }), 'value', /emails must be a list/);
    rejects(() => user({ title: { text: 'x' } }), 'value', /title must be a string/);
    rejects(() => user({ profileUrl: 12 }), 'value', /profileUrl must be a string/);
  });

  it('takes a single object for a multi-valued attribute as a one-element list', () => {
    assert.deepEqual(user({ emails: { value: 'a@example.com' } }).emails, [{ value: 'a@example.com' }]);
  });

  it('keeps only the first value sent as primary', () => {
    const doc = user({
      emails: [
        { value: 'a@example.com', primary: true },
        { value: 'b@example.com', primary: true },
      ],
    });
    assert.deepEqual(doc.emails, [
      { value: 'a@example.com', primary: true },
      { value: 'b@example.com', primary: false },
    ]);
  });

  it('requires a non-empty userName', () => {
    rejects(() => normalizeResource(USER_TYPE, { name: { givenName: 'Ada' } }), 'value', /userName is required/);
    rejects(() => normalizeResource(USER_TYPE, { userName: '   ' }), 'value', /userName is required/);
  });

  it('rejects a body that is not an object as a syntax error', () => {
    rejects(() => normalizeResource(USER_TYPE, [{ userName: 'ada' }]), 'syntax');
    rejects(() => normalizeResource(USER_TYPE, 'userName=ada'), 'syntax');
  });

  it('bounds values per attribute, string length and document size', () => {
    const emails = Array.from({ length: 101 }, (_, i) => ({ value: `u${i}@example.com` }));
    rejects(() => user({ emails }), 'tooMany', /101 values; at most 100/);
    rejects(() => user({ title: 'x'.repeat(2049) }), 'value', /title is 2049 characters long/);
    rejects(() => user({ 'urn:acme:blob': { data: 'x'.repeat(70_000) } }), 'value', /bytes; at most 65536/);
  });

  it('quotes at most a short part of the input in messages', () => {
    assert.throws(
      () => user({ active: 'y'.repeat(500) }),
      (e: Error) => e.message.length < 160 && e.message.includes('yyyy'),
    );
  });
});

describe('normalizeResource and membersOf: groups', () => {
  it('keeps members out of the document and gives their ids separately', () => {
    const body = {
      schemas: [GROUP_SCHEMA, 'urn:ietf:params:scim:schemas:extension:ADSCIM:2.0:Group'],
      displayName: 'Engineering',
      externalId: 'aad-7',
      members: [{ $ref: null, value: 'u1' }, { value: 'u2', display: 'Bea', type: 'User' }, { Value: 'u1' }],
    };
    assert.deepEqual(normalizeResource(GROUP_TYPE, body), { schemas: [GROUP_SCHEMA], displayName: 'Engineering', externalId: 'aad-7' });
    assert.deepEqual(membersOf(body), ['u1', 'u2']);
  });

  it('tells "no members given" from "no members"', () => {
    assert.equal(membersOf({ displayName: 'Ops' }), undefined);
    assert.deepEqual(membersOf({ displayName: 'Ops', members: [] }), []);
    assert.deepEqual(membersOf({ displayName: 'Ops', members: null }), []);
  });

  it('rejects a member without a string value', () => {
    rejects(() => membersOf({ members: [{ display: 'Bea' }] }), 'value', /members\[0\] must be an object with the member's id/);
    rejects(() => membersOf({ members: ['u1'] }), 'value');
  });

  it('requires a displayName', () => {
    rejects(() => normalizeResource(GROUP_TYPE, { members: [] }), 'value', /displayName is required/);
  });
});
