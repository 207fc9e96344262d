// The Phone UI in Firefox (Debian's firefox-esr, driven over WebDriver BiDi by puppeteer-core),
// against the gateway and its embedded demo started in this process. Alice logs in and calls the
// echo number: the call is established, audio flows both ways (her outbound packets come back
// from the echo as inbound packets with energy in them), dial-pad DTMF reaches the echo phone
// (its echo comes back as call.dtmf on the page's WebSocket), hold/unhold, hangup; 102 is busy.
// Then VP8 video calls between Firefox (alice) and Chromium (bob) through the gateway, Firefox
// offering and then answering: each browser decodes the other's fake camera. No H.264 here:
// Firefox encodes H.264 only with the OpenH264 plugin it downloads at run time, which Debian
// does not package (its libopenh264 is the bare codec, not Firefox's plugin).
import { existsSync, mkdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page as ChromiumPage } from 'playwright-core';
import type { Page } from 'puppeteer-core';
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
const mounts = {
  '/': dir('../web/'),
  '/app/': dir('../dist/'),
  '/sdk/': dir('../../client/dist/'),
};
const screenshots = dir('../../../test-results/phone-firefox/');

/** What the page's newest RTCPeerConnection reports for one kind of media. */
interface MediaStats {
  readonly packetsSent: number;
  readonly packetsReceived: number;
  /** inbound-rtp totalAudioEnergy (audio), where the browser reports it. */
  readonly totalAudioEnergy: number | null;
  readonly framesDecoded: number;
  readonly mimeType: string | null;
  /** The remote <video> size. */
  readonly width: number;
  readonly height: number;
}

/**
 * Runs in the page before its scripts: keeps every RTCPeerConnection in `window.peerConnections`
 * and every call.dtmf message the gateway sends in `window.dtmfReceived`, so the test can read
 * what the SDK owns without the page exposing it.
 */
function instrumentPage(): void {
  const w = window as unknown as { peerConnections: RTCPeerConnection[]; dtmfReceived: string[] };
  const log: string[] = [];
  w.peerConnections = [];
  w.dtmfReceived = [];
  (window as unknown as { peerLog: string[] }).peerLog = log;
  const OriginalPeerConnection = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends OriginalPeerConnection {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      w.peerConnections.push(this);
      const id = w.peerConnections.length;
      const note = (what: string): void => {
        log.push(`pc${id} ${what}`);
      };
      this.addEventListener('connectionstatechange', () =>
        note(`connection ${this.connectionState}`),
      );
      this.addEventListener('iceconnectionstatechange', () =>
        note(`ICE ${this.iceConnectionState}`),
      );
      this.addEventListener('icegatheringstatechange', () =>
        note(`ICE gathering ${this.iceGatheringState}`),
      );
      this.addEventListener('icecandidate', (event: RTCPeerConnectionIceEvent) =>
        note(`candidate ${event.candidate?.candidate ?? '(end)'}`),
      );
      for (const method of ['setLocalDescription', 'setRemoteDescription'] as const) {
        type Describe = (d?: RTCLocalSessionDescriptionInit) => Promise<void>;
        const methods = this as unknown as Record<typeof method, Describe>;
        const original = methods[method].bind(this);
        methods[method] = async (description?: RTCLocalSessionDescriptionInit) => {
          try {
            await original(description);
            note(`${method} ${description?.type ?? ''}\n${description?.sdp ?? ''}`);
          } catch (error) {
            note(`${method} failed: ${String(error)}\n${description?.sdp ?? ''}`);
            throw error;
          }
        };
      }
    }
  };
  const OriginalWebSocket = window.WebSocket;
  window.WebSocket = class extends OriginalWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', (event: MessageEvent) => {
        if (typeof event.data !== 'string') return;
        try {
          const message = JSON.parse(event.data) as { type?: string; digits?: string };
          if (message.type === 'call.dtmf' && message.digits) w.dtmfReceived.push(message.digits);
        } catch {
          // not JSON: not ours to record
        }
      });
    }
  };
}

