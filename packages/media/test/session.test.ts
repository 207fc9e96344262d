import { describe, expect, it } from 'vitest';
import { createRtpPacket, serializeRtcp } from '@callbridge/rtp';
import { SrtpContext } from '@callbridge/srtp';
import { DtmfDetector, ManualClock, MediaSession, speechLikeSignal } from '@callbridge/media';
import type { DtmfEvent, LegConfig, MediaSessionEvents } from '@callbridge/media';
import {
  PCMA,
  PCMU,
  RecordingTransport,
  ToneSender,
  decodeAll,
  eventPacket,
  pcmuLeg,
  rms,
  srtpKeys,
  toneAmplitude,
} from './helpers.js';

interface Call {
  clock: ManualClock;
  session: MediaSession;
  a: RecordingTransport;
  b: RecordingTransport;
  events: { [K in keyof MediaSessionEvents]: MediaSessionEvents[K][] };
}

async function call(
  aConfig: (t: RecordingTransport) => LegConfig,
  bConfig: (t: RecordingTransport) => LegConfig,
  options: {
    inactivityTimeoutMs?: number;
    holdTone?: boolean;
    peerKeys?: { a?: number; b?: number };
  } = {},
): Promise<Call> {
  const clock = new ManualClock(10_000);
  const now = (): number => clock.now();
  const a = new RecordingTransport(
    now,
    options.peerKeys?.a !== undefined ? srtpKeys(options.peerKeys.a) : undefined,
  );
  const b = new RecordingTransport(
    now,
    options.peerKeys?.b !== undefined ? srtpKeys(options.peerKeys.b) : undefined,
  );
  const session = await MediaSession.create({
    a: aConfig(a),
    b: bConfig(b),
    clock,
    seed: 7,
    inactivityTimeoutMs: options.inactivityTimeoutMs ?? 0,
    ...(options.holdTone !== undefined ? { holdTone: options.holdTone } : {}),
  });
  const events = {
    dtmf: [],
    sipInfo: [],
    pictureFastUpdate: [],
    inactive: [],
    modeChange: [],
    error: [],
  } as Call['events'];
  for (const name of Object.keys(events) as (keyof MediaSessionEvents)[]) {
    session.on(name, (e) => (events[name] as unknown[]).push(e));
  }
  return { clock, session, a, b, events };
}

/** Sends `count` 20 ms packets from `sender` on `leg`, advancing the clock between them. */
function stream(
  c: Call,
  leg: 'a' | 'b',
  sender: ToneSender,
  count: number,
  frequency = 1000,
): void {
  for (let i = 0; i < count; i++) {
    c.session.receiveRtp(leg, sender.next(frequency));
    c.clock.advance(20);
  }
}

