import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DigestClient,
  DigestServer,
  ManualClock,
  computeDigest,
  digestHa1,
  formatDigestChallenge,
  parseAuthSchemes,
  parseDigestAlgorithm,
  parseDigestChallenges,
  parseDigestCredentials,
  type DigestAlgorithm,
  type DigestQop,
} from '@callbridge/sip';

interface Vector {
  id: string;
  algorithm: string;
  method: string;
  username: string;
  realm: string;
  password: string;
  nonce: string;
  uri: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  ha1: string;
  ha2: string;
  response: string;
}

const vectorsPath = fileURLToPath(
  new URL('../../../../shared/conformance/digest/digest-vectors.json', import.meta.url),
);
const vectors = (JSON.parse(readFileSync(vectorsPath, 'utf8')) as { vectors: Vector[] }).vectors;

describe('digest vectors (RFC 2617, RFC 7616, constructed SIP)', () => {
  it('has the vectors', () => expect(vectors.length).toBeGreaterThanOrEqual(5));
  for (const v of vectors) {
    it(v.id, () => {
      const algorithm = parseDigestAlgorithm(v.algorithm)!;
      const result = computeDigest({
        algorithm,
        username: v.username,
        realm: v.realm,
        password: v.password,
        nonce: v.nonce,
        method: v.method,
        uri: v.uri,
        ...(v.qop ? { qop: v.qop as DigestQop } : {}),
        ...(v.nc ? { nc: v.nc } : {}),
        ...(v.cnonce ? { cnonce: v.cnonce } : {}),
      });
      expect(result).toEqual({ ha1: v.ha1, ha2: v.ha2, response: v.response });
    });
  }
});

describe('digest computations beyond the vectors', () => {
  const base = {
    username: 'alice',
    realm: 'example.com',
    password: 's3cr3t',
    nonce: 'abc',
    method: 'INVITE',
    uri: 'sip:bob@example.com',
    nc: '00000001',
    cnonce: 'c0ffee',
  } as const;

  it('SHA-512-256 uses the truncated SHA-512 (not a truncated digest of SHA-512)', () => {
    const { ha1 } = computeDigest({ ...base, algorithm: 'SHA-512-256', qop: 'auth' });
    expect(ha1).toHaveLength(64);
    expect(ha1).not.toBe(digestHa1('SHA-256', 'alice', 'example.com', 's3cr3t'));
  });

  it('-sess algorithms rehash HA1 with nonce and cnonce', () => {
    const plain = computeDigest({ ...base, algorithm: 'MD5', qop: 'auth' });
    const sess = computeDigest({ ...base, algorithm: 'MD5-sess', qop: 'auth' });
    expect(sess.ha1).not.toBe(plain.ha1);
    const sess2 = computeDigest({ ...base, algorithm: 'MD5-sess', qop: 'auth', cnonce: 'other' });
    expect(sess2.ha1).not.toBe(sess.ha1);
    const sha = computeDigest({ ...base, algorithm: 'SHA-256-sess', qop: 'auth' });
    expect(sha.ha1).toHaveLength(64);
  });

  it('auth-int covers the body', () => {
    const a = computeDigest({ ...base, algorithm: 'SHA-256', qop: 'auth-int', body: 'v=0\r\n' });
    const b = computeDigest({ ...base, algorithm: 'SHA-256', qop: 'auth-int', body: 'v=1\r\n' });
    const bytes = computeDigest({
      ...base,
      algorithm: 'SHA-256',
      qop: 'auth-int',
      body: new TextEncoder().encode('v=0\r\n'),
    });
    expect(a.response).not.toBe(b.response);
    expect(bytes.response).toBe(a.response);
    expect(a.ha2).not.toBe(computeDigest({ ...base, algorithm: 'SHA-256', qop: 'auth' }).ha2);
  });

  it('accepts a precomputed HA1', () => {
    const withPassword = computeDigest({ ...base, algorithm: 'SHA-256', qop: 'auth' });
    const withHa1 = computeDigest({
      ...base,
      password: undefined as never,
      ha1: digestHa1('SHA-256', 'alice', 'example.com', 's3cr3t'),
      algorithm: 'SHA-256',
      qop: 'auth',
    });
    expect(withHa1.response).toBe(withPassword.response);
  });
});

