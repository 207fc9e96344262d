// Attended transfer end to end through the gateway, with three node-datachannel browsers behind
// three accounts of a SIP registrar/proxy from @callbridge/sip: alice talks to bob, puts him on
// hold, calls carol and transfers bob to carol. That exercises all three transfer roles of the
// B2BUA on real SIP: alice's REFER with Replaces (RFC 3891, RFC 5589 §7), bob's gateway
// following a REFER on an incoming call with the Replaces carried into its new INVITE, and
// carol's gateway taking that INVITE in place of alice's dialog.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import {
  Registerer,
  SipServer,
  UdpTransport,
  UserAgent,
  type IncomingCall,
  type OutgoingCall,
} from '@callbridge/sip';
import type { B2buaBackend } from '../src/b2bua/backend.js';
import { startB2bua, type B2buaHarness } from './support/b2bua-harness.js';
import { WebRtcPeer } from './support/webrtc-peer.js';
import { TestSocket } from './support/ws-client.js';

const DOMAIN = '127.0.0.1';
/** Three browser accounts, and `dave` and `erin`, plain SIP phones made from @callbridge/sip. */
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'] as const;
type User = (typeof USERS)[number];

let server: SipServer;
let sipPort: number;
let harness: B2buaHarness;
let backend: B2buaBackend;
const sockets = new Map<User, TestSocket>();

async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const transport = await UdpTransport.create({ address: DOMAIN, port: 0 });
  sipPort = transport.local.port;
  server = new SipServer({
    transports: [transport],
    domains: [DOMAIN],
    users: (username) =>
      (USERS as readonly string[]).includes(username) ? { password: `${username}-pw` } : undefined,
  });
  const sipOptions = (login: User) => ({ login, password: `${login}-pw`, domain: DOMAIN });
  harness = await startB2bua({
    argv: ['--sip-domain', DOMAIN, '--sip-outbound-proxy', `127.0.0.1:${transport.local.port}`],
    sipOptions: sipOptions('alice'),
    ready: 'REGISTERED',
  });
  backend = harness.backend;
  sockets.set('alice', harness.socket);
  for (const login of ['bob', 'carol'] as const) {
    const socket = await TestSocket.open(harness.gateway.websocketUrl);
    const connected = await socket.request({
      type: 'session.connect',
      protocolVersion: 1,
      sipOptions: sipOptions(login),
    });
    expect(connected['type']).toBe('response');
    await socket.waitFor({ type: 'session.status', status: 'REGISTERED' }, 5000);
    sockets.set(login, socket);
  }
}, 30_000);

afterAll(async () => {
  for (const [login, socket] of sockets) if (login !== 'alice') await socket.close();
  await harness?.stop();
  await server?.close();
});

function socketOf(user: User): TestSocket {
  return sockets.get(user)!;
}

/** `caller` calls `callee`; the callee's browser answers. Both peers end up connected. */
async function call(
  caller: User,
  callee: User,
  callId: string,
): Promise<{ callerPeer: WebRtcPeer; calleePeer: WebRtcPeer; calleeCallId: string }> {
  const callerPeer = await WebRtcPeer.create(`${caller}-${callId}`, ['opus', 'PCMU']);
  const calleePeer = await WebRtcPeer.create(`${callee}-${callId}`, ['opus', 'PCMU']);
  const from = socketOf(caller);
  const to = socketOf(callee);
  const seen = to.messages.length;
  const created = await from.request({
    type: 'call.create',
    callId,
    callee,
    audio: true,
    video: false,
    sdp: { type: 'offer', sdp: await callerPeer.offer() },
  });
  expect(created['type']).toBe('response');
  const incoming = await to.waitFor(
    (m) => m['type'] === 'call.incoming' && to.messages.indexOf(m) >= seen,
    10_000,
  );
  const calleeCallId = incoming['callId'] as string;
  const answer = await calleePeer.answer((incoming['sdp'] as { sdp: string }).sdp);
  const answered = await to.request({
    type: 'call.answer',
    callId: calleeCallId,
    sdp: { type: 'answer', sdp: answer },
  });
  expect(answered['type']).toBe('response');
  const established = await from.waitFor(
    { type: 'call.status', callId, status: 'ESTABLISHED' },
    10_000,
  );
  const sdp = (established['sdp'] ??
    from.messages.find((m) => m['callId'] === callId && m['sdp'])?.['sdp']) as { sdp: string };
  callerPeer.setAnswer(sdp.sdp);
  await Promise.all([callerPeer.connected(), calleePeer.connected()]);
  return { callerPeer, calleePeer, calleeCallId };
}

/**
 * The loudest the listener hears (RMS of a 500 ms window with audio in it; 0 with none) while
 * `speaker` sends a tone and the listener is silent; a loaded machine may need a few windows.
 */
async function heard(speaker: WebRtcPeer, listener: WebRtcPeer): Promise<number> {
  listener.startTone(440, 0);
  speaker.startTone(660, 8000);
  await new Promise((r) => setTimeout(r, 300));
  let loudest = 0;
  for (let window = 0; window < 4 && loudest <= 1000; window++) {
    const received = await listener.listen(500);
    if (received.packets > 10) loudest = Math.max(loudest, received.rms);
  }
  speaker.startTone(660, 0);
  return loudest;
}

