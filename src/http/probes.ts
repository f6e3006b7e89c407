import type { Hono } from 'hono';
import type { Database } from '../db/database.js';
import type { Lifecycle } from './lifecycle.js';
import type { MethodTable } from './methods.js';

export function mountProbes(app: Hono<any>, database: Database, lifecycle: Lifecycle, info: Record<string, unknown>, methods: MethodTable): void {
  const started = Date.now();
  for (const path of ['/livez', '/readyz', '/health']) methods.add('GET', path);
  app.get('/livez', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks = { database: 'ok', migrations: lifecycle.migrated ? 'ok' : 'pending', draining: lifecycle.draining };
    try {
      await database.ping();
    } catch {
      checks.database = 'unreachable';
    }
    const ready = checks.database === 'ok' && lifecycle.migrated && !lifecycle.draining;
    return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
  });
  app.get('/health', async (c) => {
    let db = 'ok';
    try {
      await database.ping();
    } catch {
      db = 'unreachable';
    }
    return c.json(
      { status: db === 'ok' ? 'healthy' : 'degraded', database: { kind: database.dialect, status: db }, ...info, uptime_seconds: Math.floor((Date.now() - started) / 1000) },
      db === 'ok' ? 200 : 503,
    );
  });
}
