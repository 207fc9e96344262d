// Codec choice against SIPp phones that answer with exactly one codec and echo RTP back
// (conformance/sipp/uas-echo.xml): a G.729-only phone forces the gateway to transcode the
// browser's Opus to G.729 and back (G.729 from the optional @callbridge/codec-g729 package), a
// PCMU phone called by a browser that also offers PCMU stays on relay. libdatachannel plays the
// browser; the echo proves audio went through the SIP leg and came back.
import { afterEach, describe, expect, it } from 'vitest';
import { PEERS, needsPeers } from '@callbridge/testkit';
import { gatewayArgs, startSippPhone, type SippPhone } from '../../../bench/lib/gateway-load.mjs';
import {
  establishWithTone,
  placeCall,
  startB2bua,
  type B2buaHarness,
} from './support/b2bua-harness.js';
import { WebRtcPeer, type PeerCodec } from './support/webrtc-peer.js';

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The default SIP codecs plus G.729, which needs the optional package. */
const SIP_CODECS = 'PCMU,PCMA,G722,opus,G729,telephone-event';

/** The SDP bodies of SIPp's message trace: what it was sent and what it sent, in order. */
function sdpBodies(
  trace: string,
): { direction: 'sent' | 'received'; firstLine: string; sdp: string }[] {
  const bodies: ReturnType<typeof sdpBodies> = [];
  // Each entry: "<time> UDP message sent|received ...:\n\n<SIP message>" separated by dashes.
  for (const entry of trace.split(/^-{10,}.*$/m)) {
    const head = /message (sent|received)/.exec(entry);
    const message = entry.replace(/^[\s\S]*?\n\n/, '');
    const split = message.indexOf('\n\n');
    if (!head || split < 0 || !message.includes('\nv=0')) continue;
    bodies.push({
      direction: head[1] as 'sent' | 'received',
      firstLine: message.slice(0, message.indexOf('\n')).trim(),
      sdp: message.slice(message.indexOf('v=0')),
    });
  }
  return bodies;
}

/** Payload types of the m=audio line. */
const audioFormats = (sdp: string): string[] =>
  /^m=audio \d+ \S+ ([\d ]+)/m.exec(sdp)?.[1]?.trim().split(/\s+/) ?? [];

describe.skipIf(needsPeers(PEERS.sipp).skip)('transcoding and relay with SIPp phones', () => {
  const cleanup: (() => Promise<void> | void)[] = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function bridgeTo(codec: 'G729' | 'PCMU'): Promise<[SippPhone, B2buaHarness]> {
    const phone = await startSippPhone({ codec });
    cleanup.push(() => phone.stop());
    const harness = await startB2bua({
      argv: gatewayArgs(phone, ['--media-sip-codecs', SIP_CODECS]),
      sipOptions: {
        login: 'gateway',
        password: 'unused',
        domain: '127.0.0.1',
        registerRequired: false,
      },
    });
    cleanup.push(() => harness.stop());
    return [phone, harness];
  }

  async function mediaSessions(harness: B2buaHarness, mode: 'relay' | 'transcode') {
    const text = await (await fetch(`${harness.gateway.url}/metrics`)).text();
    const match = new RegExp(
      `^callbridge_media_sessions_total\\{mode="${mode}"\\} (\\d+)`,
      'm',
    ).exec(text);
    return Number(match?.[1] ?? 0);
  }

  /** One call from a browser offering `codecs`: tone out, what comes back measured. */
  async function call(harness: B2buaHarness, callId: string, codecs: PeerCodec[]) {
    const { socket, backend } = harness;
    const peer = await WebRtcPeer.create(callId, codecs);
    cleanup.push(() => peer.close());
    await placeCall(socket, peer, callId, 'phone');
    await establishWithTone(socket, peer, callId);
    await new Promise((r) => setTimeout(r, 600));
    const heard = await peer.listen(1500);
    const modes = {
      relay: await mediaSessions(harness, 'relay'),
      transcode: await mediaSessions(harness, 'transcode'),
    };
    await socket.request({ type: 'call.hangup', callId });
    await socket.waitFor({ type: 'call.status', callId, status: 'FINISH' });
    await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
    return { heard, modes, sent: peer.sendPayloadType };
  }

  it('an Opus-only browser and a G.729-only phone: transcoded, the echo comes back', async () => {
    const [phone, harness] = await bridgeTo('G729');
    const result = await call(harness, 'g729', ['opus']);
    expect(result.sent).toBe(111);
    expect(result.modes).toEqual({ relay: 0, transcode: 1 });
    // SIPp returns what it received: energy back at the browser means G.729 went out on the
    // SIP leg (the only format the phone's answer allows) and was decoded coming back.
    expect(result.heard.packets).toBeGreaterThan(50);
    expect(result.heard.rms).toBeGreaterThan(1000);

    const bodies = sdpBodies(phone.messages());
    const offer = bodies.find(
      (b) => b.direction === 'received' && b.firstLine.startsWith('INVITE'),
    );
    const answer = bodies.find(
      (b) => b.direction === 'sent' && b.firstLine.startsWith('SIP/2.0 200'),
    );
    expect(offer && audioFormats(offer.sdp)).toContain('18');
    expect(answer && audioFormats(answer.sdp)).toEqual(['18']);
    expect(answer?.sdp).toMatch(/^a=rtpmap:18 G729\/8000/m);
    expect(phone.failedCalls()).toBe(0);
  }, 40_000);

  it('a browser offering PCMU and a PCMU phone: relayed', async () => {
    const [phone, harness] = await bridgeTo('PCMU');
    const result = await call(harness, 'pcmu', ['opus', 'PCMU']);
    expect(result.sent).toBe(0);
    expect(result.modes).toEqual({ relay: 1, transcode: 0 });
    expect(result.heard.rms).toBeGreaterThan(1000);
    const answer = sdpBodies(phone.messages()).find((b) => b.direction === 'sent');
    expect(answer && audioFormats(answer.sdp)).toEqual(['0']);
  }, 40_000);
});