describe('MediaSession relay', () => {
  it('relays PCMU with its own SSRC and continuous numbering across source changes', async () => {
    const c = await call(pcmuLeg, pcmuLeg);
    expect(c.session.mode('a')).toBe('relay');
    const first = new ToneSender('mu', 0, 0x1111, 65500, 4294960000);
    stream(c, 'a', first, 50);
    // Re-INVITE on A's side: a new source with unrelated numbering, after a 100 ms pause.
    c.clock.advance(100);
    const second = new ToneSender('mu', 0, 0x2222, 7, 123);
    stream(c, 'a', second, 50);
    const out = c.b.rtp;
    expect(out).toHaveLength(100);
    const ssrc = out[0]!.ssrc;
    expect(ssrc).not.toBe(0x1111);
    for (let i = 1; i < out.length; i++) {
      expect(out[i]!.ssrc).toBe(ssrc);
      expect(out[i]!.sequenceNumber).toBe((out[i - 1]!.sequenceNumber + 1) & 0xffff);
      const tsStep = (out[i]!.timestamp - out[i - 1]!.timestamp) >>> 0;
      expect(tsStep).toBe(i === 50 ? 160 * 6 : 160); // 20 ms frame + 100 ms pause at the switch
    }
    expect(out[50]!.marker).toBe(true);
    // Payload untouched.
    expect(rms(decodeAll(out, 'mu'))).toBeGreaterThan(5000);
    expect(c.session.statistics('b').rtpSent).toBe(100);
  });

  it('maps payload types between legs and drops formats the other leg did not negotiate', async () => {
    const c = await call(
      (t) => ({
        transport: t,
        audio: {
          formats: [
            { payloadType: 0, name: 'PCMU', clockRate: 8000 },
            { payloadType: 8, name: 'PCMA', clockRate: 8000 },
          ],
        },
      }),
      (t) => ({
        transport: t,
        audio: { formats: [{ payloadType: 0, name: 'PCMU', clockRate: 8000 }] },
      }),
    );
    const mu = new ToneSender('mu', 0, 5);
    const alaw = new ToneSender('a', 8, 5, 2000, 0);
    c.session.receiveRtp('a', mu.next());
    c.session.receiveRtp('a', alaw.next());
    c.session.receiveRtp(
      'a',
      createRtpPacket({
        payloadType: 99,
        sequenceNumber: 1,
        timestamp: 1,
        ssrc: 5,
        payload: new Uint8Array(10),
      }).bytes,
    );
    c.session.receiveRtp('a', Uint8Array.of(1, 2, 3));
    expect(c.b.rtp.map((p) => p.payloadType)).toEqual([0]);
    expect(c.session.statistics('a').discarded).toBe(3);
  });

  it('bridges SRTP on one leg to plain RTP on the other, both ways', async () => {
    // Leg A (browser side) uses SRTP: keys 1 for what it sends, 2 for what we send it.
    const c = await call(
      (t) => pcmuLeg(t, { srtp: { send: srtpKeys(2), receive: srtpKeys(1) } }),
      (t) => pcmuLeg(t),
      { peerKeys: { a: 2 } },
    );
    const browser = new SrtpContext(srtpKeys(1));
    const fromBrowser = new ToneSender('mu', 0, 0xaaaa);
    const fromPhone = new ToneSender('mu', 0, 0xbbbb);
    for (let i = 0; i < 20; i++) {
      c.session.receiveRtp('a', browser.protectRtp(fromBrowser.next()));
      c.session.receiveRtp('b', fromPhone.next(500));
      c.clock.advance(20);
    }
    expect(c.b.rtp).toHaveLength(20);
    expect(c.a.rtp).toHaveLength(20); // the recording transport unprotected them with keys 2
    expect(toneAmplitude(decodeAll(c.a.rtp, 'mu'), 500, 8000)).toBeGreaterThan(6000);
    expect(toneAmplitude(decodeAll(c.b.rtp, 'mu'), 1000, 8000)).toBeGreaterThan(6000);
    // A forged packet fails authentication and is counted, not forwarded.
    const forged = browser.protectRtp(fromBrowser.next());
    forged[forged.length - 1]! ^= 1;
    c.session.receiveRtp('a', forged);
    expect(c.session.statistics('a').srtpFailures).toBe(1);
    expect(c.b.rtp).toHaveLength(20);
  });

  it('bridges SDES-SRTP to DTLS-SRTP keys (SRTP on both legs, different keys)', async () => {
    const c = await call(
      (t) => pcmuLeg(t, { srtp: { send: srtpKeys(2), receive: srtpKeys(1) } }),
      (t) => pcmuLeg(t, { srtp: { send: srtpKeys(4), receive: srtpKeys(3) } }),
      { peerKeys: { a: 2, b: 4 } },
    );
    const peerA = new SrtpContext(srtpKeys(1));
    const sender = new ToneSender('mu', 0, 1);
    for (let i = 0; i < 10; i++) {
      c.session.receiveRtp('a', peerA.protectRtp(sender.next()));
      c.clock.advance(20);
    }
    expect(c.b.rtp).toHaveLength(10);
  });

  it('forwards nothing while a leg is held, plays an optional hold tone, and resumes continuously', async () => {
    const c = await call(pcmuLeg, pcmuLeg, { holdTone: true });
    const fromA = new ToneSender('mu', 0, 1);
    const fromB = new ToneSender('mu', 0, 2);
    stream(c, 'a', fromA, 10);
    c.session.setHold('b', true);
    for (let i = 0; i < 100; i++) {
      c.session.receiveRtp('a', fromA.next());
      c.session.receiveRtp('b', fromB.next());
      c.clock.advance(20);
    }
    // Nothing from A reached B, nothing from B reached A except our hold tone.
    expect(c.b.rtp).toHaveLength(10);
    const toneToA = decodeAll(c.a.rtp, 'mu');
    expect(c.a.rtp.length).toBeGreaterThan(90);
    expect(toneAmplitude(toneToA.subarray(0, 1600), 425, 8000)).toBeGreaterThan(1000);
    c.session.setHold('b', false);
    stream(c, 'a', fromA, 10);
    const resumed = c.b.rtp.slice(10);
    expect(resumed).toHaveLength(10);
    expect(resumed[0]!.sequenceNumber).toBe((c.b.rtp[9]!.sequenceNumber + 1) & 0xffff);
    expect(resumed[0]!.marker).toBe(true);
  });

  it('plays the hold tone to the held leg itself, or to nobody, when asked', async () => {
    const c = await call(pcmuLeg, pcmuLeg, { holdTone: true });
    const fromA = new ToneSender('mu', 0, 1);
    const fromB = new ToneSender('mu', 0, 2);
    // B is put on hold by A's side: B hears the tone, A hears nothing of B.
    c.session.setHold('b', true, 'b');
    for (let i = 0; i < 100; i++) {
      c.session.receiveRtp('a', fromA.next());
      c.session.receiveRtp('b', fromB.next());
      c.clock.advance(20);
    }
    expect(c.a.rtp).toHaveLength(0);
    expect(c.b.rtp.length).toBeGreaterThan(90);
    expect(toneAmplitude(decodeAll(c.b.rtp, 'mu').subarray(0, 1600), 425, 8000)).toBeGreaterThan(
      1000,
    );
    // Both sides hold: the tone stops.
    c.session.setHold('b', true, 'none');
    const sent = c.b.rtp.length;
    for (let i = 0; i < 50; i++) {
      c.session.receiveRtp('a', fromA.next());
      c.clock.advance(20);
    }
    expect(c.b.rtp.length).toBe(sent);
    expect(c.a.rtp).toHaveLength(0);
  });

  it('reports a silent leg as inactive, but not while it is on hold', async () => {
    const c = await call(pcmuLeg, pcmuLeg, { inactivityTimeoutMs: 5000 });
    const fromA = new ToneSender('mu', 0, 1);
    const fromB = new ToneSender('mu', 0, 2);
    c.session.setHold('b', true);
    for (let i = 0; i < 400; i++) {
      c.session.receiveRtp('a', fromA.next());
      c.clock.advance(20);
    }
    expect(c.events.inactive).toEqual([]);
    c.session.setHold('b', false);
    c.session.receiveRtp('b', fromB.next());
    for (let i = 0; i < 400; i++) {
      c.session.receiveRtp('a', fromA.next());
      c.clock.advance(20);
    }
    expect(c.events.inactive).toHaveLength(1);
    expect(c.events.inactive[0]!.leg).toBe('b');
    expect(c.events.inactive[0]!.silentForMs).toBeGreaterThanOrEqual(5000);
  });
});