/** Runs in the page: the newest connection's stats for `kind`. */
async function readStats(kind: string): Promise<MediaStats> {
  const pc = (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections.at(-1);
  const video = document.getElementById('remote-video') as HTMLVideoElement | null;
  const result = {
    packetsSent: 0,
    packetsReceived: 0,
    totalAudioEnergy: null as number | null,
    framesDecoded: 0,
    mimeType: null as string | null,
    width: video?.videoWidth ?? 0,
    height: video?.videoHeight ?? 0,
  };
  if (!pc) return result;
  const report = await pc.getStats();
  report.forEach((stat: Record<string, unknown>) => {
    if ((stat['kind'] ?? stat['mediaType']) !== kind) return;
    if (stat['type'] === 'outbound-rtp') result.packetsSent += Number(stat['packetsSent'] ?? 0);
    if (stat['type'] !== 'inbound-rtp') return;
    result.packetsReceived += Number(stat['packetsReceived'] ?? 0);
    result.framesDecoded += Number(stat['framesDecoded'] ?? 0);
    if (typeof stat['totalAudioEnergy'] === 'number')
      result.totalAudioEnergy = (result.totalAudioEnergy ?? 0) + stat['totalAudioEnergy'];
    const codec = report.get(String(stat['codecId'])) as Record<string, unknown> | undefined;
    if (typeof codec?.['mimeType'] === 'string') result.mimeType = codec['mimeType'];
  });
  return result;
}

/** What the page's newest connection reports about its ICE/DTLS transport. */
interface TransportStats {
  readonly dtlsState: string | null;
  readonly dtlsRole: string | null;
  readonly iceRole: string | null;
  readonly tlsVersion: string | null;
  readonly srtpCipher: string | null;
  /** The local candidate of the selected pair. */
  readonly localAddress: string | null;
}

/** Runs in the page: the newest connection's transport stats (webrtc-stats RTCTransportStats). */
async function readTransport(): Promise<TransportStats> {
  const pc = (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections.at(-1);
  const result = {
    dtlsState: null as string | null,
    dtlsRole: null as string | null,
    iceRole: null as string | null,
    tlsVersion: null as string | null,
    srtpCipher: null as string | null,
    localAddress: null as string | null,
  };
  if (!pc) return result;
  const report = await pc.getStats();
  const text = (stat: Record<string, unknown> | undefined, key: string): string | null =>
    typeof stat?.[key] === 'string' ? stat[key] : null;
  report.forEach((stat: Record<string, unknown>) => {
    if (stat['type'] !== 'transport') return;
    result.dtlsState = text(stat, 'dtlsState');
    result.dtlsRole = text(stat, 'dtlsRole');
    result.iceRole = text(stat, 'iceRole');
    result.tlsVersion = text(stat, 'tlsVersion');
    result.srtpCipher = text(stat, 'srtpCipher');
    const pair = report.get(String(stat['selectedCandidatePairId'])) as
      Record<string, unknown> | undefined;
    const local = report.get(String(pair?.['localCandidateId'])) as
      Record<string, unknown> | undefined;
    result.localAddress = text(local, 'address');
  });
  return result;
}

/** Runs in the page: the call status, what its connections went through, and their stats. */
async function describePeer(): Promise<string> {
  const w = window as unknown as { peerLog?: string[]; peerConnections?: RTCPeerConnection[] };
  if (!w.peerLog) return 'the page was not instrumented';
  const status = document.getElementById('call-status')?.textContent ?? '';
  const alert = document.getElementById('error')?.textContent ?? '';
  const pc = w.peerConnections?.at(-1);
  const stats: unknown[] = [];
  if (pc && pc.signalingState !== 'closed') (await pc.getStats()).forEach((s) => stats.push(s));
  return [
    `call status "${status}", alert "${alert}"`,
    ...w.peerLog,
    `stats: ${JSON.stringify(stats)}`,
  ].join('\n');
}

/** Polls `read` until `accept` holds, or fails with the last value after `timeoutMs`. */
async function waitUntil<T>(
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 20_000,
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!accept(last)) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; last: ${JSON.stringify(last)}${explain ? `\n${await explain()}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 250));
    last = await read();
  }
  return last;
}

// ------------------------------------------------------------------ the Phone UI in puppeteer

const aria = (name: string, role: string): string => `::-p-aria(${name}[role="${role}"])`;

async function click(page: Page, name: string): Promise<void> {
  const button = await page.waitForSelector(aria(name, 'button'), { timeout: 15_000 });
  await button!.click();
  await button!.dispose();
}

async function fill(page: Page, selector: string, value: string): Promise<void> {
  const field = await page.waitForSelector(selector, { timeout: 15_000 });
  await field!.click({ count: 3 });
  await field!.type(value);
  await field!.dispose();
}

/** Waits until the element with role `status` and the given label shows `text`. */
async function showsStatus(
  page: Page,
  label: 'Call status' | 'Session status',
  text: string | RegExp,
  timeoutMs = 20_000,
): Promise<void> {
  const pattern =
    typeof text === 'string' ? `^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : text.source;
  try {
    await page.waitForFunction(
      (l: string, p: string) =>
        new RegExp(p).test(
          document.querySelector(`[role="status"][aria-label="${l}"]`)?.textContent?.trim() ?? '',
        ),
      { timeout: timeoutMs, polling: 200 },
      label,
      pattern,
    );
  } catch (error) {
    const shown = await page.evaluate(
      (l: string) =>
        document.querySelector(`[role="status"][aria-label="${l}"]`)?.textContent ?? null,
      label,
    );
    const alert = await page.evaluate(() => document.getElementById('error')?.textContent ?? '');
    throw new Error(
      `${label} did not show ${String(text)}; it shows "${shown}" (alert: "${alert}")`,
      {
        cause: error,
      },
    );
  }
}

async function logIn(page: Page, login: string, domain: string): Promise<void> {
  await click(page, 'Log in');
  await fill(page, aria('login', 'textbox'), login);
  // A password field has no ARIA textbox role.
  await fill(page, '#f-password', `${login}-demo`);
  await fill(page, aria('domain', 'textbox'), domain);
  await click(page, 'log in');
  await showsStatus(page, 'Session status', /Registered/);
}

async function dial(
  page: Page,
  number: string,
  button: 'Voice call' | 'Video call',
): Promise<void> {
  await fill(page, 'input[placeholder="Enter your number here"]', number);
  await click(page, button);
}

describe.skipIf(needsPeers(PEERS.firefox, PEERS.chromium).skip)('Phone UI in Firefox', () => {
  let gateway: RunningGateway;
  /** The gateway's log lines, shown when a wait fails. */
  const gatewayLog: string[] = [];
  /** The Phone UI's address: on 127.0.0.1, a secure context for getUserMedia. */
  let phoneUrl: string;
  const firefoxes: LaunchedFirefox[] = [];
  let chromium: LaunchedChromium | undefined;

  beforeAll(async () => {
    for (const built of [`${mounts['/app/']}main.js`, `${mounts['/sdk/']}index.js`]) {
      if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
    }
    mkdirSync(screenshots, { recursive: true });
    const hostAddresses = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && i.family === 'IPv4' && !i.internal);
    if (hostAddresses.length === 0)
      throw new Error('Firefox needs a non-loopback IPv4 interface address to reach the gateway');
    gateway = await startGateway({
      // WebRTC media listens where HTTP does. Firefox gathers no loopback candidate (not even
      // with media.peerconnection.ice.loopback) and pairs none of its own with a loopback one,
      // so the gateway listens on every address and announces this host's own interface
      // addresses; packets to them stay on this host.
      config: loadConfig({ argv: ['--listen-host', '0.0.0.0', '--listen-port', '0'], env: {} }),
      backendFactory: callBackendFactory,
      demoFactory: embeddedDemoFactory,
      logger: createJsonLogger({ level: 'debug', write: (line) => gatewayLog.push(line) }),
      staticMounts: mounts,
    });
    phoneUrl = `http://127.0.0.1:${new URL(gateway.url).port}/`;
  });

  /** What a page's connection went through (see describePeer), and the gateway's latest log. */
  async function explain(fromPage: Promise<string>): Promise<string> {
    return `${await fromPage}\ngateway log:\n${gatewayLog.slice(-60).join('\n')}`;
  }

  afterAll(async () => {
    for (const f of firefoxes) await f.close();
    await chromium?.close();
    await gateway?.stop();
  });

  /** A Firefox tab on the Phone UI, instrumented, with a fresh browser (and profile) each. */
  async function openFirefoxPhone(): Promise<Page> {
    const firefox = await launchFirefox();
    firefoxes.push(firefox);
    const page = await firefox.newPage();
    await page.evaluateOnNewDocument(instrumentPage);
    await page.goto(phoneUrl, { waitUntil: 'load' });
    return page;
  }

  it('alice calls the echo: Established, audio both ways, DTMF, hold/unhold, hangup; 102 is busy', async () => {
    const domain = gateway.demo!.domain;
    const page = await openFirefoxPhone();
    expect(await page.evaluate(() => navigator.userAgent)).toMatch(/Firefox\//);
    await logIn(page, 'alice', domain);
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
    // server, on DTLS 1.2, and reached the gateway from an mDNS-named host candidate.
    expect(await page.evaluate(readTransport)).toMatchObject({
      dtlsState: 'connected',
      dtlsRole: 'server',
      iceRole: 'controlling',
      tlsVersion: 'FEFD',
      srtpCipher: expect.stringMatching(/^SRTP_(AEAD_AES_128_GCM|AES128_CM_HMAC_SHA1_80)$/),
      localAddress: expect.stringMatching(/\.local$/),
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

  it('VP8 video calls between Firefox (alice) and Chromium (bob), each way: both decode the other camera', async () => {
    const domain = gateway.demo!.domain;
    const alice = await openFirefoxPhone();
    chromium = await launchChromium();
    await chromium.context.addInitScript(instrumentPage);
    const bob: ChromiumPage = await chromium.context.newPage();
    await bob.goto(phoneUrl);
    await logIn(alice, 'alice', domain);
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