describe('attended transfer through the gateway (three browsers, SIP registrar/proxy)', () => {
  it('alice transfers bob to carol: bob and carol talk, alice’s calls end, nothing is left', async () => {
    const alice = socketOf('alice');
    const bob = socketOf('bob');
    const carol = socketOf('carol');
    const first = await call('alice', 'bob', 'ab');
    const peers = [first.callerPeer, first.calleePeer];
    try {
      expect(await heard(first.calleePeer, first.callerPeer)).toBeGreaterThan(1000);
      // Consultation: bob waits on hold while alice talks to carol.
      expect((await alice.request({ type: 'call.hold', callId: 'ab' }))['type']).toBe('response');
      await bob.waitFor({ type: 'call.status', callId: first.calleeCallId, status: 'HOLD' }, 5000);
      const second = await call('alice', 'carol', 'ac');
      peers.push(second.callerPeer, second.calleePeer);
      expect(await heard(second.calleePeer, second.callerPeer)).toBeGreaterThan(1000);
      // Before the transfer bob and carol do not hear each other.
      expect(await heard(first.calleePeer, second.calleePeer)).toBeLessThan(300);

      const transferred = await alice.request({
        type: 'call.transfer',
        callId: 'ab',
        replacesCallId: 'ac',
      });
      expect(transferred['type']).toBe('response');
      const done = await alice.waitFor(
        (m) => m['type'] === 'call.transfer_status' && m['callId'] === 'ab' && m['final'] === true,
        10_000,
      );
      expect(done['sipStatus']).toBe(200);
      // Both of alice's calls end: the transferred one by us, the replaced one by carol's side.
      await alice.waitFor({ type: 'call.status', callId: 'ab', status: 'FINISH' }, 5000);
      await alice.waitFor({ type: 'call.status', callId: 'ac', status: 'FINISH' }, 5000);

      // bob's and carol's browser calls carry on, now with each other; bob is off hold.
      await bob.waitFor(
        (m) =>
          m['type'] === 'call.status' &&
          m['callId'] === first.calleeCallId &&
          m['status'] === 'ESTABLISHED' &&
          bob.messages.indexOf(m) >
            bob.messages.findIndex(
              (h) => h['status'] === 'HOLD' && h['callId'] === first.calleeCallId,
            ),
        5000,
      );
      const ended = (socket: TestSocket, callId: string) =>
        socket.messages.some(
          (m) => m['type'] === 'call.status' && m['callId'] === callId && m['status'] === 'FINISH',
        );
      expect(ended(bob, first.calleeCallId)).toBe(false);
      expect(ended(carol, second.calleeCallId)).toBe(false);
      // The INVITE with Replaces did not ring carol's browser as a new call (RFC 3891 §3).
      expect(carol.messages.filter((m) => m['type'] === 'call.incoming')).toHaveLength(1);
      await until(() => backend.activeCalls === 2, 'two calls left (bob–carol, both ends)');
      expect(await heard(first.calleePeer, second.calleePeer)).toBeGreaterThan(1000);
      expect(await heard(second.calleePeer, first.calleePeer)).toBeGreaterThan(1000);
      // alice hears neither of them any more.
      expect(await heard(first.calleePeer, first.callerPeer)).toBe(0);

      // bob hangs up: carol's call ends over the new dialog.
      await bob.request({ type: 'call.hangup', callId: first.calleeCallId });
      await carol.waitFor(
        { type: 'call.status', callId: second.calleeCallId, status: 'FINISH' },
        5000,
      );
      await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
    } finally {
      for (const peer of peers) peer.close();
    }
  }, 60_000);
});

/** A UDP socket for RTP that counts what arrives. */
async function rtpSink(): Promise<{ socket: Socket; port: number; packets: () => number }> {
  const socket = createSocket('udp4');
  let count = 0;
  socket.on('message', () => count++);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { socket, port: socket.address().port, packets: () => count };
}

function pcmuOffer(port: number): { body: string; contentType: string } {
  return {
    body:
      'v=0\r\no=dave 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
      `m=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n` +
      'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n',
    contentType: 'application/sdp',
  };
}

/** The final status of an INVITE. */
function finalStatus(call: OutgoingCall): Promise<number> {
  return new Promise((resolve) => {
    call.on('answered', (_session, response) => resolve(response.status));
    call.on('failed', (response) => resolve(response.status));
  });
}

/** A plain SIP user agent for one of the accounts. */
async function phone(login: 'dave' | 'erin'): Promise<UserAgent> {
  return new UserAgent({
    transports: [await UdpTransport.create({ address: '127.0.0.1' })],
    aor: `sip:${login}@${DOMAIN}`,
    outboundProxy: `sip:127.0.0.1:${sipPort}`,
    credentials: { username: login, password: `${login}-pw` },
  });
}