describe('MediaSession transcoding', () => {
  it('transcodes PCMU at 20 ms to PCMA at 30 ms and back', async () => {
    const c = await call(pcmuLeg, (t) => ({ transport: t, audio: { formats: [PCMA], ptime: 30 } }));
    expect(c.session.mode('a')).toBe('transcode');
    expect(c.session.mode('b')).toBe('transcode');
    const fromA = new ToneSender('mu', 0, 1);
    stream(c, 'a', fromA, 150);
    const out = c.b.rtp;
    expect(out.length).toBeGreaterThan(90);
    for (let i = 1; i < out.length; i++) {
      expect(out[i]!.payloadType).toBe(8);
      expect(out[i]!.sequenceNumber).toBe((out[i - 1]!.sequenceNumber + 1) & 0xffff);
      expect((out[i]!.timestamp - out[i - 1]!.timestamp) >>> 0).toBe(240);
      expect(out[i]!.payloadLength).toBe(240);
    }
    const pcm = decodeAll(out, 'a');
    const steady = pcm.subarray(2400, 2400 + 8000);
    expect(toneAmplitude(steady, 1000, 8000)).toBeGreaterThan(7000);
    expect(toneAmplitude(steady, 500, 8000)).toBeLessThan(200);
    const report = c.session.jitterBufferReport('a')!;
    expect(report.packetsPlayed).toBeGreaterThan(140);
  });

  for (const ptime of [10, 40, 60]) {
    it(`repacketizes 20 ms PCMU into ${ptime} ms PCMA`, async () => {
      const c = await call(pcmuLeg, (t) => ({ transport: t, audio: { formats: [PCMA], ptime } }));
      stream(c, 'a', new ToneSender('mu', 0, 1), 100);
      const out = c.b.rtp;
      expect(out.length).toBeGreaterThan((1500 / ptime) | 0);
      for (let i = 1; i < out.length; i++) {
        expect((out[i]!.timestamp - out[i - 1]!.timestamp) >>> 0).toBe(ptime * 8);
        expect(out[i]!.payloadLength).toBe(ptime * 8);
      }
      const pcm = decodeAll(out, 'a');
      expect(toneAmplitude(pcm.subarray(pcm.length - 8000), 1000, 8000)).toBeGreaterThan(6000);
    });
  }

  it('resamples between G.722 (16 kHz audio, 8 kHz RTP clock) and PCMU', async () => {
    const { codecRegistry } = await import('@callbridge/codecs');
    const G722 = { payloadType: 9, name: 'G722', clockRate: 8000 } as const;
    const c = await call((t) => ({ transport: t, audio: { formats: [G722] } }), pcmuLeg);
    const encoder = await codecRegistry.create(G722, { frameDuration: 20 });
    expect(encoder.sampleRate).toBe(16000);
    const frame = new Int16Array(encoder.frameSamples);
    const fromB = new ToneSender('mu', 0, 2);
    for (let i = 0; i < 100; i++) {
      for (let j = 0; j < frame.length; j++) {
        frame[j] = Math.round(
          8000 * Math.sin((2 * Math.PI * 1000 * (i * frame.length + j)) / 16000),
        );
      }
      const payload = encoder.encode(frame).slice();
      c.session.receiveRtp(
        'a',
        createRtpPacket({ payloadType: 9, sequenceNumber: i, timestamp: i * 160, ssrc: 4, payload })
          .bytes,
      );
      c.session.receiveRtp('b', fromB.next(500));
      c.clock.advance(20);
    }
    encoder.close();
    const heardOnB = decodeAll(c.b.rtp, 'mu');
    expect(toneAmplitude(heardOnB.subarray(4000, 12000), 1000, 8000)).toBeGreaterThan(5000);
    const toA = c.a.ofType(9);
    expect(toA.length).toBeGreaterThan(80);
    // G.722's RTP clock runs at 8 kHz (RFC 3551 §4.5.2) though it carries 16 kHz audio.
    expect((toA[11]!.timestamp - toA[10]!.timestamp) >>> 0).toBe(160);
    expect(toA[10]!.payloadLength).toBe(160);
    const decoder = await codecRegistry.create(G722, { frameDuration: 20 });
    const pcm = new Int16Array(toA.length * 320);
    toA.forEach((p, i) => pcm.set(decoder.decode(p.payload), i * 320));
    decoder.close();
    expect(toneAmplitude(pcm.subarray(8000, 24000), 500, 16000)).toBeGreaterThan(4000);
  });

  it('switches from relay to transcoding on a re-INVITE without a gap longer than one frame', async () => {
    const c = await call(pcmuLeg, pcmuLeg);
    const fromA = new ToneSender('mu', 0, 1);
    stream(c, 'a', fromA, 50);
    expect(c.session.mode('a')).toBe('relay');
    // A's re-INVITE moves it to PCMA; B stays on PCMU.
    await c.session.updateLeg('a', { transport: c.a, audio: { formats: [PCMA] } });
    expect(c.session.mode('a')).toBe('transcode');
    expect(c.events.modeChange.map((e) => e.mode)).toEqual(['transcode', 'transcode']);
    const alaw = new ToneSender('a', 8, 9, 300, 9_000_000);
    stream(c, 'a', alaw, 50);
    const out = c.b.rtp;
    for (let i = 1; i < out.length; i++) {
      expect(out[i]!.sequenceNumber).toBe((out[i - 1]!.sequenceNumber + 1) & 0xffff);
    }
    // The first transcoded packet with sound follows the last relayed one within a frame.
    const lastRelayed = 49;
    const firstSound = out.findIndex((p, i) => i > lastRelayed && rms(decodeAll([p], 'mu')) > 1000);
    expect(c.b.rtpTimes[firstSound]! - c.b.rtpTimes[lastRelayed]!).toBeLessThanOrEqual(40);
    const tsGap = (out[firstSound]!.timestamp - out[lastRelayed]!.timestamp) >>> 0;
    expect(tsGap).toBeLessThanOrEqual(2 * 160 + 160);

    // And back: A returns to PCMU, the path relays again, still one continuous stream.
    await c.session.updateLeg('a', { transport: c.a, audio: { formats: [PCMU] } });
    expect(c.session.mode('a')).toBe('relay');
    const transcodedCount = out.length;
    const back = new ToneSender('mu', 0, 10, 42, 123_456);
    stream(c, 'a', back, 20);
    const all = c.b.rtp;
    for (let i = 1; i < all.length; i++) {
      expect(all[i]!.sequenceNumber).toBe((all[i - 1]!.sequenceNumber + 1) & 0xffff);
    }
    expect(c.b.rtpTimes[transcodedCount]! - c.b.rtpTimes[transcodedCount - 1]!).toBeLessThanOrEqual(
      20,
    );
    expect(all[transcodedCount]!.marker).toBe(true);
  });
});

