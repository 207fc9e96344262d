import type { CallStatus, SessionState } from './status.js';

export interface CallQuery {
  readonly id?: string;
  readonly callee?: string;
  readonly caller?: string;
  readonly status?: CallStatus;
  readonly sessionId?: string;
}

export interface SessionQuery {
  readonly id?: string;
  readonly login?: string;
  readonly status?: SessionState;
}

interface Indexed<Q> {
  readonly id: string;
  matches(query: Q): boolean;
}

/** Records by id, with lookup by the fields of a query (all given fields must match). */
export class Registry<T extends Indexed<Q>, Q> {
  readonly #byId = new Map<string, T>();

  get size(): number {
    return this.#byId.size;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  get(id: string): T | undefined {
    return this.#byId.get(id);
  }

  /** Adds a record; returns false (and changes nothing) when the id is taken. */
  add(record: T): boolean {
    if (this.#byId.has(record.id)) return false;
    this.#byId.set(record.id, record);
    return true;
  }

  delete(id: string): boolean {
    return this.#byId.delete(id);
  }

  find(query: Q): T[] {
    const out: T[] = [];
    for (const record of this.#byId.values()) if (record.matches(query)) out.push(record);
    return out;
  }

  all(): T[] {
    return [...this.#byId.values()];
  }
}
