import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchFirefox, needsPeers, PEERS, type LaunchedFirefox } from '@callbridge/testkit';

/** A page on 127.0.0.1, a secure context, so getUserMedia and RTCPeerConnection are there. */
function servePage(): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end('<!doctype html><title>callbridge test</title>');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}/` });
    }),
  );
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(needsPeers(PEERS.firefox).skip)('launchFirefox', () => {
  let browser: LaunchedFirefox;
  let page: { server: Server; url: string };
  beforeAll(async () => {
    page = await servePage();
    browser = await launchFirefox();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    page?.server.close();
  });

  it('runs headless Firefox with a fresh profile, fake devices, and a loopback host candidate', async () => {
    expect(existsSync(browser.profileDir)).toBe(true);
    const tab = await browser.newPage();
    await tab.goto(page.url);
    const seen = await tab.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      const pc = new RTCPeerConnection();
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.addEventListener('icegatheringstatechange', () => {
          if (pc.iceGatheringState === 'complete') resolve();
        });
      });
      const sdp = pc.localDescription?.sdp ?? '';
      pc.close();
      const kinds = stream.getTracks().map((t) => t.kind);
      for (const track of stream.getTracks()) track.stop();
      return { userAgent: navigator.userAgent, secure: window.isSecureContext, kinds, sdp };
    });
    expect(seen.userAgent).toMatch(/Firefox\/\d+/);
    expect(seen.secure).toBe(true);
    expect(seen.kinds.sort()).toEqual(['audio', 'video']);
    expect(seen.sdp).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m);
    // A loopback host candidate, so tests reach a peer on 127.0.0.1 (see FIREFOX_PREFS), and
    // addresses as they are, not mDNS names, since the page holds the microphone permission.
    expect(seen.sdp).toMatch(/^a=candidate:\S+ 1 UDP \d+ 127\.0\.0\.1 \d+ typ host/m);
    expect(seen.sdp).not.toMatch(/\.local \d+ typ host/);
    await tab.close();
  }, 60_000);

  it('ends the browser process and removes the profile on close, and close is idempotent', async () => {
    const second = await launchFirefox();
    const { pid, profileDir } = second;
    expect(alive(pid)).toBe(true);
    await second.close();
    await second.close();
    expect(alive(pid)).toBe(false);
    expect(existsSync(profileDir)).toBe(false);
  }, 90_000);
});
