/**
 * Saves the draft after every change: debounced, one call at a time, always the latest payload
 * (the editor's sender turns it into the cells this window changed, see useDraftSync). A failed
 * save keeps the payload (unless a newer one came) and retries with backoff, so the last change
 * is never dropped. A sender that had nothing to send answers savedAt null.
 */
export type SaveStatus =
  | { kind: 'idle'; at: string | null }
  | { kind: 'saving' }
  | { kind: 'saved'; at: string }
  | { kind: 'error'; message: string };

export class SaveQueue<P> {
  private pending: P | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private failures = 0;
  private lastSavedAt: string | null;

  constructor(
    private readonly send: (payload: P) => Promise<{ savedAt: string | null }>,
    private readonly onStatus: (s: SaveStatus) => void,
    private readonly errorMessage: (e: unknown) => string,
    savedAt: string | null,
    private readonly delayMs = 250,
  ) {
    this.lastSavedAt = savedAt;
  }

  /** True while something typed is not yet confirmed as saved. */
  get dirty(): boolean {
    return this.pending !== null || this.running !== null;
  }

  schedule(payload: P): void {
    this.pending = payload;
    this.onStatus({ kind: 'saving' });
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pump();
    }, this.delayMs);
  }

  /** Send what is pending now; resolves when everything is saved, rejects when the last attempt failed. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.pump();
    if (this.pending !== null) throw new Error('not saved');
  }

  /**
   * Rewrite the payload waiting to be sent (not the one in flight): a save's answer moved the
   * window's base, and the waiting payload must name the same base (issue 7).
   */
  rebase(fn: (payload: P) => P): void {
    if (this.pending !== null) this.pending = fn(this.pending);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private pump(): Promise<void> {
    if (this.running) return this.running;
    if (this.pending === null) {
      // The running loop may already have sent what this timer was for.
      this.settle();
      return Promise.resolve();
    }
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.running = (async () => {
      try {
        while (this.pending !== null) {
          const payload = this.pending;
          this.pending = null;
          this.onStatus({ kind: 'saving' });
          try {
            const r = await this.send(payload);
            if (r.savedAt) this.lastSavedAt = r.savedAt;
            this.failures = 0;
          } catch (e) {
            if (this.pending === null) this.pending = payload;
            this.failures++;
            this.onStatus({ kind: 'error', message: this.errorMessage(e) });
            const wait = Math.min(30_000, 2_000 * 2 ** Math.min(this.failures - 1, 4));
            this.retryTimer = setTimeout(() => {
              this.retryTimer = null;
              void this.pump();
            }, wait);
            return;
          }
        }
      } finally {
        this.running = null;
      }
      this.settle();
    })();
    return this.running;
  }

  /** Everything sent and nothing waiting: say when it was saved. */
  private settle(): void {
    if (this.running || this.pending !== null || this.timer !== null || this.retryTimer !== null) return;
    this.onStatus(this.lastSavedAt ? { kind: 'saved', at: this.lastSavedAt } : { kind: 'idle', at: null });
  }
}
