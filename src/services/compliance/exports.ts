import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { readdir, rm, stat } from 'node:fs/promises';
import canonicalize from 'canonicalize';
import { inTransaction } from '../../db/database.js';
import type { ExportSource, SourceQuery } from '../../db/export-sources.js';
import {
  type ExportRecord,
  completeExport,
  countExports,
  countInStates,
  expireExport,
  exportById,
  exportsPastRetention,
  failExport,
  findExport,
  insertExport,
  listExports,
  reportProgress,
  startExport,
} from '../../db/exports.js';
import { enqueueJob } from '../../db/jobs.js';
import { lockOrganization } from '../../db/organizations.js';
import { EXPORT_FORMATS, type ExportFormat, type ExportStatus } from '../../domain/compliance.js';
import { Conflict, DomainError, InvalidInput, NotFound, RateLimited } from '../../domain/errors.js';
import { newId } from '../../ids.js';
import { type Actor, actorLabel, systemActor, tenantOf } from '../actor.js';
import type { ServiceDeps } from '../deps.js';
import type { LicenseService } from '../licenses.js';
import * as v from '../validate.js';
import { writeExportFile } from './export-writer.js';

export const EXPORT_JOB = 'compliance.export';
export const EXPORT_RETENTION_JOB = 'compliance.export_retention';

/** Rows per page read and written: a page is what memory holds. */
const PAGE_ROWS = 5000;
/** A job interrupted this often (its worker stopped mid-export each time) is failed rather than tried again. */
const MAX_INTERRUPTIONS = 3;
/** Exports of one organization queued or running at once; more are refused until one finishes. */
const MAX_ACTIVE_PER_ORG = 10;
const WAIT_FOR_SLOT_MS = 5000;

/** The export types of one framework, each the source its file is read from. */
export type ExportCatalogue = Readonly<Record<string, ExportSource>>;

export interface ExportRequest {
  exportType: string;
  format: string;
  from?: string | null;
  to?: string | null;
  redactPii?: boolean | null;
}

/** An export as callers see it: the record, with the manifest parsed. */
export interface ExportView extends Omit<ExportRecord, 'manifest'> {
  manifest: Record<string, unknown> | null;
}

export interface ExportFile {
  path: string;
  bytes: number;
  name: string;
  contentType: string;
  sha256: string;
}

export interface ExportJob {
  id: string;
}

/**
 * The export engine: an export is a row and a job. The job streams its framework's source into a file
 * (JSON or CSV) under EXPORT_DIR, hashing it as it goes, then signs a manifest of the file with the service's
 * Ed25519 key (the one GET /api/v1/license/public-key publishes). A worker that dies mid-export leaves the
 * job's lease to lapse; the next attempt starts the file again, and after MAX_INTERRUPTIONS the export fails
 * with the reason. Files are deleted when their retention ends.
 */
