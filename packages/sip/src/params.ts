/**
 * Ordered `;name=value` parameters (RFC 3261 §25.1 generic-param, uri-parameter, via-params,
 * contact-params, ...). Names compare case-insensitively; values keep the text that was on the
 * wire (a quoted-string keeps its quotes, a URI parameter its %HEX escapes) so re-serialising is
 * faithful. `get()` returns quoted values unquoted; `raw()` returns them as written.
 * A parameter without a value (`;lr`) has the value `null`.
 */
export class Params {
  #names: string[] | undefined;
  #values: (string | null)[] | undefined;
  /**
   * Parameters still as wire text `;name[=value]...` in `#text[#start, #end)`, split into the two
   * arrays on first need. Only header scanners make these, after checking the shape: names and
   * values are runs of token-like ASCII chars, no whitespace, no quotes (`get()` scans the text
   * for the asked name without splitting).
   */
  #text: string;
  #start: number;
  #end: number;
  /**
   * Unsplit text only: a parameter the scanner already found (`branch` of a Via, `tag` of
   * From/To), so reading it needs no search: the value is `#text[#knownStart, #knownEnd)`;
   * `#knownStart` is {@link ABSENT} when there is no such parameter, {@link NO_VALUE} when it
   * has no value.
   */
  #known: string | undefined;
  #knownStart: number;
  #knownEnd: number;

  /** Takes ownership of the two parallel arrays (names as written, raw values or `null`). */
  constructor(names: string[] = [], values: (string | null)[] = []) {
    this.#names = names;
    this.#values = values;
    this.#text = '';
    this.#start = 0;
    this.#end = 0;
    this.#known = undefined;
    this.#knownStart = ABSENT;
    this.#knownEnd = ABSENT;
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

  /**
   * @internal Parameters as unsplit wire text `text[start, end)`, each `";" name ["=" value]`
   * with name and value free of `;`, `=`, whitespace and quotes (the caller checked).
   * `known` (lower case) names a parameter the caller located: the value of the first
   * parameter of that name (ASCII letters compared case-insensitively) is `text[knownStart,
   * knownEnd)`, or `knownStart` is {@link ABSENT} or {@link NO_VALUE}.
   */
  static unsplit(
    text: string,
    start: number,
    end: number,
    known?: string,
    knownStart = ABSENT,
    knownEnd = ABSENT,
  ): Params {
    const params = new Params(NOT_SPLIT_NAMES, NOT_SPLIT_VALUES);
    params.#names = undefined;
    params.#values = undefined;
    params.#text = text;
    params.#start = start;
    params.#end = end;
    params.#known = known;
    params.#knownStart = knownStart;
    params.#knownEnd = knownEnd;
    return params;
  }

  /** Splits unsplit wire text into the name and value arrays (once). */
  #split(): string[] {
    const names = this.#names;
    if (names !== undefined) return names;
    const text = this.#text;
    const end = this.#end;
    const out: string[] = [];
    const values: (string | null)[] = [];
    let i = this.#start;
    while (i < end) {
      const nameStart = i + 1;
      let next = text.indexOf(';', nameStart);
      if (next === -1 || next > end) next = end;
      const eq = text.indexOf('=', nameStart);
      if (eq !== -1 && eq < next) {
        out.push(text.substring(nameStart, eq));
        values.push(text.substring(eq + 1, next));
      } else {
        out.push(text.substring(nameStart, next));
        values.push(null);
      }
      i = next;
    }
    this.#names = out;
    this.#values = values;
    return out;
  }

