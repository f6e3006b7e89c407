/**
 * Live updates: wake-ups by topic, for watchers that then read what changed from the database. A wake-up
 * carries nothing but its topic, so a lost or doubled one costs a read, never an event: what a watcher
 * shows comes from rows with sequence numbers, and a watcher also looks again on its own every few seconds.
 */
export interface Watch {
  /**
   * Resolves at the next wake-up of the topic (at once if one came since the last call) or after timeoutMs, to
   * true; to false once the publisher is closed (the service is stopping: streams end so it can).
   */
  next(timeoutMs: number): Promise<boolean>;
  close(): void;
}

export interface LiveUpdates {
  /** Wakes the topic's watchers on every instance. Call after the change committed. */
  publish(topic: string): Promise<void>;
  /** Register before the first read: a change between that read and the first next() still wakes it. */
  watch(topic: string): Watch;
  close(): Promise<void>;
}

class TopicWatch implements Watch {
  private woken = false;
  private closed = false;
  private resolve: (() => void) | null = null;

  constructor(
    private readonly onClose: (w: TopicWatch) => void,
    private readonly isOpen: () => boolean,
  ) {}

  wake(): void {
    this.woken = true;
    this.resolve?.();
  }

  private live(): boolean {
    return !this.closed && this.isOpen();
  }

  next(timeoutMs: number): Promise<boolean> {
    if (!this.live()) return Promise.resolve(false);
    if (this.woken) {
      this.woken = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.resolve = null;
        self.woken = false;
        resolve(self.live());
      }
      this.resolve = done;
    });
  }

  /** A next() in flight answers false: its consumer is gone. */
  close(): void {
    this.closed = true;
    this.resolve?.();
    this.onClose(this);
  }
}

/** This process's watchers. Alone it is the embedded (single-instance) publisher; PostgreSQL's wraps it. */
export class LocalUpdates implements LiveUpdates {
  private readonly topics = new Map<string, Set<TopicWatch>>();
  private open = true;

  async publish(topic: string): Promise<void> {
    this.wake(topic);
  }

  wake(topic: string): void {
    for (const w of this.topics.get(topic) ?? []) w.wake();
  }

  wakeAll(): void {
    for (const set of this.topics.values()) for (const w of set) w.wake();
  }

  watch(topic: string): Watch {
    const w = new TopicWatch(
      (closed) => {
        const set = this.topics.get(topic);
        set?.delete(closed);
        if (set?.size === 0) this.topics.delete(topic);
      },
      () => this.open,
    );
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    set.add(w);
    return w;
  }

  /** Idempotent: every watcher's next() answers false from now on. */
  async close(): Promise<void> {
    this.open = false;
    this.wakeAll();
  }
}