describe('MediaSession DTMF interworking', () => {
  /** An RFC 4733 train for one digit: marker start, updates, three end packets, plus a duplicate end. */
  function sendEvent(
    c: Call,
    leg: 'a' | 'b',
    ssrc: number,
    seq: number,
    ts: number,
    event: number,
    durationMs: number,
  ): number {
    const total = durationMs * 8;
    let s = seq;
    for (let d = 160; d < total; d += 400) {
      c.session.receiveRtp(leg, eventPacket(101, ssrc, s++, ts, event, false, d, d === 160));
      c.clock.advance(50);
    }
    for (let i = 0; i < 3; i++)
      c.session.receiveRtp(leg, eventPacket(101, ssrc, s++, ts, event, true, total));
    c.session.receiveRtp(leg, eventPacket(101, ssrc, s - 1, ts, event, true, total));
    return s;
  }

  it('RFC 4733 to SIP INFO: one INFO per digit with its duration', async () => {
    const c = await call(pcmuLeg, (t) => pcmuLeg(t, { dtmf: 'sip-info' }));
    const next = sendEvent(c, 'a', 1, 10, 8000, 5, 200);
    sendEvent(c, 'a', 1, next, 16000, 11, 120);
    expect(c.events.sipInfo).toEqual([
      { leg: 'b', contentType: 'application/dtmf-relay', body: 'Signal=5\r\nDuration=200\r\n' },
      { leg: 'b', contentType: 'application/dtmf-relay', body: 'Signal=#\r\nDuration=120\r\n' },
    ]);
    expect(c.events.dtmf.map((d: DtmfEvent) => [d.leg, d.digit, d.durationMs, d.via])).toEqual([
      ['a', '5', 200, 'rfc4733'],
      ['a', '#', 120, 'rfc4733'],
    ]);
  });

  it('RFC 4733 relayed between legs at the same rate keeps the packets, with remapped payload type', async () => {
    const c = await call(pcmuLeg, (t) => ({
      transport: t,
      audio: { formats: [PCMU], telephoneEvents: [{ payloadType: 126, clockRate: 8000 }] },
    }));
    const sender = new ToneSender('mu', 0, 1);
    stream(c, 'a', sender, 5);
    sendEvent(c, 'a', 1, sender.seq, sender.ts, 1, 100);
    const events = c.b.ofType(126);
    expect(events.length).toBe(6); // 2 updates + 3 end + 1 duplicate end, as sent
    expect(new Set(events.map((p) => p.ssrc))).toEqual(new Set([c.b.rtp[0]!.ssrc]));
    expect(c.events.dtmf).toHaveLength(1);
  });

  it('SIP INFO to RFC 4733: a packet train with marker, duration and three end packets', async () => {
    const c = await call((t) => pcmuLeg(t, { dtmf: 'sip-info' }), pcmuLeg);
    const sender = new ToneSender('mu', 0, 1);
    stream(c, 'b', new ToneSender('mu', 0, 2), 1);
    stream(c, 'a', sender, 5);
    c.session.receiveSipInfo('a', 'application/dtmf-relay', 'Signal=9\r\nDuration=160\r\n');
    stream(c, 'a', sender, 30);
    const events = c.b.ofType(101);
    expect(events[0]!.marker).toBe(true);
    const payloads = events.map((p) => p.payload);
    expect(payloads.every((p) => p[0] === 9)).toBe(true);
    const ends = payloads.filter((p) => (p[1]! & 0x80) !== 0);
    expect(ends).toHaveLength(3);
    for (const end of ends) expect((end[2]! << 8) | end[3]!).toBe(160 * 8);
    expect(new Set(events.map((p) => p.timestamp)).size).toBe(1);
    // Audio resumes after the event with continuous sequence numbers.
    const all = c.b.rtp;
    for (let i = 1; i < all.length; i++)
      expect(all[i]!.sequenceNumber).toBe((all[i - 1]!.sequenceNumber + 1) & 0xffff);
    expect(all[all.length - 1]!.payloadType).toBe(0);
  });

  it('RFC 4733 to in-band tones that a Q.24 detector recognises', async () => {
    const c = await call(pcmuLeg, (t) => ({
      transport: t,
      audio: { formats: [PCMU] },
      dtmf: 'inband',
    }));
    const sender = new ToneSender('mu', 0, 1);
    stream(c, 'a', sender, 10, 300);
    sendEvent(c, 'a', 1, sender.seq, sender.ts, 7, 200);
    stream(c, 'a', sender, 20, 300);
    const found: { digit: string; durationMs: number }[] = [];
    const detector = new DtmfDetector({ sampleRate: 8000, onDigit: (d) => found.push(d) });
    detector.process(decodeAll(c.b.rtp, 'mu'));
    detector.flush();
    expect(found.map((d) => d.digit)).toEqual(['7']);
    // 200 ms sent; the tone follows the event within a frame and the detector's ±13 ms.
    expect(found[0]!.durationMs).toBeGreaterThan(180);
    expect(found[0]!.durationMs).toBeLessThan(260);
  });

  it('in-band tones to RFC 4733 events', async () => {
    const c = await call(
      (t) => ({ transport: t, audio: { formats: [PCMU] }, dtmf: 'inband' }),
      pcmuLeg,
    );
    const sender = new ToneSender('mu', 0, 1);
    const { DtmfGenerator } = await import('@callbridge/media');
    const generator = new DtmfGenerator({ sampleRate: 8000 });
    stream(c, 'a', sender, 10, 300);
    generator.play('4', 160);
    const frame = new Int16Array(160);
    for (let i = 0; i < 20; i++) {
      frame.fill(0);
      generator.render(frame);
      c.session.receiveRtp('a', sender.frame(frame));
      c.clock.advance(20);
    }
    stream(c, 'a', sender, 20, 300);
    expect(c.events.dtmf.map((d: DtmfEvent) => [d.digit, d.via])).toEqual([['4', 'inband']]);
    const events = c.b.ofType(101);
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(events.every((p) => p.payload[0] === 4)).toBe(true);
    const end = events[events.length - 1]!.payload;
    const durationMs = ((end[2]! << 8) | end[3]!) / 8;
    expect(durationMs).toBeGreaterThan(140);
    expect(durationMs).toBeLessThan(180);
  });

  it('telephone-event/8000 to telephone-event/48000 rescales durations', async () => {
    const c = await call(pcmuLeg, (t) => ({
      transport: t,
      audio: { formats: [PCMU], telephoneEvents: [{ payloadType: 110, clockRate: 48000 }] },
    }));
    const sender = new ToneSender('mu', 0, 1);
    stream(c, 'a', sender, 5);
    sendEvent(c, 'a', 1, sender.seq, sender.ts, 2, 100);
    stream(c, 'a', sender, 20);
    const events = c.b.ofType(110);
    const last = events[events.length - 1]!.payload;
    expect((last[1]! & 0x80) !== 0).toBe(true);
    expect((last[2]! << 8) | last[3]!).toBe(100 * 48);
  });

  it('sends an application digit to a SIP INFO leg with the configured body type', async () => {
    const c = await call(pcmuLeg, (t) =>
      pcmuLeg(t, { dtmf: 'sip-info', sipInfoContentType: 'application/dtmf' }),
    );
    c.session.sendDtmf('b', '*', 100);
    expect(c.events.sipInfo).toEqual([{ leg: 'b', contentType: 'application/dtmf', body: '*' }]);
  });
});

