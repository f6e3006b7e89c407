import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rejects } from './faults.js';
import type { ScimDocument } from '../../src/scim/normalize.js';
import { applyPatch } from '../../src/scim/patch.js';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, GROUP_TYPE, PATCH_SCHEMA, USER_SCHEMA, USER_TYPE } from '../../src/scim/schemas.js';

const self = { id: 'user-1' };
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_SCHEMA], Operations });

const ada = (): ScimDocument => ({
  schemas: [USER_SCHEMA],
  userName: 'ada@example.com',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [
    { value: 'ada@work.example', type: 'work', primary: true },
    { value: 'ada@home.example', type: 'home' },
  ],
});
const engineering = (): ScimDocument => ({ schemas: [GROUP_SCHEMA], displayName: 'Engineering' });

const onUser = (body: unknown, current = ada()) => applyPatch(USER_TYPE, current, body, self).document;
const onGroup = (body: unknown, current = engineering()) => applyPatch(GROUP_TYPE, current, body, { id: 'group-1' });


describe('applyPatch: Okta', () => {
  it('deactivates with a path-less replace', () => {
    assert.equal(onUser(patch({ op: 'replace', value: { active: false } })).active, false);
  });

  it('renames a group with a path-less replace carrying the group id', () => {
    const { document, members } = onGroup(patch({ op: 'replace', value: { id: 'group-1', displayName: 'Platform' } }));
    assert.deepEqual(document, { schemas: [GROUP_SCHEMA], displayName: 'Platform' });
    assert.deepEqual(members, []);
  });

  it('refuses a path-less value whose id differs from the resource', () => {
    rejects(() => onGroup(patch({ op: 'replace', value: { id: 'other', displayName: 'X' } })), 'mutability', /id is read-only/);
  });

  it('turns group push (removes by filter, adds by value) into member changes in order', () => {
    const { document, members } = onGroup(
      patch(
        { op: 'remove', path: 'members[value eq "u1"]' },
        { op: 'remove', path: 'members[value eq "u2" or value eq "u3"]' },
        { op: 'add', path: 'members', value: [{ value: 'u4' }, { value: 'u5' }] },
      ),
    );
    assert.deepEqual(members, [
      { op: 'remove', ids: ['u1'] },
      { op: 'remove', ids: ['u2', 'u3'] },
      { op: 'add', ids: ['u4', 'u5'] },
    ]);
    assert.equal('members' in document, false);
  });

  it('replaces all members, including with none', () => {
    assert.deepEqual(onGroup(patch({ op: 'replace', path: 'members', value: [] })).members, [{ op: 'replace', ids: [] }]);
    assert.deepEqual(onGroup(patch({ op: 'replace', value: { members: [{ value: 'u9' }] } })).members, [{ op: 'replace', ids: ['u9'] }]);
  });
});

