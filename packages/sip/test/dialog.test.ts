// User agent core, dialogs and the invite session between two stacks (and scripted peers)
// over loopback UDP.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Dialog,
  DigestServer,
  ManualClock,
  StreamTransport,
  createRequest,
  UdpTransport,
  UserAgent,
  createResponse,
  newTag,
  parseMessage,
  serialize,
  type Flow,
  type IncomingCall,
  type InviteSession,
  type SipRequest,
  type SipResponse,
  type SipSessionError,
  type UserAgentOptions,
} from '@callbridge/sip';

const SDP_A = { body: 'v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\n', contentType: 'application/sdp' };
const SDP_B = { body: 'v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\n', contentType: 'application/sdp' };

const agents: UserAgent[] = [];
const peers: UdpTransport[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

async function agent(name: string, options: Partial<UserAgentOptions> = {}): Promise<UserAgent> {
  const udp = await UdpTransport.create();
  const ua = new UserAgent({ transports: [udp], aor: `sip:${name}@127.0.0.1`, ...options });
  agents.push(ua);
  return ua;
}

function uriOf(ua: UserAgent, user: string): string {
  return `sip:${user}@127.0.0.1:${ua.transports.transport('udp')!.local.port}`;
}

function next<T>(register: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise(register);
}

/** A scripted peer: a raw UDP socket that parses what arrives. */
async function scriptedPeer(): Promise<{
  port: number;
  messages: (SipRequest | SipResponse)[];
  waitFor: (pred: (m: SipRequest | SipResponse) => boolean) => Promise<SipRequest | SipResponse>;
  send: (m: SipRequest | SipResponse, to: Flow['remote']) => Promise<void>;
  lastFrom: () => Flow['remote'];
}> {
  const udp = await UdpTransport.create();
  peers.push(udp);
  const messages: (SipRequest | SipResponse)[] = [];
  let from: Flow['remote'] = { address: '127.0.0.1', port: 0 };
  const waiters: {
    pred: (m: SipRequest | SipResponse) => boolean;
    resolve: (m: SipRequest | SipResponse) => void;
  }[] = [];
  udp.on('message', (bytes, flow) => {
    const message = parseMessage(bytes);
    from = flow.remote;
    messages.push(message);
    for (const w of [...waiters]) {
      if (w.pred(message)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(message);
      }
    }
  });
  return {
    port: udp.local.port,
    messages,
    waitFor: (pred) => {
      const seen = messages.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    send: async (m, to) => {
      await udp.send(serialize(m), to);
    },
    lastFrom: () => from,
  };
}

const isRequest = (method: string) => (m: SipRequest | SipResponse) =>
  m.kind === 'request' && m.method === method;

describe('UserAgent: calls between two stacks', () => {
  it('rings, answers, ACKs, re-INVITEs, sends INFO and hangs up', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    const incoming = next<IncomingCall>((r) => bob.once('invite', r));
    const call = alice.invite(uriOf(bob, 'bob'), { offer: SDP_A });
    const progress = next<SipResponse>((r) => call.once('progress', r));
    const inbound = await incoming;
    expect(inbound.request.bodyText).toBe(SDP_A.body);
    inbound.ring();
    expect((await progress).status).toBe(180);
    const bobSession = inbound.accept(SDP_B);
    const acked = next<SipRequest>((r) => bobSession.once('ack', r));
    const aliceSession = await call.answered;
    expect(new TextDecoder().decode(aliceSession.remoteBody)).toBe(SDP_B.body);
    expect((await acked).method).toBe('ACK');
    expect(aliceSession.dialog.id.remoteTag).toBe(bobSession.dialog.id.localTag);

    // re-INVITE (hold) answered by the far end's listener.
    bobSession.on('reinvite', (offer) =>
      offer.accept({ ...SDP_B, body: SDP_B.body + 'a=recvonly\r\n' }),
    );
    const reinvite = await aliceSession.reinvite({ ...SDP_A, body: SDP_A.body + 'a=sendonly\r\n' });
    expect(reinvite.status).toBe(200);
    expect(new TextDecoder().decode(aliceSession.remoteBody)).toContain('recvonly');
    expect(aliceSession.dialog.localSeq).toBe(2);

    // INFO in the other direction.
    const info = next<string>((r) =>
      aliceSession.once('request', (tx) => {
        r(tx.request.bodyText);
        tx.reply(200);
      }),
    );
    const infoResponse = await bobSession.info(
      'Signal=5\r\nDuration=160\r\n',
      'application/dtmf-relay',
    );
    expect(infoResponse.status).toBe(200);
    expect(await info).toContain('Signal=5');

    const ended = next<string>((r) => bobSession.once('terminated', r));
    const bye = await aliceSession.bye();
    expect(bye?.status).toBe(200);
    expect(await ended).toBe('remote-bye');
    expect(aliceSession.state).toBe('terminated');
    expect(alice.sessions).toHaveLength(0);
  });

  it('handles a late offer: the 200 carries the offer and the ACK the answer', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    const callee: InviteSession[] = [];
    const acked = new Promise<SipRequest>((r) =>
      bob.once('invite', (inbound) => {
        expect(inbound.offer.length).toBe(0);
        callee.push(inbound.accept(SDP_B).once('ack', r));
      }),
    );
    const offers: string[] = [];
    const call = alice.invite(uriOf(bob, 'bob'), {
      answerLateOffer: (offer) => {
        offers.push(new TextDecoder().decode(offer));
        return SDP_A;
      },
    });
    const session = await call.answered;
    expect(offers).toEqual([SDP_B.body]);
    expect(session.localBody).toEqual(SDP_A);
    const ack = await acked;
    expect(ack.bodyText).toBe(SDP_A.body);
    expect(new TextDecoder().decode(callee[0]!.remoteBody)).toBe(SDP_A.body);
  });

  it('cancels a ringing call: 487 for the caller, a cancel event for the callee', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    bob.on('invite', (inbound) => inbound.ring());
    const call = alice.invite(uriOf(bob, 'bob'), { offer: SDP_A });
    const cancelled = next<IncomingCall>((r) =>
      bob.once('invite', (c) => c.once('cancel', () => r(c))),
    );
    await next((r) => call.once('progress', r));
    call.cancel();
    await expect(call.answered).rejects.toMatchObject({
      code: 'CALL_CANCELLED',
      response: { status: 487 },
    });
    expect((await cancelled).state).toBe('cancelled');
    expect(call.state).toBe('cancelled');
  });

  it('reports a rejection', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    bob.on('invite', (inbound) => inbound.reject(486));
    const call = alice.invite(uriOf(bob, 'bob'));
    await expect(call.answered).rejects.toMatchObject({
      code: 'CALL_FAILED',
      response: { status: 486 },
    });
  });

  it('answers a 407 challenge with cached credentials', async () => {
    const server = new DigestServer({
      realm: 'test',
      lookup: (u) => (u === 'alice' ? { password: 'pw' } : undefined),
    });
    const alice = await agent('alice', { credentials: { username: 'alice', password: 'pw' } });
    const bob = await agent('bob');
    let challenges = 0;
    bob.on('invite', (inbound) => {
      const verdict = server.verify(
        { method: 'INVITE', uri: inbound.request.uri.toString() },
        inbound.request.headerValues('Proxy-Authorization'),
      );
      if (!verdict.ok) {
        challenges++;
        inbound.reject(407, undefined, {
          headers: server.challenges().map((v) => ['Proxy-Authenticate', v] as const),
        });
      } else {
        inbound.accept(SDP_B);
      }
    });
    const session = await alice.invite(uriOf(bob, 'bob'), { offer: SDP_A }).answered;
    expect(challenges).toBe(1);
    expect(session.dialog.localSeq).toBe(2);
    // A second call re-uses the realm's credentials up front.
    await alice.invite(uriOf(bob, 'bob'), { offer: SDP_A }).answered;
    expect(challenges).toBe(1);
  });

  it('retries after 422 with the Min-SE the callee asked for and runs the session timer', async () => {
    const alice = await agent('alice', { sessionTimers: { expires: 100, minSE: 90 } });
    const bob = await agent('bob', { sessionTimers: { minSE: 300 } });
    bob.on('invite', (inbound) => inbound.accept(SDP_B));
    const session = await alice.invite(uriOf(bob, 'bob'), { offer: SDP_A }).answered;
    expect(session.sessionTimer).toEqual({ interval: 300, refresher: 'local' });
    expect(session.dialog.localSeq).toBe(2);
    const bobSession = bob.sessions[0]!;
    expect(bobSession.sessionTimer).toEqual({ interval: 300, refresher: 'remote' });
  });

  it('resolves re-INVITE glare (491) with the §14.1 back-off', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    bob.on('invite', (inbound) => inbound.accept(SDP_B));
    const aliceSession = await alice.invite(uriOf(bob, 'bob'), { offer: SDP_A }).answered;
    await new Promise((r) => setTimeout(r, 50));
    const bobSession: InviteSession = bob.sessions[0]!;
    const [a, b] = await Promise.all([aliceSession.reinvite(SDP_A), bobSession.reinvite(SDP_B)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    // Each side sent its re-INVITE at least twice: once refused with 491, once accepted.
    expect(aliceSession.dialog.localSeq + bobSession.dialog.localSeq).toBeGreaterThanOrEqual(5);
  }, 20_000);

  it('answers OPTIONS and refuses unknown out-of-dialog methods by default', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    expect((await alice.request('OPTIONS', uriOf(bob, 'bob'))).status).toBe(200);
    expect((await alice.request('PUBLISH', uriOf(bob, 'bob'))).status).toBe(405);
  });

  it('turns a transport error into a 503 for the caller (§8.1.3.1)', async () => {
    const tcp = await StreamTransport.tcp();
    const closedPort = tcp.local.port;
    await tcp.close();
    const ua = new UserAgent({
      transports: [await StreamTransport.tcp({ listen: false })],
      aor: 'sip:alice@127.0.0.1',
    });
    agents.push(ua);
    const response = await ua.request('OPTIONS', `sip:bob@127.0.0.1:${closedPort};transport=tcp`);
    expect(response.status).toBe(503);
    const call = ua.invite(`sip:bob@127.0.0.1:${closedPort};transport=tcp`, { offer: SDP_A });
    await expect(call.answered).rejects.toMatchObject({ response: { status: 503 } });
  });

  it('refuses requests it must not process (§8.2): unknown extensions 420, body types 415', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    bob.on('invite', (inbound) => inbound.accept(SDP_B));
    const call = alice.invite(uriOf(bob, 'bob'), { offer: SDP_A, headers: [['Require', 'foo']] });
    await expect(call.answered).rejects.toMatchObject({ response: { status: 420 } });
    const error = (await call.answered.catch((e: unknown) => e)) as SipSessionError;
    expect(error.response?.header('Unsupported')).toBe('foo');
    const message = await alice.request('MESSAGE', uriOf(bob, 'bob'), {
      body: '{}',
      contentType: 'application/x-unknown',
    });
    expect(message.status).toBe(415);
  });
});