describe('MediaSession RTCP and video', () => {
  const VP8_A = { payloadType: 96, name: 'VP8', clockRate: 90000 } as const;
  const VP8_B = { payloadType: 100, name: 'VP8', clockRate: 90000 } as const;

  it('terminates RTCP per leg with its own SR, report blocks and CNAME', async () => {
    const c = await call(pcmuLeg, (t) => pcmuLeg(t, { cname: 'gw@example' }));
    const sender = new ToneSender('mu', 0, 0x42);
    stream(c, 'a', sender, 400); // 8 s
    const toB = c.b.rtcp.flat();
    const sr = toB.find((p) => p.type === 'sr');
    expect(sr).toBeDefined();
    expect(sr?.type === 'sr' && sr.ssrc).toBe(c.b.rtp[0]!.ssrc);
    expect(sr?.type === 'sr' && sr.packetCount).toBeGreaterThan(100);
    const sdes = toB.find((p) => p.type === 'sdes');
    expect(sdes?.type === 'sdes' && sdes.chunks[0]!.items[0]!.value).toBe('gw@example');
    const toA = c.a.rtcp.flat();
    const rr = toA.find((p) => p.type === 'rr');
    expect(rr?.type === 'rr' && rr.reports[0]!.ssrc).toBe(0x42);
    expect(rr?.type === 'rr' && rr.reports[0]!.cumulativeLost).toBe(0);
  });

  it('relays VP8 with payload type mapping and forwards keyframe requests and NACKs', async () => {
    const video =
      (formats: typeof VP8_A | typeof VP8_B) =>
      (t: RecordingTransport): LegConfig => ({ transport: t, video: { formats: [formats] } });
    const c = await call(video(VP8_A), video(VP8_B));
    for (let i = 0; i < 5; i++) {
      c.session.receiveRtp(
        'a',
        createRtpPacket({
          payloadType: 96,
          sequenceNumber: 100 + i,
          timestamp: 3000 * i,
          ssrc: 0x77,
          marker: i === 4,
          payload: new Uint8Array(900),
        }).bytes,
      );
    }
    expect(c.b.rtp.map((p) => p.payloadType)).toEqual([100, 100, 100, 100, 100]);
    expect(c.b.rtp.map((p) => p.marker)).toEqual([false, false, false, false, true]);
    const ourSsrc = c.b.rtp[0]!.ssrc;
    const firstOut = c.b.rtp[0]!.sequenceNumber;
    c.session.receiveRtcp('b', serializeRtcp([{ type: 'pli', senderSsrc: 9, mediaSsrc: ourSsrc }]));
    c.session.receiveRtcp(
      'b',
      serializeRtcp([
        { type: 'nack', senderSsrc: 9, mediaSsrc: ourSsrc, lostSequenceNumbers: [firstOut + 2] },
      ]),
    );
    const toA = c.a.rtcp.flat();
    expect(toA).toContainEqual(expect.objectContaining({ type: 'pli', mediaSsrc: 0x77 }));
    expect(toA).toContainEqual(
      expect.objectContaining({ type: 'nack', mediaSsrc: 0x77, lostSequenceNumbers: [102] }),
    );
    expect(c.events.pictureFastUpdate).toEqual([{ leg: 'a' }]);
    // The SIP side of B asked for a keyframe (RFC 5168 INFO): throttled, then forwarded again.
    c.clock.advance(500);
    c.session.requestKeyframe('b');
    expect(c.events.pictureFastUpdate).toHaveLength(2);
  });
});

