/** Opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = number | object;

/**
 * Time source for everything in this package. Milliseconds, monotonic. Tests and the network
 * simulator drive a {@link ManualClock}; production uses {@link systemClock}.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Wall clock backed by `performance.now()` and the host's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/** A pending timer; recycled once fired or cancelled (handles are ids, never these objects). */
interface ManualTimer {
  id: number;
  due: number;
  fn: () => void;
}

const noop = (): void => {};

/** Whether timer `a` fires before `b`: earlier due time, ties in creation order. */
function before(a: ManualTimer, b: ManualTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.id < b.id);
}

/**
 * A clock that only moves when told to; timers fire in due order during {@link advance}.
 * Timers sit in a binary heap, so simulations with thousands of calls stay cheap.
 */
export class ManualClock implements Clock {
  /** A number from the start (not undefined): fractional times are then stored in place. */
  #now = 0;
  #nextId = 1;
  readonly #heap: ManualTimer[] = [];
  readonly #cancelled = new Set<number>();
  /** Timers done with, reused by setTimeout: a simulation of many calls allocates none per frame. */
  readonly #spare: ManualTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    const due = this.#now + Math.max(0, ms);
    let timer = this.#spare.pop();
    if (timer === undefined) {
      timer = { id, due, fn };
    } else {
      timer.id = id;
      timer.due = due;
      timer.fn = fn;
    }
    const heap = this.#heap;
    let i = heap.push(timer) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = timer;
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle !== 'number' || handle >= this.#nextId) return;
    // A handle whose timer already fired lands here too (telling the two apart would cost a
    // lookup per timer); such stale ids are pruned once they outnumber the pending timers, so
    // the set stays the size of the heap and a long simulation does not grow it.
    this.#cancelled.add(handle);
    if (this.#cancelled.size > 2 * this.#heap.length + 32) this.#pruneCancelled();
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `time` (never backwards), firing due timers in order. */
  advanceTo(time: number): void {
    for (;;) {
      const next = this.#heap[0];
      if (next === undefined || next.due > time) break;
      this.#pop();
      const { id, due, fn } = next;
      // Released before it runs (fn may set a timer that reuses it), without keeping fn alive.
      next.fn = noop;
      this.#spare.push(next);
      if (this.#cancelled.size > 0 && this.#cancelled.delete(id)) continue;
      this.#now = Math.max(this.#now, due);
      fn();
    }
    this.#now = Math.max(this.#now, time);
  }

  /** Number of timers still pending. */
  get pendingTimers(): number {
    let pending = 0;
    for (const timer of this.#heap) if (!this.#cancelled.has(timer.id)) pending++;
    return pending;
  }

  /** Forgets cancelled ids that no pending timer has (their timers fired before the clear). */
  #pruneCancelled(): void {
    const pending = new Set<number>();
    for (const timer of this.#heap) if (this.#cancelled.has(timer.id)) pending.add(timer.id);
    this.#cancelled.clear();
    for (const id of pending) this.#cancelled.add(id);
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
