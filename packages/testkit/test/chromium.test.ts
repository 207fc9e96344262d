import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  needsPeers,
  openPackagePage,
  PEERS,
  type LaunchedChromium,
} from '@callbridge/testkit';

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));

describe.skipIf(needsPeers(PEERS.chromium).skip)('launchChromium', () => {
  let browser: LaunchedChromium;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('runs headless Chromium with a fresh profile and a secure test origin', async () => {
    expect(existsSync(browser.profileDir)).toBe(true);
    const page = await browser.newPage();
    const info = await page.evaluate(() => ({
      userAgent: navigator.userAgent,
      secure: window.isSecureContext,
      href: location.href,
    }));
    expect(info.userAgent).toContain('HeadlessChrome');
    expect(info.secure).toBe(true);
    expect(info.href).toBe('http://localhost/');
    await page.close();
  });

  it('has fake media devices and gathers a 127.0.0.1 host candidate', async () => {
    const page = await browser.newPage();
    const sdp = await page.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const pc = new RTCPeerConnection();
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.addEventListener('icegatheringstatechange', () => {
          if (pc.iceGatheringState === 'complete') resolve();
        });
      });
      const text = pc.localDescription?.sdp ?? '';
      pc.close();
      for (const track of stream.getTracks()) track.stop();
      return text;
    });
    expect(sdp).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m);
    expect(sdp).toMatch(/^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/m);
    await page.close();
  });

  it('refuses camera and microphone when launched with mediaPermission denied', async () => {
    const denied = await launchChromium({ mediaPermission: 'denied' });
    try {
      const page = await denied.newPage();
      const outcome = await page.evaluate(() =>
        navigator.mediaDevices.getUserMedia({ audio: true }).then(
          (stream) => {
            for (const track of stream.getTracks()) track.stop();
            return 'granted';
          },
          (error: unknown) => (error instanceof DOMException ? error.name : String(error)),
        ),
      );
      expect(outcome).toBe('NotAllowedError');
    } finally {
      await denied.close();
    }
  });

  it('openPackagePage loads a package entry from its sources, and reports one that fails', async () => {
    const rtp = await openPackagePage(browser, {
      packagesDir,
      imports: { '@callbridge/rtp': '/pkg/rtp/index.js' },
      entry: '@callbridge/rtp',
      global: 'CallbridgeRtp',
    });
    expect(rtp.loadError).toBeUndefined();
    expect(rtp.served[0]).toBe('rtp/index');
    expect(
      await rtp.page.evaluate(
        () => typeof (globalThis as { CallbridgeRtp?: object }).CallbridgeRtp,
      ),
    ).toBe('object');
    await rtp.page.close();
    // The package root of @callbridge/sip imports its Node transports (node:dgram, …), which a
    // browser cannot resolve: the failure is reported instead of waited on.
    const sip = await openPackagePage(browser, {
      packagesDir,
      imports: { '@callbridge/sip': '/pkg/sip/index.js' },
      entry: '@callbridge/sip',
      global: 'CallbridgeSip',
    });
    expect(sip.loadError).toMatch(/Failed to fetch dynamically imported module/);
    expect(sip.served).toContain('sip/index');
    await sip.page.close();
  });

  it('removes the profile directory on close, and close is idempotent', async () => {
    const second = await launchChromium();
    const dir = second.profileDir;
    await second.close();
    await second.close();
    expect(existsSync(dir)).toBe(false);
  });
});
