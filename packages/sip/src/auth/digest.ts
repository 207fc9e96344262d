// Digest access authentication for SIP: RFC 3261 §22.4 on top of RFC 2617 / RFC 7616, with the
// algorithms RFC 8760 adds to SIP (SHA-256, SHA-512-256 and their -sess variants).
//
// This file holds the pure parts: parsing challenges and credentials out of header values,
// building header values, and computing the response. The client cache and the server live in
// digest-client.ts and digest-server.ts.
import { createHash } from 'node:crypto';

/** Digest algorithms this stack computes. RFC 7616 §6.1, RFC 8760 §2. */
export type DigestAlgorithm =
  'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

export type DigestQop = 'auth' | 'auth-int';

const ALGORITHMS: ReadonlyMap<string, DigestAlgorithm> = new Map(
  (['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess'] as const).map(
    (a) => [a.toLowerCase(), a],
  ),
);

/** OpenSSL digest names behind each algorithm family. */
const HASH_NAMES: Readonly<Record<DigestAlgorithm, string>> = {
  MD5: 'md5',
  'MD5-sess': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-sess': 'sha256',
  'SHA-512-256': 'sha512-256',
  'SHA-512-256-sess': 'sha512-256',
};

/**
 * Preference between algorithms when a response carries several challenges for the same realm:
 * RFC 8760 §2.4 asks the UAC to use the topmost one it supports, and RFC 7616 §3.7 lists them
 * from most preferred. Servers do not always order them, so the client ranks by strength.
 */
const STRENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  MD5: 1,
  'MD5-sess': 1,
  'SHA-256': 2,
  'SHA-256-sess': 2,
  'SHA-512-256': 3,
  'SHA-512-256-sess': 3,
};

export function digestAlgorithmStrength(algorithm: DigestAlgorithm): number {
  return STRENGTH[algorithm];
}

/** Maps an `algorithm=` token to a supported algorithm (case-insensitive), or undefined. */
export function parseDigestAlgorithm(token: string): DigestAlgorithm | undefined {
  return ALGORITHMS.get(token.toLowerCase());
}

/** Hex-encoded hash of a UTF-8 string with the algorithm's hash function. */
export function digestHash(algorithm: DigestAlgorithm, data: string | Uint8Array): string {
  return createHash(HASH_NAMES[algorithm]).update(data).digest('hex');
}

/** One `Digest` challenge from WWW-Authenticate or Proxy-Authenticate (RFC 7616 §3.3). */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly algorithm: DigestAlgorithm;
  /** Offered qop values; empty when the server uses the RFC 2069 form. */
  readonly qop: readonly DigestQop[];
  readonly opaque?: string;
  readonly stale: boolean;
  readonly domain?: string;
  /** RFC 7616 §3.4.4: the server wants the username hashed. */
  readonly userhash: boolean;
}

/** The parameters of an Authorization / Proxy-Authorization `Digest` value (RFC 7616 §3.4). */
export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly algorithm?: DigestAlgorithm;
  /** The algorithm token as the client wrote it, when it is not one this stack knows. */
  readonly unknownAlgorithm?: string;
  readonly cnonce?: string;
  readonly opaque?: string;
  readonly qop?: DigestQop;
  readonly nc?: string;
  readonly userhash: boolean;
}

