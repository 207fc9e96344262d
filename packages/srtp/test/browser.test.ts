// @callbridge/srtp in headless Chromium: its TypeScript sources, transpiled file by file and
// served as ES modules (no bundler, nothing Node-specific), run on the WebAssembly core with
// TypeScript AES and produce the very bytes Node does.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createRtpPacket } from '@callbridge/rtp';
import { SRTP_PROFILES, SrtpContext } from '@callbridge/srtp';
import type * as Srtp from '@callbridge/srtp';
import {
  launchChromium,
  needsPeers,
  openPackagePage,
  PEERS,
  type LaunchedChromium,
  type PackagePage,
} from '@callbridge/testkit';

const packages = fileURLToPath(new URL('../../', import.meta.url));

const key = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 11 + 5) & 0xff);

describe.skipIf(needsPeers(PEERS.chromium).skip)('SRTP in Chromium', () => {
  let browser: LaunchedChromium;
  let page: Page;
  let loaded: PackagePage;
  beforeAll(async () => {
    browser = await launchChromium();
    loaded = await openPackagePage(browser, {
      packagesDir: packages,
      imports: { '@callbridge/rtp': '/pkg/rtp/index.js', '@callbridge/srtp': '/pkg/srtp/index.js' },
      entry: '@callbridge/srtp',
      global: 'CallbridgeSrtp',
    });
    page = loaded.page;
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads as plain ES modules, none of them from Node', () => {
    // A Node import (node:crypto, …) cannot be resolved by the browser and fails the load.
    expect(loaded.loadError).toBeUndefined();
    expect(loaded.served).toContain('srtp/wasm-core');
    expect(loaded.served).toContain('srtp/context');
    expect(loaded.served.every((file) => /^(srtp|rtp)\//.test(file))).toBe(true);
  });

  it('protects and unprotects on the WebAssembly core, byte-identical to Node', async () => {
    for (const profile of SRTP_PROFILES) {
      const masterKey = key(profile.masterKeyLength);
      const masterSalt = key(profile.masterSaltLength);
      const packets = [40, 160, 1188].map((size, i) =>
        createRtpPacket({
          payloadType: 111,
          sequenceNumber: (65534 + i) & 0xffff, // across the sequence wrap
          timestamp: 960 * i,
          ssrc: 0x1234abcd,
          payload: Uint8Array.from({ length: size }, (_, j) => (j * 3 + i) & 0xff),
        }).bytes.slice(),
      );
      const node = new SrtpContext({ profile, masterKey, masterSalt });
      const expected = packets.map((p) => Array.from(node.protectRtp(p)));
      const inBrowser = await page.evaluate(
        ({ name, masterKey, masterSalt, packets }) => {
          const { SrtpContext } = (globalThis as unknown as { CallbridgeSrtp: typeof Srtp })
            .CallbridgeSrtp;
          const options = {
            profile: name,
            masterKey: Uint8Array.from(masterKey),
            masterSalt: Uint8Array.from(masterSalt),
          };
          const sender = new SrtpContext(options);
          const receiver = new SrtpContext(options);
          const sealed = packets.map((p) => sender.protectRtp(Uint8Array.from(p)));
          return {
            backend: sender.backend,
            sealed: sealed.map((s) => Array.from(s)),
            opened: sealed.map((s) => Array.from(receiver.unprotectRtp(s))),
          };
        },
        {
          name: profile.name,
          masterKey: Array.from(masterKey),
          masterSalt: Array.from(masterSalt),
          packets: packets.map((p) => Array.from(p)),
        },
      );
      expect(inBrowser.backend).toEqual({ packet: 'wasm', aes: 'typescript' });
      expect(inBrowser.sealed).toEqual(expected);
      expect(inBrowser.opened).toEqual(packets.map((p) => Array.from(p)));
    }
  });
});