describe('INVITE with Replaces at the gateway (RFC 3891 §3) from a plain SIP phone', () => {
  it('answers 481 and 486 as the RFC says, takes over a confirmed dialog without ringing the browser, then 603 for the replaced one', async () => {
    const alice = socketOf('alice');
    const ua = await phone('dave');
    const peer = await WebRtcPeer.create('alice-dave', ['PCMU']);
    const [oldSink, newSink] = await Promise.all([rtpSink(), rtpSink()]);
    const seen = alice.messages.length;
    const incomingCalls = () =>
      alice.messages.slice(seen).filter((m) => m['type'] === 'call.incoming');
    try {
      const first = ua.invite(`sip:alice@${DOMAIN}`, { offer: pcmuOffer(oldSink.port) });
      await until(() => incomingCalls().length === 1, 'the call at alice');
      const incoming = incomingCalls()[0]!;
      const callId = incoming['callId'] as string;
      const answer = await peer.answer((incoming['sdp'] as { sdp: string }).sdp);
      await alice.request({ type: 'call.answer', callId, sdp: { type: 'answer', sdp: answer } });
      const session = await first.answered;
      await peer.connected();
      peer.startTone(440, 8000);
      await until(() => oldSink.packets() > 20, 'RTP on the first dialog');
      const { callId: sipCallId, localTag, remoteTag } = session.dialog.id;
      // The gateway's tag is its local tag (to-tag), ours is its remote tag (from-tag).
      const replaces = `${sipCallId};to-tag=${remoteTag};from-tag=${localTag}`;
      const invite = (value: string, port: number) =>
        ua.invite(`sip:alice@${DOMAIN}`, {
          offer: pcmuOffer(port),
          headers: [['Replaces', value]],
        });

      expect(await finalStatus(invite(`${sipCallId};to-tag=x;from-tag=${localTag}`, 9))).toBe(481);
      expect(await finalStatus(invite(`${replaces};early-only`, 9))).toBe(486);
      const oldEnded = new Promise((resolve) => session.on('terminated', resolve));
      const replacing = invite(replaces, newSink.port);
      expect(await finalStatus(replacing)).toBe(200);
      // The replaced dialog got BYE; the browser call is the same one and was not rung again.
      expect(await oldEnded).toBe('remote-bye');
      const sentToOld = oldSink.packets();
      await until(() => newSink.packets() > 20, 'RTP on the new dialog');
      expect(oldSink.packets() - sentToOld).toBeLessThan(3);
      expect(incomingCalls()).toHaveLength(1);
      expect(
        alice.messages.slice(seen).some((m) => m['callId'] === callId && m['status'] === 'FINISH'),
      ).toBe(false);
      // The dialog it replaced has ended: naming it again is 603.
      expect(await finalStatus(invite(replaces, 9))).toBe(603);

      await replacing.session!.bye();
      await alice.waitFor({ type: 'call.status', callId, status: 'FINISH' }, 5000);
      await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
    } finally {
      peer.close();
      oldSink.socket.close();
      newSink.socket.close();
      await ua.close();
    }
  }, 30_000);

  it('lets another phone pick up a call the browser placed while it rings (RFC 3891 §7.1)', async () => {
    const alice = socketOf('alice');
    const erin = await phone('erin');
    const dave = await phone('dave');
    const registerer = new Registerer(erin, { registrar: `sip:${DOMAIN}` });
    let ringing: IncomingCall | undefined;
    erin.on('invite', (call) => {
      ringing = call;
      call.ring();
    });
    const peer = await WebRtcPeer.create('alice-pickup', ['PCMU']);
    const sink = await rtpSink();
    try {
      expect((await registerer.register()).status).toBe(200);
      await alice.request({
        type: 'call.create',
        callId: 'pick',
        callee: 'erin',
        audio: true,
        video: false,
        sdp: { type: 'offer', sdp: await peer.offer() },
      });
      await alice.waitFor({ type: 'call.status', callId: 'pick', status: 'RING' }, 5000);
      const invite = ringing!.request;
      // The early dialog as the gateway sees it: its tag is From's, erin's is the 180's To tag.
      const replaces = `${invite.callId};to-tag=${invite.from?.tag};from-tag=${ringing!.transaction.toTag};early-only`;
      const pickup = dave.invite(`sip:alice@${DOMAIN}`, {
        offer: pcmuOffer(sink.port),
        headers: [['Replaces', replaces]],
      });
      expect(await finalStatus(pickup)).toBe(200);
      // erin stops ringing (CANCEL), and the browser gets its answer with dave's media behind it.
      await until(() => ringing!.state === 'cancelled', 'the CANCEL at erin');
      const established = await alice.waitFor(
        { type: 'call.status', callId: 'pick', status: 'ESTABLISHED' },
        5000,
      );
      peer.setAnswer((established['sdp'] as { sdp: string }).sdp);
      await peer.connected();
      peer.startTone(440, 8000);
      await until(() => sink.packets() > 20, 'RTP from the browser at dave');
      await pickup.session!.bye();
      await alice.waitFor({ type: 'call.status', callId: 'pick', status: 'FINISH' }, 5000);
      await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
    } finally {
      peer.close();
      sink.socket.close();
      await registerer.unregister().catch(() => undefined);
      registerer.stop();
      await erin.close();
      await dave.close();
    }
  }, 30_000);
});