/** A scheme and its auth-params, as they appear in one challenge or credentials value. */
export interface AuthSchemeParams {
  readonly scheme: string;
  /** Parameter names lower-cased; quoted values unquoted and unescaped. */
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN_CHAR = /[A-Za-z0-9\-.!%*_+`'~]/;

/**
 * Splits a challenge or credentials header value into schemes with their parameters.
 * One header value may hold several challenges (`Digest a=1, b=2, Digest c=3`) because
 * RFC 7235 §4.1 allows comma-joined challenges. Returns an empty array when the value does not
 * follow the grammar; callers then simply have no usable challenge.
 */
export function parseAuthSchemes(value: string): AuthSchemeParams[] {
  const out: { scheme: string; params: Map<string, string> }[] = [];
  let i = 0;
  const n = value.length;
  const skipSpace = (): void => {
    while (
      i < n &&
      (value[i] === ' ' || value[i] === '\t' || value[i] === '\r' || value[i] === '\n')
    )
      i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN_CHAR.test(value[i]!)) i++;
    return value.slice(start, i);
  };
  let current: { scheme: string; params: Map<string, string> } | undefined;
  while (true) {
    skipSpace();
    while (i < n && value[i] === ',') {
      i++;
      skipSpace();
    }
    if (i >= n) break;
    const token = readToken();
    if (token === '') return [];
    skipSpace();
    if (value[i] === '=' && current !== undefined) {
      i++;
      skipSpace();
      let paramValue: string;
      if (value[i] === '"') {
        i++;
        let text = '';
        let closed = false;
        while (i < n) {
          const c = value[i]!;
          if (c === '\\' && i + 1 < n) {
            text += value[i + 1];
            i += 2;
          } else if (c === '"') {
            i++;
            closed = true;
            break;
          } else {
            text += c;
            i++;
          }
        }
        if (!closed) return [];
        paramValue = text;
      } else {
        paramValue = readToken();
        if (paramValue === '') return [];
      }
      const name = token.toLowerCase();
      // A repeated parameter makes the value ambiguous (RFC 7235 §2.1): reject the whole value.
      if (current.params.has(name)) return [];
      current.params.set(name, paramValue);
      skipSpace();
      if (i < n && value[i] !== ',') return [];
    } else {
      current = { scheme: token, params: new Map() };
      out.push(current);
    }
  }
  return out;
}

/**
 * The Digest challenges in one WWW-Authenticate / Proxy-Authenticate value that this stack can
 * answer. Challenges with an unknown algorithm or without realm/nonce are skipped (RFC 7616 §3.7:
 * a client ignores challenges it does not understand).
 */
export function parseDigestChallenges(value: string): DigestChallenge[] {
  const out: DigestChallenge[] = [];
  for (const { scheme, params } of parseAuthSchemes(value)) {
    if (scheme.toLowerCase() !== 'digest') continue;
    const realm = params.get('realm');
    const nonce = params.get('nonce');
    if (realm === undefined || nonce === undefined) continue;
    const algorithmToken = params.get('algorithm');
    const algorithm = algorithmToken === undefined ? 'MD5' : parseDigestAlgorithm(algorithmToken);
    if (algorithm === undefined) continue;
    const qop: DigestQop[] = [];
    for (const q of (params.get('qop') ?? '').split(',')) {
      const t = q.trim().toLowerCase();
      if ((t === 'auth' || t === 'auth-int') && !qop.includes(t)) qop.push(t);
    }
    // A qop list naming only values we do not know leaves nothing we could answer.
    if (params.has('qop') && qop.length === 0) continue;
    const opaque = params.get('opaque');
    const domain = params.get('domain');
    out.push({
      realm,
      nonce,
      algorithm,
      qop,
      stale: (params.get('stale') ?? '').toLowerCase() === 'true',
      userhash: (params.get('userhash') ?? '').toLowerCase() === 'true',
      ...(opaque !== undefined ? { opaque } : {}),
      ...(domain !== undefined ? { domain } : {}),
    });
  }
  return out;
}

/** Parses the Digest credentials in an Authorization / Proxy-Authorization value. */
export function parseDigestCredentials(value: string): DigestCredentials | undefined {
  const schemes = parseAuthSchemes(value);
  if (schemes.length !== 1) return undefined;
  const { scheme, params } = schemes[0]!;
  if (scheme.toLowerCase() !== 'digest') return undefined;
  const username = params.get('username');
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const uri = params.get('uri');
  const response = params.get('response');
  if (
    username === undefined ||
    realm === undefined ||
    nonce === undefined ||
    uri === undefined ||
    response === undefined
  )
    return undefined;
  const algorithmToken = params.get('algorithm');
  const algorithm = algorithmToken === undefined ? 'MD5' : parseDigestAlgorithm(algorithmToken);
  const qopToken = params.get('qop')?.toLowerCase();
  if (qopToken !== undefined && qopToken !== 'auth' && qopToken !== 'auth-int') return undefined;
  const cnonce = params.get('cnonce');
  const opaque = params.get('opaque');
  const nc = params.get('nc');
  return {
    username,
    realm,
    nonce,
    uri,
    response,
    ...(algorithm !== undefined ? { algorithm } : { unknownAlgorithm: algorithmToken! }),
    ...(cnonce !== undefined ? { cnonce } : {}),
    ...(opaque !== undefined ? { opaque } : {}),
    ...(qopToken !== undefined ? { qop: qopToken } : {}),
    ...(nc !== undefined ? { nc } : {}),
    userhash: (params.get('userhash') ?? '').toLowerCase() === 'true',
  };
}

/** Quotes a value for a quoted-string (RFC 3261 §25.1), escaping `"` and `\`. */
export function quoteString(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Builds a WWW-Authenticate / Proxy-Authenticate value for one challenge. */
export function formatDigestChallenge(challenge: DigestChallenge): string {
  const parts = [`realm=${quoteString(challenge.realm)}`];
  if (challenge.domain !== undefined) parts.push(`domain=${quoteString(challenge.domain)}`);
  parts.push(`nonce=${quoteString(challenge.nonce)}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quoteString(challenge.opaque)}`);
  if (challenge.stale) parts.push('stale=true');
  parts.push(`algorithm=${challenge.algorithm}`);
  if (challenge.qop.length > 0) parts.push(`qop=${quoteString(challenge.qop.join(','))}`);
  if (challenge.userhash) parts.push('userhash=true');
  return `Digest ${parts.join(', ')}`;
}

/** Builds an Authorization / Proxy-Authorization value. RFC 3261 §22.4, RFC 7616 §3.4. */
export function formatDigestCredentials(credentials: DigestCredentials): string {
  const parts = [
    `username=${quoteString(credentials.username)}`,
    `realm=${quoteString(credentials.realm)}`,
    `nonce=${quoteString(credentials.nonce)}`,
    `uri=${quoteString(credentials.uri)}`,
    `response=${quoteString(credentials.response)}`,
  ];
  if (credentials.algorithm !== undefined) parts.push(`algorithm=${credentials.algorithm}`);
  if (credentials.cnonce !== undefined) parts.push(`cnonce=${quoteString(credentials.cnonce)}`);
  if (credentials.opaque !== undefined) parts.push(`opaque=${quoteString(credentials.opaque)}`);
  // qop and nc are unquoted tokens in SIP (RFC 3261 §25.1 message-qop, nonce-count).
  if (credentials.qop !== undefined) parts.push(`qop=${credentials.qop}`);
  if (credentials.nc !== undefined) parts.push(`nc=${credentials.nc}`);
  if (credentials.userhash) parts.push('userhash=true');
  return `Digest ${parts.join(', ')}`;
}

/** The inputs of one digest response computation. */
export interface DigestInput {
  readonly algorithm: DigestAlgorithm;
  readonly username: string;
  readonly realm: string;
  /** The password, or `ha1` precomputed as H(username:realm:password) for the same algorithm. */
  readonly password?: string;
  readonly ha1?: string;
  readonly nonce: string;
  readonly method: string;
  /** The digest-uri: the Request-URI, byte for byte (RFC 3261 §22.4). */
  readonly uri: string;
  readonly qop?: DigestQop;
  /** Eight hex digits (RFC 7616 §3.4). */
  readonly nc?: string;
  readonly cnonce?: string;
  /** The message body, for qop=auth-int. */
  readonly body?: Uint8Array | string;
}

export interface DigestResult {
  readonly ha1: string;
  readonly ha2: string;
  readonly response: string;
}

/** H(username:realm:password) for the algorithm's hash (the stored secret of a registrar). */
export function digestHa1(
  algorithm: DigestAlgorithm,
  username: string,
  realm: string,
  password: string,
): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

/** Computes HA1, HA2 and the request-digest. RFC 7616 §3.4.1–§3.4.3 (RFC 2617 §3.2.2). */
export function computeDigest(input: DigestInput): DigestResult {
  const { algorithm } = input;
  let ha1 = input.ha1 ?? digestHa1(algorithm, input.username, input.realm, input.password ?? '');
  if (algorithm.endsWith('-sess')) {
    // RFC 7616 §3.4.2: the session variant re-hashes with the nonce and cnonce.
    ha1 = digestHash(algorithm, `${ha1}:${input.nonce}:${input.cnonce ?? ''}`);
  }
  let a2 = `${input.method}:${input.uri}`;
  if (input.qop === 'auth-int') {
    a2 += `:${digestHash(algorithm, input.body ?? '')}`;
  }
  const ha2 = digestHash(algorithm, a2);
  const response =
    input.qop === undefined
      ? digestHash(algorithm, `${ha1}:${input.nonce}:${ha2}`)
      : digestHash(
          algorithm,
          `${ha1}:${input.nonce}:${input.nc ?? '00000001'}:${input.cnonce ?? ''}:${input.qop}:${ha2}`,
        );
  return { ha1, ha2, response };
}

/** Formats a nonce count as eight lower-case hex digits (RFC 7616 §3.4). */
export function formatNonceCount(count: number): string {
  return (count >>> 0).toString(16).padStart(8, '0');
}

/** A fresh client nonce: 16 random bytes, hex. */
export function createCnonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}
