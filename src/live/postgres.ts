import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { LocalUpdates, type LiveUpdates, type Watch } from './updates.js';

const RECONNECT_MS = 1000;

/**
 * Wake-ups across instances with PostgreSQL's LISTEN/NOTIFY: one listening connection per instance, one
 * channel per schema (instances of one deployment share it; test runs in their own schemas do not). After a
 * lost connection every local watcher is woken, as it may have missed a notification.
 */
export class PostgresUpdates implements LiveUpdates {
  private readonly local = new LocalUpdates();
  private readonly channel: string;
  private readonly publisher: pg.Pool;
  private listener: pg.Client | null = null;
  private closed = false;
  private readonly retired = new WeakSet<pg.Client>();
  private ready: Promise<void>;

  constructor(
    private readonly url: string,
    schema: string | undefined,
    private readonly logger: Logger,
  ) {
    // Channel names are identifiers of at most 63 bytes: a digest of the schema keeps any schema name within it.
    this.channel = `axon_live_${createHash('sha256').update(schema ?? 'public').digest('hex').slice(0, 24)}`;
    this.publisher = new pg.Pool({ connectionString: url, max: 2 });
    // An idle connection the server closes (restart, failover) is an 'error' event: unheard, it would end the process.
    this.publisher.on('error', (err) => this.logger.warn({ err: err.message }, 'live updates: a publishing connection failed'));
    this.ready = this.listen();
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (n) => {
      if (n.channel === this.channel && n.payload) this.local.wake(n.payload);
    });
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'live updates: the listening connection failed; reconnecting');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`listen ${this.channel}`);
      this.listener = client;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'live updates: cannot listen; retrying');
      this.reconnect(client);
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.closed || this.retired.has(client)) return;
    this.retired.add(client);
    if (this.listener === client) this.listener = null;
    client.removeAllListeners();
    client.end().catch(() => undefined);
    this.local.wakeAll();
    setTimeout(() => void (this.ready = this.listen()), RECONNECT_MS).unref();
  }

  async publish(topic: string): Promise<void> {
    await this.publisher.query('select pg_notify($1, $2)', [this.channel, topic]);
  }

  watch(topic: string): Watch {
    return this.local.watch(topic);
  }

  /** Resolves once this instance listens (tests wait for it before publishing from another). */
  listening(): Promise<void> {
    return this.ready;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => undefined);
    const client = this.listener;
    this.listener = null;
    client?.removeAllListeners();
    await client?.end().catch(() => undefined);
    await this.publisher.end();
    await this.local.close();
  }
}
