/** A timer a ManualClock will fire; the handle tests pass back to clearTimeout. */
export interface ManualTimer {
  readonly id: number;
}

/**
 * Time for tests that moves only when the test says so. It fits each package's own small
 * `Clock` interface structurally (now, setTimeout, clearTimeout), so packages keep their
 * interfaces independent and share this one implementation in tests.
 */
export class ManualClock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): ManualTimer {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return { id };
  }

  clearTimeout(handle: ManualTimer): void {
    this.#timers.delete(handle.id);
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in time order (ties in the order set). */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers)
        if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
    }
    this.#now = until;
  }
}
