// The UAS / registrar side of digest authentication: issuing challenges with self-validating
// nonces and verifying Authorization / Proxy-Authorization (RFC 3261 §22.1, RFC 7616 §3.3, §5.4).
import { createHmac } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import {
  computeDigest,
  createCnonce,
  formatDigestChallenge,
  parseDigestCredentials,
  type DigestAlgorithm,
  type DigestQop,
} from './digest.js';

/** Where the server finds the secret of a user: a password, or HA1 per algorithm. */
export type DigestSecretLookup = (
  username: string,
  realm: string,
) =>
  | { readonly password: string }
  | { readonly ha1: (algorithm: DigestAlgorithm) => string }
  | undefined;

export interface DigestServerOptions {
  readonly realm: string;
  readonly lookup: DigestSecretLookup;
  /**
   * Algorithms to offer, one challenge each, in order of preference (RFC 8760 §2.4: the
   * server lists the one it prefers first). Default SHA-256 then MD5.
   */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** qop values to offer; an empty list gives RFC 2069-style challenges. Default ['auth']. */
  readonly qop?: readonly DigestQop[];
  /** How long a nonce is accepted before the server answers stale=true. Default 5 min. */
  readonly nonceLifetimeMs?: number;
  readonly clock?: Clock;
  /** Key that signs nonces; random per server by default. */
  readonly secret?: Uint8Array;
  readonly opaque?: string;
}

/** Why credentials were refused; `stale` asks the client to retry with the new nonce. */
export type DigestRejection =
  | 'missing'
  | 'malformed'
  | 'wrong-realm'
  | 'unsupported-algorithm'
  | 'unknown-user'
  | 'bad-nonce'
  | 'stale'
  | 'replayed'
  | 'wrong-uri'
  | 'wrong-response';

export type DigestVerification =
  | { readonly ok: true; readonly username: string }
  | { readonly ok: false; readonly reason: DigestRejection };

export interface VerifiedRequest {
  readonly method: string;
  /** The Request-URI as received; when given, the digest-uri must equal it. */
  readonly uri?: string;
  readonly body?: Uint8Array | string;
}

const MAX_TRACKED_NONCES = 10_000;

/**
 * Issues and checks digest challenges for one realm. Nonces carry their issue time and an
 * HMAC, so the server keeps no state for nonces it hands out; it tracks only the highest nonce
 * count seen per nonce, to refuse replays (RFC 7616 §3.3, §5.4).
 */
export class DigestServer {
  readonly realm: string;
  readonly #lookup: DigestSecretLookup;
  readonly #algorithms: readonly DigestAlgorithm[];
  readonly #qop: readonly DigestQop[];
  readonly #lifetimeMs: number;
  readonly #clock: Clock;
  readonly #secret: Uint8Array;
  readonly #opaque: string | undefined;
  /** Highest nonce count accepted per nonce, in insertion order for pruning. */
  readonly #nonceCounts = new Map<string, number>();

  constructor(options: DigestServerOptions) {
    this.realm = options.realm;
    this.#lookup = options.lookup;
    this.#algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    this.#qop = options.qop ?? ['auth'];
    this.#lifetimeMs = options.nonceLifetimeMs ?? 300_000;
    this.#clock = options.clock ?? systemClock;
    this.#opaque = options.opaque;
    if (options.secret) {
      this.#secret = options.secret;
    } else {
      const secret = new Uint8Array(32);
      globalThis.crypto.getRandomValues(secret);
      this.#secret = secret;
    }
  }

  /**
   * Challenge header values (for WWW-Authenticate on a 401 or Proxy-Authenticate on a 407),
   * one per algorithm, sharing one fresh nonce.
   */
  challenges(stale = false): string[] {
    const nonce = this.#createNonce();
    return this.#algorithms.map((algorithm) =>
      formatDigestChallenge({
        realm: this.realm,
        nonce,
        algorithm,
        qop: this.#qop,
        stale,
        userhash: false,
        ...(this.#opaque !== undefined ? { opaque: this.#opaque } : {}),
      }),
    );
  }

