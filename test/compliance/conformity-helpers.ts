import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ApiResult, CallOptions, Harness } from '../helpers/harness.js';

export const CONFORMITY = '/api/v1/euaiact/conformity';
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

export const NEW_ASSESSMENT = { system_name: 'Credit scoring model v3', assessment_type: 'self_assessment', risk_level: 'high', description: 'Annex III 5(b)' };

/** A row of compliance_exports written straight to the database: the export jobs are another area's. */
export async function insertExport(
  h: Harness,
  orgId: string,
  fields: { status?: string; framework?: string; exportType?: string; createdAt?: string } = {},
): Promise<string> {
  const id = `exp_${randomBytes(8).toString('hex')}`;
  const at = fields.createdAt ?? h.clock.now().toISOString();
  const completed = (fields.status ?? 'completed') === 'completed';
  await h.runtime.database.db
    .insertInto('compliance_exports')
    .values({
      id,
      org_id: orgId,
      framework: fields.framework ?? 'eu_ai_act',
      export_type: fields.exportType ?? 'conformity_evidence',
      format: 'json',
      period_from: null,
      period_to: null,
      redact_pii: 0,
      options: '{}',
      status: fields.status ?? 'completed',
      progress: completed ? 100 : 0,
      rows: 0,
      total_rows: null,
      bytes: completed ? 10 : null,
      sha256: completed ? 'ab'.repeat(32) : null,
      manifest: null,
      signature: null,
      error: null,
      requested_by: 'user:usr_test',
      created_at: at,
      started_at: null,
      completed_at: completed ? at : null,
      expires_at: null,
      run_token: null,
    } as any)
    .execute();
  return id;
}

export async function assessmentCount(h: Harness, orgId?: string): Promise<number> {
  let q = h.runtime.database.db.selectFrom('conformity_assessments').select((eb) => eb.fn.countAll<number>().as('n'));
  if (orgId) q = q.where('org_id', '=', orgId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

export async function create(h: Harness, opts: CallOptions, body: Record<string, unknown> = NEW_ASSESSMENT): Promise<ApiResult> {
  return h.call('POST', CONFORMITY, { ...opts, body });
}

export async function created(h: Harness, opts: CallOptions, body: Record<string, unknown> = NEW_ASSESSMENT): Promise<any> {
  const r = await create(h, opts, body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

export async function step(h: Harness, id: string, name: 'submit' | 'approve' | 'reject', opts: CallOptions, body?: Record<string, unknown>): Promise<ApiResult> {
  return h.call('POST', `${CONFORMITY}/${id}/${name}`, { ...opts, ...(body ? { body } : {}) });
}
