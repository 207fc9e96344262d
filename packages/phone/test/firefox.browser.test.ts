// The Phone UI in Firefox (Debian's firefox-esr, driven over WebDriver BiDi by puppeteer-core),
// against the gateway and its embedded demo started in this process. Alice logs in and calls the
// echo number: the call is established, audio flows both ways (her outbound packets come back
// from the echo as inbound packets with energy in them), dial-pad DTMF reaches the echo phone
// (its echo comes back as call.dtmf on the page's WebSocket), hold/unhold, hangup; 102 is busy.
// Then VP8 video calls between Firefox (alice) and Chromium (bob) through the gateway, Firefox
// offering and then answering: each browser decodes the other's fake camera. No H.264 here:
// Firefox encodes H.264 only with the OpenH264 plugin it downloads at run time, which Debian
// does not package (its libopenh264 is the bare codec, not Firefox's plugin).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page as ChromiumPage } from 'playwright-core';
import { PEERS, needsPeers } from '@callbridge/testkit';
import {
  button,
  callStatus as chromiumCallStatus,
  dial as chromiumDial,
  logInToDemo,
} from './support/chromium-page.js';
import {
  click,
  dial,
  logInToDemo as logInToDemoFirefox,
  showsStatus,
  waitUntil,
} from './support/firefox-page.js';
import {
  describePeer,
  readRemoteSdp,
  readStats,
  readTransport,
  type MediaStats,
} from './support/page-probes.js';
import { startPhone, type PhoneHarness } from './support/phone-harness.js';

