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