describe('MediaSession H.264 relay', () => {
  it('maps H.264 payload types by packetization mode and profile, and forwards keyframe requests', async () => {
    // The browser offers constrained baseline in both packetization modes and high profile; the
    // SIP side answered its own payload types in another order (RFC 6184 §8.2.2: another mode or
    // profile is another format, another level is not).
    const browser = [
      {
        payloadType: 102,
        name: 'H264',
        clockRate: 90000,
        fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      },
      {
        payloadType: 127,
        name: 'H264',
        clockRate: 90000,
        fmtp: 'level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
      },
      {
        payloadType: 123,
        name: 'H264',
        clockRate: 90000,
        fmtp: 'packetization-mode=1;profile-level-id=640032',
      },
    ];
    const phone = [
      { payloadType: 97, name: 'H264', clockRate: 90000, fmtp: 'profile-level-id=42e00d' },
      {
        payloadType: 99,
        name: 'H264',
        clockRate: 90000,
        fmtp: 'packetization-mode=1;profile-level-id=42e016',
      },
    ];
    const c = await call(
      (t) => ({ transport: t, video: { formats: browser } }),
      (t) => ({ transport: t, video: { formats: phone } }),
    );
    const send = (payloadType: number, i: number) =>
      c.session.receiveRtp(
        'a',
        createRtpPacket({
          payloadType,
          sequenceNumber: 200 + i,
          timestamp: 3000 * i,
          ssrc: 0x88,
          marker: true,
          payload: Uint8Array.of(0x65, i), // an IDR slice NAL unit
        }).bytes,
      );
    send(102, 0); // mode 1 → the phone's mode 1 format
    send(127, 1); // mode 0 → the phone's format without a mode (0)
    send(123, 2); // high profile: the phone has none, so nothing is sent
    expect(c.b.rtp.map((p) => p.payloadType)).toEqual([99, 97]);
    expect(c.b.rtp.map((p) => p.payload[1])).toEqual([0, 1]);
    // A FIR from the phone (RFC 5104 §4.3.1) becomes a keyframe request towards the browser.
    c.session.receiveRtcp(
      'b',
      serializeRtcp([
        {
          type: 'fir',
          senderSsrc: 5,
          mediaSsrc: 0,
          entries: [{ ssrc: c.b.rtp[0]!.ssrc, sequenceNumber: 1 }],
        },
      ]),
    );
    expect(c.a.rtcp.flat()).toContainEqual(
      expect.objectContaining({ type: 'pli', mediaSsrc: 0x88 }),
    );
    expect(c.events.pictureFastUpdate).toEqual([{ leg: 'a' }]);
  });
});