  /**
   * Unsplit text only: the value of `name` (raw; `null` without value), `undefined` when absent,
   * or {@link UNDECIDED} when `name` holds non-ASCII chars where a name matched up to them (the
   * split arrays and `toLowerCase()` decide those).
   */
  #scan(name: string): string | null | undefined | typeof UNDECIDED {
    if (name === this.#known) {
      const start = this.#knownStart;
      if (start >= 0) return this.#text.substring(start, this.#knownEnd);
      return start === NO_VALUE ? null : undefined;
    }
    const text = this.#text;
    const end = this.#end;
    const length = name.length;
    let i = this.#start;
    while (i < end) {
      const nameStart = i + 1;
      let next = text.indexOf(';', nameStart);
      if (next === -1 || next > end) next = end;
      const nameEnd = nameStart + length;
      if (nameEnd === next || (nameEnd < next && text.charCodeAt(nameEnd) === 61)) {
        const same = sameAsciiName(text, nameStart, name);
        if (same === MATCH) return nameEnd === next ? null : text.substring(nameEnd + 1, next);
        if (same === UNDECIDED) return UNDECIDED;
      }
      i = next;
    }
    return undefined;
  }

  get size(): number {
    return this.#split().length;
  }

  #index(name: string): number {
    const names = this.#split();
    for (let i = 0; i < names.length; i++) {
      const n = names[i]!;
      if (n === name || (n.length === name.length && n.toLowerCase() === name.toLowerCase())) {
        return i;
      }
    }
    return -1;
  }

  has(name: string): boolean {
    if (this.#names === undefined) {
      const v = this.#scan(name);
      if (v !== UNDECIDED) return v !== undefined;
    }
    return this.#index(name) !== -1;
  }

  /** The value, unquoted; `null` for a parameter without value; `undefined` when absent. */
  get(name: string): string | null | undefined {
    if (this.#names === undefined) {
      // Unsplit text holds no quoted values: the raw value is the value.
      const v = this.#scan(name);
      if (v !== UNDECIDED) return v;
    }
    const i = this.#index(name);
    if (i === -1) return undefined;
    const v = this.#values![i]!;
    return v !== null && v.charCodeAt(0) === 34 ? unquote(v) : v;
  }

  /** The value as written on the wire (quotes and escapes kept). */
  raw(name: string): string | null | undefined {
    if (this.#names === undefined) {
      const v = this.#scan(name);
      if (v !== UNDECIDED) return v;
    }
    const i = this.#index(name);
    return i === -1 ? undefined : this.#values![i]!;
  }

  /** A copy with `name` set to the wire text `value` (replacing in place, else appended). */
  with(name: string, value: string | null): Params {
    const i = this.#index(name);
    const entries = [...this.entries()];
    if (i === -1) entries.push([name, value]);
    else entries[i] = [this.#names![i]!, value];
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
    const names = this.#split();
    const values = this.#values!;
    for (let i = 0; i < names.length; i++) yield [names[i]!, values[i]!];
  }

  /** `;a=b;c` (empty string when there are none). */
  toString(separator = ';'): string {
    if (this.#names === undefined && separator === ';')
      return this.#text.substring(this.#start, this.#end);
    const names = this.#split();
    const values = this.#values!;
    let out = '';
    for (let i = 0; i < names.length; i++) {
      const v = values[i]!;
      out += v === null ? `${separator}${names[i]!}` : `${separator}${names[i]!}=${v}`;
    }
    return out;
  }

  /** Plain-object form (names lower-cased, values unquoted) for JSON and tests. */
  toJSON(): Record<string, string | null> {
    const names = this.#split();
    const values = this.#values!;
    const out: Record<string, string | null> = {};
    for (let i = 0; i < names.length; i++) {
      const v = values[i]!;
      out[names[i]!.toLowerCase()] = v !== null && v.charCodeAt(0) === 34 ? unquote(v) : v;
    }
    return out;
  }
}

/** Placeholders passed to the constructor by `Params.unsplit` (which then clears the fields). */
const NOT_SPLIT_NAMES: string[] = [];
const NOT_SPLIT_VALUES: (string | null)[] = [];

/** `knownStart` of {@link Params.unsplit}: the parameter is absent / has no value. */
export const ABSENT = -1;
export const NO_VALUE = -2;

const MATCH = 1;
const NO_MATCH = 0;
/** A comparison the ASCII fast path cannot decide (see `Params.#scan`). */
const UNDECIDED = 2;

/**
 * Whether the name in `text` at `start` (up to its "=" or the next ";") spells `name`, ASCII
 * letters compared case-insensitively; {@link UNDECIDED} at a non-ASCII char of `name` (where
 * `toLowerCase()` has rules of its own, e.g. the Kelvin sign folds to "k").
 */
function sameAsciiName(text: string, start: number, name: string): number {
  for (let k = 0; k < name.length; k++) {
    const a = text.charCodeAt(start + k);
    const b = name.charCodeAt(k);
    // "=" ends the name on the wire: `name` asks for more than this name.
    if (a === 61) return NO_MATCH;
    if (a === b) continue;
    if (b >= 128) return UNDECIDED;
    // Letters differ only in bit 0x20; check the folded char is a letter.
    const lower = a | 0x20;
    if (lower !== (b | 0x20) || lower < 97 || lower > 122) return NO_MATCH;
  }
  return MATCH;
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
