import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findAssessment, saveAssessmentIf } from '../../src/db/conformity.js';
import { Harness } from '../helpers/harness.js';
import { CONFORMITY, NEW_ASSESSMENT, assessmentCount, bearer, create, created, insertExport, step } from './conformity-helpers.js';

// The assessment's life: draft -> submitted -> approved | rejected, who and when at each step, four eyes on the
// decision, evidence from the organization's own completed exports, and an unacceptable-risk system never approved.

describe('EU AI Act conformity assessments', () => {
  let h: Harness;
  let owner: string;
  let alice: { cookie: string; userId: string };
  let bob: { cookie: string; userId: string };
  let key: string;
  let readKey: string;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    await h.createOrg('globex', { tier: 'ENTERPRISE' });
    owner = await h.login('acme');
    alice = await h.userSession('acme', 'policy_admin', owner);
    bob = await h.userSession('acme', 'policy_admin', owner);
    key = (await h.apiKey('acme', ['compliance:export'], owner)).key;
    readKey = (await h.apiKey('acme', ['compliance:read'], owner)).key;
  });
  after(() => h.close());

  it('create answers 201 draft with who and when; get and list show it', async () => {
    const a = await created(h, { cookie: alice.cookie });
    assert.match(a.id, /^ca_/);
    assert.equal(a.status, 'draft');
    assert.equal(a.system_name, NEW_ASSESSMENT.system_name);
    assert.equal(a.assessment_type, 'self_assessment');
    assert.equal(a.risk_level, 'high');
    assert.equal(a.description, 'Annex III 5(b)');
    assert.equal(a.created_by, `user:${alice.userId}`);
    assert.equal(a.created_at, '2026-06-01T12:00:00.000Z');
    assert.deepEqual(a.evidence, []);
    assert.equal(a.submitted_by, null);
    assert.equal(a.decided_by, null);

    const got = await h.call('GET', `${CONFORMITY}/${a.id}`, { headers: bearer(readKey) });
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, a);
    const list = await h.call('GET', CONFORMITY, { cookie: owner });
    assert.equal(list.status, 200);
    assert.ok(list.body.assessments.some((x: any) => x.id === a.id));
    assert.equal(typeof list.body.total, 'number');
  });

  it('the full path: submitted by one person, approved by another, each step recorded', async () => {
    const a = await created(h, { cookie: alice.cookie });
    h.clock.advance(60_000);
    const s = await step(h, a.id, 'submit', { cookie: alice.cookie });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.equal(s.body.status, 'submitted');
    assert.equal(s.body.submitted_by, `user:${alice.userId}`);
    assert.equal(s.body.submitted_at, '2026-06-01T12:01:00.000Z');
    h.clock.advance(60_000);
    const ok = await step(h, a.id, 'approve', { cookie: bob.cookie }, { comments: 'evidence reviewed' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.status, 'approved');
    assert.equal(ok.body.decided_by, `user:${bob.userId}`);
    assert.equal(ok.body.decided_at, '2026-06-01T12:02:00.000Z');
    assert.equal(ok.body.comments, 'evidence reviewed');
    assert.equal(ok.body.rejection_reason, null);

    const events = await h.runtime.database.db
      .selectFrom('audit_events')
      .select(['action', 'actor_id'])
      .where('target_id', '=', a.id)
      .orderBy('seq')
      .execute();
    assert.deepEqual(events, [
      { action: 'conformity.created', actor_id: alice.userId },
      { action: 'conformity.submitted', actor_id: alice.userId },
      { action: 'conformity.approved', actor_id: bob.userId },
    ]);
  });

  it('a runtime key with compliance:export creates and submits; a person then decides', async () => {
    const a = await created(h, { headers: bearer(key) });
    assert.match(a.created_by, /^api_key:key_/);
    const s = await step(h, a.id, 'submit', { headers: bearer(key) });
    assert.equal(s.status, 200);
    assert.equal(s.body.submitted_by, a.created_by);
    const r = await step(h, a.id, 'reject', { cookie: alice.cookie }, { reason: '  missing the data governance evidence  ' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'rejected');
    assert.equal(r.body.rejection_reason, 'missing the data governance evidence');
    assert.equal(r.body.comments, null);
  });

  it('four eyes: the submitter may neither approve nor reject (403), and nothing changes', async () => {
    const a = await created(h, { cookie: alice.cookie });
    await step(h, a.id, 'submit', { cookie: alice.cookie });
    for (const [name, body] of [['approve', {}], ['reject', { reason: 'I changed my mind about it' }]] as const) {
      const r = await step(h, a.id, name, { cookie: alice.cookie }, body);
      assert.equal(r.status, 403, name);
      assert.equal(r.body.error.code, 'FORBIDDEN');
      assert.match(r.body.error.message, /you submitted conformity assessment .* so you may not (approve|reject) it/);
    }
    assert.equal((await h.call('GET', `${CONFORMITY}/${a.id}`, { cookie: owner })).body.status, 'submitted');
    // Another person may, and the creator may decide what someone else submitted.
    const b = await created(h, { cookie: alice.cookie });
    await step(h, b.id, 'submit', { cookie: bob.cookie });
    assert.equal((await step(h, b.id, 'approve', { cookie: alice.cookie })).status, 200);
  });

  it('the state machine refuses every skipped or repeated step with 409 naming the state and what may follow', async () => {
    const draft = await created(h, { cookie: alice.cookie });
    const submitted = await created(h, { cookie: alice.cookie });
    await step(h, submitted.id, 'submit', { cookie: alice.cookie });
    const approved = await created(h, { cookie: alice.cookie });
    await step(h, approved.id, 'submit', { cookie: alice.cookie });
    assert.equal((await step(h, approved.id, 'approve', { cookie: bob.cookie })).status, 200);
    const rejected = await created(h, { cookie: alice.cookie });
    await step(h, rejected.id, 'submit', { cookie: alice.cookie });
    assert.equal((await step(h, rejected.id, 'reject', { cookie: bob.cookie }, { reason: 'not enough evidence' })).status, 200);

    const reason = { reason: 'a reason long enough' };
    const cases: [any, 'submit' | 'approve' | 'reject' | 'edit', RegExp][] = [
      [draft, 'approve', /is draft: it can be approved only while submitted\. Allowed next: edit or submit/],
      [draft, 'reject', /is draft: it can be rejected only while submitted\. Allowed next: edit or submit/],
      [submitted, 'submit', /is submitted: it can be submitted only while draft\. Allowed next: approve or reject/],
      [submitted, 'edit', /is submitted: it can be edited only while draft\. Allowed next: approve or reject/],
      [approved, 'submit', /is approved: .*approved is final/],
      [approved, 'approve', /is approved: .*approved is final/],
      [approved, 'reject', /is approved: .*approved is final/],
      [approved, 'edit', /is approved: .*approved is final/],
      [rejected, 'approve', /is rejected: .*rejected is final/],
      [rejected, 'submit', /is rejected: .*rejected is final/],
      [rejected, 'reject', /is rejected: .*rejected is final/],
      [rejected, 'edit', /is rejected: .*rejected is final/],
    ];
    for (const [a, name, message] of cases) {
      const before = (await h.call('GET', `${CONFORMITY}/${a.id}`, { cookie: owner })).body;
      const r =
        name === 'edit'
          ? await h.call('PATCH', `${CONFORMITY}/${a.id}`, { cookie: bob.cookie, body: { system_name: 'renamed' } })
          : await step(h, a.id, name, { cookie: bob.cookie }, name === 'reject' ? reason : undefined);
      assert.equal(r.status, 409, `${before.status} -> ${name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'CONFLICT');
      assert.match(r.body.error.message, message);
      assert.deepEqual((await h.call('GET', `${CONFORMITY}/${a.id}`, { cookie: owner })).body, before);
    }
  });

  it('an unacceptable-risk system is recorded and can be rejected, but approving it is 409 citing Article 5', async () => {
    const a = await created(h, { cookie: alice.cookie }, { ...NEW_ASSESSMENT, risk_level: 'unacceptable', system_name: 'Social scoring' });
    assert.equal(a.risk_level, 'unacceptable');
    await step(h, a.id, 'submit', { cookie: alice.cookie });
    const r = await step(h, a.id, 'approve', { cookie: bob.cookie });
    assert.equal(r.status, 409);
    assert.match(r.body.error.message, /unacceptable-risk .* prohibited .* Article 5/);
    assert.equal((await h.call('GET', `${CONFORMITY}/${a.id}`, { cookie: owner })).body.status, 'submitted');
    const rej = await step(h, a.id, 'reject', { cookie: bob.cookie }, { reason: 'prohibited practice under Article 5' });
    assert.equal(rej.body.status, 'rejected');
  });

  it('edits a draft: fields and evidence change, description null clears it, updated_at moves', async () => {
    const a = await created(h, { cookie: alice.cookie });
    const exp = await insertExport(h, 'acme');
    h.clock.advance(1000);
    const r = await h.call('PATCH', `${CONFORMITY}/${a.id}`, {
      cookie: bob.cookie,
      body: { system_name: 'Credit scoring model v4', risk_level: 'limited', description: null, evidence_export_ids: [exp] },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.system_name, 'Credit scoring model v4');
    assert.equal(r.body.risk_level, 'limited');
    assert.equal(r.body.assessment_type, 'self_assessment');
    assert.equal(r.body.description, null);
    assert.deepEqual(r.body.evidence_export_ids, [exp]);
    assert.notEqual(r.body.updated_at, a.updated_at);
    assert.equal(r.body.created_at, a.created_at);
  });

  it('evidence: completed exports of the org, shown with type, digest and completion time', async () => {
    const e1 = await insertExport(h, 'acme', { exportType: 'conformity_evidence' });
    const e2 = await insertExport(h, 'acme', { exportType: 'hitl_summary', framework: 'eu_ai_act' });
    const a = await created(h, { cookie: alice.cookie }, { ...NEW_ASSESSMENT, evidence_export_ids: [e2, e1] });
    assert.deepEqual(a.evidence_export_ids, [e2, e1]);
    assert.deepEqual(
      a.evidence.map((e: any) => [e.id, e.export_type, e.sha256, e.completed_at, e.status]),
      [
        [e2, 'hitl_summary', 'ab'.repeat(32), h.clock.now().toISOString(), 'completed'],
        [e1, 'conformity_evidence', 'ab'.repeat(32), h.clock.now().toISOString(), 'completed'],
      ],
    );
    const list = await h.call('GET', `${CONFORMITY}?limit=100`, { cookie: owner });
    assert.deepEqual(list.body.assessments.find((x: any) => x.id === a.id).evidence, a.evidence);
  });

  it('bad input: each a 400 naming the field, and nothing written', async () => {
    const running = await insertExport(h, 'acme', { status: 'running' });
    const foreign = await insertExport(h, 'globex');
    const done = await insertExport(h, 'acme');
    const cases: [Record<string, unknown>, string, RegExp?][] = [
      [{ ...NEW_ASSESSMENT, system_name: '   ' }, 'system_name', /must not be empty/],
      [{ ...NEW_ASSESSMENT, system_name: 'x'.repeat(201) }, 'system_name', /at most 200/],
      [{ ...NEW_ASSESSMENT, system_name: undefined }, 'system_name', /is required/],
      [{ ...NEW_ASSESSMENT, assessment_type: 'peer_review' }, 'assessment_type', /one of market_surveillance, notified_body, self_assessment, third_party/],
      [{ ...NEW_ASSESSMENT, risk_level: 'extreme' }, 'risk_level', /one of high, limited, minimal, unacceptable/],
      [{ ...NEW_ASSESSMENT, risk_level: undefined }, 'risk_level', /is required/],
      [{ ...NEW_ASSESSMENT, description: 'x'.repeat(5001) }, 'description', /at most 5000/],
      [{ ...NEW_ASSESSMENT, evidence_export_ids: [done, 'exp_unknown'] }, 'evidence_export_ids[1]', /is not an export of this organization/],
      [{ ...NEW_ASSESSMENT, evidence_export_ids: [foreign] }, 'evidence_export_ids[0]', /is not an export of this organization/],
      [{ ...NEW_ASSESSMENT, evidence_export_ids: [done, running] }, 'evidence_export_ids[1]', /which is running: only a completed export/],
      [{ ...NEW_ASSESSMENT, evidence_export_ids: [done, done] }, 'evidence_export_ids[1]', /repeats the id at index 0/],
      [{ ...NEW_ASSESSMENT, evidence_export_ids: [''] }, 'evidence_export_ids[0]', /must be an export id/],
      [{ ...NEW_ASSESSMENT, evidence_export_ids: [42] }, 'evidence_export_ids[0]'],
      [{ ...NEW_ASSESSMENT, evidence_export_ids: Array.from({ length: 51 }, (_, i) => `exp_${i}`) }, 'evidence_export_ids', /at most 50/],
      [{ ...NEW_ASSESSMENT, status: 'approved' }, 'status', /is not a field this route takes/],
    ];
    const count = await assessmentCount(h);
    for (const [body, field, message] of cases) {
      const r = await create(h, { cookie: alice.cookie }, body);
      assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      assert.equal(r.body.error.field, field, JSON.stringify(r.body));
      if (message) assert.match(r.body.error.message, message);
    }
    assert.equal(await assessmentCount(h), count);

    // Edits and decisions too.
    const a = await created(h, { cookie: alice.cookie });
    const before = (await h.call('GET', `${CONFORMITY}/${a.id}`, { cookie: owner })).body;
    const edits: [Record<string, unknown>, string | undefined][] = [
      [{ risk_level: 'extreme' }, 'risk_level'],
      [{ system_name: null }, 'system_name'],
      [{ evidence_export_ids: [foreign] }, 'evidence_export_ids[0]'],
      [{ created_by: 'me' }, 'created_by'],
      [{}, undefined],
    ];
    for (const [body, field] of edits) {
      const r = await h.call('PATCH', `${CONFORMITY}/${a.id}`, { cookie: alice.cookie, body });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, field);
    }
    assert.deepEqual((await h.call('GET', `${CONFORMITY}/${a.id}`, { cookie: owner })).body, before);

    await step(h, a.id, 'submit', { cookie: alice.cookie });
    for (const body of [{}, { reason: '  too short ' }, { reason: 42 }]) {
      const r = await step(h, a.id, 'reject', { cookie: bob.cookie }, body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, 'reason');
    }
    const extra = await step(h, a.id, 'approve', { cookie: bob.cookie }, { comments: 'ok', approved_by: 'someone' });
    assert.equal(extra.status, 400);
    assert.equal(extra.body.error.field, 'approved_by');
    const longComment = await step(h, a.id, 'approve', { cookie: bob.cookie }, { comments: 'x'.repeat(2001) });
    assert.equal(longComment.body.error.field, 'comments');
    assert.equal((await h.call('GET', `${CONFORMITY}/${a.id}`, { cookie: owner })).body.status, 'submitted');

    const badStatus = await h.call('GET', `${CONFORMITY}?status=pending`, { cookie: owner });
    assert.equal(badStatus.status, 400);
    assert.equal(badStatus.body.error.field, 'status');
    const badCursor = await h.call('GET', `${CONFORMITY}?cursor=nope`, { cookie: owner });
    assert.equal(badCursor.status, 400);
    assert.equal(badCursor.body.error.field, 'cursor');
  });

  it('lists filter by status and page with a cursor', async () => {
    const all = (await h.call('GET', `${CONFORMITY}?limit=100`, { cookie: owner })).body;
    const drafts = (await h.call('GET', `${CONFORMITY}?status=draft&limit=100`, { cookie: owner })).body;
    assert.ok(drafts.assessments.length > 0);
    assert.ok(drafts.assessments.every((a: any) => a.status === 'draft'));
    assert.equal(drafts.total, all.assessments.filter((a: any) => a.status === 'draft').length);
    assert.equal(all.total, await assessmentCount(h, 'acme'));

    const first = (await h.call('GET', `${CONFORMITY}?limit=2`, { cookie: owner })).body;
    assert.equal(first.assessments.length, 2);
    assert.ok(first.next_cursor);
    const second = (await h.call('GET', `${CONFORMITY}?limit=2&cursor=${encodeURIComponent(first.next_cursor)}`, { cookie: owner })).body;
    assert.deepEqual(
      [...first.assessments, ...second.assessments].map((a: any) => a.id),
      all.assessments.slice(0, 4).map((a: any) => a.id),
    );
  });

  it('GraphQL: the same fields, camelCase', async () => {
    const res = await h.graphql(
      `mutation($input: CreateConformityAssessmentInput!) { createConformityAssessment(input: $input) { id status riskLevel assessmentType evidence { id } } }`,
      { input: { systemName: 'Chat assistant', assessmentType: 'third_party', riskLevel: 'limited' } },
      { cookie: alice.cookie },
    );
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const id = res.data.createConformityAssessment.id;
    assert.deepEqual(res.data.createConformityAssessment, { id, status: 'draft', riskLevel: 'limited', assessmentType: 'third_party', evidence: [] });
    const sub = await h.graphql(`mutation($id: String!) { submitConformityAssessment(id: $id) { status submittedBy } }`, { id }, { cookie: alice.cookie });
    assert.deepEqual(sub.data.submitConformityAssessment, { status: 'submitted', submittedBy: `user:${alice.userId}` });
    const own = await h.graphql(`mutation($id: String!) { approveConformityAssessment(id: $id) { status } }`, { id }, { cookie: alice.cookie });
    assert.equal(own.errors[0].extensions.code, 'FORBIDDEN');
    const q = await h.graphql(`query($id: String!) { conformityAssessment(id: $id) { status } conformityAssessments(status: submitted) { totalCount } }`, { id }, { cookie: bob.cookie });
    assert.equal(q.data.conformityAssessment.status, 'submitted');
    assert.ok(q.data.conformityAssessments.totalCount >= 1);
  });
});

describe('a step written from a stale read changes nothing', () => {
  let h: Harness;
  let owner: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    owner = await h.login('acme');
  });
  after(() => h.close());

  it('an edit that lands between a submit reading and writing is kept: the stale submit is refused', async () => {
    const a = await created(h, { cookie: owner });
    const db = h.runtime.database.db;
    const read = (await findAssessment(db, 'acme', a.id))!;
    const edit = await h.call('PATCH', `${CONFORMITY}/${a.id}`, { cookie: owner, body: { system_name: 'New name', risk_level: 'unacceptable' } });
    assert.equal(edit.status, 200);
    // The submit that read before the edit now writes what it read.
    assert.equal(await saveAssessmentIf(db, { ...read, status: 'submitted' }, read), false);
    const now = (await h.call('GET', `${CONFORMITY}/${a.id}`, { cookie: owner })).body;
    assert.equal(now.status, 'draft');
    assert.equal(now.system_name, 'New name');
    assert.equal(now.risk_level, 'unacceptable');
  });
});