describe('MediaSession with the WebAssembly Opus codec', () => {
  const OPUS = {
    payloadType: 111,
    name: 'opus',
    clockRate: 48000,
    channels: 2,
    fmtp: 'useinbandfec=1',
  } as const;

  it('transcodes Opus ⇄ PCMU both ways and recovers a lost packet from in-band FEC', async () => {
    const { codecRegistry } = await import('@callbridge/codecs');
    const c = await call((t) => ({ transport: t, audio: { formats: [OPUS] } }), pcmuLeg);
    expect(c.session.mode('a')).toBe('transcode');
    // The browser side: Opus at 48 kHz stereo with FEC, as Chrome sends it.
    const browser = await codecRegistry.create(OPUS, {
      frameDuration: 20,
      fec: true,
      packetLossPercent: 20,
    });
    const frame = new Int16Array(browser.frameSamples * browser.channels);
    const fromB = new ToneSender('mu', 0, 2);
    // Speech, so Opus runs SILK, whose frames carry the LBRR copy (RFC 6716 §2.1.7); a pure
    // tone would go CELT-only and carry no FEC.
    const speech = speechLikeSignal(4, browser.sampleRate, 3000);
    for (let i = 0; i < 150; i++) {
      for (let j = 0; j < browser.frameSamples; j++) {
        const s = speech[i * browser.frameSamples + j]!;
        for (let ch = 0; ch < browser.channels; ch++) frame[j * browser.channels + ch] = s;
      }
      const payload = browser.encode(frame).slice();
      // Packet 80 is lost on the way; the next one carries its FEC copy.
      if (i !== 80) {
        c.session.receiveRtp(
          'a',
          createRtpPacket({
            payloadType: 111,
            sequenceNumber: 500 + i,
            timestamp: 7777 + i * 960,
            ssrc: 0x0b,
            payload,
          }).bytes,
        );
      }
      c.session.receiveRtp('b', fromB.next(500));
      c.clock.advance(20);
    }
    browser.close();
    const heardOnB = decodeAll(c.b.rtp, 'mu');
    expect(rms(heardOnB.subarray(4000, 20000))).toBeGreaterThan(500);
    expect(c.session.jitterBufferReport('a')!.fecRecovered).toBe(1);
    // What the browser gets: Opus packets at 48 kHz timestamps carrying the 500 Hz tone.
    const toA = c.a.ofType(111);
    expect(toA.length).toBeGreaterThan(100);
    expect((toA[11]!.timestamp - toA[10]!.timestamp) >>> 0).toBe(960);
    const decoder = await codecRegistry.create(OPUS, { frameDuration: 20, sampleRate: 8000 });
    const pcm = new Int16Array(toA.length * 160 * decoder.channels);
    toA.forEach((p, i) => pcm.set(decoder.decode(p.payload), i * 160 * decoder.channels));
    decoder.close();
    const mono = decoder.channels === 1 ? pcm : pcm.filter((_, i) => i % decoder.channels === 0);
    expect(toneAmplitude(mono.subarray(4000, 12000), 500, 8000)).toBeGreaterThan(3000);
  });
});

describe('Comfort noise (RFC 3389)', () => {
  it('plays noise at the level a CN packet announces while the sender is silent', async () => {
    const leg = (t: RecordingTransport): LegConfig => ({
      transport: t,
      audio: { formats: [PCMU], comfortNoisePayloadType: 13 },
    });
    const c = await call(leg, (t) => ({ transport: t, audio: { formats: [PCMA] } }));
    const sender = new ToneSender('mu', 0, 3);
    stream(c, 'a', sender, 20);
    // Silence: one SID at -40 dBov, then nothing for a second (timestamps jump on resumption).
    c.session.receiveRtp(
      'a',
      createRtpPacket({
        payloadType: 13,
        sequenceNumber: sender.seq++,
        timestamp: sender.ts,
        ssrc: 3,
        payload: Uint8Array.of(40),
      }).bytes,
    );
    sender.ts += 8000;
    for (let i = 0; i < 50; i++) c.clock.advance(20);
    stream(c, 'a', sender, 20);
    const pcm = decodeAll(c.b.rtp, 'a');
    // Somewhere in the silent second the level sits near -40 dBov (RMS ≈ 328), not at zero.
    let quietest = Infinity;
    for (let at = 0; at + 1600 <= pcm.length; at += 800) {
      const level = rms(pcm, at, at + 1600);
      if (level < quietest) quietest = level;
    }
    expect(quietest).toBeGreaterThan(150);
    expect(quietest).toBeLessThan(700);
  });
});

