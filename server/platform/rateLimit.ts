import type { Clock } from './clock.js';

/** Counts events per key in fixed windows, in memory (one process serves a survey round).
 * Old windows are dropped as the map grows, so memory stays bounded under a flood of keys. */
export class WindowCounter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly clock: Clock,
    readonly windowMs: number,
    private readonly maxKeys = 200_000,
  ) {}

  private current(key: string): { start: number; count: number } {
    const now = this.clock.now().getTime();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      if (!window && this.windows.size >= this.maxKeys) this.sweep(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    return window;
  }

  /** Adds one event and returns the count in the current window. */
  hit(key: string): number {
    const window = this.current(key);
    window.count += 1;
    return window.count;
  }

  count(key: string): number {
    const window = this.windows.get(key);
    if (!window || this.clock.now().getTime() - window.start >= this.windowMs) return 0;
    return window.count;
  }

  /** Seconds until the key's window ends. */
  retryAfterSeconds(key: string): number {
    const window = this.windows.get(key);
    if (!window) return 0;
    return Math.max(1, Math.ceil((window.start + this.windowMs - this.clock.now().getTime()) / 1000));
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
    // still full of live windows: forget the oldest half rather than grow without bound
    if (this.windows.size >= this.maxKeys) {
      let toDrop = Math.floor(this.windows.size / 2);
      for (const key of this.windows.keys()) {
        if (toDrop-- <= 0) break;
        this.windows.delete(key);
      }
    }
  }
}
