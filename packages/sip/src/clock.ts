// Every timer in the stack goes through a Clock so that tests can run RFC timer tables on fake
// time (RFC 3261 §17 timers, registration refresh, session timers, nonce lifetimes).

declare const timerBrand: unique symbol;
/** An opaque handle returned by Clock.setTimeout. */
export type TimerHandle = { readonly [timerBrand]: true };

export interface Clock {
  /** Milliseconds on a monotonic time line (only differences are meaningful). */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: performance.now() and the host's timers (unref'd under Node). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const handle = globalThis.setTimeout(callback, Math.max(0, ms));
    // Under Node a pending protocol timer should not keep the process alive on its own.
    (handle as { unref?: () => void }).unref?.();
    return handle as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as unknown as ReturnType<typeof globalThis.setTimeout>);
  },
};

interface ManualTimer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in due order (ties in creation order), and
 * timers created by a callback fire in the same advance if they fall inside it.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, ManualTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, due: this.#now + Math.max(0, ms), callback });
    return { id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete((handle as unknown as { id: number }).id);
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (let timer = this.#next(target); timer; timer = this.#next(target)) {
      this.#timers.delete(timer.id);
      this.#now = timer.due;
      timer.callback();
    }
    this.#now = target;
  }

  /** Like advance(), but lets promise callbacks run after every timer that fires. */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushMicrotasks();
    for (let timer = this.#next(target); timer; timer = this.#next(target)) {
      this.#timers.delete(timer.id);
      this.#now = timer.due;
      timer.callback();
      await flushMicrotasks();
    }
    this.#now = target;
  }

  #next(limit: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.due > limit) continue;
      if (best === undefined || timer.due < best.due) best = timer;
    }
    return best;
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