describe('applyPatch: Entra ID', () => {
  it('accepts capitalised ops and string booleans', () => {
    assert.equal(onUser(patch({ op: 'Replace', path: 'active', value: 'False' })).active, false);
    assert.equal(onUser(patch({ op: 'Replace', path: 'active', value: 'True' }), { ...ada(), active: false }).active, true);
  });

  it('applies dotted and URN-qualified keys of a path-less value', () => {
    const doc = onUser(
      patch({ op: 'Replace', value: { 'name.givenName': 'Augusta', [`${ENTERPRISE_SCHEMA}:department`]: 'Analytical Engines' } }),
    );
    assert.deepEqual(doc.name, { givenName: 'Augusta', familyName: 'Lovelace' });
    assert.deepEqual(doc[ENTERPRISE_SCHEMA], { department: 'Analytical Engines' });
    assert.deepEqual(doc.schemas, [USER_SCHEMA, ENTERPRISE_SCHEMA]);
  });

  it('creates the value a filtered replace names when none matches', () => {
    const doc = onUser(patch({ op: 'Replace', path: 'phoneNumbers[type eq "work"].value', value: '555-0100' }));
    assert.deepEqual(doc.phoneNumbers, [{ type: 'work', value: '555-0100' }]);
  });

  it('updates the matching value of a filtered replace, matching case-insensitively', () => {
    const doc = onUser(patch({ op: 'Add', path: 'emails[Type eq "WORK"].value', value: 'ada@new.example' }));
    assert.deepEqual(doc.emails, [
      { value: 'ada@new.example', type: 'work', primary: true },
      { value: 'ada@home.example', type: 'home' },
    ]);
  });

  it('sets the manager from a bare id', () => {
    const doc = onUser(patch({ op: 'Add', path: `${ENTERPRISE_SCHEMA}:manager`, value: 'boss-7' }));
    assert.deepEqual(doc[ENTERPRISE_SCHEMA], { manager: { value: 'boss-7' } });
  });

  it('removes only the listed members when remove carries a value list', () => {
    const { members } = onGroup(patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: 'u1' }] }));
    assert.deepEqual(members, [{ op: 'remove', ids: ['u1'] }]);
  });

  it('never removes everyone for an empty value list, but does for a remove without value (RFC)', () => {
    assert.deepEqual(onGroup(patch({ op: 'Remove', path: 'members', value: [] })).members, []);
    assert.deepEqual(onGroup(patch({ op: 'remove', path: 'members' })).members, [{ op: 'replace', ids: [] }]);
  });

  it('adds members sent as {"$ref": null, "value": id}', () => {
    const { members } = onGroup(patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: 'u2' }] }));
    assert.deepEqual(members, [{ op: 'add', ids: ['u2'] }]);
  });
});

