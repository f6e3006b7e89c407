// Evaluating a dynamic policy against a sample request context (POST /{id}/test): every operator, true and false,
// with the explanation naming the field; dotted paths, missing fields, values of the wrong kind, string lists;
// all conditions must hold; actions only when matched and enabled; and the test changes nothing. Also the
// published schema (/schema), and that what it lists is exactly what a policy may be made of.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

const BASE = '/api/v1/dynamic-policies';
const ALIAS = '/api/v1/policies';
const PREFIXES = [BASE, ALIAS];

let counter = 0;
const unique = (prefix: string) => `${prefix} ${++counter}`;

interface Condition {
  field: string;
  operator: string;
  value: unknown;
}

async function stored(h: Harness): Promise<{ policies: number; versions: number; audits: number }> {
  const db = h.runtime.database.db;
  const n = async (q: Promise<{ n: unknown } | undefined>) => Number((await q)?.n ?? 0);
  return {
    policies: await n(db.selectFrom('dynamic_policies').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()),
    versions: await n(db.selectFrom('policy_versions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()),
    audits: await n(db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()),
  };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('testing a dynamic policy against a sample context', () => {
  let h: Harness;
  let cookie: string;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  async function policy(type: string, conditions: Condition[], over: Record<string, unknown> = {}): Promise<any> {
    const r = await h.call('POST', BASE, {
      cookie,
      body: { name: unique('Eval'), type, conditions, actions: [{ type: 'warn', config: { message: 'careful' } }], ...over },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }

  async function test(id: string, context: unknown, base = BASE): Promise<any> {
    const r = await h.call('POST', `${base}/${id}/test`, { cookie, body: { context } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  interface OperatorCase {
    label: string;
    type: string;
    condition: Condition;
    holds: Record<string, unknown>;
    holdsActual: unknown;
    fails: Record<string, unknown>;
    failsActual: unknown;
    /** The explanation after the field name, when the condition holds. */
    text: string;
  }

  const CASES: OperatorCase[] = [
    {
      label: 'equals on a string (exact, case-sensitive)',
      type: 'user',
      condition: { field: 'user.role', operator: 'equals', value: 'admin' },
      holds: { user: { role: 'admin' } },
      holdsActual: 'admin',
      fails: { user: { role: 'Admin' } },
      failsActual: 'Admin',
      text: 'equals "admin"',
    },
    {
      label: 'equals on a number',
      type: 'cost',
      condition: { field: 'tokens', operator: 'equals', value: 100 },
      holds: { tokens: 100 },
      holdsActual: 100,
      fails: { tokens: 101 },
      failsActual: 101,
      text: 'equals 100',
    },
    {
      label: 'equals on a boolean',
      type: 'risk',
      condition: { field: 'pii_detected', operator: 'equals', value: true },
      holds: { pii_detected: true },
      holdsActual: true,
      fails: { pii_detected: false },
      failsActual: false,
      text: 'equals true',
    },
    {
      label: 'not_equals on a string',
      type: 'user',
      condition: { field: 'user.department', operator: 'not_equals', value: 'sales' },
      holds: { user: { department: 'engineering' } },
      holdsActual: 'engineering',
      fails: { user: { department: 'sales' } },
      failsActual: 'sales',
      text: 'differs from "sales"',
    },
    {
      label: 'not_equals on a number',
      type: 'risk',
      condition: { field: 'risk_score', operator: 'not_equals', value: 0 },
      holds: { risk_score: 0.3 },
      holdsActual: 0.3,
      fails: { risk_score: 0 },
      failsActual: 0,
      text: 'differs from 0',
    },
    {
      label: 'contains on a string (case-insensitive)',
      type: 'content',
      condition: { field: 'content', operator: 'contains', value: 'Secret' },
      holds: { content: 'this is TOP SECRET material' },
      holdsActual: 'this is TOP SECRET material',
      fails: { content: 'public notes' },
      failsActual: 'public notes',
      text: 'contains "Secret" (case-insensitive)',
    },
    {
      label: 'not_contains on a string',
      type: 'content',
      condition: { field: 'content', operator: 'not_contains', value: 'password' },
      holds: { content: 'hello there' },
      holdsActual: 'hello there',
      fails: { content: 'my PASSWORD is hunter2' },
      failsActual: 'my PASSWORD is hunter2',
      text: 'does not contain "password" (case-insensitive)',
    },
    {
      label: 'greater_than (strict)',
      type: 'cost',
      condition: { field: 'estimated_cost_usd', operator: 'greater_than', value: 1.5 },
      holds: { estimated_cost_usd: 2 },
      holdsActual: 2,
      fails: { estimated_cost_usd: 1.5 },
      failsActual: 1.5,
      text: 'is greater than 1.5',
    },
    {
      label: 'less_than (strict)',
      type: 'risk',
      condition: { field: 'jailbreak_score', operator: 'less_than', value: 0.2 },
      holds: { jailbreak_score: 0.1 },
      holdsActual: 0.1,
      fails: { jailbreak_score: 0.2 },
      failsActual: 0.2,
      text: 'is less than 0.2',
    },
    {
      label: 'in on a string (case-insensitive)',
      type: 'user',
      condition: { field: 'user.country', operator: 'in', value: ['US', 'CA'] },
      holds: { user: { country: 'us' } },
      holdsActual: 'us',
      fails: { user: { country: 'FR' } },
      failsActual: 'FR',
      text: 'is one of ["US","CA"]',
    },
    {
      label: 'in on a number',
      type: 'cost',
      condition: { field: 'tokens', operator: 'in', value: [128, 256] },
      holds: { tokens: 256 },
      holdsActual: 256,
      fails: { tokens: 512 },
      failsActual: 512,
      text: 'is one of [128,256]',
    },
    {
      label: 'not_in on a string (case-insensitive)',
      type: 'content',
      condition: { field: 'model', operator: 'not_in', value: ['gpt-4o', 'claude-3'] },
      holds: { model: 'llama-3' },
      holdsActual: 'llama-3',
      fails: { model: 'GPT-4O' },
      failsActual: 'GPT-4O',
      text: 'is none of ["gpt-4o","claude-3"]',
    },
    {
      label: 'regex',
      type: 'content',
      condition: { field: 'content', operator: 'regex', value: '\\bproj-[0-9]{3}\\b' },
      holds: { content: 'see proj-123 for details' },
      holdsActual: 'see proj-123 for details',
      fails: { content: 'see proj-12 or PROJ-123' },
      failsActual: 'see proj-12 or PROJ-123',
      text: 'matches /\\bproj-[0-9]{3}\\b/',
    },
    {
      label: 'regex with a case-insensitive flag',
      type: 'risk',
      condition: { field: 'data_classification', operator: 'regex', value: '(?i)^(confidential|restricted)$' },
      holds: { data_classification: 'RESTRICTED' },
      holdsActual: 'RESTRICTED',
      fails: { data_classification: 'internal' },
      failsActual: 'internal',
      text: 'matches /(?i)^(confidential|restricted)$/',
    },
    {
      label: 'contains on a string list (an element, case-insensitive)',
      type: 'user',
      condition: { field: 'user.groups', operator: 'contains', value: 'Admins' },
      holds: { user: { groups: ['eng', 'admins'] } },
      holdsActual: ['eng', 'admins'],
      fails: { user: { groups: ['admins-team', 'eng'] } },
      failsActual: ['admins-team', 'eng'],
      text: 'contains "Admins" (case-insensitive)',
    },
    {
      label: 'not_contains on a string list',
      type: 'user',
      condition: { field: 'user.groups', operator: 'not_contains', value: 'contractors' },
      holds: { user: { groups: ['eng'] } },
      holdsActual: ['eng'],
      fails: { user: { groups: ['eng', 'Contractors'] } },
      failsActual: ['eng', 'Contractors'],
      text: 'does not contain "contractors" (case-insensitive)',
    },
    {
      label: 'in on a string list (any element)',
      type: 'user',
      condition: { field: 'user.groups', operator: 'in', value: ['finance', 'legal'] },
      holds: { user: { groups: ['eng', 'Legal'] } },
      holdsActual: ['eng', 'Legal'],
      fails: { user: { groups: ['eng', 'sales'] } },
      failsActual: ['eng', 'sales'],
      text: 'is one of ["finance","legal"]',
    },
    {
      label: 'not_in on a string list (no element)',
      type: 'user',
      condition: { field: 'user.groups', operator: 'not_in', value: ['banned'] },
      holds: { user: { groups: [] } },
      holdsActual: [],
      fails: { user: { groups: ['ok', 'BANNED'] } },
      failsActual: ['ok', 'BANNED'],
      text: 'is none of ["banned"]',
    },
  ];

  for (const c of CASES) {
    it(`${c.condition.operator}: ${c.label}: true and false, explained`, async () => {
      const p = await policy(c.type, [c.condition]);
      const yes = await test(p.id, c.holds);
      assert.deepEqual(Object.keys(yes).sort(), ['actions', 'conditions', 'enabled', 'matched', 'policy_id']);
      assert.equal(yes.policy_id, p.id);
      assert.equal(yes.matched, true);
      assert.equal(yes.enabled, true);
      assert.deepEqual(yes.conditions, [{ ...c.condition, actual: c.holdsActual, matched: true, explanation: `${c.condition.field} ${c.text}` }]);
      assert.deepEqual(yes.actions, [{ type: 'warn', config: { message: 'careful' } }]);

      const no = await test(p.id, c.fails, ALIAS);
      assert.equal(no.matched, false);
      assert.equal(no.conditions.length, 1);
      const [r] = no.conditions;
      assert.equal(r.matched, false);
      assert.deepEqual(r.actual, c.failsActual);
      assert.match(r.explanation, new RegExp(`^${escape(c.condition.field)} is ${escape(JSON.stringify(c.failsActual))}, so it fails`));
      assert.ok(r.explanation.includes(c.text), r.explanation);
      assert.deepEqual(no.actions, []);
    });
  }

  it('every operator is covered above', async () => {
    const covered = new Set(CASES.map((c) => c.condition.operator));
    assert.deepEqual([...covered].sort(), ['contains', 'equals', 'greater_than', 'in', 'less_than', 'not_contains', 'not_equals', 'not_in', 'regex']);
  });

  it('a dotted field is read from a nested context or from a flat "user.role" key', async () => {
    const p = await policy('user', [{ field: 'user.role', operator: 'equals', value: 'admin' }]);
    const nested = await test(p.id, { user: { role: 'admin', id: 'u1' } });
    assert.equal(nested.matched, true);
    assert.equal(nested.conditions[0].actual, 'admin');
    const flat = await test(p.id, { 'user.role': 'admin' });
    assert.equal(flat.matched, true);
    assert.equal(flat.conditions[0].actual, 'admin');
    const flatNo = await test(p.id, { 'user.role': 'guest' });
    assert.equal(flatNo.matched, false);
    assert.equal(flatNo.conditions[0].actual, 'guest');
    // Risk policies read user.role as well.
    const risk = await policy('risk', [{ field: 'user.role', operator: 'in', value: ['intern'] }]);
    assert.equal((await test(risk.id, { user: { role: 'Intern' } })).matched, true);
  });

  it('a field the context lacks: matched false, actual null, "the context has no ..."', async () => {
    const p = await policy('user', [{ field: 'user.role', operator: 'not_equals', value: 'admin' }]);
    for (const context of [{}, { user: {} }, { user: { role: null } }, { user: 'admin' }, { user: ['role'] }, { 'user.rol': 'x', role: 'x' }]) {
      const r = await test(p.id, context);
      assert.equal(r.matched, false, JSON.stringify(context));
      assert.deepEqual(r.conditions[0].actual, null);
      assert.equal(r.conditions[0].explanation, 'the context has no user.role');
      assert.deepEqual(r.actions, []);
    }
    // not_in and not_contains do not hold for a missing field either.
    const q = await policy('content', [{ field: 'content', operator: 'not_contains', value: 'x' }]);
    const r = await test(q.id, { model: 'gpt' });
    assert.equal(r.matched, false);
    assert.equal(r.conditions[0].explanation, 'the context has no content');
  });

  it('a value of the wrong kind: matched false, explaining what was expected', async () => {
    const cases: [string, Condition, Record<string, unknown>, unknown, RegExp][] = [
      ['cost', { field: 'tokens', operator: 'greater_than', value: 1000 }, { tokens: '1500' }, '1500', /^tokens is string, expected a number$/],
      ['cost', { field: 'tokens', operator: 'less_than', value: 1000 }, { tokens: true }, true, /^tokens is boolean, expected a number$/],
      ['user', { field: 'user.role', operator: 'equals', value: 'admin' }, { user: { role: 5 } }, 5, /^user\.role is number, expected a string$/],
      ['user', { field: 'user.role', operator: 'in', value: ['admin'] }, { user: { role: ['admin'] } }, ['admin'], /^user\.role is a list, expected a string$/],
      ['user', { field: 'user.role', operator: 'contains', value: 'adm' }, { user: { role: { name: 'admin' } } }, { name: 'admin' }, /^user\.role is object, expected a string$/],
      ['risk', { field: 'pii_detected', operator: 'equals', value: true }, { pii_detected: 'true' }, 'true', /^pii_detected is string, expected true or false$/],
      ['user', { field: 'user.groups', operator: 'contains', value: 'admins' }, { user: { groups: 'admins' } }, 'admins', /^user\.groups is string, expected a list of strings$/],
      ['user', { field: 'user.groups', operator: 'in', value: ['admins'] }, { user: { groups: ['admins', 1] } }, ['admins', 1], /^user\.groups is a list, expected a list of strings$/],
    ];
    for (const [type, condition, context, actual, explanation] of cases) {
      const p = await policy(type, [condition]);
      const r = await test(p.id, context);
      assert.equal(r.matched, false, JSON.stringify(context));
      assert.equal(r.conditions[0].matched, false);
      assert.match(r.conditions[0].explanation, explanation);
      assert.deepEqual(r.conditions[0].actual, actual);
      assert.deepEqual(r.actions, []);
    }
  });

  it('all conditions must hold; each one is explained', async () => {
    const p = await policy(
      'cost',
      [
        { field: 'estimated_cost_usd', operator: 'greater_than', value: 1 },
        { field: 'model', operator: 'in', value: ['gpt-4o', 'o1'] },
        { field: 'daily_spend_usd', operator: 'less_than', value: 500 },
      ],
      { actions: [{ type: 'require_approval', config: { approvers: ['finance@acme.example.com'], timeout_minutes: 30 } }, { type: 'log', config: { level: 'warning' } }] },
    );
    const all = await test(p.id, { estimated_cost_usd: 3.5, model: 'o1', daily_spend_usd: 120 });
    assert.equal(all.matched, true);
    assert.deepEqual(
      all.conditions.map((c: any) => [c.field, c.matched]),
      [
        ['estimated_cost_usd', true],
        ['model', true],
        ['daily_spend_usd', true],
      ],
    );
    // Context keys and action config keys are passed through as written (snake_case stays snake_case).
    assert.deepEqual(all.actions, [
      { type: 'require_approval', config: { approvers: ['finance@acme.example.com'], timeout_minutes: 30 } },
      { type: 'log', config: { level: 'warning' } },
    ]);

    const two = await test(p.id, { estimated_cost_usd: 3.5, model: 'claude', daily_spend_usd: 120 });
    assert.equal(two.matched, false);
    assert.deepEqual(
      two.conditions.map((c: any) => [c.field, c.matched, c.actual]),
      [
        ['estimated_cost_usd', true, 3.5],
        ['model', false, 'claude'],
        ['daily_spend_usd', true, 120],
      ],
    );
    assert.equal(two.conditions[0].explanation, 'estimated_cost_usd is greater than 1');
    assert.equal(two.conditions[1].explanation, 'model is "claude", so it fails: is one of ["gpt-4o","o1"]');
    assert.equal(two.conditions[2].explanation, 'daily_spend_usd is less than 500');
    assert.deepEqual(two.actions, []);

    const none = await test(p.id, {});
    assert.equal(none.matched, false);
    assert.deepEqual(
      none.conditions.map((c: any) => c.explanation),
      ['the context has no estimated_cost_usd', 'the context has no model', 'the context has no daily_spend_usd'],
    );
  });

  it('a disabled policy that matches returns no actions; enabling it returns them', async () => {
    const p = await policy('risk', [{ field: 'jailbreak_score', operator: 'greater_than', value: 0.8 }], {
      enabled: false,
      actions: [{ type: 'block', config: { message: 'jailbreak' } }],
    });
    const off = await test(p.id, { jailbreak_score: 0.95 });
    assert.equal(off.matched, true);
    assert.equal(off.enabled, false);
    assert.equal(off.conditions[0].matched, true);
    assert.deepEqual(off.actions, []);

    assert.equal((await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { enabled: true } })).status, 200);
    const on = await test(p.id, { jailbreak_score: 0.95 }, ALIAS);
    assert.equal(on.matched, true);
    assert.equal(on.enabled, true);
    assert.deepEqual(on.actions, [{ type: 'block', config: { message: 'jailbreak' } }]);
    // Not matched and enabled: still no actions.
    assert.deepEqual((await test(p.id, { jailbreak_score: 0.5 })).actions, []);
  });

  it('the test follows the policy as it is now (after an update)', async () => {
    const p = await policy('cost', [{ field: 'tokens', operator: 'greater_than', value: 1000 }]);
    assert.equal((await test(p.id, { tokens: 500 })).matched, false);
    const r = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { conditions: [{ field: 'tokens', operator: 'greater_than', value: 100 }] } });
    assert.equal(r.status, 200);
    assert.equal((await test(p.id, { tokens: 500 })).matched, true);
  });

  it('the test changes nothing: no version, no audit event, the policy as it was', async () => {
    const p = await policy('user', [{ field: 'user.role', operator: 'equals', value: 'admin' }]);
    const before = await stored(h);
    for (const base of PREFIXES) {
      await test(p.id, { user: { role: 'admin' } }, base);
      await test(p.id, { user: { role: 'guest' } }, base);
      await test(p.id, {}, base);
    }
    assert.deepEqual(await stored(h), before);
    const after = await h.call('GET', `${BASE}/${p.id}`, { cookie });
    assert.deepEqual(after.body, p);
    const v = await h.call('GET', `${BASE}/${p.id}/versions`, { cookie });
    assert.deepEqual(v.body.versions.map((x: any) => x.change_type), ['created']);
  });

  it('the request body must carry a context object and nothing else', async () => {
    const p = await policy('user', [{ field: 'user.role', operator: 'equals', value: 'admin' }]);
    const before = await stored(h);
    for (const base of PREFIXES) {
      for (const [body, field] of [
        [{}, 'context'],
        [{ context: null }, 'context'],
        [{ context: [1, 2] }, 'context'],
        [{ context: 'user.role=admin' }, 'context'],
        [{ context: {}, dry_run: true }, 'dry_run'],
      ] as [Record<string, unknown>, string][]) {
        const r = await h.call('POST', `${base}/${p.id}/test`, { cookie, body });
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.field, field);
      }
      const none = await h.call('POST', `${base}/${p.id}/test`, { cookie });
      assert.equal(none.status, 400);
      assert.equal(none.body.error.field, 'context');
    }
    assert.deepEqual(await stored(h), before);
  });

  it('a context that is not an object is refused saying an object is expected', async () => {
    const p = await policy('user', [{ field: 'user.role', operator: 'equals', value: 'admin' }]);
    for (const context of [[1], 'text', 5, true]) {
      const r = await h.call('POST', `${BASE}/${p.id}/test`, { cookie, body: { context } });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.field, 'context');
      assert.equal(r.body.error.message, 'context must be an object');
    }
  });

  it("a deleted policy, another organization's policy and an unknown id cannot be tested (404)", async () => {
    const p = await policy('user', [{ field: 'user.role', operator: 'equals', value: 'admin' }]);
    assert.equal((await h.call('DELETE', `${BASE}/${p.id}`, { cookie })).status, 204);
    for (const base of PREFIXES) {
      assert.equal((await h.call('POST', `${base}/${p.id}/test`, { cookie, body: { context: {} } })).status, 404);
      assert.equal((await h.call('POST', `${base}/dpol_unknown0000000000/test`, { cookie, body: { context: {} } })).status, 404);
    }
  });
});

const EXPECTED_FIELDS: Record<string, [string, string][]> = {
  content: [
    ['content', 'string'],
    ['content_length', 'number'],
    ['direction', 'string'],
    ['model', 'string'],
    ['provider', 'string'],
    ['language', 'string'],
  ],
  user: [
    ['user.id', 'string'],
    ['user.email', 'string'],
    ['user.role', 'string'],
    ['user.department', 'string'],
    ['user.country', 'string'],
    ['user.groups', 'string_list'],
  ],
  risk: [
    ['risk_score', 'number'],
    ['jailbreak_score', 'number'],
    ['pii_detected', 'boolean'],
    ['data_classification', 'string'],
    ['user.role', 'string'],
  ],
  cost: [
    ['estimated_cost_usd', 'number'],
    ['tokens', 'number'],
    ['daily_spend_usd', 'number'],
    ['monthly_spend_usd', 'number'],
    ['model', 'string'],
    ['provider', 'string'],
  ],
};
const EXPECTED_OPERATORS: Record<string, string[]> = {
  string: ['equals', 'not_equals', 'contains', 'not_contains', 'in', 'not_in', 'regex'],
  number: ['equals', 'not_equals', 'greater_than', 'less_than', 'in', 'not_in'],
  boolean: ['equals', 'not_equals'],
  string_list: ['contains', 'not_contains', 'in', 'not_in'],
};
const ALL_OPERATORS = ['equals', 'not_equals', 'contains', 'not_contains', 'greater_than', 'less_than', 'in', 'not_in', 'regex'];

/** A value an operator takes for a field of that kind. */
function sampleValue(kind: string, operator: string): unknown {
  if (operator === 'in' || operator === 'not_in') return kind === 'number' ? [1, 2] : ['a', 'b'];
  if (operator === 'regex') return '^a[0-9]+$';
  if (operator === 'greater_than' || operator === 'less_than') return 10;
  if (operator === 'contains' || operator === 'not_contains') return 'abc';
  return kind === 'number' ? 5 : kind === 'boolean' ? true : 'abc';
}

describe('the published schema', () => {
  let h: Harness;
  let cookie: string;
  let schema: any;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
    const r = await h.call('GET', `${BASE}/schema`, { cookie });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    schema = r.body;
  });
  after(() => h.close());

  it('is the same on both prefixes', async () => {
    const alias = await h.call('GET', `${ALIAS}/schema`, { cookie });
    assert.equal(alias.status, 200);
    assert.deepEqual(alias.body, schema);
    assert.equal(typeof schema.semantics, 'string');
  });

  it("lists each type's fields with their kind and a description", () => {
    assert.deepEqual(Object.keys(schema.types).sort(), ['content', 'cost', 'risk', 'user']);
    for (const [type, fields] of Object.entries(EXPECTED_FIELDS)) {
      assert.deepEqual(
        schema.types[type].fields.map((f: any) => [f.field, f.kind]),
        fields,
        type,
      );
      assert.ok(schema.types[type].fields.every((f: any) => typeof f.description === 'string' && f.description.length > 0));
    }
  });

  it('lists the operators of each kind of value', () => {
    assert.deepEqual(schema.operators, EXPECTED_OPERATORS);
  });

  it("lists each action's config JSON Schema, keys as written (timeout_minutes, additionalProperties)", () => {
    assert.deepEqual(Object.keys(schema.actions).sort(), ['block', 'log', 'redact', 'require_approval', 'route', 'warn']);
    for (const s of Object.values<any>(schema.actions)) {
      assert.equal(s.type, 'object');
      assert.equal(s.additionalProperties, false);
    }
    assert.deepEqual(schema.actions.require_approval.properties.timeout_minutes, { type: 'integer', minimum: 1, maximum: 10080, default: 60 });
    assert.deepEqual(schema.actions.route.required, ['provider']);
    assert.deepEqual(schema.actions.log.properties.level.enum, ['info', 'warning', 'critical']);
    assert.equal(schema.actions.redact.properties.replacement.default, '[REDACTED]');
    assert.equal(schema.actions.block.properties.message.maxLength, 500);
  });

  it('every field it lists takes every operator of its kind, and no other operator', async () => {
    for (const [type, fields] of Object.entries(schema.types) as [string, any][]) {
      const conditions = fields.fields.flatMap((f: any) => (schema.operators[f.kind] as string[]).map((operator) => ({ field: f.field, operator, value: sampleValue(f.kind, operator) })));
      const r = await h.call('POST', BASE, { cookie, body: { name: unique(`Schema ${type}`), type, conditions, actions: [{ type: 'log' }] } });
      assert.equal(r.status, 201, `${type}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.conditions.length, conditions.length);
      for (const f of fields.fields) {
        for (const operator of ALL_OPERATORS.filter((o) => !schema.operators[f.kind].includes(o))) {
          const bad = await h.call('POST', BASE, {
            cookie,
            body: { name: unique('Refused'), type, conditions: [{ field: f.field, operator, value: sampleValue(f.kind, operator) }], actions: [{ type: 'log' }] },
          });
          assert.equal(bad.status, 400, `${type} ${f.field} ${operator}`);
          assert.equal(bad.body.error.field, 'conditions[0].operator');
        }
      }
    }
  });

  it("a field is accepted only by the types that list it", async () => {
    const allFields = new Set(Object.values(EXPECTED_FIELDS).flatMap((fs) => fs.map(([f]) => f)));
    for (const [type, fields] of Object.entries(EXPECTED_FIELDS)) {
      const own = new Set(fields.map(([f]) => f));
      for (const field of [...allFields].filter((f) => !own.has(f))) {
        const r = await h.call('POST', BASE, { cookie, body: { name: unique('Wrong type'), type, conditions: [{ field, operator: 'in', value: ['a'] }], actions: [{ type: 'log' }] } });
        assert.equal(r.status, 400, `${type} ${field}`);
        assert.equal(r.body.error.field, 'conditions[0].field');
        for (const [f] of fields) assert.ok(r.body.error.message.includes(f), r.body.error.message);
      }
    }
  });

  it('every action type it lists can be created with a config its schema allows', async () => {
    const prov = await h.call('POST', '/api/v1/llm-providers', { cookie, body: { name: 'backup', type: 'openai', api_key: 'sk-test-abcdef' } });
    assert.equal(prov.status, 201, JSON.stringify(prov.body));
    const configs: Record<string, Record<string, unknown>> = {
      block: { message: 'no' },
      warn: { message: 'careful' },
      log: { level: 'critical' },
      redact: { fields: ['user.email'], replacement: '***' },
      require_approval: { approvers: ['a@acme.example.com'], timeout_minutes: 10080 },
      route: { provider: 'backup' },
    };
    assert.deepEqual(Object.keys(configs).sort(), Object.keys(schema.actions).sort());
    const actions = Object.entries(configs).map(([type, config]) => ({ type, config }));
    const r = await h.call('POST', BASE, { cookie, body: { name: unique('All actions'), type: 'content', conditions: [{ field: 'content', operator: 'contains', value: 'x' }], actions } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.actions, actions);
  });
});
