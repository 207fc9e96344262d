// A small typed event emitter (Node's EventEmitter is not available in browsers, and its
// listener types are untyped). Listeners run synchronously in registration order; a listener that
// throws does not stop the others, its error goes to the `onListenerError` hook.

/** An event map: event names to listener argument tuples (interfaces fit, no index signature). */
export type EventMap<Events> = { [E in keyof Events]: unknown[] };
export type Listener<Args extends unknown[]> = (...args: Args) => void;

export class TypedEmitter<Events extends EventMap<Events>> {
  readonly #listeners = new Map<keyof Events, Listener<never[]>[]>();

  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const list = this.#listeners.get(event);
    if (list) list.push(listener as unknown as Listener<never[]>);
    else this.#listeners.set(event, [listener as unknown as Listener<never[]>]);
    return this;
  }

  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const wrapper = (...args: Events[E]): void => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const list = this.#listeners.get(event);
    if (list) {
      const i = list.indexOf(listener as unknown as Listener<never[]>);
      if (i >= 0) list.splice(i, 1);
    }
    return this;
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Resolves with the arguments of the next `event`. */
  next<E extends keyof Events>(event: E): Promise<Events[E]> {
    return new Promise((resolve) => this.once(event, (...args) => resolve(args)));
  }

  protected emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    // A snapshot, so listeners added or removed while emitting do not change this round.
    for (const listener of list.slice()) {
      try {
        (listener as unknown as Listener<Events[E]>)(...args);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  /** Where errors thrown by listeners go; by default they are reported asynchronously. */
  protected onListenerError(error: unknown): void {
    queueMicrotask(() => {
      throw error;
    });
  }
}