describe('reliable provisional responses from the UAS side (RFC 3262)', () => {
  it('sends 183 reliably, takes the PRACK, then answers', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    const incoming = new Promise<IncomingCall>((resolve) =>
      bob.once('invite', (inbound) => {
        inbound.progress(183, SDP_B, { reliable: true });
        // Queued until the 183 is PRACKed (one unacknowledged reliable provisional at a time).
        inbound.ring({ reliable: true });
        resolve(inbound);
      }),
    );
    const call = alice.invite(uriOf(bob, 'bob'), { offer: SDP_A });
    const early: boolean[] = [];
    const statuses: number[] = [];
    call.on('early', (e) => early.push(e.reliable));
    call.on('progress', (r) => {
      statuses.push(r.status);
      // The 180 went out, so the 183 was PRACKed: answer now.
      if (r.status === 180) void incoming.then((inbound) => inbound.accept(SDP_B));
    });
    await call.answered;
    expect(early).toEqual([true]);
    expect(statuses.filter((s) => s !== 100)).toEqual([183, 180]);
  });

  it('refuses the INVITE with 500 when its reliable provisional is never PRACKed', async () => {
    const bob = await agent('bob', { timers: { t1: 10, t2: 40 } });
    const peer = await scriptedPeer();
    const failed = new Promise<IncomingCall>((resolve) =>
      bob.once('invite', (inbound) => {
        inbound.ring();
        setTimeout(() => resolve(inbound), 800);
      }),
    );
    const invite = `INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK${newTag()};rport\r\nFrom: <sip:peer@127.0.0.1>;tag=p1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: ${newTag()}\r\nCSeq: 1 INVITE\r\nRequire: 100rel\r\nContact: <sip:peer@127.0.0.1:${peer.port}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    await peers[0]!.send(new TextEncoder().encode(invite), {
      address: '127.0.0.1',
      port: bob.transports.transport('udp')!.local.port,
    });
    expect((await failed).state).toBe('rejected');
    const ringing = peer.messages.filter(
      (m) => m.kind === 'response' && m.status === 180,
    ) as SipResponse[];
    expect(ringing.length).toBeGreaterThan(2);
    expect(ringing[0]!.rseq).toBeDefined();
    expect(ringing[0]!.require).toContain('100rel');
    expect(peer.messages.some((m) => m.kind === 'response' && m.status === 500)).toBe(true);
  });
});

describe('UserAgent against scripted peers', () => {
  function answer(
    port: number,
    invite: SipRequest,
    status: number,
    toTag: string,
    headers: (readonly [string, string])[] = [],
    body?: string,
  ): SipResponse {
    return createResponse(invite, status, undefined, {
      toTag,
      headers: [['Contact', `<sip:peer@127.0.0.1:${port}>`], ...headers],
      ...(body ? { body, contentType: 'application/sdp' } : {}),
    });
  }

  it('PRACKs a reliable 183 with SDP once, ignoring its retransmission', async () => {
    const alice = await agent('alice');
    const peer = await scriptedPeer();
    const call = alice.invite(`sip:peer@127.0.0.1:${peer.port}`, { offer: SDP_A });
    const early = next<{ reliable: boolean; body: Uint8Array }>((r) => call.once('early', r));
    const invite = (await peer.waitFor(isRequest('INVITE'))) as SipRequest;
    expect(invite.supported).toContain('100rel');
    const tag = newTag();
    const r183 = answer(
      peer.port,
      invite,
      183,
      tag,
      [
        ['Require', '100rel'],
        ['RSeq', '7'],
      ],
      SDP_B.body,
    );
    await peer.send(r183, peer.lastFrom());
    await peer.send(r183, peer.lastFrom());
    const prack = (await peer.waitFor(isRequest('PRACK'))) as SipRequest;
    expect(prack.header('RAck')).toBe('7 1 INVITE');
    expect(prack.to?.tag).toBe(tag);
    await peer.send(createResponse(prack, 200), peer.lastFrom());
    const media = await early;
    expect(media.reliable).toBe(true);
    expect(new TextDecoder().decode(media.body)).toBe(SDP_B.body);
    await peer.send(answer(peer.port, invite, 200, tag, [], SDP_B.body), peer.lastFrom());
    await call.answered;
    await peer.waitFor(isRequest('ACK'));
    expect(peer.messages.filter((m) => m.kind === 'request' && m.method === 'PRACK')).toHaveLength(
      1,
    );
  });

  it('keeps the first of two forked 2xx, ACKs both and BYEs the other; re-ACKs a retransmitted 2xx', async () => {
    const alice = await agent('alice');
    const peer = await scriptedPeer();
    const call = alice.invite(`sip:peer@127.0.0.1:${peer.port}`, { offer: SDP_A });
    const invite = (await peer.waitFor(isRequest('INVITE'))) as SipRequest;
    const first = answer(peer.port, invite, 200, 'fork1', [], SDP_B.body);
    await peer.send(first, peer.lastFrom());
    const session = await call.answered;
    expect(session.dialog.id.remoteTag).toBe('fork1');
    await peer.send(answer(peer.port, invite, 200, 'fork2', [], SDP_B.body), peer.lastFrom());
    const bye = (await peer.waitFor(isRequest('BYE'))) as SipRequest;
    expect(bye.to?.tag).toBe('fork2');
    await peer.send(createResponse(bye, 200), peer.lastFrom());
    await peer.send(first, peer.lastFrom());
    await new Promise((r) => setTimeout(r, 100));
    const acks = peer.messages.filter(
      (m) => m.kind === 'request' && m.method === 'ACK',
    ) as SipRequest[];
    expect(acks.map((a) => a.to?.tag).sort()).toEqual(['fork1', 'fork1', 'fork2']);
    expect(session.state).toBe('confirmed');
  });

  it('retransmits its 2xx until the ACK and hangs up when none comes (§13.3.1.4)', async () => {
    const bob = await agent('bob', { timers: { t1: 10, t2: 40 } });
    const peer = await scriptedPeer();
    const terminated = next<string>((r) =>
      bob.once('invite', (inbound) => inbound.accept(SDP_B).once('terminated', r)),
    );
    const invite = `INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK${newTag()};rport\r\nFrom: <sip:peer@127.0.0.1>;tag=p1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: ${newTag()}\r\nCSeq: 1 INVITE\r\nContact: <sip:peer@127.0.0.1:${peer.port}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    await peers[0]!.send(new TextEncoder().encode(invite), {
      address: '127.0.0.1',
      port: bob.transports.transport('udp')!.local.port,
    });
    expect(await terminated).toBe('ack-timeout');
    const oks = peer.messages.filter((m) => m.kind === 'response' && m.status === 200);
    expect(oks.length).toBeGreaterThan(3);
    expect(await peer.waitFor(isRequest('BYE'))).toBeDefined();
  });
  it('settles a pending BYE when the agent closes before the peer answers it', async () => {
    const alice = await agent('alice');
    const peer = await scriptedPeer();
    const call = alice.invite(`sip:peer@127.0.0.1:${peer.port}`, { offer: SDP_A });
    const invite = (await peer.waitFor(isRequest('INVITE'))) as SipRequest;
    await peer.send(answer(peer.port, invite, 200, 'silent', [], SDP_B.body), peer.lastFrom());
    const session = await call.answered;
    // The peer never answers the BYE: close() must not leave bye() pending for ever.
    let settled: number | string = 'still pending';
    void session.bye().then((response) => (settled = response?.status ?? 'no response'));
    await peer.waitFor(isRequest('BYE'));
    agents.splice(agents.indexOf(alice), 1);
    await alice.close(50);
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(503);
  });
});

