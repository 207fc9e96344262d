export type Handler<T> = (payload: T) => void;

/** Typed events; a throwing handler is reported to the console and does not stop the others. */
export class Emitter<Events extends object> {
  readonly #handlers = new Map<keyof Events, Set<Handler<never>>>();

  on<K extends keyof Events>(event: K, handler: Handler<Events[K]>): this {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    set.add(handler);
    return this;
  }

  off<K extends keyof Events>(event: K, handler: Handler<Events[K]>): this {
    this.#handlers.get(event)?.delete(handler);
    return this;
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const handler of [...(this.#handlers.get(event) ?? [])]) {
      try {
        (handler as Handler<Events[K]>)(payload);
      } catch (error) {
        console.error(`callbridge: a ${String(event)} handler threw`, error);
      }
    }
  }
}
