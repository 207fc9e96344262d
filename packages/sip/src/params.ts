/**
 * Ordered `;name=value` parameters (RFC 3261 §25.1 generic-param, uri-parameter, via-params,
 * contact-params, ...). Names compare case-insensitively; values keep the text that was on the
 * wire (a quoted-string keeps its quotes, a URI parameter its %HEX escapes) so re-serialising is
 * faithful. `get()` returns quoted values unquoted; `raw()` returns them as written.
 * A parameter without a value (`;lr`) has the value `null`.
 */
export class Params {
  readonly #names: string[];
  readonly #values: (string | null)[];

  /** Takes ownership of the two parallel arrays (names as written, raw values or `null`). */
  constructor(names: string[] = [], values: (string | null)[] = []) {
    this.#names = names;
    this.#values = values;
  }

  /** Builds from `[name, rawValue]` entries. */
  static from(entries: Iterable<readonly [string, string | null]>): Params {
    const names: string[] = [];
    const values: (string | null)[] = [];
    for (const [name, value] of entries) {
      names.push(name);
      values.push(value);
    }
    return new Params(names, values);
  }

  get size(): number {
    return this.#names.length;
  }

  #index(name: string): number {
    const names = this.#names;
    for (let i = 0; i < names.length; i++) {
      const n = names[i]!;
      if (n === name || (n.length === name.length && n.toLowerCase() === name.toLowerCase())) {
        return i;
      }
    }
    return -1;
  }

  has(name: string): boolean {
    return this.#index(name) !== -1;
  }

  /** The value, unquoted; `null` for a parameter without value; `undefined` when absent. */
  get(name: string): string | null | undefined {
    const i = this.#index(name);
    if (i === -1) return undefined;
    const v = this.#values[i]!;
    return v !== null && v.charCodeAt(0) === 34 ? unquote(v) : v;
  }

  /** The value as written on the wire (quotes and escapes kept). */
  raw(name: string): string | null | undefined {
    const i = this.#index(name);
    return i === -1 ? undefined : this.#values[i]!;
  }

  /** A copy with `name` set to the wire text `value` (replacing in place, else appended). */
  with(name: string, value: string | null): Params {
    const i = this.#index(name);
    const entries = [...this.entries()];
    if (i === -1) entries.push([name, value]);
    else entries[i] = [this.#names[i]!, value];
    return Params.from(entries);
  }

  /** A copy without `name`. */
  without(name: string): Params {
    const i = this.#index(name);
    if (i === -1) return this;
    return Params.from([...this.entries()].filter((_e, j) => j !== i));
  }

  /** Entries as written (values raw). */
  *entries(): IterableIterator<[string, string | null]> {
    for (let i = 0; i < this.#names.length; i++) yield [this.#names[i]!, this.#values[i]!];
  }

  /** `;a=b;c` (empty string when there are none). */
  toString(separator = ';'): string {
    let out = '';
    for (let i = 0; i < this.#names.length; i++) {
      const v = this.#values[i]!;
      out += v === null ? `${separator}${this.#names[i]!}` : `${separator}${this.#names[i]!}=${v}`;
    }
    return out;
  }

  /** Plain-object form (names lower-cased, values unquoted) for JSON and tests. */
  toJSON(): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    for (let i = 0; i < this.#names.length; i++) {
      const v = this.#values[i]!;
      out[this.#names[i]!.toLowerCase()] = v !== null && v.charCodeAt(0) === 34 ? unquote(v) : v;
    }
    return out;
  }
}

/** Removes the quotes of a quoted-string and resolves its `\` escapes (RFC 3261 §25.1). */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 34 || s.charCodeAt(s.length - 1) !== 34) return s;
  const inner = s.slice(1, -1);
  if (inner.indexOf('\\') === -1) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === '\\' && i + 1 < inner.length) {
      out += inner[i + 1]!;
      i++;
    } else out += c;
  }
  return out;
}

/** Wraps `s` in quotes, escaping `"` and `\` (RFC 3261 §25.1 quoted-pair). */
export function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
