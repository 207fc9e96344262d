/**
 * Header names: case-insensitive (RFC 3261 §7.3.1) with compact forms (§7.3.3 and later RFCs).
 * Every header has a key, its full name in lower case, used for lookups; the spelling on the
 * wire is kept for serialization.
 */

/** Canonical spellings of well-known headers, by key. */
const CANONICAL: readonly string[] = [
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Authentication-Info',
  'Authorization',
  'Call-ID',
  'Call-Info',
  'Contact',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Error-Info',
  'Event',
  'Expires',
  'From',
  'Identity',
  'Identity-Info',
  'In-Reply-To',
  'Max-Forwards',
  'MIME-Version',
  'Min-Expires',
  'Min-SE',
  'Organization',
  'P-Asserted-Identity',
  'P-Preferred-Identity',
  'Path',
  'Priority',
  'Privacy',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'RAck',
  'Reason',
  'Record-Route',
  'Refer-Sub',
  'Refer-To',
  'Referred-By',
  'Reject-Contact',
  'Replaces',
  'Reply-To',
  'Request-Disposition',
  'Require',
  'Retry-After',
  'Route',
  'RSeq',
  'Server',
  'Service-Route',
  'Session-Expires',
  'SIP-ETag',
  'SIP-If-Match',
  'Subject',
  'Subscription-State',
  'Supported',
  'Timestamp',
  'To',
  'Unsupported',
  'User-Agent',
  'Via',
  'Warning',
  'WWW-Authenticate',
];

/** Compact forms (RFC 3261 §7.3.3, RFC 3515, RFC 3892, RFC 3265, RFC 4028, RFC 3841, RFC 4474). */
const COMPACT: Readonly<Record<string, string>> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

const canonicalByKey = new Map<string, string>();
/** Exact spellings seen on the wire → key; saves a toLowerCase for the usual spellings. */
const keyBySpelling = new Map<string, string>();

for (const name of CANONICAL) {
  const key = name.toLowerCase();
  canonicalByKey.set(key, name);
  keyBySpelling.set(name, key);
  keyBySpelling.set(key, key);
}
for (const [short, key] of Object.entries(COMPACT)) {
  keyBySpelling.set(short, key);
  keyBySpelling.set(short.toUpperCase(), key);
}
for (const extra of [
  'Call-Id',
  'Cseq',
  'CSEQ',
  'Www-Authenticate',
  'Mime-Version',
  'Rack',
  'Rseq',
]) {
  keyBySpelling.set(extra, extra.toLowerCase());
}

/** The lookup key of a header name: its full name (compact forms expanded) in lower case. */
export function headerKey(name: string): string {
  const known = keyBySpelling.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** The canonical spelling of a header name (compact forms expanded), e.g. `call-id` → `Call-ID`. */
export function canonicalHeaderName(name: string): string {
  const key = headerKey(name);
  const known = canonicalByKey.get(key);
  if (known !== undefined) return known;
  // Unknown header: capitalise each dash-separated word.
  return key.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** The compact form of a header, if it has one (`via` → `v`). */
export function compactHeaderName(name: string): string | undefined {
  const key = headerKey(name);
  for (const [short, full] of Object.entries(COMPACT)) if (full === key) return short;
  return undefined;
}

/**
 * Small integer ids for well-known headers, so the parser can recognise a name without making a
 * string of it. Id 0 is "unknown"; `HEADER_KEYS[id]` is the key.
 */
export const HEADER_KEYS: readonly string[] = ['', ...CANONICAL.map((n) => n.toLowerCase())];
/** Canonical spelling by id. */
export const HEADER_NAMES: readonly string[] = ['', ...CANONICAL];

const idByKey = new Map<string, number>(HEADER_KEYS.map((key, id) => [key, id]));

/** Id of a key, 0 when it has none. */
export function headerId(key: string): number {
  return idByKey.get(key) ?? 0;
}

/** Candidates by `length * 128 + lower-case first char` (names up to 31 chars). */
const candidates: (number[] | undefined)[] = new Array<number[] | undefined>(32 * 128).fill(
  undefined,
);
/** Id of each compact form, by lower-case char code. */
const compactIds = new Int32Array(128);
/** Each key as bytes, by id. */
const keyBytes: Uint8Array[] = HEADER_KEYS.map((key) => new TextEncoder().encode(key));
for (let id = 1; id < HEADER_KEYS.length; id++) {
  const key = HEADER_KEYS[id]!;
  const slot = key.length * 128 + key.charCodeAt(0);
  const list = candidates[slot];
  if (list === undefined) candidates[slot] = [id];
  else list.push(id);
}
for (const [short, key] of Object.entries(COMPACT)) {
  compactIds[short.charCodeAt(0)] = HEADER_KEYS.indexOf(key);
}

/**
 * Id of the header name in `bytes[start, end)` (a token already checked), 0 when unknown.
 * Letters compare case-insensitively via `| 0x20`, which maps no other token char onto a key char.
 */
export function identifyHeader(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  const first = bytes[start]! | 0x20;
  if (length === 1) return first < 128 ? compactIds[first]! : 0;
  if (length >= 32 || first >= 128) return 0;
  const list = candidates[length * 128 + first];
  if (list === undefined) return 0;
  // One pass per candidate (usually one): compare with the key, letters case-folded.
  outer: for (let n = 0; n < list.length; n++) {
    const id = list[n]!;
    const key = keyBytes[id]!;
    // Token chars only (the caller checked): no control char can alias "-" or a digit here.
    for (let k = 1; k < length; k++) if ((bytes[start + k]! | 0x20) !== key[k]) continue outer;
    return id;
  }
  return 0;
}
