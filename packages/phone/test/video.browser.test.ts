// A video call between two Phone UI pages through the gateway and its embedded demo SIP server:
// alice presses `Video call` to bob, bob answers with video in his page. Each page must decode
// the other's camera (the fake device's test pattern): the remote <video> has a size, and the
// browser's inbound-rtp video stats count decoded frames that keep growing, with the codec the
// gateway was configured for on the SIP side (VP8 by default, H.264 when it allows only H264).
// Alice's page misses the first keyframe of bob's camera (it is sent before alice has her
// answer), so decoding there also proves that her keyframe requests travel through both legs.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { CodecName, RunningGateway } from '@callbridge/gateway';
import {
  callBackendFactory,
  embeddedDemoFactory,
  loadConfig,
  silentLogger,
  startGateway,
} from '@callbridge/gateway';
import { CHROMIUM_ARGS, PEERS, needsPeers, tempDir } from '@callbridge/testkit';
import type { TempDir } from '@callbridge/testkit';
import { callStatus, logInToDemo } from './support/demo-page.js';

const dir = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));
const mounts = {
  '/': dir('../web/'),
  '/app/': dir('../dist/'),
  '/sdk/': dir('../../client/dist/'),
};
const screenshots = dir('../../../test-results/phone-video/');

/** What one page's RTCPeerConnection reports about the video it receives. */
interface ReceivedVideo {
  readonly width: number;
  readonly height: number;
  readonly framesDecoded: number;
  readonly mimeType: string | null;
  readonly sdpFmtpLine: string | null;
}

/**
 * Keeps each RTCPeerConnection the page creates in `window.peerConnections`, so the test can read
 * getStats() of the connection the SDK owns (the page itself never exposes it).
 */
function recordPeerConnections(): void {
  const Original = window.RTCPeerConnection;
  const created: RTCPeerConnection[] = [];
  (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections = created;
  window.RTCPeerConnection = class extends Original {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      created.push(this);
    }
  };
}

