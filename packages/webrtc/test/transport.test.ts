import { afterEach, describe, expect, it } from 'vitest';
import {
  DtlsCertificate,
  UdpMux,
  WebRtcTransport,
  type DtlsRole,
  type WebRtcTransportCloseInfo,
} from '@callbridge/webrtc';
import { FakeBrowser } from './fake-browser.js';
import { ManualClock } from '@callbridge/testkit';
import { rtpPacket } from './sdp-helper.js';

const certificate = DtlsCertificate.generate();

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('WebRtcTransport', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  async function setup(
    options: { dtlsRole?: DtlsRole; clock?: ManualClock; mux?: UdpMux; withRemote?: boolean } = {},
  ) {
    const browser = await FakeBrowser.open();
    cleanups.push(() => browser.close());
    const transport = await WebRtcTransport.create({
      certificate,
      dtlsRole: options.dtlsRole ?? 'server',
      ...(options.mux ? { mux: options.mux } : { bind: { address: '127.0.0.1' } }),
      ...(options.withRemote === false ? {} : { remote: browser.remoteParameters }),
      ...(options.clock ? { clock: options.clock } : {}),
      dtlsRetransmitInitialMs: 50,
    });
    cleanups.push(() => transport.close());
    return { browser, transport };
  }

  for (const dtlsRole of ['server', 'client'] as DtlsRole[]) {
    it(`connects and carries SRTP both ways (DTLS ${dtlsRole})`, async () => {
      const { browser, transport } = await setup({ dtlsRole });
      const received: number[] = [];
      transport.on('rtp', (p) => received.push(new DataView(p.buffer, p.byteOffset).getUint16(2)));
      browser.connect(transport.localParameters, 50);
      browser.check({ nominate: true });
      await until(
        () => transport.state === 'connected' && browser.dtls?.state === 'connected',
        'connected',
      );
      for (let i = 0; i < 5; i++) browser.sendRtp(rtpPacket(111, i, 7, new Uint8Array(20)));
      for (let i = 0; i < 5; i++)
        transport.sendRtp(rtpPacket(111, 1000 + i, 8, new Uint8Array(20)));
      // RTCP both ways: a receiver report with no blocks (RFC 3550 §6.4.2), SSRC 7 / 8.
      const receiverReport = (ssrc: number): Uint8Array => {
        const rr = new Uint8Array(8);
        rr.set([0x80, 201, 0, 1]);
        new DataView(rr.buffer).setUint32(4, ssrc);
        return rr;
      };
      const rtcp: number[] = [];
      transport.on('rtcp', (p) => rtcp.push(new DataView(p.buffer, p.byteOffset).getUint32(4)));
      browser.sendRtcp(receiverReport(7));
      expect(transport.sendRtcp(receiverReport(8))).toBe(true);
      await until(
        () =>
          received.length === 5 &&
          browser.rtp.length === 5 &&
          rtcp.length === 1 &&
          browser.rtcp.length === 1,
        'media and RTCP',
      );
      expect(rtcp).toEqual([7]);
      expect(browser.rtcp[0]!.subarray(0, 8)).toEqual(receiverReport(8));
      expect(transport.counters).toMatchObject({
        rtpReceived: 5,
        rtpSent: 5,
        rtcpReceived: 1,
        rtcpSent: 1,
      });
      expect(received).toEqual([0, 1, 2, 3, 4]);
      expect(browser.rtp.map((p) => new DataView(p.buffer, p.byteOffset).getUint16(2))).toEqual([
        1000, 1001, 1002, 1003, 1004,
      ]);
      expect(browser.stunResponses[0]?.messageClass).toBe('success');
    });
  }

  it('completes the handshake when chosen DTLS datagrams are lost', async () => {
    const { browser, transport } = await setup({ dtlsRole: 'server' });
    // Lose the first ClientHello and the first flight 5.
    browser.dropDtls = (i) => i === 0 || i === 2;
    browser.connect(transport.localParameters, 50);
    browser.check({ nominate: true });
    await until(
      () => transport.state === 'connected' && browser.dtls?.state === 'connected',
      'connected',
    );
    expect(browser.dtls!.counters.retransmissions).toBeGreaterThanOrEqual(2);
  });

  it('fails with DTLS_FINGERPRINT_MISMATCH when the certificate is not the one in SDP', async () => {
    const { browser, transport } = await setup({ withRemote: false });
    transport.setRemoteParameters({
      ...browser.remoteParameters,
      fingerprints: [DtlsCertificate.generate().fingerprint()],
    });
    const closed = new Promise<WebRtcTransportCloseInfo>((r) => transport.once('closed', r));
    browser.connect(transport.localParameters, 50);
    browser.check({ nominate: true });
    const info = await closed;
    expect(info.reason).toBe('dtls-failed');
    expect(info.error?.code).toBe('DTLS_FINGERPRINT_MISMATCH');
    expect(transport.state).toBe('closed');
  });

  it('waits for the remote fingerprint when DTLS finishes before the answer arrives', async () => {
    const { browser, transport } = await setup({ withRemote: false });
    browser.connect(transport.localParameters, 50);
    browser.check({ nominate: true });
    await until(() => transport.dtls.state === 'connected', 'DTLS');
    expect(transport.state).toBe('connecting');
    expect(transport.sendRtp(rtpPacket(111, 1, 1, new Uint8Array(4)))).toBe(false);
    transport.setRemoteParameters(browser.remoteParameters);
    expect(transport.state).toBe('connected');
  });

  it('stops media and reports when consent expires (RFC 7675), resumes on a new nomination', async () => {
    const clock = new ManualClock(1_000_000);
    const { browser, transport } = await setup({ clock });
    let expired = 0;
    transport.on('consent-expired', () => expired++);
    browser.connect(transport.localParameters, 50);
    browser.check({ nominate: true });
    await until(() => transport.state === 'connected', 'connected');
    expect(transport.sendRtp(rtpPacket(111, 1, 1, new Uint8Array(4)))).toBe(true);
    clock.advance(30_000);
    expect(expired).toBe(1);
    expect(transport.sendRtp(rtpPacket(111, 2, 1, new Uint8Array(4)))).toBe(false);
    browser.check({ nominate: true });
    await until(() => transport.ice.state === 'connected', 'renomination');
    expect(transport.sendRtp(rtpPacket(111, 3, 1, new Uint8Array(4)))).toBe(true);
  });

  it('ICE restart: new credentials, media continues over the same DTLS session', async () => {
    const { browser, transport } = await setup();
    browser.connect(transport.localParameters, 50);
    browser.check({ nominate: true });
    await until(
      () => transport.state === 'connected' && browser.receive !== undefined,
      'connected',
    );
    const before = transport.localParameters;
    const after = transport.restartIce();
    expect(after.usernameFragment).not.toBe(before.usernameFragment);
    expect(after.password).not.toBe(before.password);
    expect(after.fingerprint).toEqual(before.fingerprint);
    const responses = browser.stunResponses.length;
    browser.check({ nominate: true, ufrag: after.usernameFragment, password: after.password });
    await until(() => browser.stunResponses.length === responses + 1, 'check with new credentials');
    expect(
      browser.stunResponses.at(-1)!.verifyIntegrity(new TextEncoder().encode(after.password)),
    ).toBe(true);
    // The old credentials are retired once the new ones were used.
    browser.check({ nominate: true, ufrag: before.usernameFragment, password: before.password });
    transport.sendRtp(rtpPacket(111, 9, 1, new Uint8Array(4)));
    await until(() => browser.rtp.length === 1, 'media after restart');
    expect(browser.stunResponses.length).toBe(responses + 1);
  });

  it('serves many sessions on one shared UDP port', async () => {
    const mux = await UdpMux.bind({ address: '127.0.0.1' });
    cleanups.push(() => mux.close());
    const sessions = await Promise.all([1, 2, 3].map(() => setup({ mux })));
    const received = sessions.map(() => [] as number[]);
    sessions.forEach(({ transport }, i) =>
      transport.on('rtp', (p) =>
        received[i]!.push(new DataView(p.buffer, p.byteOffset).getUint32(8)),
      ),
    );
    for (const { browser, transport } of sessions) {
      expect(transport.localParameters.candidates[0]!.port).toBe(mux.port);
      browser.connect(transport.localParameters, 50);
      browser.check({ nominate: true });
    }
    await until(
      () =>
        sessions.every((s) => s.transport.state === 'connected' && s.browser.send !== undefined),
      'all connected',
    );
    sessions.forEach(({ browser }, i) =>
      browser.sendRtp(rtpPacket(111, 1, 100 + i, new Uint8Array(10))),
    );
    await until(() => received.every((r) => r.length === 1), 'media to each session');
    expect(received).toEqual([[100], [101], [102]]);
    expect(mux.sessionCount).toBe(3);
    sessions[0]!.transport.close();
    expect(mux.sessionCount).toBe(2);
  });
});
