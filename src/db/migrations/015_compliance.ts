import { type Kysely, sql } from 'kysely';

/**
 * Regulated workflows: the modules an operator enabled per organization (a license enables its own), export
 * jobs and the files they made, conformity assessments, human-oversight requests, and the policy violations the
 * governed runtime reports. Every table is per organization and goes with it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const org = (c: any) => c.notNull().references('organizations.org_id').onDelete('cascade');

  await db.schema
    .createTable('org_modules')
    .addColumn('org_id', 'text', org)
    .addColumn('module', 'text', (c) => c.notNull())
    .addColumn('enabled_at', 'text', (c) => c.notNull())
    .addColumn('enabled_by', 'text')
    .addPrimaryKeyConstraint('org_modules_pk', ['org_id', 'module'])
    .execute();

  await db.schema
    .createTable('compliance_exports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', org)
    .addColumn('framework', 'text', (c) => c.notNull())
    .addColumn('export_type', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('period_from', 'text')
    .addColumn('period_to', 'text')
    .addColumn('redact_pii', 'integer', (c) => c.notNull())
    // Framework-specific choices (SEBI's data types): JSON.
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('progress', 'integer', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('total_rows', 'integer')
    .addColumn('bytes', 'integer')
    .addColumn('sha256', 'text')
    // The exact text that was signed (canonical JSON), and its Ed25519 signature (base64url).
    .addColumn('manifest', 'text')
    .addColumn('signature', 'text')
    .addColumn('error', 'text')
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('completed_at', 'text')
    .addColumn('expires_at', 'text')
    // The running attempt's own token: it names the attempt's files and fences what the attempt writes.
    .addColumn('run_token', 'text')
    .execute();
  await sql`create index compliance_exports_org on compliance_exports (org_id, framework, created_at)`.execute(db);
  await sql`create index compliance_exports_status on compliance_exports (status, org_id)`.execute(db);

  await db.schema
    .createTable('conformity_assessments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', org)
    .addColumn('system_name', 'text', (c) => c.notNull())
    .addColumn('assessment_type', 'text', (c) => c.notNull())
    .addColumn('risk_level', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    // JSON array of export ids attached as evidence.
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('submitted_by', 'text')
    .addColumn('submitted_at', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('decision_note', 'text')
    // Bumped by every write: a write made from a stale read (an edit that raced a submit) changes nothing.
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
  await sql`create index conformity_org on conformity_assessments (org_id, created_at)`.execute(db);

  await db.schema
    .createTable('hitl_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', org)
    // The runtime's own id for the decision it waits on: one request per id, a retry finds the first.
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('context', 'text', (c) => c.notNull())
    .addColumn('eu_ai_act_article', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    // approve or reject: a person's decision, or (status overridden) what should have happened after expiry.
    .addColumn('decision', 'text')
    // The deciding user's id and their email at the time (null for the organization account).
    .addColumn('decided_by', 'text')
    .addColumn('decided_by_email', 'text')
    .addColumn('decided_at', 'text')
    // decided_at - created_at of an in-time decision (approved or rejected): the median is an ORDER BY on it.
    .addColumn('decision_seconds', 'double precision')
    .addColumn('comments', 'text')
    .addColumn('decision_reason', 'text')
    .execute();
  await sql`create unique index hitl_org_request on hitl_requests (org_id, request_id)`.execute(db);
  await sql`create index hitl_org_status on hitl_requests (org_id, status, created_at)`.execute(db);
  await sql`create index hitl_expiry on hitl_requests (status, expires_at)`.execute(db);

  await db.schema
    .createTable('policy_violations')
    .addColumn('org_id', 'text', org)
    .addColumn('violation_id', 'text', (c) => c.notNull())
    .addColumn('policy_id', 'text')
    .addColumn('policy_name', 'text', (c) => c.notNull())
    .addColumn('policy_type', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('node_id', 'text')
    .addColumn('request_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('policy_violations_pk', ['org_id', 'violation_id'])
    .execute();
  await sql`create index policy_violations_org_time on policy_violations (org_id, occurred_at)`.execute(db);
}
