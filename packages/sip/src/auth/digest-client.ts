// The UAC side of digest authentication: answering 401/407 challenges and re-using the
// credentials per realm on later requests (RFC 3261 §22.2, §22.3, §22.4).
import {
  computeDigest,
  createCnonce,
  digestAlgorithmStrength,
  digestHash,
  formatDigestCredentials,
  formatNonceCount,
  parseDigestChallenges,
  parseDigestCredentials,
  type DigestChallenge,
  type DigestQop,
} from './digest.js';

/** Challenge header names: 401 carries WWW-Authenticate, 407 carries Proxy-Authenticate. */
export type ChallengeHeaderName = 'WWW-Authenticate' | 'Proxy-Authenticate';
/** The matching credentials header names (RFC 3261 §22.2, §22.3). */
export type CredentialsHeaderName = 'Authorization' | 'Proxy-Authorization';

export interface AuthHeader<Name extends string> {
  readonly name: Name;
  readonly value: string;
}

export interface DigestAccount {
  readonly username: string;
  readonly password: string;
}

/** Finds the account for a realm; undefined means "no credentials for this realm". */
export type CredentialsLookup = (realm: string) => DigestAccount | undefined;

/** What the client needs to know about the request it authorizes. */
export interface AuthorizedRequest {
  readonly method: string;
  /** The Request-URI exactly as it is sent: it becomes the digest-uri. */
  readonly uri: string;
  readonly body?: Uint8Array | string;
}

export interface DigestClientOptions {
  /** One account for every realm, or a lookup per realm. */
  readonly credentials: DigestAccount | CredentialsLookup;
  /** Source of client nonces (tests pin it). */
  readonly cnonce?: () => string;
}

interface RealmEntry {
  readonly header: CredentialsHeaderName;
  readonly challenge: DigestChallenge;
  readonly account: DigestAccount;
  readonly qop: DigestQop | undefined;
  readonly cnonce: string;
  nonceCount: number;
}

const HEADER_FOR: Readonly<Record<ChallengeHeaderName, CredentialsHeaderName>> = {
  'WWW-Authenticate': 'Authorization',
  'Proxy-Authenticate': 'Proxy-Authorization',
};

/**
 * Answers digest challenges and caches what it learnt per realm, so the next request to the
 * same realm carries credentials up front (RFC 3261 §22.3: "a UA SHOULD cache the credentials
 * used for a given realm").
 */
export class DigestClient {
  readonly #lookup: CredentialsLookup;
  readonly #cnonce: () => string;
  readonly #realms = new Map<string, RealmEntry>();

  constructor(options: DigestClientOptions) {
    const { credentials } = options;
    this.#lookup = typeof credentials === 'function' ? credentials : () => credentials;
    this.#cnonce = options.cnonce ?? createCnonce;
  }

  /** Realms the client holds credentials for. */
  get realms(): readonly string[] {
    return [...this.#realms.keys()];
  }

  /**
   * Computes the credentials headers for a request that answers the challenges of a 401/407.
   * `sent` lists the credentials headers the challenged request carried: a realm that was
   * answered already and is challenged again without `stale=true` means the password was
   * refused, and the client gives up rather than loop (RFC 3261 §22.2).
   * Returns undefined when no challenge can be answered.
   */
  respond(
    challenges: readonly AuthHeader<ChallengeHeaderName>[],
    request: AuthorizedRequest,
    sent: readonly AuthHeader<CredentialsHeaderName>[] = [],
  ): AuthHeader<CredentialsHeaderName>[] | undefined {
    const answeredRealms = new Set<string>();
    for (const header of sent) {
      const credentials = parseDigestCredentials(header.value);
      if (credentials) answeredRealms.add(`${header.name}\n${credentials.realm}`);
    }
    // Strongest supported challenge per (header, realm). RFC 8760 §2.4.
    const best = new Map<string, { header: CredentialsHeaderName; challenge: DigestChallenge }>();
    for (const { name, value } of challenges) {
      const header = HEADER_FOR[name];
      for (const challenge of parseDigestChallenges(value)) {
        const key = `${header}\n${challenge.realm}`;
        const current = best.get(key);
        if (
          current === undefined ||
          digestAlgorithmStrength(challenge.algorithm) >
            digestAlgorithmStrength(current.challenge.algorithm)
        ) {
          best.set(key, { header, challenge });
        }
      }
    }
    const out: AuthHeader<CredentialsHeaderName>[] = [];
    for (const [key, { header, challenge }] of best) {
      if (answeredRealms.has(key) && !challenge.stale) return undefined;
      const account = this.#realms.get(challenge.realm)?.account ?? this.#lookup(challenge.realm);
      if (account === undefined) continue;
      const qop: DigestQop | undefined = challenge.qop.includes('auth') ? 'auth' : challenge.qop[0];
      const entry: RealmEntry = {
        header,
        challenge,
        account,
        qop,
        cnonce: this.#cnonce(),
        nonceCount: 0,
      };
      this.#realms.set(challenge.realm, entry);
      out.push(this.#answer(entry, request));
    }
    return out.length > 0 ? out : undefined;
  }

  /**
   * Credentials for every cached realm, for a new request (nonce count incremented). Use on
   * requests sent after a successful challenge round, e.g. a REGISTER refresh.
   */
  authorize(request: AuthorizedRequest): AuthHeader<CredentialsHeaderName>[] {
    return [...this.#realms.values()].map((entry) => this.#answer(entry, request));
  }

  /** Drops the cached credentials of a realm (or all). */
  forget(realm?: string): void {
    if (realm === undefined) this.#realms.clear();
    else this.#realms.delete(realm);
  }

  #answer(entry: RealmEntry, request: AuthorizedRequest): AuthHeader<CredentialsHeaderName> {
    const { challenge, account, qop } = entry;
    entry.nonceCount++;
    const nc = qop !== undefined ? formatNonceCount(entry.nonceCount) : undefined;
    const cnonce =
      qop !== undefined || challenge.algorithm.endsWith('-sess') ? entry.cnonce : undefined;
    const { response } = computeDigest({
      algorithm: challenge.algorithm,
      username: account.username,
      realm: challenge.realm,
      password: account.password,
      nonce: challenge.nonce,
      method: request.method,
      uri: request.uri,
      ...(qop !== undefined ? { qop } : {}),
      ...(nc !== undefined ? { nc } : {}),
      ...(cnonce !== undefined ? { cnonce } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
    // RFC 7616 §3.4.4: with userhash the username travels as H(username:realm).
    const username = challenge.userhash
      ? digestHash(challenge.algorithm, `${account.username}:${challenge.realm}`)
      : account.username;
    return {
      name: entry.header,
      value: formatDigestCredentials({
        username,
        realm: challenge.realm,
        nonce: challenge.nonce,
        uri: request.uri,
        response,
        algorithm: challenge.algorithm,
        ...(cnonce !== undefined ? { cnonce } : {}),
        ...(challenge.opaque !== undefined ? { opaque: challenge.opaque } : {}),
        ...(qop !== undefined ? { qop } : {}),
        ...(nc !== undefined ? { nc } : {}),
        userhash: challenge.userhash,
      }),
    };
  }
}