describe('session timers on fake time (RFC 4028)', () => {
  it('the refresher sends an UPDATE at half the interval; the other side hangs up when refreshes stop', async () => {
    const clock = new ManualClock();
    const alice = await agent('alice', { clock, sessionTimers: { expires: 90 } });
    const bob = await agent('bob', { clock });
    bob.on('invite', (inbound) => inbound.accept(SDP_B));
    const aliceSession = await alice.invite(uriOf(bob, 'bob'), { offer: SDP_A }).answered;
    await new Promise((r) => setTimeout(r, 50));
    const bobSession = bob.sessions[0]!;
    expect(aliceSession.sessionTimer).toEqual({ interval: 90, refresher: 'local' });
    expect(bobSession.sessionTimer).toEqual({ interval: 90, refresher: 'remote' });

    const refreshed = new Promise<SipRequest>((r) =>
      bobSession.once('update', (offer) => {
        offer.accept();
        r(offer.request);
      }),
    );
    const refreshAnswered = new Promise<void>((resolve) =>
      alice.transports.on('response', (r) => {
        if (r.cseq?.method === 'UPDATE') resolve();
      }),
    );
    await clock.advanceAsync(45_000);
    const update = await refreshed;
    expect(update.body.length).toBe(0);
    expect(update.header('Session-Expires')).toBe('90;refresher=uac');

    // Alice stops refreshing: Bob ends the session at 90 - min(32, 90/3) = 60 s after the refresh.
    await refreshAnswered;
    await clock.advanceAsync(0);
    aliceSession.armSessionTimer(undefined);
    const ended = new Promise<string>((r) => aliceSession.once('terminated', r));
    const bobEnded = new Promise<string>((r) => bobSession.once('terminated', r));
    await clock.advanceAsync(59_000);
    expect(bobSession.state).toBe('confirmed');
    await clock.advanceAsync(1_000);
    expect(await bobEnded).toBe('session-expired');
    expect(await ended).toBe('remote-bye');
  });
  it('ends the session with BYE when its refresh goes unanswered (§10); a refresh UPDATE gets no SDP back', async () => {
    const clock = new ManualClock();
    const alice = await agent('alice', { clock, sessionTimers: { expires: 300 } });
    const bob = await agent('bob', { clock });
    bob.on('invite', (inbound) => inbound.accept(SDP_B));
    const aliceSession = await alice.invite(uriOf(bob, 'bob'), { offer: SDP_A }).answered;
    await new Promise((r) => setTimeout(r, 50));
    const bobSession = bob.sessions[0]!;

    // First refresh: answered without a listener; its 200 carries no answer (RFC 3311 §5.2).
    const refreshed = new Promise<SipResponse>((resolve) =>
      alice.transports.on('response', (r) => {
        if (r.cseq?.method === 'UPDATE') resolve(r);
      }),
    );
    await clock.advanceAsync(150_000);
    const ok = await refreshed;
    expect(ok.status).toBe(200);
    expect(ok.body.length).toBe(0);
    expect(ok.header('Session-Expires')).toBe('300;refresher=uac');

    // Second refresh: Bob holds it unanswered; Alice's UPDATE times out (Timer F, 32 s, before
    // Bob's own expiry 200 s after the first refresh) and she sends BYE.
    const held = new Promise<void>((resolve) => bobSession.once('update', () => resolve()));
    const bobEnded = new Promise<string>((r) => bobSession.once('terminated', r));
    const aliceEnded = new Promise<string>((r) => aliceSession.once('terminated', r));
    await clock.advanceAsync(150_000);
    await held;
    await clock.advanceAsync(64 * 500);
    expect(await aliceEnded).toBe('session-expired');
    expect(await bobEnded).toBe('remote-bye');
  });
});