describe('MediaSession robustness', () => {
  it('refuses payload types outside 0..127 in a leg, at creation and on update, and keeps the call', async () => {
    for (const bad of [128, -1, 1.5]) {
      await expect(
        call(pcmuLeg, (t) => ({
          transport: t,
          audio: { formats: [{ ...PCMA, payloadType: bad }] },
        })),
      ).rejects.toMatchObject({ name: 'MediaError', code: 'INVALID_ARGUMENT' });
    }
    await expect(
      call(pcmuLeg, (t) =>
        pcmuLeg(t, { audio: { formats: [PCMU], comfortNoisePayloadType: 200 } }),
      ),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const c = await call(pcmuLeg, pcmuLeg);
    await expect(
      c.session.updateLeg('b', {
        transport: c.b,
        audio: { formats: [PCMU], telephoneEvents: [{ payloadType: 300, clockRate: 8000 }] },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('300') });
    // Nothing of the refused update was applied: the call relays as before.
    stream(c, 'a', new ToneSender('mu', 0, 0x51), 10);
    expect(c.b.rtp.length).toBe(10);
    expect(c.b.rtp.every((p) => p.payloadType === 0)).toBe(true);
    expect(c.events.error).toEqual([]);
  });

  it('never throws on malformed or hostile packets', async () => {
    const { SeededRandom } = await import('@callbridge/media');
    const c = await call(
      (t) => pcmuLeg(t, { srtp: { send: srtpKeys(2), receive: srtpKeys(1) } }),
      (t) => ({
        transport: t,
        audio: { formats: [PCMA] },
        video: { formats: [{ payloadType: 96, name: 'VP8', clockRate: 90000 }] },
      }),
      { peerKeys: { a: 2 } },
    );
    const rng = new SeededRandom(99);
    for (let i = 0; i < 3000; i++) {
      const length = Math.floor(rng.uniform(0, 1600));
      const bytes = Uint8Array.from({ length }, () => rng.nextUint32() & 0xff);
      // Half of them look like RTP/RTCP version 2 so they get past the first check.
      if (length > 0 && i % 2 === 0) bytes[0] = 0x80 | (bytes[0]! & 0x3f);
      const leg = i % 3 === 0 ? 'a' : 'b';
      expect(() => c.session.receiveRtp(leg, bytes)).not.toThrow();
      expect(() => c.session.receiveRtcp(leg, bytes)).not.toThrow();
      if (i % 50 === 0) c.clock.advance(20);
    }
    expect(() => c.session.receiveSipInfo('a', 'application/dtmf-relay', 'garbage')).toThrow(
      expect.objectContaining({ code: 'DTMF_BODY_INVALID' }),
    );
    expect(c.events.error).toEqual([]);
  });
});

describe('MediaSession reception statistics', () => {
  it("reports each leg's audio interarrival jitter (RFC 3550 A.8) in milliseconds", async () => {
    const c = await call(pcmuLeg, pcmuLeg);
    const sender = new ToneSender('mu', 0, 0x3333);
    // Probation (RFC 3550 A.1): the source counts from its second packet in sequence.
    c.session.receiveRtp('a', sender.next());
    expect(c.session.statistics('a').audioJitterMs).toBeUndefined();
    // Packets every 20 ms of media time and of arrival time: no jitter.
    stream(c, 'a', sender, 50);
    expect(c.session.statistics('a').audioJitterMs).toBe(0);
    // Then the gaps between arrivals alternate 10 ms and 30 ms: each packet's transit time
    // differs from the previous one's by 10 ms (|D|), and the estimate converges to it.
    for (let i = 0; i < 300; i++) {
      c.clock.advance(i % 2 === 0 ? 10 : 30);
      c.session.receiveRtp('a', sender.next());
    }
    expect(c.session.statistics('a').audioJitterMs).toBeCloseTo(10, 3);
    // The other leg received nothing: no estimate.
    expect(c.session.statistics('b').audioJitterMs).toBeUndefined();
  });

  it('handles SSRCs and timestamps above 2^31 (most senders pick them at random) like small ones', async () => {
    // The path reads them as signed 32-bit integers; statistics and reports must not see that.
    const run = async (ssrc: number, firstTs: number) => {
      const c = await call(pcmuLeg, (t) => ({ transport: t, audio: { formats: [PCMA] } }));
      // Timestamps cross 2^31 and 2^32 on the way (and 0 for the small start).
      const sender = new ToneSender('mu', 0, ssrc, 65_500, firstTs);
      for (let i = 0; i < 400; i++) {
        c.clock.advance(i % 3 === 0 ? 12 : 24);
        c.session.receiveRtp('a', sender.next(i % 40 < 20 ? 700 : 1100));
      }
      const report = c.a.rtcp
        .flat()
        .flatMap((p) => (p.type === 'rr' || p.type === 'sr' ? p.reports : []))
        .at(-1);
      return {
        jitter: c.session.statistics('a').audioJitterMs,
        reportedSsrc: report?.ssrc,
        lost: report?.cumulativeLost,
        toB: c.b.rtp.map((p) => [p.sequenceNumber, p.timestamp, Array.from(p.payload)]),
      };
    };
    const small = await run(0x42, 0);
    for (const [ssrc, firstTs] of [
      [0xdeadbeef, 0x7fff_f000],
      [0xffff_ffff, 0xffff_f000],
    ] as const) {
      const large = await run(ssrc, firstTs);
      expect(large.reportedSsrc).toBe(ssrc);
      expect(large.jitter).toBeGreaterThan(0);
      expect(large.jitter).toBe(small.jitter);
      expect(large.lost).toBe(small.lost);
      // What the transcoding leg sends (through the jitter buffer) does not depend on them.
      expect(large.toB.map(([, , payload]) => payload)).toEqual(
        small.toB.map(([, , payload]) => payload),
      );
      expect(large.toB.length).toBeGreaterThan(300);
    }
  });
});
