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

/**
 * Header names are recognised while they are scanned: a trie of the known keys and compact forms,
 * walked one byte per step over the token alphabet (RFC 3261 §7.3.1: field-name = token, case
 * insensitive). Non-token bytes have symbol 0 and end the name; a name that leaves the trie ends
 * in the dead state 0, whose id is 0 (unknown). So one pass both checks that the name is a token
 * and finds its id, with no second comparison.
 */
const TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~";
/** Trie width: symbols are 1..46 (the parser indexes with `state << 6 | symbol`). */
const NAME_TRIE_WIDTH = 64;
/** Symbol of each byte: 1 + its index in the alphabet (letters case-folded), 0 for non-token. */
export const TOKEN_SYMBOL = new Uint8Array(256);
for (let n = 0; n < TOKEN_ALPHABET.length; n++) {
  TOKEN_SYMBOL[TOKEN_ALPHABET.charCodeAt(n)] = n + 1;
  TOKEN_SYMBOL[TOKEN_ALPHABET[n]!.toUpperCase().charCodeAt(0)] = n + 1;
}
/** The state the trie starts in; state 0 is dead (no known name has this prefix). */
export const NAME_TRIE_ROOT = 1;

/** Every known spelling in lower case (keys and compact forms) with its header id. */
export function knownHeaderSpellings(): [string, number][] {
  const names: [string, number][] = HEADER_KEYS.slice(1).map((key, n) => [key, n + 1]);
  for (const [short, key] of Object.entries(COMPACT)) names.push([short, HEADER_KEYS.indexOf(key)]);
  return names;
}

function buildNameTrie(): { next: Uint16Array; idAt: Uint8Array } {
  const names = knownHeaderSpellings();
  let states = 2;
  const edges = new Map<number, number>(); // state * NAME_TRIE_WIDTH + symbol → state
  const ids = new Map<number, number>();
  for (const [name, id] of names) {
    let state = NAME_TRIE_ROOT;
    for (let n = 0; n < name.length; n++) {
      const edge = state * NAME_TRIE_WIDTH + TOKEN_SYMBOL[name.charCodeAt(n)]!;
      let to = edges.get(edge);
      if (to === undefined) edges.set(edge, (to = states++));
      state = to;
    }
    ids.set(state, id);
  }
  const next = new Uint16Array(states * NAME_TRIE_WIDTH);
  for (const [edge, to] of edges) next[edge] = to;
  const idAt = new Uint8Array(states);
  for (const [state, id] of ids) idAt[state] = id;
  return { next, idAt };
}

const trie = buildNameTrie();
/** `NAME_TRIE[state * NAME_TRIE_WIDTH + symbol]`: the next state (0 = dead). */
export const NAME_TRIE = trie.next;
/** Header id of a trie state: non-zero where a known name ends. */
export const NAME_ID_AT_STATE = trie.idAt;