describe.skipIf(needsPeers(PEERS.firefox, PEERS.chromium).skip)('Phone UI in Firefox', () => {
  let phone: PhoneHarness;
  let screenshots: string;

  beforeAll(async () => {
    phone = await startPhone({ results: 'phone-firefox', demo: true });
    screenshots = phone.results;
  });

  /** What a page's connection went through (see describePeer), and the gateway's latest log. */
  async function explain(fromPage: Promise<string>): Promise<string> {
    return `${await fromPage}\ngateway log:\n${phone.logTail(60)}`;
  }

  // Each test's browsers go when it ends: a loaded 2-core machine runs one Firefox at a time.
  afterEach(() => phone.closeBrowsers());

  afterAll(() => phone?.stop());

  it('alice calls the echo: Established, audio both ways, DTMF, hold/unhold, hangup; 102 is busy', async () => {
    const domain = phone.info.demo!.domain;
    const page = await phone.openFirefox();
    expect(await page.evaluate(() => navigator.userAgent)).toMatch(/Firefox\//);
    await logInToDemoFirefox(page, 'alice', domain);
    await dial(page, '100', 'Voice call');
    await showsStatus(page, 'Call status', 'Established');

    // Audio both ways: what Firefox sends comes back from the echo, with the fake tone's energy.
    const start = await waitUntil(
      'inbound audio packets',
      () => page.evaluate(readStats, 'audio'),
      (s) => s.packetsReceived > 0 && s.packetsSent > 0,
      20_000,
      () => explain(page.evaluate(describePeer)),
    );
    await waitUntil(
      'more inbound audio packets, with energy',
      () => page.evaluate(readStats, 'audio'),
      (s) =>
        s.packetsReceived >= start.packetsReceived + 50 &&
        s.packetsSent >= start.packetsSent + 50 &&
        (s.totalAudioEnergy ?? 0) > 0,
      20_000,
      () => explain(page.evaluate(describePeer)),
    );
    // The Phone UI's level meter (SDK getStats audioLevel, with its fallback) moves too.
    await waitUntil(
      'the audio level meter to move',
      () => page.evaluate(() => (document.getElementById('level') as HTMLMeterElement).value),
      (level) => level > 0,
    );
    await page.screenshot({ path: `${screenshots}echo-established.png` });
    // Firefox offered (a=setup:actpass), the gateway answered active: Firefox is the DTLS
    // server, on DTLS 1.2, and the media runs between loopback candidates.
    expect(await page.evaluate(readTransport)).toMatchObject({
      dtlsState: 'connected',
      dtlsRole: 'server',
      iceRole: 'controlling',
      tlsVersion: 'FEFD',
      srtpCipher: expect.stringMatching(/^SRTP_(AEAD_AES_128_GCM|AES128_CM_HMAC_SHA1_80)$/),
      localAddress: '127.0.0.1',
      remoteAddress: '127.0.0.1',
    });

    // Dial pad during the call: RFC 4733 events to the echo phone, whose echo comes back.
    await click(page, '5');
    await click(page, '#');
    await waitUntil(
      'the echoed DTMF digits',
      () =>
        page.evaluate(() =>
          (window as unknown as { dtmfReceived: string[] }).dtmfReceived.join(''),
        ),
      (digits) => digits.includes('5') && digits.includes('#'),
    );

    await click(page, 'Hold');
    await showsStatus(page, 'Call status', 'On hold');
    await click(page, 'Unhold');
    await showsStatus(page, 'Call status', 'Established');
    // Media is back after the re-INVITEs: packets keep arriving.
    const resumed = await page.evaluate(readStats, 'audio');
    await waitUntil(
      'audio after unhold',
      () => page.evaluate(readStats, 'audio'),
      (s) => s.packetsReceived >= resumed.packetsReceived + 25,
    );
    await click(page, 'Hangup');
    await showsStatus(page, 'Call status', 'Finished');

    await dial(page, '102', 'Voice call');
    await showsStatus(page, 'Call status', 'Failed: busy');
    await page.screenshot({ path: `${screenshots}busy.png` });
  }, 120_000);

  it('a video call to the echo (no video there) goes on as a voice call', async () => {
    const page = await phone.openFirefox();
    await logInToDemoFirefox(page, 'alice', phone.info.demo!.domain);
    await dial(page, '100', 'Video call');
    await showsStatus(page, 'Call status', 'Established');
    // The answer refuses the bundled m=video (port 0); Firefox keeps the audio going.
    expect(await page.evaluate(readRemoteSdp)).toMatch(/^m=video 0 /m);
    const start = await page.evaluate(readStats, 'audio');
    await waitUntil(
      'the echo of the audio',
      () => page.evaluate(readStats, 'audio'),
      (s) => s.packetsReceived >= start.packetsReceived + 50 && (s.totalAudioEnergy ?? 0) > 0,
      20_000,
      () => explain(page.evaluate(describePeer)),
    );
    await click(page, 'Hangup');
    await showsStatus(page, 'Call status', 'Finished');
  }, 120_000);

  it('VP8 video calls between Firefox (alice) and Chromium (bob), each way: both decode the other camera', async () => {
    const domain = phone.info.demo!.domain;
    const alice = await phone.openFirefox();
    const bob: ChromiumPage = await phone.openChromium();
    await logInToDemoFirefox(alice, 'alice', domain);
    await logInToDemo(bob, 'bob', domain);

    /** Waits until each page decodes more and more VP8 frames of the other's camera. */
    async function expectVideoBothWays(shot: string): Promise<void> {
      const sides: [string, () => Promise<MediaStats>, () => Promise<string>][] = [
        [
          'Firefox',
          () => alice.evaluate(readStats, 'video'),
          () => explain(alice.evaluate(describePeer)),
        ],
        [
          'Chromium',
          () => bob.evaluate(readStats, 'video'),
          () => explain(bob.evaluate(describePeer)),
        ],
      ];
      for (const [name, read, whatHappened] of sides) {
        const first = await waitUntil(
          `decoded video in ${name}`,
          read,
          (s) => s.framesDecoded > 0,
          30_000,
          whatHappened,
        );
        const now = await waitUntil(
          `more decoded video in ${name}, shown in the remote <video>`,
          read,
          (s) => s.framesDecoded > first.framesDecoded + 10 && s.width > 0 && s.height > 0,
          20_000,
          whatHappened,
        );
        expect(now.mimeType?.toLowerCase(), name).toBe('video/vp8');
      }
      await alice.screenshot({ path: `${screenshots}${shot}-firefox-alice.png` });
      await bob.screenshot({ path: `${screenshots}${shot}-chromium-bob.png` });
    }

    // Firefox offers (a=setup:actpass; the gateway answers as DTLS client).
    await dial(alice, 'bob', 'Video call');
    await chromiumCallStatus(bob, /^Incoming call from /);
    await button(bob, 'Answer').click();
    await chromiumCallStatus(bob, 'Established');
    await showsStatus(alice, 'Call status', 'Established');
    await expectVideoBothWays('firefox-calls');
    await click(alice, 'Hangup');
    await chromiumCallStatus(bob, 'Finished');
    await showsStatus(alice, 'Call status', 'Finished');

    // Firefox answers the gateway's offer (the gateway is then the DTLS server) and hangs up last.
    await chromiumDial(bob, 'alice', 'Video call');
    await showsStatus(alice, 'Call status', /^Incoming call from /);
    await click(alice, 'Answer');
    await showsStatus(alice, 'Call status', 'Established');
    await chromiumCallStatus(bob, 'Established');
    await expectVideoBothWays('chromium-calls');
    // Answering the gateway's actpass offer, Firefox chose to be the DTLS client.
    expect(await alice.evaluate(readTransport)).toMatchObject({
      dtlsState: 'connected',
      dtlsRole: 'client',
      iceRole: 'controlling',
    });
    await button(bob, 'Hangup').click();
    await showsStatus(alice, 'Call status', 'Finished');
    await chromiumCallStatus(bob, 'Finished');
  }, 240_000);
});
