// The Phone UI in Firefox (Debian's firefox-esr, driven over WebDriver BiDi by puppeteer-core),
// against the gateway and its embedded demo started in this process. Alice logs in and calls the
// echo number: the call is established, audio flows both ways (her outbound packets come back
// from the echo as inbound packets with energy in them), dial-pad DTMF reaches the echo phone
// (its echo comes back as call.dtmf on the page's WebSocket), hold/unhold, hangup; 102 is busy.
// Then VP8 video calls between Firefox (alice) and Chromium (bob) through the gateway, Firefox
// offering and then answering: each browser decodes the other's fake camera. No H.264 here:
// Firefox encodes H.264 only with the OpenH264 plugin it downloads at run time, which Debian
// does not package (its libopenh264 is the bare codec, not Firefox's plugin).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page as ChromiumPage } from 'playwright-core';
import type { Page } from 'puppeteer-core';
import type { MediaStats } from './support/firefox-page.js';
import { PHONE_MOUNTS, requireBuiltPhone } from './support/phone-mounts.js';
import {
  click,
  describePeer,
  dial,
  instrumentPage,
  logInToDemo as logInToDemoFirefox,
  readStats,
  readTransport,
  showsStatus,
  waitUntil,
} from './support/firefox-page.js';
import type { RunningGateway } from '@callbridge/gateway';
import {
  callBackendFactory,
  embeddedDemoFactory,
  createJsonLogger,
  loadConfig,
  startGateway,
} from '@callbridge/gateway';
import { PEERS, launchChromium, launchFirefox, needsPeers } from '@callbridge/testkit';
import type { LaunchedChromium, LaunchedFirefox } from '@callbridge/testkit';
import { callStatus as chromiumCallStatus, logInToDemo } from './support/demo-page.js';

const dir = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));
const screenshots = dir('../../../test-results/phone-firefox/');

describe.skipIf(needsPeers(PEERS.firefox, PEERS.chromium).skip)('Phone UI in Firefox', () => {
  let gateway: RunningGateway;
  /** The gateway's log lines, shown when a wait fails. */
  const gatewayLog: string[] = [];
  /** The Phone UI's address: on 127.0.0.1, a secure context for getUserMedia. */
  let phoneUrl: string;
  const firefoxes: LaunchedFirefox[] = [];
  let chromium: LaunchedChromium | undefined;

  beforeAll(async () => {
    requireBuiltPhone();
    mkdirSync(screenshots, { recursive: true });
    gateway = await startGateway({
      // Everything on 127.0.0.1: the test profile lets Firefox gather loopback candidates
      // (FIREFOX_PREFS in @callbridge/testkit).
      config: loadConfig({ argv: ['--listen-port', '0'], env: {} }),
      backendFactory: callBackendFactory,
      demoFactory: embeddedDemoFactory,
      logger: createJsonLogger({ level: 'debug', write: (line) => gatewayLog.push(line) }),
      staticMounts: PHONE_MOUNTS,
    });
    phoneUrl = `http://127.0.0.1:${new URL(gateway.url).port}/`;
  });

  /** What a page's connection went through (see describePeer), and the gateway's latest log. */
  async function explain(fromPage: Promise<string>): Promise<string> {
    return `${await fromPage}\ngateway log:\n${gatewayLog.slice(-60).join('\n')}`;
  }

  // Each test's browsers go when it ends: a loaded 2-core machine runs one Firefox at a time.
  afterEach(async () => {
    for (const f of firefoxes.splice(0)) await f.close();
    await chromium?.close();
    chromium = undefined;
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  /** A Firefox tab on the Phone UI, instrumented, with a fresh browser (and profile) each. */
  async function openFirefoxPhone(): Promise<Page> {
    const firefox = await launchFirefox();
    firefoxes.push(firefox);
    const page = await firefox.newPage();
    await page.evaluateOnNewDocument(instrumentPage);
    await page.goto(phoneUrl, { waitUntil: 'load', timeout: 60_000 });
    return page;
  }

  it('alice calls the echo: Established, audio both ways, DTMF, hold/unhold, hangup; 102 is busy', async () => {
    const domain = gateway.demo!.domain;
    const page = await openFirefoxPhone();
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
    const page = await openFirefoxPhone();
    await logInToDemoFirefox(page, 'alice', gateway.demo!.domain);
    await dial(page, '100', 'Video call');
    await showsStatus(page, 'Call status', 'Established');
    // The answer refuses the bundled m=video (port 0); Firefox keeps the audio going.
    const remote = await page.evaluate(
      () =>
        (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections.at(-1)
          ?.remoteDescription?.sdp ?? '',
    );
    expect(remote).toMatch(/^m=video 0 /m);
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
    const domain = gateway.demo!.domain;
    const alice = await openFirefoxPhone();
    chromium = await launchChromium();
    await chromium.context.addInitScript(instrumentPage);
    const bob: ChromiumPage = await chromium.context.newPage();
    await bob.goto(phoneUrl);
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
    await bob.getByRole('button', { name: 'Answer', exact: true }).click();
    await chromiumCallStatus(bob, 'Established');
    await showsStatus(alice, 'Call status', 'Established');
    await expectVideoBothWays('firefox-calls');
    await click(alice, 'Hangup');
    await chromiumCallStatus(bob, 'Finished');
    await showsStatus(alice, 'Call status', 'Finished');

    // Firefox answers the gateway's offer (the gateway is then the DTLS server) and hangs up last.
    await bob.getByPlaceholder('Enter your number here').fill('alice');
    await bob.getByRole('button', { name: 'Video call', exact: true }).click();
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
    await bob.getByRole('button', { name: 'Hangup', exact: true }).click();
    await showsStatus(alice, 'Call status', 'Finished');
    await chromiumCallStatus(bob, 'Finished');
  }, 240_000);
});
