import type { Clock, TimerHandle } from '@callbridge/gateway';

/** Manual time for tests: timers fire only when `advance` passes them. */
export class FakeClock implements Clock {
  #now = 1_700_000_000_000;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return { id };
  }
  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle.id as number);
  }
  get pending(): number {
    return this.#timers.size;
  }
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