  /**
   * Checks the credentials values of a request (all Authorization or all Proxy-Authorization
   * values; the one for this realm is used).
   */
  verify(request: VerifiedRequest, credentialValues: readonly string[]): DigestVerification {
    let sawMalformed = false;
    for (const value of credentialValues) {
      const credentials = parseDigestCredentials(value);
      if (credentials === undefined) {
        sawMalformed = true;
        continue;
      }
      if (credentials.realm !== this.realm) continue;
      const { algorithm } = credentials;
      if (algorithm === undefined || !this.#algorithms.includes(algorithm))
        return { ok: false, reason: 'unsupported-algorithm' };
      if (request.uri !== undefined && credentials.uri !== request.uri)
        return { ok: false, reason: 'wrong-uri' };
      const age = this.#nonceAge(credentials.nonce);
      if (age === undefined) return { ok: false, reason: 'bad-nonce' };
      if (this.#qop.length > 0 && credentials.qop === undefined)
        return { ok: false, reason: 'malformed' };
      if (credentials.qop !== undefined && !this.#qop.includes(credentials.qop))
        return { ok: false, reason: 'malformed' };
      let nonceCount: number | undefined;
      if (credentials.qop !== undefined) {
        if (credentials.nc === undefined || !/^[0-9a-fA-F]{8}$/.test(credentials.nc))
          return { ok: false, reason: 'malformed' };
        if (credentials.cnonce === undefined) return { ok: false, reason: 'malformed' };
        nonceCount = parseInt(credentials.nc, 16);
      }
      const secret = this.#lookup(credentials.username, this.realm);
      if (secret === undefined) return { ok: false, reason: 'unknown-user' };
      const { response } = computeDigest({
        algorithm,
        username: credentials.username,
        realm: this.realm,
        ...('password' in secret ? { password: secret.password } : { ha1: secret.ha1(algorithm) }),
        nonce: credentials.nonce,
        method: request.method,
        uri: credentials.uri,
        ...(credentials.qop !== undefined ? { qop: credentials.qop } : {}),
        ...(credentials.nc !== undefined ? { nc: credentials.nc } : {}),
        ...(credentials.cnonce !== undefined ? { cnonce: credentials.cnonce } : {}),
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
      if (!constantTimeEqual(response, credentials.response.toLowerCase()))
        return { ok: false, reason: 'wrong-response' };
      // A correct answer to an expired nonce: tell the client to retry, not that it is wrong.
      if (age > this.#lifetimeMs) return { ok: false, reason: 'stale' };
      if (nonceCount !== undefined) {
        const last = this.#nonceCounts.get(credentials.nonce) ?? 0;
        if (nonceCount <= last) return { ok: false, reason: 'replayed' };
        this.#rememberCount(credentials.nonce, nonceCount);
      }
      return { ok: true, username: credentials.username };
    }
    return { ok: false, reason: sawMalformed ? 'malformed' : 'missing' };
  }

  #createNonce(): string {
    const issued = Math.floor(this.#clock.now()).toString(36);
    const salt = createCnonce().slice(0, 16);
    return `${issued}.${salt}.${this.#mac(`${issued}.${salt}`)}`;
  }

  /** Age of a nonce this server issued, or undefined when it did not issue it. */
  #nonceAge(nonce: string): number | undefined {
    const parts = nonce.split('.');
    if (parts.length !== 3) return undefined;
    const [issued, salt, mac] = parts as [string, string, string];
    if (!constantTimeEqual(this.#mac(`${issued}.${salt}`), mac)) return undefined;
    const issuedAt = parseInt(issued, 36);
    if (!Number.isFinite(issuedAt)) return undefined;
    return this.#clock.now() - issuedAt;
  }

  #mac(data: string): string {
    return createHmac('sha256', this.#secret).update(data).digest('hex').slice(0, 32);
  }

  #rememberCount(nonce: string, count: number): void {
    this.#nonceCounts.delete(nonce);
    this.#nonceCounts.set(nonce, count);
    if (this.#nonceCounts.size > MAX_TRACKED_NONCES) {
      const oldest = this.#nonceCounts.keys().next().value;
      if (oldest !== undefined) this.#nonceCounts.delete(oldest);
    }
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
