// What the static policies do to a text: /test (which policies match, where, the strictest action, the redacted
// text, the evaluation budget and the text cap), /effective, and overrides that change a policy's action for a
// while (set, refused, expiring with the clock, removed).
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_POLICIES } from '../../src/domain/policies.js';
import { PatternCache, patternProblem } from '../../src/services/policies/patterns.js';
import { MAX_TEST_TEXT } from '../../src/services/policies/static.js';
import { Harness } from '../helpers/harness.js';

const BASE = '/api/v1/static-policies';
const DAY = 86_400_000;

async function create(h: Harness, cookie: string, body: Record<string, unknown>): Promise<any> {
  const r = await h.call('POST', BASE, { cookie, body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function test(h: Harness, cookie: string, text: string, tenantId?: string): Promise<any> {
  const r = await h.call('POST', `${BASE}/test`, { cookie, body: tenantId === undefined ? { text } : { text, tenant_id: tenantId } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function effective(h: Harness, cookie: string, tenantId?: string): Promise<any[]> {
  const r = await h.call('GET', `${BASE}/effective${tenantId ? `?tenant_id=${tenantId}` : ''}`, { cookie });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.policies;
}

async function effectiveAction(h: Harness, cookie: string, id: string): Promise<string | undefined> {
  return (await effective(h, cookie)).find((p) => p.id === id)?.effective_action;
}

function match(verdict: any, id: string): any {
  return verdict.matches.find((m: any) => m.policy_id === id);
}

function inFuture(h: Harness, ms: number): string {
  return new Date(h.clock.now().getTime() + ms).toISOString();
}

async function overrideRows(h: Harness): Promise<number> {
  const r = await h.runtime.database.db.selectFrom('static_policy_overrides').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

async function versionRows(h: Harness): Promise<number> {
  const r = await h.runtime.database.db.selectFrom('policy_versions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

describe('POST /test: which policies match a text, and where', () => {
  let h: Harness;
  let cookie: string;
  const p: Record<string, any> = {};

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
    p.log = await create(h, cookie, { name: 'Log token', pattern: 'LOGTOKEN', action: 'log', priority: 10 });
    p.warn = await create(h, cookie, { name: 'Warn token', pattern: 'WARNTOKEN', action: 'warn', priority: 20 });
    p.redact = await create(h, cookie, { name: 'Redact token', pattern: 'RED-[0-9]{3}', action: 'redact', priority: 30, severity: 'high', category: 'internal' });
    p.block = await create(h, cookie, { name: 'Block token', pattern: 'BLOCKTOKEN', action: 'block', priority: 40, severity: 'critical' });
    p.overlapA = await create(h, cookie, { name: 'Overlap A', pattern: 'abcd', action: 'redact', priority: 5 });
    p.overlapB = await create(h, cookie, { name: 'Overlap B', pattern: 'cdef', action: 'redact', priority: 4 });
    p.inner = await create(h, cookie, { name: 'Inner', pattern: 'bc', action: 'redact', priority: 3 });
    p.off = await create(h, cookie, { name: 'Disabled', pattern: 'OFFTOKEN', action: 'block', enabled: false });
    p.tenant = await create(h, cookie, { name: 'Shop 1 only', pattern: 'SHOPTOKEN', action: 'block', tier: 'tenant', tenant_id: 'shop-1' });
  });
  after(() => h.close());

  it('a text nothing matches is allowed, with every enabled policy evaluated', async () => {
    const v = await test(h, cookie, 'a perfectly ordinary sentence');
    assert.equal(v.action, 'allow');
    assert.equal(v.blocked, false);
    assert.equal(v.complete, true);
    assert.deepEqual(v.matches, []);
    assert.equal(v.redacted_text, null);
    // The system tier and the organization's enabled ones; not the disabled one, not the tenant's.
    assert.equal(v.policies_evaluated, SYSTEM_POLICIES.length + 7);
    assert.equal(typeof v.elapsed_ms, 'number');
  });

  it('names the policy that matched, with positions in UTF-16 units past an emoji', async () => {
    const text = '😀 note RED-123 and RED-456';
    const v = await test(h, cookie, text);
    assert.equal(v.matches.length, 1);
    const m = v.matches[0];
    assert.equal(m.policy_id, p.redact.id);
    assert.equal(m.name, 'Redact token');
    assert.equal(m.tier, 'organization');
    assert.equal(m.category, 'internal');
    assert.equal(m.severity, 'high');
    assert.equal(m.action, 'redact');
    assert.equal(m.overridden, false);
    assert.equal(m.match_count, 2);
    // '😀' is two UTF-16 code units: the first match starts at 8, not 7.
    assert.deepEqual(m.positions, [{ start: 8, end: 15 }, { start: 20, end: 27 }]);
    for (const { start, end } of m.positions) assert.match(text.slice(start, end), /^RED-\d{3}$/);
  });

  it('system policies match too', async () => {
    const v = await test(h, cookie, 'key AKIAABCDEFGHIJKLMNOP and mail to ops@example.com');
    assert.deepEqual(v.matches.map((m: any) => m.policy_id).sort(), ['sys_pii_email', 'sys_secret_aws_access_key']);
    assert.equal(match(v, 'sys_secret_aws_access_key').tier, 'system');
    assert.equal(v.action, 'block');
  });

  it('the verdict is the strictest action matched: block > redact > warn > log', async () => {
    let v = await test(h, cookie, 'LOGTOKEN');
    assert.equal(v.action, 'log');
    assert.equal(v.blocked, false);
    v = await test(h, cookie, 'LOGTOKEN WARNTOKEN');
    assert.equal(v.action, 'warn');
    v = await test(h, cookie, 'WARNTOKEN RED-111 LOGTOKEN');
    assert.equal(v.action, 'redact');
    assert.equal(v.blocked, false);
    v = await test(h, cookie, 'LOGTOKEN RED-111 BLOCKTOKEN WARNTOKEN');
    assert.equal(v.action, 'block');
    assert.equal(v.blocked, true);
    assert.deepEqual(v.matches.map((m: any) => m.policy_id).sort(), [p.log.id, p.warn.id, p.redact.id, p.block.id].sort());
    // The order of the policies in the text does not matter.
    assert.equal((await test(h, cookie, 'BLOCKTOKEN LOGTOKEN')).action, 'block');
  });

  it('redacted_text replaces each match of a redacting policy with [REDACTED], and only those', async () => {
    const v = await test(h, cookie, 'ticket RED-001 for ops@example.com, WARNTOKEN stays');
    assert.equal(v.redacted_text, 'ticket [REDACTED] for [REDACTED], WARNTOKEN stays');
    // No redacting policy matched: no redacted text.
    assert.equal((await test(h, cookie, 'WARNTOKEN')).redacted_text, null);
  });

  it('adjacent matches stay separate markers', async () => {
    const v = await test(h, cookie, 'RED-001RED-002 abcd cdef');
    assert.equal(v.redacted_text, '[REDACTED][REDACTED] [REDACTED] [REDACTED]');
  });

  it('overlapping matches of two redacting policies become one [REDACTED]', async () => {
    // "abcd" is [1,5), "cdef" is [3,7): together one span [1,7).
    const v = await test(h, cookie, 'xabcdefx');
    assert.deepEqual(match(v, p.overlapA.id).positions, [{ start: 1, end: 5 }]);
    assert.deepEqual(match(v, p.overlapB.id).positions, [{ start: 3, end: 7 }]);
    assert.equal(v.redacted_text, 'x[REDACTED]x');
  });

  it('a match inside another is covered by the one marker', async () => {
    // "abcd" is [1,5), "bc" inside it [2,4).
    const v = await test(h, cookie, 'xabcdx');
    assert.deepEqual(match(v, p.inner.id).positions, [{ start: 2, end: 4 }]);
    assert.equal(v.redacted_text, 'x[REDACTED]x');
  });

  it('more than 100 matches: 100 positions reported, the count and the redaction cover them all', async () => {
    const text = Array.from({ length: 150 }, (_, i) => `RED-${String(i).padStart(3, '0')}`).join(' ');
    const v = await test(h, cookie, text);
    const m = match(v, p.redact.id);
    assert.equal(m.match_count, 150);
    assert.equal(m.positions.length, 100);
    assert.ok(!v.redacted_text.includes('RED-'));
    assert.equal(v.redacted_text, Array(150).fill('[REDACTED]').join(' '));
  });

  it('a disabled policy is ignored until enabled', async () => {
    assert.equal((await test(h, cookie, 'OFFTOKEN')).action, 'allow');
    assert.ok(!(await effective(h, cookie)).some((e) => e.id === p.off.id));
    assert.equal((await h.call('PATCH', `${BASE}/${p.off.id}`, { cookie, body: { enabled: true } })).status, 200);
    assert.equal((await test(h, cookie, 'OFFTOKEN')).action, 'block');
    assert.ok((await effective(h, cookie)).some((e) => e.id === p.off.id));
    assert.equal((await h.call('PATCH', `${BASE}/${p.off.id}`, { cookie })).status, 200);
    assert.equal((await test(h, cookie, 'OFFTOKEN')).action, 'allow');
  });

  it('a tenant policy applies only when its tenant is named', async () => {
    assert.equal((await test(h, cookie, 'SHOPTOKEN')).action, 'allow');
    assert.equal((await test(h, cookie, 'SHOPTOKEN', 'shop-2')).action, 'allow');
    const v = await test(h, cookie, 'SHOPTOKEN', 'shop-1');
    assert.equal(v.action, 'block');
    assert.equal(match(v, p.tenant.id).tier, 'tenant');
    // Organization policies still apply with a tenant named.
    assert.equal((await test(h, cookie, 'WARNTOKEN', 'shop-1')).action, 'warn');
    assert.ok(!(await effective(h, cookie)).some((e) => e.id === p.tenant.id));
    assert.ok(!(await effective(h, cookie, 'shop-2')).some((e) => e.id === p.tenant.id));
    assert.ok((await effective(h, cookie, 'shop-1')).some((e) => e.id === p.tenant.id));
  });

  it('/effective lists what applies, highest priority first, with the action in force', async () => {
    const list = await effective(h, cookie);
    assert.deepEqual(list.slice(0, SYSTEM_POLICIES.length).map((e) => e.id), SYSTEM_POLICIES.map((s) => s.id));
    const priorities = list.map((e) => e.priority);
    assert.deepEqual(priorities, [...priorities].sort((a, b) => b - a));
    assert.ok(list.every((e) => e.enabled && e.effective_action === e.action));
    assert.equal(list.find((e) => e.id === p.block.id).effective_action, 'block');
  });

  it('a text longer than the cap is 400 on text; one at the cap is evaluated', async () => {
    const r = await h.call('POST', `${BASE}/test`, { cookie, body: { text: 'x'.repeat(MAX_TEST_TEXT + 1) } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'text');
    assert.match(r.body.error.message, new RegExp(`at most ${MAX_TEST_TEXT}`));
    // Measured in UTF-16 units, as the positions are.
    const emoji = await h.call('POST', `${BASE}/test`, { cookie, body: { text: '😀'.repeat(MAX_TEST_TEXT / 2) + 'x' } });
    assert.equal(emoji.status, 400);
    assert.equal(emoji.body.error.field, 'text');
    const v = await test(h, cookie, `${'x'.repeat(MAX_TEST_TEXT - 10)}BLOCKTOKEN`);
    assert.equal(v.action, 'block');
    assert.deepEqual(match(v, p.block.id).positions, [{ start: MAX_TEST_TEXT - 10, end: MAX_TEST_TEXT }]);
  });

  it('refuses a body without text, or with fields it does not take', async () => {
    let r = await h.call('POST', `${BASE}/test`, { cookie, body: {} });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'text');
    r = await h.call('POST', `${BASE}/test`, { cookie, body: { text: 42 } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'text');
    r = await h.call('POST', `${BASE}/test`, { cookie, body: { text: 'x', policies: ['sys_pii_email'] } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'policies');
  });

  it('/test changes nothing', async () => {
    const versions = await versionRows(h);
    const audits = await h.runtime.database.db.selectFrom('audit_events').select('id').execute();
    await test(h, cookie, 'BLOCKTOKEN RED-999 LOGTOKEN');
    assert.equal(await versionRows(h), versions);
    assert.equal((await h.runtime.database.db.selectFrom('audit_events').select('id').execute()).length, audits.length);
  });
});

describe('the evaluation budget', () => {
  let h: Harness;
  let cookie: string;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  it('a pattern a backtracking engine would choke on passes the checker and answers on a long input', async () => {
    // (a|aa)*b against a run of a's with no b is exponential for a backtracking engine; RE2 is linear.
    assert.equal(patternProblem('(a|aa)*b'), null);
    const p = await create(h, cookie, { name: 'Pathological', pattern: '(a|aa)*b', action: 'block' });
    const r = await h.call('POST', `${BASE}/test`, { cookie, body: { text: 'a'.repeat(50_000) } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(typeof r.body.complete, 'boolean');
    if (r.body.complete) {
      assert.equal(r.body.action, 'allow');
      assert.ok(!r.body.matches.some((m: any) => m.policy_id === p.id));
    } else {
      assert.equal(r.body.action, 'block');
    }
    // With the b it looks for, it matches.
    const hit = await test(h, cookie, `${'a'.repeat(1000)}b`);
    assert.ok(hit.matches.some((m: any) => m.policy_id === p.id));
    // It would block every text with a "b": out of the way of the tests below.
    assert.equal((await h.call('DELETE', `${BASE}/${p.id}`, { cookie })).status, 204);
  });

  it('PatternCache.matches answers null once the deadline has passed', () => {
    const cache = new PatternCache();
    const text = 'abc '.repeat(1000);
    assert.equal(cache.matches('abc', text, performance.now() - 1, 100), null);
    assert.equal(cache.matches('zzz', text, performance.now() - 1, 100), null);
    const found = cache.matches('abc', text, performance.now() + 60_000, 100);
    assert.ok(found);
    assert.equal(found.count, 1000);
    assert.equal(found.ranges.length, 100);
    assert.deepEqual(found.ranges[1], [4, 7]);
  });

  /** Runs fn with the deadline of every evaluation of `pattern` (those with `limit`, when given) already passed. */
  async function withExpiredDeadline<T>(pattern: string, fn: () => Promise<T>, limit?: number): Promise<T> {
    const original = PatternCache.prototype.matches;
    PatternCache.prototype.matches = function (this: PatternCache, pat: string, text: string, deadline: number, lim: number) {
      const expired = pat === pattern && (limit === undefined || lim === limit);
      return original.call(this, pat, text, expired ? performance.now() - 1 : deadline, lim);
    };
    try {
      return await fn();
    } finally {
      PatternCache.prototype.matches = original;
    }
  }

  it('when the budget runs out, the verdict is incomplete and blocks (fails closed)', async () => {
    const p = await create(h, cookie, { name: 'Budget', pattern: 'budgetword', action: 'log', priority: 500 });
    await create(h, cookie, { name: 'After budget', pattern: 'afterword', action: 'log', priority: 1 });
    const v = await withExpiredDeadline(p.pattern, () => test(h, cookie, 'budgetword afterword and ops@example.com'));
    assert.equal(v.complete, false);
    assert.equal(v.action, 'block');
    assert.equal(v.blocked, true);
    assert.equal(v.redacted_text, null);
    // It stopped at the policy whose evaluation ran out: those after it were not evaluated.
    const all = await effective(h, cookie);
    assert.ok(v.policies_evaluated < all.length);
    assert.equal(v.policies_evaluated, all.findIndex((e) => e.id === p.id));
    // With the budget back, the same text is evaluated in full.
    const again = await test(h, cookie, 'budgetword afterword and ops@example.com');
    assert.equal(again.complete, true);
    assert.equal(again.action, 'redact');
  });

  it('when the budget runs out while redacting past the reported matches, nothing matched is left in the text', async () => {
    const text = Array.from({ length: 150 }, (_, i) => `u${i}@example.com`).join(' ');
    const v = await withExpiredDeadline(SYSTEM_POLICIES.find((s) => s.id === 'sys_pii_email')!.pattern, () => test(h, cookie, text), Number.MAX_SAFE_INTEGER);
    if (v.complete) {
      assert.ok(!v.redacted_text.includes('@example.com'), v.redacted_text.slice(0, 200));
    } else {
      assert.equal(v.action, 'block');
    }
  });
});

describe('overrides: a policy\'s action, changed for a while', () => {
  let h: Harness;
  let cookie: string;
  let org: any;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
    org = await create(h, cookie, { name: 'Org block', pattern: 'ORGWORD', action: 'block' });
  });
  after(() => h.close());

  it('an override on a system policy changes its effective action in /effective and /test', async () => {
    assert.equal((await test(h, cookie, 'mail ops@example.com')).action, 'redact');
    const expiresAt = inFuture(h, 7 * DAY);
    const r = await h.call('POST', `${BASE}/sys_pii_email/override`, {
      cookie,
      body: { action: 'log', reason: 'support inbox needs the addresses', expires_at: expiresAt },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.id, 'sys_pii_email');
    assert.equal(r.body.action, 'redact');
    assert.equal(r.body.override.action, 'log');
    assert.equal(r.body.override.enabled, null);
    assert.equal(r.body.override.reason, 'support inbox needs the addresses');
    assert.equal(r.body.override.expires_at, expiresAt);
    assert.equal(r.body.override.created_at, h.clock.now().toISOString());
    assert.match(r.body.override.created_by, /^user:/);

    const read = await h.call('GET', `${BASE}/sys_pii_email`, { cookie });
    assert.equal(read.body.override.action, 'log');
    assert.equal(read.body.action, 'redact');
    assert.equal(await effectiveAction(h, cookie, 'sys_pii_email'), 'log');
    const v = await test(h, cookie, 'mail ops@example.com');
    assert.equal(v.action, 'log');
    assert.equal(v.redacted_text, null);
    assert.equal(match(v, 'sys_pii_email').action, 'log');
    assert.equal(match(v, 'sys_pii_email').overridden, true);
    // Listed with its override too.
    const list = await h.call('GET', `${BASE}?tier=system`, { cookie });
    assert.equal(list.body.policies.find((x: any) => x.id === 'sys_pii_email').override.action, 'log');
  });

  it('a second override while one is in force is 409, and the first stays', async () => {
    const before = await overrideRows(h);
    const r = await h.call('POST', `${BASE}/sys_pii_email/override`, {
      cookie,
      body: { action: 'block', reason: 'a second, different exception', expires_at: inFuture(h, DAY) },
    });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'CONFLICT');
    assert.equal(await overrideRows(h), before);
    assert.equal(await effectiveAction(h, cookie, 'sys_pii_email'), 'log');
  });

  it('DELETE removes it: the policy\'s own action again; a second DELETE is 404', async () => {
    const r = await h.call('DELETE', `${BASE}/sys_pii_email/override`, { cookie });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.override, null);
    assert.equal(await effectiveAction(h, cookie, 'sys_pii_email'), 'redact');
    const v = await test(h, cookie, 'mail ops@example.com');
    assert.equal(v.action, 'redact');
    assert.equal(match(v, 'sys_pii_email').overridden, false);
    assert.equal((await h.call('GET', `${BASE}/sys_pii_email`, { cookie })).body.override, null);
    const again = await h.call('DELETE', `${BASE}/sys_pii_email/override`, { cookie });
    assert.equal(again.status, 404);
    // And a new override may be set again.
    const set = await h.call('POST', `${BASE}/sys_pii_email/override`, { cookie, body: { action: 'warn', reason: 'another exception now', expires_at: inFuture(h, DAY) } });
    assert.equal(set.status, 201);
    assert.equal((await h.call('DELETE', `${BASE}/sys_pii_email/override`, { cookie })).status, 200);
  });

  it('DELETE on a policy that never had an override is 404', async () => {
    for (const id of ['sys_pii_us_ssn', org.id]) {
      const r = await h.call('DELETE', `${BASE}/${id}/override`, { cookie });
      assert.equal(r.status, 404, id);
    }
  });

  it('an override on an organization policy changes its action too', async () => {
    assert.equal((await test(h, cookie, 'ORGWORD')).action, 'block');
    const r = await h.call('POST', `${BASE}/${org.id}/override`, { cookie, body: { action: 'warn', reason: 'false positives this week', expires_at: inFuture(h, DAY) } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(await effectiveAction(h, cookie, org.id), 'warn');
    const v = await test(h, cookie, 'ORGWORD');
    assert.equal(v.action, 'warn');
    assert.equal(match(v, org.id).overridden, true);
    // The policy itself keeps its own action.
    assert.equal((await h.call('GET', `${BASE}/${org.id}`, { cookie })).body.action, 'block');
    assert.equal((await h.call('DELETE', `${BASE}/${org.id}/override`, { cookie })).status, 200);
    assert.equal((await test(h, cookie, 'ORGWORD')).action, 'block');
  });

  it('an override may switch a policy off, or a disabled one on', async () => {
    let r = await h.call('POST', `${BASE}/sys_secret_aws_access_key/override`, { cookie, body: { enabled: false, reason: 'sample keys in the docs project', expires_at: inFuture(h, DAY) } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await test(h, cookie, 'AKIAABCDEFGHIJKLMNOP')).action, 'allow');
    assert.ok(!(await effective(h, cookie)).some((e) => e.id === 'sys_secret_aws_access_key'));
    assert.equal((await h.call('DELETE', `${BASE}/sys_secret_aws_access_key/override`, { cookie })).status, 200);
    assert.equal((await test(h, cookie, 'AKIAABCDEFGHIJKLMNOP')).action, 'block');

    const off = await create(h, cookie, { name: 'Off by default', pattern: 'DORMANT', action: 'warn', enabled: false });
    assert.equal((await test(h, cookie, 'DORMANT')).action, 'allow');
    r = await h.call('POST', `${BASE}/${off.id}/override`, { cookie, body: { enabled: true, reason: 'watch it during the audit', expires_at: inFuture(h, DAY) } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await test(h, cookie, 'DORMANT')).action, 'warn');
    assert.ok((await effective(h, cookie)).some((e) => e.id === off.id));
  });

  it('refuses an override without a good reason, a sane expiry, or anything to change; nothing is stored', async () => {
    const before = { overrides: await overrideRows(h), versions: await versionRows(h) };
    const cases: [Record<string, unknown>, string][] = [
      [{ action: 'log', reason: 'too short', expires_at: inFuture(h, DAY) }, 'reason'],
      [{ action: 'log', reason: '   short    ', expires_at: inFuture(h, DAY) }, 'reason'],
      [{ action: 'log', reason: 'r'.repeat(501), expires_at: inFuture(h, DAY) }, 'reason'],
      [{ action: 'log', expires_at: inFuture(h, DAY) }, 'reason'],
      [{ action: 'log', reason: 'a reason long enough', expires_at: inFuture(h, -1000) }, 'expires_at'],
      [{ action: 'log', reason: 'a reason long enough', expires_at: h.clock.now().toISOString() }, 'expires_at'],
      [{ action: 'log', reason: 'a reason long enough', expires_at: inFuture(h, 90 * DAY + 1000) }, 'expires_at'],
      [{ action: 'log', reason: 'a reason long enough' }, 'expires_at'],
      [{ action: 'log', reason: 'a reason long enough', expires_at: 'next tuesday' }, 'expires_at'],
      [{ reason: 'a reason long enough', expires_at: inFuture(h, DAY) }, 'action'],
      [{ action: 'allow', reason: 'a reason long enough', expires_at: inFuture(h, DAY) }, 'action'],
      [{ action: 'log', reason: 'a reason long enough', expires_at: inFuture(h, DAY), until: 'later' }, 'until'],
    ];
    for (const [body, field] of cases) {
      const r = await h.call('POST', `${BASE}/sys_pii_us_ssn/override`, { cookie, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.field, field, JSON.stringify(body));
    }
    assert.deepEqual({ overrides: await overrideRows(h), versions: await versionRows(h) }, before);
    assert.equal(await effectiveAction(h, cookie, 'sys_pii_us_ssn'), 'redact');
  });

  it('90 days ahead is the furthest an override may reach', async () => {
    const r = await h.call('POST', `${BASE}/sys_pii_us_ssn/override`, { cookie, body: { action: 'log', reason: 'a quarter of test data', expires_at: inFuture(h, 90 * DAY) } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await h.call('DELETE', `${BASE}/sys_pii_us_ssn/override`, { cookie })).status, 200);
  });

  it('an override on an id that is not there, or was deleted, is 404', async () => {
    const gone = await create(h, cookie, { name: 'Gone soon', pattern: 'GONESOON' });
    assert.equal((await h.call('DELETE', `${BASE}/${gone.id}`, { cookie })).status, 204);
    for (const id of ['spol_doesnotexist0000', gone.id]) {
      const r = await h.call('POST', `${BASE}/${id}/override`, { cookie, body: { action: 'log', reason: 'a reason long enough', expires_at: inFuture(h, DAY) } });
      assert.equal(r.status, 404, id);
      assert.equal((await h.call('DELETE', `${BASE}/${id}/override`, { cookie })).status, 404, id);
    }
  });
});

describe('an override lapses by itself at expires_at', () => {
  let h: Harness;
  let cookie: string;
  let org: any;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
    org = await create(h, cookie, { name: 'Org redact', pattern: 'ORGSECRET', action: 'redact' });
  });
  after(() => h.close());

  it('in force until expires_at, then the policy\'s own action in /effective and /test', async () => {
    const sys = await h.call('POST', `${BASE}/sys_injection_sql_union/override`, { cookie, body: { action: 'block', reason: 'under attack this week', expires_at: inFuture(h, 10 * 60_000) } });
    assert.equal(sys.status, 201, JSON.stringify(sys.body));
    const own = await h.call('POST', `${BASE}/${org.id}/override`, { cookie, body: { action: 'log', reason: 'debugging the pipeline', expires_at: inFuture(h, 10 * 60_000) } });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    const text = 'ORGSECRET and 1 UNION SELECT password FROM users';

    h.clock.advance(10 * 60_000 - 1000);
    assert.equal(await effectiveAction(h, cookie, 'sys_injection_sql_union'), 'block');
    assert.equal(await effectiveAction(h, cookie, org.id), 'log');
    let v = await test(h, cookie, text);
    assert.equal(v.action, 'block');
    assert.equal(match(v, org.id).action, 'log');
    assert.equal(v.redacted_text, null);

    h.clock.advance(2000);
    assert.equal(await effectiveAction(h, cookie, 'sys_injection_sql_union'), 'log');
    assert.equal(await effectiveAction(h, cookie, org.id), 'redact');
    v = await test(h, cookie, text);
    assert.equal(v.action, 'redact');
    assert.equal(match(v, 'sys_injection_sql_union').action, 'log');
    assert.equal(match(v, 'sys_injection_sql_union').overridden, false);
    assert.equal(v.redacted_text, '[REDACTED] and 1 UNION SELECT password FROM users');
    assert.equal((await h.call('GET', `${BASE}/${org.id}`, { cookie })).body.override, null);

    // Lapsed: nothing to remove, and room for a new one.
    assert.equal((await h.call('DELETE', `${BASE}/${org.id}/override`, { cookie })).status, 404);
    const next = await h.call('POST', `${BASE}/${org.id}/override`, { cookie, body: { action: 'warn', reason: 'second round of debugging', expires_at: inFuture(h, DAY) } });
    assert.equal(next.status, 201, JSON.stringify(next.body));
    assert.equal(await effectiveAction(h, cookie, org.id), 'warn');
  });
});