export class ExportService {
  private readonly catalogues = new Map<string, ExportCatalogue>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly licenses: LicenseService,
  ) {}

  /** A framework's export types; each framework registers once, at start. */
  register(framework: string, catalogue: ExportCatalogue): void {
    if (this.catalogues.has(framework)) throw new Error(`export framework ${framework} is registered already`);
    this.catalogues.set(framework, catalogue);
  }

  async create(actor: Actor, framework: string, input: ExportRequest, options: Record<string, unknown> = {}): Promise<ExportView> {
    const orgId = tenantOf(actor);
    const catalogue = this.catalogue(framework);
    const types = Object.keys(catalogue);
    if (!types.includes(input.exportType)) throw new InvalidInput(`must be one of ${types.join(', ')}`, 'exportType');
    if (!(EXPORT_FORMATS as readonly string[]).includes(input.format)) throw new InvalidInput(`must be one of ${EXPORT_FORMATS.join(', ')}`, 'format');
    const { from, to } = v.period(input.from, input.to);
    const now = this.deps.clock.now().toISOString();
    return inTransaction(this.deps.db, async (trx) => {
      await lockOrganization(trx, orgId);
      const active = await countInStates(trx, orgId, ['queued', 'running']);
      if (active >= MAX_ACTIVE_PER_ORG) {
        throw new RateLimited(`${active} exports of this organization are queued or running (at most ${MAX_ACTIVE_PER_ORG}); wait for one to finish`, 30);
      }
      const record = await insertExport(trx, {
        id: newId('exp'),
        orgId,
        framework,
        exportType: input.exportType,
        format: input.format as ExportFormat,
        from,
        to,
        redactPii: input.redactPii === true,
        options,
        requestedBy: actorLabel(actor),
        createdAt: now,
      });
      await enqueueJob(trx, { kind: EXPORT_JOB, key: record.id, payload: { id: record.id } satisfies ExportJob, runAt: now }, now);
      await this.deps.audit.append(trx, actor, {
        action: 'compliance.export_requested',
        orgId,
        targetType: 'export',
        targetId: record.id,
        details: { framework, export_type: record.exportType, format: record.format, from, to, redact_pii: record.redactPii },
      });
      return view(record);
    });
  }

  async get(actor: Actor, framework: string, id: string): Promise<ExportView> {
    const record = await findExport(this.deps.db, tenantOf(actor), id, framework);
    if (!record) throw new NotFound(`export ${id} not found`);
    return view(record);
  }

  async list(actor: Actor, framework: string, status: ExportStatus | null, page: { offset: number; limit: number }): Promise<{ items: ExportView[]; total: number }> {
    const orgId = tenantOf(actor);
    const filter = { framework, status };
    const [items, total] = await Promise.all([listExports(this.deps.db, orgId, filter, page), countExports(this.deps.db, orgId, filter)]);
    return { items: items.map(view), total };
  }

  /** The file of a completed export of the actor's organization, for a download. */
  async file(actor: Actor, framework: string, id: string): Promise<ExportFile> {
    const record = await findExport(this.deps.db, tenantOf(actor), id, framework);
    if (!record) throw new NotFound(`export ${id} not found`);
    if (record.status === 'expired') throw new Conflict(`export ${id} expired: its file was deleted at the end of its retention (${record.expiresAt}); create a new export`);
    if (record.status !== 'completed') throw new Conflict(`export ${id} is ${record.status}: its file can be downloaded once it is completed`);
    const path = this.pathOf(record, record.runToken);
    const size = (await stat(path).catch(() => null))?.size;
    if (size === undefined) throw new Conflict(`export ${id} has no file any more; create a new export`);
    return { path, bytes: size, name: fileName(record), contentType: record.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json', sha256: record.sha256 ?? '' };
  }

  /**
   * The job: runs one export to its end (or to a reschedule while the organization's running slots are full).
   * Each attempt has its own token, which names its files and fences its writes: an attempt whose worker hung
   * and was taken over writes, renames and deletes nothing of the attempt that replaced it.
   */
  async run(job: ExportJob, attempt: number): Promise<void | { rescheduleAt: Date }> {
    const record = await exportById(this.deps.db, job.id);
    if (!record || (record.status !== 'queued' && record.status !== 'running')) return;
    const now = () => this.deps.clock.now();
    if (attempt > MAX_INTERRUPTIONS) {
      await this.fail(record, null, `the export was interrupted ${MAX_INTERRUPTIONS} times (its worker stopped before it finished); create it again`);
      return;
    }
    const source = this.catalogues.get(record.framework)?.[record.exportType];
    if (!source) {
      await this.fail(record, null, `export type ${record.exportType} of ${record.framework} is not known to this version of the service`);
      return;
    }
    const token = randomBytes(9).toString('base64url');
    const path = this.pathOf(record, token);
    try {
      const query: SourceQuery = { orgId: record.orgId, from: record.from, to: record.to };
      const total = await source.count(this.deps.db, query);
      // Taking a running slot is one transaction under the organization's row lock, so instances starting
      // exports of one organization at the same moment cannot overrun the limit between them.
      const started = await inTransaction(this.deps.db, async (trx) => {
        await lockOrganization(trx, record.orgId);
        if ((await countInStates(trx, record.orgId, ['running'], record.id)) >= this.deps.config.exportMaxRunningPerOrg) return false;
        await startExport(trx, record.id, token, now().toISOString(), total);
        return true;
      });
      if (!started) return { rescheduleAt: new Date(now().getTime() + WAIT_FOR_SLOT_MS) };
      // Its token is the export's now: what earlier attempts left half-written is nobody's.
      await this.removePartials(record, token);
      const db = this.deps.db;
      const written = await writeExportFile({
        path,
        format: record.format,
        columns: source.columns,
        redact: record.redactPii,
        pages: (async function* () {
          let after: string | null = null;
          do {
            const page = await source.page(db, query, after, PAGE_ROWS);
            if (page.rows.length > 0) yield page.rows;
            after = page.next;
          } while (after !== null);
        })(),
        onPage: (rows) => reportProgress(db, record.id, token, rows, total > 0 ? Math.min(99, Math.floor((rows * 100) / total)) : 0),
      });
      if (!written) return;
      const completedAt = now();
      const manifest = canonicalize({
        type: 'axonflow.compliance_export.manifest',
        version: 1,
        export_id: record.id,
        org_id: record.orgId,
        framework: record.framework,
        export_type: record.exportType,
        format: record.format,
        period: { from: record.from, to: record.to },
        redacted_pii: record.redactPii,
        columns: source.columns,
        file_name: fileName(record),
        rows: written.rows,
        bytes: written.bytes,
        sha256: written.sha256,
        generated_at: completedAt.toISOString(),
        signature: { alg: 'Ed25519', public_key: '/api/v1/license/public-key', signed: 'RFC 8785 canonical JSON of this manifest' },
      })!;
      const done = await inTransaction(this.deps.db, async (trx) => {
        const kept = await completeExport(trx, record.id, token, {
          ...written,
          manifest,
          signature: this.licenses.sign(Buffer.from(manifest, 'utf8')),
          completedAt: completedAt.toISOString(),
          expiresAt: new Date(completedAt.getTime() + this.deps.config.exportRetentionDays * 86_400_000).toISOString(),
        });
        if (kept) {
          await this.deps.audit.append(trx, systemActor(record.orgId, 'exports'), {
            action: 'compliance.export_completed',
            orgId: record.orgId,
            targetType: 'export',
            targetId: record.id,
            details: { rows: written.rows, bytes: written.bytes, sha256: written.sha256 },
          });
        }
        return kept;
      });
      // Taken over meanwhile: this attempt's file is nobody's.
      if (!done) await rm(path, { force: true });
    } catch (err) {
      // A fault of the data or the disk fails the export (a retry would meet it again). The caller sees a
      // reason without server paths or driver text; the runner logs the error itself.
      await rm(path, { force: true });
      await rm(`${path}.part`, { force: true });
      await this.fail(record, token, err instanceof DomainError ? `the export failed: ${err.message}` : 'the export failed on an internal error; the service log has the details');
      throw err;
    }
  }

  /** The periodic retention job: deletes the files of exports past their retention and marks them expired. */
  async pruneExpired(): Promise<number> {
    const due = await exportsPastRetention(this.deps.db, this.deps.clock.now().toISOString(), 500);
    for (const record of due) {
      await rm(this.pathOf(record, record.runToken), { force: true });
      await inTransaction(this.deps.db, async (trx) => {
        if (await expireExport(trx, record.id)) {
          await this.deps.audit.append(trx, systemActor(record.orgId, 'exports'), { action: 'compliance.export_expired', orgId: record.orgId, targetType: 'export', targetId: record.id });
        }
      });
    }
    return due.length;
  }

  /** The partial files of the export's earlier attempts (workers that died or were taken over), all but keep's. */
  private async removePartials(record: ExportRecord, keep: string | null): Promise<void> {
    const folder = dirname(this.pathOf(record, null));
    const own = keep === null ? null : `${basename(this.pathOf(record, keep))}.part`;
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      if (name.startsWith(`${record.id}.`) && name.endsWith('.part') && name !== own) await rm(join(folder, name), { force: true });
    }
  }

  private async fail(record: ExportRecord, token: string | null, reason: string): Promise<void> {
    if (token === null) await this.removePartials(record, null);
    await inTransaction(this.deps.db, async (trx) => {
      if (await failExport(trx, record.id, token, reason, this.deps.clock.now().toISOString())) {
        await this.deps.audit.append(trx, systemActor(record.orgId, 'exports'), {
          action: 'compliance.export_failed',
          orgId: record.orgId,
          targetType: 'export',
          targetId: record.id,
          outcome: 'failure',
          details: { reason },
        });
      }
    });
  }

  private catalogue(framework: string): ExportCatalogue {
    const catalogue = this.catalogues.get(framework);
    if (!catalogue) throw new Error(`export framework ${framework} is not registered`);
    return catalogue;
  }

  /** Ids and tokens are service-made (base64url), so they are safe as file names. */
  private pathOf(record: ExportRecord, token: string | null): string {
    return join(this.deps.config.exportDir, record.orgId.toLowerCase(), `${record.id}.${token ?? 'none'}.${record.format}`);
  }
}

function fileName(record: ExportRecord): string {
  return `${record.framework}-${record.exportType}-${record.id}.${record.format}`;
}

function view(record: ExportRecord): ExportView {
  return { ...record, manifest: record.manifest ? (JSON.parse(record.manifest) as Record<string, unknown>) : null };
}
