// A video call between two Phone UI pages through the gateway and its embedded demo SIP server:
// alice presses `Video call` to bob, bob answers with video in his page. Each page must decode
// the other's camera (the fake device's test pattern): the remote <video> has a size, and the
// browser's inbound-rtp video stats count decoded frames that keep growing, with the codec the
// gateway was configured for on the SIP side (VP8 by default, H.264 when it allows only H264).
// Alice's page misses the first keyframe of bob's camera (it is sent before alice has her
// answer), so decoding there also proves that her keyframe requests travel through both legs.
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CodecName } from '@callbridge/gateway';
import { PEERS, needsPeers } from '@callbridge/testkit';
import { audioLevel, button, callStatus, dial, logInToDemo } from './support/chromium-page.js';
import { readRemoteSdp, readStats, type MediaStats } from './support/page-probes.js';
import { startPhone, type PhoneHarness } from './support/phone-harness.js';

/** The newest connection's inbound video: decoded frames and codec, and the remote <video> size. */
function receivedVideo(page: Page): Promise<MediaStats> {
  return page.evaluate(readStats, 'video');
}

async function browserVideoCodecs(page: Page): Promise<{ send: string[]; receive: string[] }> {
  return page.evaluate(() => ({
    send: (RTCRtpSender.getCapabilities('video')?.codecs ?? []).map((c) => c.mimeType),
    receive: (RTCRtpReceiver.getCapabilities('video')?.codecs ?? []).map((c) => c.mimeType),
  }));
}

const SIP_AUDIO: readonly CodecName[] = ['PCMU', 'PCMA', 'G722', 'opus', 'telephone-event'];

describe.skipIf(needsPeers(PEERS.chromium).skip)('video call between two Phone UI pages', () => {
  const phones: PhoneHarness[] = [];

  afterAll(async () => {
    for (const phone of phones) await phone.stop();
  });

  /** The gateway and its demo, with `sipVideo` the only video codecs on the SIP side when given. */
  async function gatewayWith(sipVideo: readonly CodecName[] | undefined): Promise<PhoneHarness> {
    const phone = await startPhone({
      results: 'phone-video',
      demo: true,
      argv: sipVideo ? ['--media-sip-codecs', [...SIP_AUDIO, ...sipVideo].join(',')] : [],
    });
    phones.push(phone);
    return phone;
  }

  /** Waits until the page shows decoded remote video, then until more frames have been decoded. */
  async function expectDecodedVideo(page: Page, mimeType: string): Promise<MediaStats> {
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

  let defaults: PhoneHarness | undefined;
  async function defaultGateway(): Promise<PhoneHarness> {
    defaults ??= await gatewayWith(undefined);
    return defaults;
  }

  async function videoCall(phone: PhoneHarness, mimeType: string, name: string, alicePage?: Page) {
    const domain = phone.info.demo!.domain;
    const alice = alicePage ?? (await phone.openChromium());
    const bob = await phone.openChromium();
    await logInToDemo(alice, 'alice', domain);
    await logInToDemo(bob, 'bob', domain);
    await dial(alice, 'bob', 'Video call');
    await callStatus(bob, /^Incoming call from /);
    await button(bob, 'Answer').click();
    await callStatus(bob, 'Established');
    await callStatus(alice, 'Established');
    const atAlice = await expectDecodedVideo(alice, mimeType);
    const atBob = await expectDecodedVideo(bob, mimeType);
    await alice.screenshot({ path: `${phone.results}${name}-alice.png`, fullPage: true });
    await bob.screenshot({ path: `${phone.results}${name}-bob.png`, fullPage: true });
    await button(alice, 'Hangup').click();
    await callStatus(bob, 'Finished');
    await callStatus(alice, 'Finished');
    return { atAlice, atBob };
  }

  it('VP8 (the default configuration): alice calls bob with video, both pages decode the other camera', async () => {
    await videoCall(await defaultGateway(), 'video/VP8', 'vp8');
  }, 90_000);

  it('a video call to a number without video (the echo) goes on as a voice call', async () => {
    const phone = await defaultGateway();
    const alice = await phone.openChromium();
    await logInToDemo(alice, 'alice', phone.info.demo!.domain);
    await dial(alice, '100', 'Video call');
    await callStatus(alice, 'Established');
    // The demo phone refuses the m=video (port 0); the echo of the fake microphone comes back.
    await expect.poll(() => audioLevel(alice), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await alice.evaluate(readRemoteSdp)).toMatch(/^m=video 0 /m);
    await button(alice, 'Hangup').click();
    await callStatus(alice, 'Finished');
  }, 60_000);

  it('H.264: with only H264 allowed for video on the SIP side, both pages decode H.264', async ({
    skip,
  }) => {
    const phone = await gatewayWith(['H264']);
    const alice = await phone.openChromium();
    const codecs = await browserVideoCodecs(alice);
    if (!codecs.send.includes('video/H264') || !codecs.receive.includes('video/H264'))
      skip(
        `this Chromium cannot ${codecs.send.includes('video/H264') ? 'decode' : 'encode'} H.264`,
      );
    const { atAlice, atBob } = await videoCall(phone, 'video/H264', 'h264', alice);
    expect(atAlice.sdpFmtpLine).toMatch(/packetization-mode=1/);
    expect(atBob.sdpFmtpLine).toMatch(/packetization-mode=1/);
  }, 90_000);
});