/** The newest connection's inbound video: decoded frames and codec, and the remote <video> size. */
async function receivedVideo(page: Page): Promise<ReceivedVideo> {
  return page.evaluate(async () => {
    const list = (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections;
    const pc = list.at(-1);
    const video = document.getElementById('remote-video') as HTMLVideoElement;
    const result = {
      width: video.videoWidth,
      height: video.videoHeight,
      framesDecoded: 0,
      mimeType: null as string | null,
      sdpFmtpLine: null as string | null,
    };
    if (!pc) return result;
    const report = await pc.getStats();
    report.forEach((stat: Record<string, unknown>) => {
      if (stat['type'] !== 'inbound-rtp' || stat['kind'] !== 'video') return;
      result.framesDecoded = Number(stat['framesDecoded'] ?? 0);
      const codec = report.get(String(stat['codecId'])) as Record<string, unknown> | undefined;
      result.mimeType = typeof codec?.['mimeType'] === 'string' ? codec['mimeType'] : null;
      result.sdpFmtpLine = typeof codec?.['sdpFmtpLine'] === 'string' ? codec['sdpFmtpLine'] : null;
    });
    return result;
  });
}

async function browserVideoCodecs(page: Page): Promise<{ send: string[]; receive: string[] }> {
  return page.evaluate(() => ({
    send: (RTCRtpSender.getCapabilities('video')?.codecs ?? []).map((c) => c.mimeType),
    receive: (RTCRtpReceiver.getCapabilities('video')?.codecs ?? []).map((c) => c.mimeType),
  }));
}

const SIP_AUDIO: readonly CodecName[] = ['PCMU', 'PCMA', 'G722', 'opus', 'telephone-event'];

describe.skipIf(needsPeers(PEERS.chromium).skip)('video call between two Phone UI pages', () => {
  const profiles: TempDir[] = [];
  const contexts: BrowserContext[] = [];
  const gateways: RunningGateway[] = [];

  beforeAll(() => {
    for (const built of [`${mounts['/app/']}main.js`, `${mounts['/sdk/']}index.js`]) {
      if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
    }
    mkdirSync(screenshots, { recursive: true });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close();
    for (const p of profiles) p.remove();
    for (const g of gateways) await g.stop();
  });

  async function gatewayWith(sipVideo: readonly CodecName[] | undefined): Promise<RunningGateway> {
    const gateway = await startGateway({
      config: loadConfig({
        argv: [
          '--listen-host',
          '127.0.0.1',
          '--listen-port',
          '0',
          ...(sipVideo ? ['--media-sip-codecs', [...SIP_AUDIO, ...sipVideo].join(',')] : []),
        ],
        env: {},
      }),
      backendFactory: callBackendFactory,
      demoFactory: embeddedDemoFactory,
      logger: silentLogger,
      staticMounts: mounts,
    });
    gateways.push(gateway);
    return gateway;
  }

  async function openPhone(gateway: RunningGateway): Promise<Page> {
    const profile = tempDir('phone-video');
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile.path, {
      executablePath: PEERS.chromium.command,
      headless: true,
      viewport: { width: 390, height: 844 },
      args: [...CHROMIUM_ARGS],
    });
    contexts.push(context);
    await context.addInitScript(recordPeerConnections);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${gateway.url}/`);
    return page;
  }

  /** Waits until the page shows decoded remote video, then until more frames have been decoded. */
  async function expectDecodedVideo(page: Page, mimeType: string): Promise<ReceivedVideo> {
    await expect
      .poll(async () => (await receivedVideo(page)).framesDecoded, { timeout: 20_000 })
      .toBeGreaterThan(0);
    const first = await receivedVideo(page);
    await expect
      .poll(async () => (await receivedVideo(page)).framesDecoded, { timeout: 10_000 })
      .toBeGreaterThan(first.framesDecoded + 10);
    await expect.poll(async () => (await receivedVideo(page)).width).toBeGreaterThan(0);
    const now = await receivedVideo(page);
    expect(now.height).toBeGreaterThan(0);
    expect(now.mimeType?.toLowerCase()).toBe(mimeType.toLowerCase());
    return now;
  }

  let defaults: RunningGateway | undefined;
  async function defaultGateway(): Promise<RunningGateway> {
    defaults ??= await gatewayWith(undefined);
    return defaults;
  }

  async function videoCall(
    gateway: RunningGateway,
    mimeType: string,
    name: string,
    alicePage?: Page,
  ) {
    const domain = gateway.demo!.domain;
    const alice = alicePage ?? (await openPhone(gateway));
    const bob = await openPhone(gateway);
    await logInToDemo(alice, 'alice', domain);
    await logInToDemo(bob, 'bob', domain);
    await alice.getByPlaceholder('Enter your number here').fill('bob');
    await alice.getByRole('button', { name: 'Video call', exact: true }).click();
    await callStatus(bob, /^Incoming call from /);
    await bob.getByRole('button', { name: 'Answer', exact: true }).click();
    await callStatus(bob, 'Established');
    await callStatus(alice, 'Established');
    const atAlice = await expectDecodedVideo(alice, mimeType);
    const atBob = await expectDecodedVideo(bob, mimeType);
    await alice.screenshot({ path: `${screenshots}${name}-alice.png`, fullPage: true });
    await bob.screenshot({ path: `${screenshots}${name}-bob.png`, fullPage: true });
    await alice.getByRole('button', { name: 'Hangup', exact: true }).click();
    await callStatus(bob, 'Finished');
    await callStatus(alice, 'Finished');
    return { atAlice, atBob };
  }

  it('VP8 (the default configuration): alice calls bob with video, both pages decode the other camera', async () => {
    await videoCall(await defaultGateway(), 'video/VP8', 'vp8');
  }, 90_000);

  it('a video call to a number without video (the echo) goes on as a voice call', async () => {
    const gateway = await defaultGateway();
    const alice = await openPhone(gateway);
    await logInToDemo(alice, 'alice', gateway.demo!.domain);
    await alice.getByPlaceholder('Enter your number here').fill('100');
    await alice.getByRole('button', { name: 'Video call', exact: true }).click();
    await callStatus(alice, 'Established');
    // The demo phone refuses the m=video (port 0); the echo of the fake microphone comes back.
    await expect
      .poll(() => alice.locator('#level').evaluate((m) => (m as HTMLMeterElement).value), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    const remote = await alice.evaluate(() => {
      const list = (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections;
      return list.at(-1)?.remoteDescription?.sdp ?? '';
    });
    expect(remote).toMatch(/^m=video 0 /m);
    await alice.getByRole('button', { name: 'Hangup', exact: true }).click();
    await callStatus(alice, 'Finished');
  }, 60_000);

  it('H.264: with only H264 allowed for video on the SIP side, both pages decode H.264', async ({
    skip,
  }) => {
    const gateway = await gatewayWith(['H264']);
    const alice = await openPhone(gateway);
    const codecs = await browserVideoCodecs(alice);
    if (!codecs.send.includes('video/H264') || !codecs.receive.includes('video/H264'))
      skip(
        `this Chromium cannot ${codecs.send.includes('video/H264') ? 'decode' : 'encode'} H.264`,
      );
    const { atAlice, atBob } = await videoCall(gateway, 'video/H264', 'h264', alice);
    expect(atAlice.sdpFmtpLine).toMatch(/packetization-mode=1/);
    expect(atBob.sdpFmtpLine).toMatch(/packetization-mode=1/);
  }, 90_000);
});