describe('UPDATE and dialog routing', () => {
  it('runs an offer/answer with UPDATE and refreshes the remote target', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    bob.on('invite', (inbound) => inbound.accept(SDP_B));
    const session = await alice.invite(uriOf(bob, 'bob'), { offer: SDP_A }).answered;
    await new Promise((r) => setTimeout(r, 50));
    bob.sessions[0]!.on('update', (offer) =>
      offer.accept({ ...SDP_B, body: `${SDP_B.body}a=x\r\n` }),
    );
    const response = await session.update({ ...SDP_A, body: `${SDP_A.body}a=y\r\n` });
    expect(response.status).toBe(200);
    expect(new TextDecoder().decode(session.remoteBody)).toContain('a=x');
    expect(session.dialog.remoteTarget.toString()).toBe(bob.contactFor('udp').slice(1, -1));
  });

  it('builds requests for loose and strict route sets (§12.2.1.1)', () => {
    const invite = createRequest({
      method: 'INVITE',
      uri: 'sip:bob@b.example',
      headers: [
        ['Via', 'SIP/2.0/UDP a.example;branch=z9hG4bK1'],
        ['From', '<sip:alice@a.example>;tag=a1'],
        ['To', '<sip:bob@b.example>'],
        ['Call-ID', 'routes'],
        ['CSeq', '1 INVITE'],
      ],
    });
    const ok = (recordRoute: string[]): SipResponse =>
      createResponse(invite, 200, 'OK', {
        toTag: 'b1',
        headers: [
          ...recordRoute.map((r) => ['Record-Route', r] as const),
          ['Contact', '<sip:bob@10.0.0.2>'],
        ],
      });
    const loose = Dialog.uac(invite, ok(['<sip:p2.example;lr>', '<sip:p1.example;lr>']));
    const bye = loose.createRequest('BYE');
    expect(bye.uri.toString()).toBe('sip:bob@10.0.0.2');
    expect(bye.headerValues('Route')).toEqual(['<sip:p1.example;lr>', '<sip:p2.example;lr>']);
    expect(bye.cseq).toEqual({ seq: 2, method: 'BYE' });

    const strict = Dialog.uac(invite, ok(['<sip:p2.example;lr>', '<sip:p1.example>']));
    const info = strict.createRequest('INFO');
    expect(info.uri.toString()).toBe('sip:p1.example');
    expect(info.headerValues('Route')).toEqual(['<sip:p2.example;lr>', '<sip:bob@10.0.0.2>']);
    expect(strict.nextHop().toString()).toBe('sip:p2.example;lr');
  });
});