describe('applyPatch: attribute semantics', () => {
  it('keeps unknown URN extensions (OneLogin) and reaches into them by path', () => {
    const custom = 'urn:onelogin:params:scim:schemas:extension:Custom:1.0:User';
    let doc = onUser(patch({ op: 'replace', value: { [custom]: { badge: '42', site: 'Leeds' } } }));
    assert.deepEqual(doc[custom], { badge: '42', site: 'Leeds' });
    assert.ok((doc.schemas as string[]).includes(custom));
    doc = onUser(patch({ op: 'replace', path: `${custom}:Site`, value: 'York' }), doc);
    assert.deepEqual(doc[custom], { badge: '42', site: 'York' });
    doc = onUser(patch({ op: 'remove', path: `${custom}:badge` }, { op: 'remove', path: `${custom}:site` }), doc);
    assert.equal(custom in doc, false);
    assert.deepEqual(doc.schemas, [USER_SCHEMA]);
  });

  it('points a caller who forgets the enterprise URN to the qualified name', () => {
    rejects(() => onUser(patch({ op: 'replace', path: 'department', value: 'R&D' })), 'path', new RegExp(`write ${ENTERPRISE_SCHEMA}:department`));
  });

  it('clears an attribute given null or ""', () => {
    const current = { ...ada(), title: 'Countess', nickName: 'Ada' };
    const doc = onUser(patch({ op: 'replace', path: 'title', value: null }, { op: 'replace', value: { nickName: '' } }), current);
    assert.equal('title' in doc, false);
    assert.equal('nickName' in doc, false);
  });

  it('appends to a multi-valued attribute on add, skipping exact duplicates', () => {
    const doc = onUser(
      patch({ op: 'add', path: 'emails', value: [{ value: 'ada@home.example', type: 'home' }, { value: 'ada@other.example', type: 'other' }] }),
    );
    assert.deepEqual((doc.emails as { value: string }[]).map((e) => e.value), ['ada@work.example', 'ada@home.example', 'ada@other.example']);
  });

  it('replaces a whole multi-valued attribute without a filter', () => {
    const doc = onUser(patch({ op: 'replace', path: 'emails', value: [{ value: 'only@example.com' }] }));
    assert.deepEqual(doc.emails, [{ value: 'only@example.com' }]);
  });

  it('merges sub-attributes on add of a complex value', () => {
    const doc = onUser(patch({ op: 'add', path: 'name', value: { middleName: 'King' } }));
    assert.deepEqual(doc.name, { givenName: 'Ada', familyName: 'Lovelace', middleName: 'King' });
  });

  it('removes attributes, filtered values, sub-attributes of filtered values and sub-attributes', () => {
    const doc = onUser(
      patch(
        { op: 'remove', path: 'emails[type eq "home"]' },
        { op: 'remove', path: 'emails[type eq "work"].type' },
        { op: 'remove', path: 'name.familyName' },
        { op: 'remove', path: 'active' },
      ),
    );
    assert.deepEqual(doc, {
      schemas: [USER_SCHEMA],
      userName: 'ada@example.com',
      name: { givenName: 'Ada' },
      emails: [{ value: 'ada@work.example', primary: true }],
    });
  });

  it('removes a value from a multi-valued attribute by value list', () => {
    const doc = onUser(patch({ op: 'remove', path: 'emails', value: [{ value: 'ADA@home.example' }] }));
    assert.deepEqual(doc.emails, [{ value: 'ada@work.example', type: 'work', primary: true }]);
  });

  it('keeps a single primary value when another one is made primary', () => {
    const added = onUser(patch({ op: 'add', path: 'emails', value: { value: 'new@example.com', primary: 'true' } }));
    assert.deepEqual((added.emails as { primary?: boolean }[]).map((e) => e.primary), [false, undefined, true]);
    const switched = onUser(patch({ op: 'replace', path: 'emails[type eq "home"].primary', value: true }));
    assert.deepEqual(switched.emails, [
      { value: 'ada@work.example', type: 'work', primary: false },
      { value: 'ada@home.example', type: 'home', primary: true },
    ]);
  });

  it('changes userName and externalId', () => {
    const doc = onUser(patch({ op: 'replace', path: 'userName', value: 'countess@example.com' }, { op: 'add', path: 'externalId', value: 'x-1' }));
    assert.equal(doc.userName, 'countess@example.com');
    assert.equal(doc.externalId, 'x-1');
  });

  it('drops the enterprise schema once its last attribute is removed', () => {
    const current = { ...ada(), schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA], [ENTERPRISE_SCHEMA]: { department: 'R&D' } };
    const doc = onUser(patch({ op: 'remove', path: `${ENTERPRISE_SCHEMA}:department` }), current);
    assert.deepEqual(doc.schemas, [USER_SCHEMA]);
    assert.equal(ENTERPRISE_SCHEMA in doc, false);
  });

  it('accepts a body without schemas and a lower-case operations key', () => {
    assert.equal(onUser({ operations: [{ op: 'replace', path: 'title', value: 'Countess' }] }).title, 'Countess');
  });

  it('ignores a password sent in a path-less replace', () => {
    assert.deepEqual(onUser(patch({ op: 'replace', value: { password: 's3cret!' } })), ada());
  });
});