describe('challenge and credentials parsing', () => {
  it('parses a challenge with quoted escapes, qop list and stale', () => {
    const [c] = parseDigestChallenges(
      'Digest realm="a \\"quoted\\" realm", nonce="n1", opaque="o", qop="auth,auth-int", stale=TRUE, algorithm=sha-256',
    );
    expect(c).toEqual({
      realm: 'a "quoted" realm',
      nonce: 'n1',
      algorithm: 'SHA-256',
      qop: ['auth', 'auth-int'],
      opaque: 'o',
      stale: true,
      userhash: false,
    });
  });

  it('splits several challenges in one value and skips unknown schemes and algorithms', () => {
    const list = parseDigestChallenges(
      'Basic realm="x", Digest realm="r", nonce="1", algorithm=SHA-512-256, Digest realm="r", nonce="2", algorithm=AKAv1-MD5, Digest realm="r", nonce="3"',
    );
    expect(list.map((c) => [c.nonce, c.algorithm])).toEqual([
      ['1', 'SHA-512-256'],
      ['3', 'MD5'],
    ]);
  });

  it('rejects malformed values without throwing', () => {
    for (const bad of [
      'Digest realm="unterminated',
      'Digest realm=',
      'Digest =x',
      'Digest realm="a" nonce="b"',
      'Digest realm="a", realm="b", nonce="c"',
      '',
      ',,,',
    ]) {
      expect(() => parseAuthSchemes(bad)).not.toThrow();
      expect(parseDigestChallenges(bad)).toEqual([]);
    }
    expect(parseDigestCredentials('Digest username="a"')).toBeUndefined();
  });

  it('round-trips a challenge through format and parse', () => {
    const challenge = {
      realm: 'r',
      nonce: 'n',
      algorithm: 'SHA-256' as const,
      qop: ['auth' as const],
      stale: true,
      userhash: false,
      opaque: 'x\\y',
    };
    expect(parseDigestChallenges(formatDigestChallenge(challenge))).toEqual([challenge]);
  });
});

