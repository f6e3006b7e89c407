import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PostgresUpdates } from '../../src/live/postgres.js';
import { LocalUpdates, type Watch } from '../../src/live/updates.js';
import { createLogger } from '../../src/logger.js';
import { Harness } from '../helpers/harness.js';
import { heartbeat, node } from '../nodes/helpers.js';
import { type SseBlock, parseBlock, sseEvents } from './sse.js';

/**
 * Live status changes: the upgradeEvents subscription over server-sent events, and the wake-ups under it
 * (src/live). Timeouts here are safety nets only: a stream that should have delivered or ended fails the test
 * instead of hanging it. No assertion depends on how fast anything happens.
 */

const SAFETY_MS = 20_000;
const DEADLINE_MS = 1800 * 1000;
const SUBSCRIPTION = `subscription($id: String!, $after: Int) { upgradeEvents(upgradeId: $id, afterSequence: $after) {
  upgradeId sequence fromStatus toStatus reason progress { service desired delivered updated } } }`;

function withSafety<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const net = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`safety net: ${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([p, net]).finally(() => clearTimeout(timer));
}

/** Resolves to 'woken' if the watch was already woken: a settled promise always beats the next setImmediate. */
function wokenNow(w: Watch): Promise<'woken' | 'not woken'> {
  return Promise.race([w.next(60_000).then(() => 'woken' as const), new Promise<'not woken'>((r) => setImmediate(() => r('not woken')))]);
}

/** Reads an event stream block by block, as a browser's EventSource would, while the test goes on. */
class SseReader {
  private buf = '';
  private done = false;
  private readonly decoder = new TextDecoder();
  private pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** The next event (keep-alive comments skipped); null once the stream has ended. */
  async next(what: string, safetyMs = SAFETY_MS): Promise<SseBlock | null> {
    for (;;) {
      const m = /\r?\n\r?\n/.exec(this.buf);
      if (m) {
        const block = parseBlock(this.buf.slice(0, m.index));
        this.buf = this.buf.slice(m.index + m[0].length);
        if (block) return block;
        continue;
      }
      if (this.done) return null;
      this.pending ??= this.reader.read();
      const r = await withSafety(this.pending, safetyMs, what);
      this.pending = null;
      if (r.done) this.done = true;
      else this.buf += this.decoder.decode(r.value, { stream: true });
    }
  }

  /** The upgrade event of the next block, which must be one. */
  async event(what: string): Promise<any> {
    const b = await this.next(what);
    assert.ok(b, `${what}: the stream ended instead`);
    assert.equal(b.event, 'next', `${what}: got ${JSON.stringify(b)}`);
    assert.ok(b.data.data?.upgradeEvents, `${what}: got ${JSON.stringify(b.data)}`);
    return b.data.data.upgradeEvents;
  }

  /** The stream's end: its "complete" block, then nothing. */
  async end(what: string, safetyMs = SAFETY_MS): Promise<void> {
    const b = await this.next(what, safetyMs);
    assert.deepEqual(b && { event: b.event }, { event: 'complete' }, `${what}: got ${JSON.stringify(b)}`);
    assert.equal(await this.next(`${what} (closed after complete)`, safetyMs), null);
  }

  /** Stops reading (bounded: a stream that never ends must not hang the suite's teardown). */
  async cancel(): Promise<void> {
    await withSafety(this.reader.cancel(), 2000, 'cancel').catch(() => undefined);
  }
}

describe('upgradeEvents over server-sent events', () => {
  let h: Harness;
  let n = 0;
  const readers: SseReader[] = [];
  before(async () => {
    h = await Harness.start();
  });
  after(async () => {
    for (const r of readers) await r.cancel();
    await h.close();
  });

  async function org() {
    const orgId = `lv${++n}`;
    await h.createOrg(orgId);
    const cookie = await h.login(orgId);
    const key = (await h.apiKey(orgId, ['nodes:write'], cookie)).key;
    const beat = async (id: string, version = '1.0.0') => {
      const r = await heartbeat(h, key, node(id, { version }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.desired_version as string | null;
    };
    return { orgId, cookie, beat };
  }

  /** An organization with agent nodes on 1.0.0 and an upgrade of them to 1.1.0 (PENDING). */
  async function upgradeOf(nodes: number) {
    const o = await org();
    for (let i = 0; i < nodes; i++) await o.beat(`n${i}`);
    const t = await h.call('POST', '/api/v1/deployments/upgrade', { cookie: o.cookie, body: { service: 'agent', version: '1.1.0' } });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    return { ...o, upgradeId: t.body.upgrade_id as string };
  }

  /** The whole stream, for subscriptions that end (h.call returns once the stream has ended). */
  async function streamed(cookie: string | undefined, upgradeId: string, after?: number): Promise<SseBlock[]> {
    const r = await withSafety(
      h.call('POST', '/graphql', {
        ...(cookie ? { cookie } : {}),
        headers: { accept: 'text/event-stream' },
        body: { query: SUBSCRIPTION, variables: { id: upgradeId, ...(after === undefined ? {} : { after }) } },
      }),
      SAFETY_MS,
      'the stream ending',
    );
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
    return sseEvents(r.body as string);
  }

  /** A subscription whose body is read as it arrives. */
  async function open(cookie: string, upgradeId: string, after?: number): Promise<SseReader> {
    const res = await h.runtime.app.request('/graphql', {
      method: 'POST',
      headers: { cookie: `axonflow_session=${cookie}`, 'content-type': 'application/json', accept: 'text/event-stream', 'x-forwarded-for': '198.51.100.7' },
      body: JSON.stringify({ query: SUBSCRIPTION, variables: { id: upgradeId, ...(after === undefined ? {} : { after }) } }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = new SseReader(res.body!.getReader());
    readers.push(reader);
    return reader;
  }

  function upgradeEvents(blocks: SseBlock[]): any[] {
    return blocks.filter((b) => b.event === 'next').map((b) => {
      assert.ok(b.data.data?.upgradeEvents, JSON.stringify(b.data));
      return b.data.data.upgradeEvents;
    });
  }

  it('streams every status change once, in order, numbered 1..n, and ends after the final one', async () => {
    const u = await upgradeOf(2);
    await u.beat('n0');
    await u.beat('n0', '1.1.0');
    await u.beat('n1');
    await u.beat('n1', '1.1.0');
    const blocks = await streamed(u.cookie, u.upgradeId);
    const events = upgradeEvents(blocks);
    assert.deepEqual(
      events.map((e) => [e.sequence, e.fromStatus, e.toStatus]),
      [
        [1, null, 'PENDING'],
        [2, 'PENDING', 'IN_PROGRESS'],
        [3, 'IN_PROGRESS', 'SUCCESS'],
      ],
    );
    assert.ok(events.every((e) => e.upgradeId === u.upgradeId));
    assert.deepEqual(events[2].progress, [{ service: 'agent', desired: 2, delivered: 2, updated: 2 }]);
    assert.match(events[2].reason, /every targeted node \(2\) reported/);
    // The final event is followed by the end of the stream and nothing else.
    assert.deepEqual(blocks.slice(-1).map((b) => b.event), ['complete']);
    assert.equal(blocks.filter((b) => b.event === 'complete').length, 1);
    assert.equal(blocks.length, events.length + 1);
  });

  it('afterSequence: 1 resumes after the first change', async () => {
    const u = await upgradeOf(1);
    await u.beat('n0');
    await u.beat('n0', '1.1.0');
    const events = upgradeEvents(await streamed(u.cookie, u.upgradeId, 1));
    assert.deepEqual(events.map((e) => [e.sequence, e.toStatus]), [
      [2, 'IN_PROGRESS'],
      [3, 'SUCCESS'],
    ]);
    assert.deepEqual(upgradeEvents(await streamed(u.cookie, u.upgradeId, 2)).map((e) => e.sequence), [3]);
  });

  it('resuming after the final change of an ended upgrade ends the stream, with no event', async () => {
    // A client whose connection dropped right after the last event reconnects with afterSequence = 3.
    const u = await upgradeOf(1);
    await u.beat('n0');
    await u.beat('n0', '1.1.0');
    const s = await open(u.cookie, u.upgradeId, 3);
    // Safety net: longer than two of the watcher's own looks (every 5 s) and a keep-alive.
    await s.end('the end of a stream resumed after the final event', 15_000);
  });

  it('an unknown upgrade, another organization\'s, or no session: refused with an error, no events', async () => {
    const mine = await upgradeOf(1);
    const other = await org();

    const unknown = await streamed(mine.cookie, 'upg_does-not-exist');
    assert.equal(unknown.filter((b) => b.data?.data?.upgradeEvents).length, 0);
    const e1 = unknown.find((b) => b.event === 'next')?.data;
    assert.equal(e1?.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(unknown));
    assert.ok(!e1.data?.upgradeEvents);
    assert.equal(unknown.at(-1)?.event, 'complete');

    const foreign = await streamed(other.cookie, mine.upgradeId);
    const e2 = foreign.find((b) => b.event === 'next')?.data;
    assert.equal(e2?.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(foreign));
    assert.ok(!e2.data?.upgradeEvents, 'nothing of the other organization\'s upgrade is shown');
    assert.equal(foreign.filter((b) => b.data?.data?.upgradeEvents).length, 0);
    // Refused in the same words as an upgrade that does not exist: its existence is not given away.
    assert.equal(e2.errors[0].message.replace(mine.upgradeId, 'ID'), e1.errors[0].message.replace('upg_does-not-exist', 'ID'));

    const anonymous = await streamed(undefined, mine.upgradeId);
    const e3 = anonymous.find((b) => b.event === 'next')?.data;
    assert.equal(e3?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(anonymous));
    assert.equal(anonymous.filter((b) => b.data?.data?.upgradeEvents).length, 0);
  });

  it('a subscriber connected while the upgrade runs receives each later change as it happens, then the end', async () => {
    const u = await upgradeOf(2);
    const s = await open(u.cookie, u.upgradeId);
    const early = await open(u.cookie, u.upgradeId);

    const first = await s.event('the PENDING event');
    assert.deepEqual([first.sequence, first.toStatus], [1, 'PENDING']);

    // The first heartbeat hands the version to n0: the stream, still open, delivers IN_PROGRESS.
    assert.equal(await u.beat('n0'), '1.1.0');
    const second = await s.event('the IN_PROGRESS event, while the upgrade runs');
    assert.deepEqual([second.sequence, second.fromStatus, second.toStatus], [2, 'PENDING', 'IN_PROGRESS']);
    assert.deepEqual(second.progress, [{ service: 'agent', desired: 2, delivered: 1, updated: 0 }]);

    // A report that moves no status sends no event; the one that completes the upgrade sends the last.
    await u.beat('n0', '1.1.0');
    await u.beat('n1');
    const late = await open(u.cookie, u.upgradeId, 2); // a third subscriber joins now, resuming after IN_PROGRESS
    await u.beat('n1', '1.1.0');
    const third = await s.event('the SUCCESS event');
    assert.deepEqual([third.sequence, third.fromStatus, third.toStatus], [3, 'IN_PROGRESS', 'SUCCESS']);
    assert.deepEqual(third.progress, [{ service: 'agent', desired: 2, delivered: 2, updated: 2 }]);
    await s.end('the end after SUCCESS');

    // Every subscriber saw each change once, in order.
    const all: number[] = [];
    for (;;) {
      const b = await early.next('the other subscriber\'s events');
      if (!b || b.event === 'complete') break;
      all.push(b.data.data.upgradeEvents.sequence);
    }
    assert.deepEqual(all, [1, 2, 3]);
    assert.equal((await late.event('the resumed subscriber\'s event')).sequence, 3);
    await late.end('the resumed subscriber\'s end');
  });

  it('a subscriber waiting at the deadline receives the deadline job\'s PARTIAL, then the end', async () => {
    const u = await upgradeOf(2);
    await u.beat('n0');
    await u.beat('n1');
    await u.beat('n0', '1.1.0');
    const s = await open(u.cookie, u.upgradeId, 2);
    h.clock.advance(DEADLINE_MS + 60_000);
    await h.runtime.jobs.runDue();
    const e = await s.event('the PARTIAL event');
    assert.deepEqual([e.sequence, e.fromStatus, e.toStatus], [3, 'IN_PROGRESS', 'PARTIAL']);
    assert.deepEqual(e.progress, [{ service: 'agent', desired: 2, delivered: 2, updated: 1 }]);
    await s.end('the end after PARTIAL');
  });
});

describe('LocalUpdates: wake-ups in one process', () => {
  it('a watcher registered before a publish is woken even when it asks after the publish', async () => {
    const live = new LocalUpdates();
    const w = live.watch('upgrade:a');
    await live.publish('upgrade:a');
    assert.equal(await wokenNow(w), 'woken');
    // The wake-up is used up: the next ask waits for the next publish.
    let answered = false;
    const waiting = w.next(60_000).then((open) => {
      answered = true;
      return open;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, false, 'not woken again by the publish already used');
    await live.publish('upgrade:a');
    assert.equal(await withSafety(waiting, SAFETY_MS, 'the second wake-up'), true);
    w.close();
  });

  it('a watcher waiting in next() is woken by a publish of its topic, and by no other topic', async () => {
    const live = new LocalUpdates();
    const a = live.watch('upgrade:a');
    const a2 = live.watch('upgrade:a');
    const b = live.watch('upgrade:b');
    const waiting = a.next(60_000);
    await live.publish('upgrade:a');
    await withSafety(waiting, SAFETY_MS, 'the wake-up of a waiting watcher');
    assert.equal(await wokenNow(a2), 'woken', 'every watcher of the topic');
    assert.equal(await wokenNow(b), 'not woken', 'a watcher of another topic');
    a.close();
    a2.close();
    b.close();
  });

  it('a publish before the watcher was registered does not wake it', async () => {
    const live = new LocalUpdates();
    await live.publish('upgrade:a');
    const w = live.watch('upgrade:a');
    assert.equal(await wokenNow(w), 'not woken');
    w.close();
  });

  it('next(timeout) resolves after its timeout with no publish, and the watch still works after', async () => {
    const live = new LocalUpdates();
    const w = live.watch('upgrade:a');
    const waiting = w.next(50);
    const first = await Promise.race([waiting.then(() => 'resolved'), new Promise((r) => setImmediate(() => r('waiting')))]);
    assert.equal(first, 'waiting', 'it waits: nothing was published');
    await withSafety(waiting, SAFETY_MS, 'next(50) resolving on its timeout');
    await live.publish('upgrade:a');
    assert.equal(await wokenNow(w), 'woken');
    w.close();
  });

  it('closing a watch or the updates releases a waiting watcher; a closed watch gets no more wake-ups', async () => {
    const live = new LocalUpdates();
    const w = live.watch('upgrade:a');
    const waiting = w.next(60_000);
    w.close();
    await withSafety(waiting, SAFETY_MS, 'a closed watch releasing its waiter');
    const other = live.watch('upgrade:b');
    const waitingOther = other.next(60_000);
    await live.close();
    await withSafety(waitingOther, SAFETY_MS, 'close() releasing every waiter');
    other.close();
  });
});

describe('PostgresUpdates: wake-ups across instances over LISTEN/NOTIFY', () => {
  // PostgreSQL is at hand in both runs: with DATABASE_URL on the PostgreSQL run, on 127.0.0.1 otherwise.
  const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
  const logger = createLogger('silent');
  const instances: PostgresUpdates[] = [];
  const make = (schema: string) => {
    const p = new PostgresUpdates(url, schema, logger);
    instances.push(p);
    return p;
  };
  after(async () => {
    for (const p of instances) await p.close();
  });

  it('two instances on one schema: a publish on one wakes a watcher on the other', async () => {
    const schema = `axon_live_test_${randomBytes(4).toString('hex')}`;
    const one = make(schema);
    const two = make(schema);
    await Promise.all([one.listening(), two.listening()]);
    const onTwo = two.watch('upgrade:x');
    const onOne = one.watch('upgrade:x');
    const waiting = onTwo.next(60_000);
    await one.publish('upgrade:x');
    await withSafety(waiting, SAFETY_MS, 'the other instance\'s watcher waking');
    await withSafety(onOne.next(60_000), SAFETY_MS, 'the publishing instance\'s own watcher waking');
    onTwo.close();
    onOne.close();
  });

  it('instances on different schemas do not wake each other', async () => {
    const x = `axon_live_test_${randomBytes(4).toString('hex')}`;
    const y = `axon_live_test_${randomBytes(4).toString('hex')}`;
    const onX = make(x);
    const onY = make(y);
    const onY2 = make(y);
    await Promise.all([onX.listening(), onY.listening(), onY2.listening()]);
    const xWatch = onX.watch('upgrade:x');
    const yWatch = onY.watch('upgrade:x');
    const yControl = onY.watch('control');

    await onX.publish('upgrade:x');
    // A later publish on y's own channel: once it arrives, anything sent before it on that channel would have too.
    await onY2.publish('control');
    await withSafety(yControl.next(60_000), SAFETY_MS, 'the control wake-up on schema y');
    await withSafety(xWatch.next(60_000), SAFETY_MS, 'the wake-up on schema x itself');
    assert.equal(await wokenNow(yWatch), 'not woken', 'a publish on schema x reached schema y');
    xWatch.close();
    yWatch.close();
    yControl.close();
  });
});