describe('applyPatch: errors', () => {
  it('rejects a path-less remove as noTarget', () => {
    rejects(() => onUser(patch({ op: 'remove' })), 'noTarget', /remove needs a "path"/);
  });

  it('rejects read-only paths as mutability', () => {
    for (const path of ['id', 'meta', 'meta.created', 'groups', 'schemas']) {
      rejects(() => onUser(patch({ op: 'replace', path, value: 'x' })), 'mutability', /read-only/);
    }
  });

  it('ignores matching read-only keys in a path-less value', () => {
    const doc = onUser(patch({ op: 'replace', value: { id: 'user-1', meta: { version: 'W/"1"' }, schemas: [USER_SCHEMA], title: 'Dr' } }));
    assert.equal(doc.title, 'Dr');
  });

  it('rejects unknown attributes and malformed paths as invalidPath', () => {
    rejects(() => onUser(patch({ op: 'replace', path: 'shoeSize', value: 44 })), 'path', /names no attribute of User/);
    rejects(() => onUser(patch({ op: 'replace', path: 'name.nickname', value: 'x' })), 'path', /no sub-attribute/);
    rejects(() => onUser(patch({ op: 'replace', path: 'emails..value', value: 'x' })), 'path');
    rejects(() => onUser(patch({ op: 'replace', path: `${ENTERPRISE_SCHEMA}:shoeSize`, value: 'x' })), 'path');
    rejects(() => onGroup(patch({ op: 'add', path: 'emails', value: [] })), 'path');
  });

  it('rejects bad filters as invalidFilter', () => {
    rejects(() => onUser(patch({ op: 'remove', path: 'emails[type eq]' })), 'filter', /does not parse/);
    rejects(() => onUser(patch({ op: 'remove', path: 'emails[colour eq "red"]' })), 'filter', /not one of its sub-attributes/);
    rejects(() => onGroup(patch({ op: 'remove', path: 'members[display eq "Bea"]' })), 'filter', /only value eq filters/);
  });

  it('refuses to create from a filter that does not name the value', () => {
    rejects(() => onUser(patch({ op: 'replace', path: 'emails[type ne "work"].display', value: 'x' }), { ...ada(), emails: [{ value: 'a', type: 'work' }] }), 'noTarget');
  });

  it('rejects unknown ops and bodies without operations as invalidSyntax', () => {
    rejects(() => onUser(patch({ op: 'merge', path: 'title', value: 'x' })), 'syntax', /op must be/);
    rejects(() => onUser({ schemas: [PATCH_SCHEMA] }), 'syntax', /Operations/);
    rejects(() => onUser(patch()), 'syntax');
    rejects(() => onUser('replace active false'), 'syntax');
  });

  it('rejects wrongly typed values, naming the operation', () => {
    rejects(() => onUser(patch({ op: 'add', path: 'title', value: 'ok' }, { op: 'replace', path: 'active', value: 'maybe' })), 'value', /^Operations\[1\]: active must be true or false/);
    rejects(() => onGroup(patch({ op: 'add', path: 'members', value: [{ display: 'Bea' }] })), 'value', /string "value"/);
  });

  it('refuses to leave a resource without its required attribute', () => {
    rejects(() => onUser(patch({ op: 'remove', path: 'userName' })), 'value', /userName is required/);
    rejects(() => onGroup(patch({ op: 'replace', path: 'displayName', value: '' })), 'value', /displayName is required/);
  });

  it('applies all operations or none: a failing operation leaves the current document untouched', () => {
    const current = ada();
    const before = structuredClone(current);
    rejects(
      () => onUser(patch({ op: 'replace', path: 'emails[type eq "work"].value', value: 'changed@example.com' }, { op: 'remove', path: 'id' }), current),
      'mutability',
    );
    assert.deepEqual(current, before);
    // A successful patch does not touch its input either.
    onUser(patch({ op: 'remove', path: 'emails' }, { op: 'replace', path: 'name.givenName', value: 'A.' }), current);
    assert.deepEqual(current, before);
  });

  it('bounds the number of operations and of member values', () => {
    const many = Array.from({ length: 1001 }, () => ({ op: 'replace', path: 'title', value: 'x' }));
    rejects(() => onUser(patch(...many)), 'tooMany', /1001 operations; at most 1000/);
    const batch = (from: number) => ({ op: 'add', path: 'members', value: Array.from({ length: 5000 }, (_, i) => ({ value: `u${from + i}` })) });
    assert.equal(onGroup(patch(batch(0), batch(5000))).members.length, 2);
    rejects(() => onGroup(patch(batch(0), batch(5000), { op: 'add', path: 'members', value: [{ value: 'one-more' }] })), 'tooMany', /more than 10000 members/);
  });

  it('bounds the values of a multi-valued attribute after the patch', () => {
    const emails = Array.from({ length: 100 }, (_, i) => ({ value: `u${i}@example.com` }));
    rejects(() => onUser(patch({ op: 'add', path: 'emails', value: emails })), 'tooMany', /at most 100/);
  });
});