describe('DigestClient', () => {
  const request = { method: 'REGISTER', uri: 'sip:example.com' };

  it('answers with the strongest challenge and caches per realm', () => {
    const client = new DigestClient({
      credentials: { username: 'alice', password: 's3cr3t' },
      cnonce: () => 'cafe',
    });
    const headers = client.respond(
      [
        { name: 'WWW-Authenticate', value: 'Digest realm="example.com", nonce="n", qop="auth"' },
        {
          name: 'WWW-Authenticate',
          value: 'Digest realm="example.com", nonce="n", qop="auth", algorithm=SHA-256',
        },
      ],
      request,
    )!;
    expect(headers).toHaveLength(1);
    expect(headers[0]!.name).toBe('Authorization');
    const creds = parseDigestCredentials(headers[0]!.value)!;
    expect(creds).toMatchObject({ algorithm: 'SHA-256', nc: '00000001', cnonce: 'cafe' });
    expect(creds.response).toBe(
      computeDigest({
        algorithm: 'SHA-256',
        username: 'alice',
        realm: 'example.com',
        password: 's3cr3t',
        nonce: 'n',
        method: 'REGISTER',
        uri: 'sip:example.com',
        qop: 'auth',
        nc: '00000001',
        cnonce: 'cafe',
      }).response,
    );
    // The next request re-uses the realm's nonce with the next nonce count.
    const next = client.authorize({ method: 'REGISTER', uri: 'sip:example.com' });
    expect(parseDigestCredentials(next[0]!.value)!.nc).toBe('00000002');
    expect(client.realms).toEqual(['example.com']);
  });

  it('uses Proxy-Authorization for 407 challenges and the lookup per realm', () => {
    const client = new DigestClient({
      credentials: (realm) => (realm === 'proxy' ? { username: 'p', password: 'pw' } : undefined),
    });
    const out = client.respond(
      [
        { name: 'Proxy-Authenticate', value: 'Digest realm="proxy", nonce="1"' },
        { name: 'Proxy-Authenticate', value: 'Digest realm="unknown", nonce="2"' },
      ],
      { method: 'INVITE', uri: 'sip:bob@b' },
    )!;
    expect(out.map((h) => h.name)).toEqual(['Proxy-Authorization']);
    const creds = parseDigestCredentials(out[0]!.value)!;
    expect(creds.qop).toBeUndefined();
    expect(creds.response).toBe(
      computeDigest({
        algorithm: 'MD5',
        username: 'p',
        realm: 'proxy',
        password: 'pw',
        nonce: '1',
        method: 'INVITE',
        uri: 'sip:bob@b',
      }).response,
    );
  });

  it('gives up when the same realm is challenged again without stale, retries when stale', () => {
    const client = new DigestClient({ credentials: { username: 'a', password: 'wrong' } });
    const challenge = [
      { name: 'WWW-Authenticate' as const, value: 'Digest realm="r", nonce="1", qop="auth"' },
    ];
    const first = client.respond(challenge, request)!;
    expect(client.respond(challenge, request, first)).toBeUndefined();
    const stale = [
      {
        name: 'WWW-Authenticate' as const,
        value: 'Digest realm="r", nonce="2", qop="auth", stale=true',
      },
    ];
    const retried = client.respond(stale, request, first)!;
    expect(parseDigestCredentials(retried[0]!.value)!.nonce).toBe('2');
  });

  it('hashes the username when the server asks for userhash', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: 'x' } });
    const [h] = client.respond(
      [
        {
          name: 'WWW-Authenticate',
          value: 'Digest realm="r", nonce="1", qop="auth", algorithm=SHA-256, userhash=true',
        },
      ],
      request,
    )!;
    const creds = parseDigestCredentials(h!.value)!;
    expect(creds.userhash).toBe(true);
    expect(creds.username).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('DigestServer', () => {
  const users = new Map([['alice', 's3cr3t']]);
  const lookup = (u: string): { password: string } | undefined => {
    const password = users.get(u);
    return password === undefined ? undefined : { password };
  };

  function roundTrip(
    algorithms: DigestAlgorithm[],
    qop: DigestQop[],
  ): { server: DigestServer; clock: ManualClock; client: DigestClient; header: string } {
    const clock = new ManualClock(1_000);
    const server = new DigestServer({ realm: 'example.com', lookup, algorithms, qop, clock });
    const client = new DigestClient({ credentials: { username: 'alice', password: 's3cr3t' } });
    const challenges = server
      .challenges()
      .map((value) => ({ name: 'WWW-Authenticate' as const, value }));
    const [h] = client.respond(challenges, {
      method: 'REGISTER',
      uri: 'sip:example.com',
      body: 'x',
    })!;
    return { server, clock, client, header: h!.value };
  }

  for (const algorithm of [
    'MD5',
    'MD5-sess',
    'SHA-256',
    'SHA-256-sess',
    'SHA-512-256',
    'SHA-512-256-sess',
  ] as const) {
    for (const qop of [[], ['auth'], ['auth-int']] as DigestQop[][]) {
      it(`accepts a correct ${algorithm} answer with qop=${qop.join() || 'none'}`, () => {
        const { server, header } = roundTrip([algorithm], qop);
        expect(
          server.verify({ method: 'REGISTER', uri: 'sip:example.com', body: 'x' }, [header]),
        ).toEqual({ ok: true, username: 'alice' });
      });
    }
  }

  it('offers every configured algorithm, and the client picks the strongest', () => {
    const { header } = roundTrip(['MD5', 'SHA-512-256', 'SHA-256'], ['auth']);
    expect(parseDigestCredentials(header)!.algorithm).toBe('SHA-512-256');
  });

  it('refuses replays, wrong passwords, other nonces, and stale nonces', () => {
    const { server, clock, client, header } = roundTrip(['SHA-256'], ['auth']);
    const req = { method: 'REGISTER', uri: 'sip:example.com', body: 'x' };
    expect(server.verify(req, [header]).ok).toBe(true);
    expect(server.verify(req, [header])).toEqual({ ok: false, reason: 'replayed' });
    const next = client.authorize(req);
    expect(server.verify(req, [next[0]!.value]).ok).toBe(true);
    expect(server.verify({ ...req, method: 'INVITE' }, [client.authorize(req)[0]!.value])).toEqual({
      ok: false,
      reason: 'wrong-response',
    });
    expect(server.verify({ ...req, uri: 'sip:other' }, [client.authorize(req)[0]!.value])).toEqual({
      ok: false,
      reason: 'wrong-uri',
    });
    const forged = header.replace(/nonce="[^"]+"/, 'nonce="1.2.3"');
    expect(server.verify(req, [forged])).toEqual({ ok: false, reason: 'bad-nonce' });
    expect(server.verify(req, [])).toEqual({ ok: false, reason: 'missing' });
    expect(server.verify(req, ['Digest garbage'])).toEqual({ ok: false, reason: 'malformed' });

    clock.advance(301_000);
    expect(server.verify(req, [client.authorize(req)[0]!.value])).toEqual({
      ok: false,
      reason: 'stale',
    });
    // The client answers the stale challenge with the same account and succeeds.
    const stale = server
      .challenges(true)
      .map((value) => ({ name: 'WWW-Authenticate' as const, value }));
    expect(stale[0]!.value).toContain('stale=true');
    const retry = client.respond(stale, req, client.authorize(req))!;
    expect(server.verify(req, [retry[0]!.value]).ok).toBe(true);
  });

  it('refuses unknown users and other realms', () => {
    const clock = new ManualClock();
    const server = new DigestServer({ realm: 'example.com', lookup, clock });
    const mallory = new DigestClient({ credentials: { username: 'mallory', password: 'x' } });
    const challenges = server
      .challenges()
      .map((value) => ({ name: 'WWW-Authenticate' as const, value }));
    const [h] = mallory.respond(challenges, { method: 'REGISTER', uri: 'sip:example.com' })!;
    expect(server.verify({ method: 'REGISTER' }, [h!.value])).toEqual({
      ok: false,
      reason: 'unknown-user',
    });
    const other = h!.value.replace('realm="example.com"', 'realm="elsewhere"');
    expect(server.verify({ method: 'REGISTER' }, [other])).toEqual({
      ok: false,
      reason: 'missing',
    });
  });
});
