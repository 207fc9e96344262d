// The SIP message layer in headless Chromium through the package's browser entry,
// `@callbridge/sip/messages`: its TypeScript sources, transpiled file by file and served as ES
// modules (no bundler), load without any Node module and parse and serialise the same bytes as
// under Node.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parseMessage, serialize, type SipParseError } from '@callbridge/sip';
import type * as SipMessages from '@callbridge/sip';
import {
  launchChromium,
  needsPeers,
  openPackagePage,
  PEERS,
  type LaunchedChromium,
  type PackagePage,
} from '@callbridge/testkit';

const packages = fileURLToPath(new URL('../../', import.meta.url));
const sipPackage = `${packages}sip/`;

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7;rport',
  'Max-Forwards: 70',
  't: Bob <sip:bob@biloxi.example.com>',
  'f: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774',
  'i: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\n',
].join('\r\n');

interface Parsed {
  readonly method: string;
  readonly branch: string | undefined;
  readonly fromTag: string | undefined;
  readonly callId: string | undefined;
  readonly serialized: number[];
  readonly error: { name: string; code: string; status: number | undefined } | undefined;
}

describe.skipIf(needsPeers(PEERS.chromium).skip)('@callbridge/sip/messages in Chromium', () => {
  let browser: LaunchedChromium;
  let page: Page;
  let loaded: PackagePage;

  beforeAll(async () => {
    browser = await launchChromium();
    loaded = await openPackagePage(browser, {
      packagesDir: packages,
      imports: { '@callbridge/sip/messages': '/pkg/sip/messages.js' },
      entry: '@callbridge/sip/messages',
      global: 'CallbridgeSip',
    });
    page = loaded.page;
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('is the entry the package exports for it', () => {
    const manifest = JSON.parse(readFileSync(`${sipPackage}package.json`, 'utf8')) as {
      exports: Record<string, { default: string }>;
    };
    expect(manifest.exports['./messages']?.default).toBe('./dist/messages.js');
  });

  it('loads as plain ES modules, none of them from Node', () => {
    // A Node import (node:crypto, node:dgram, …) cannot be resolved by the page and fails the load.
    expect(loaded.loadError).toBeUndefined();
    expect(loaded.served).toContain('sip/parser');
    expect(loaded.served).not.toContain('sip/index');
    expect(loaded.served.every((file) => file.startsWith('sip/'))).toBe(true);
  });

  it('scans header sections with the WebAssembly scanner on the main thread', async () => {
    // Chromium compiles the scanner (over 4 KB) synchronously on the main thread since 114;
    // a refusal would silently leave browsers on the TypeScript loop.
    // As a string: vitest would rewrite an import() inside a function passed to the page.
    const loaded = await page.evaluate<boolean>(
      "import('/pkg/sip/header-scan-wasm.js').then((m) => m.wasmHeaderScanner() !== undefined)",
    );
    expect(loaded).toBe(true);
  });

  it('parses, reads and serialises a message as Node does; bad input is a SipParseError', async () => {
    const inBrowser = await page.evaluate((text): Parsed => {
      type Sip = typeof SipMessages;
      const sip = (globalThis as unknown as { CallbridgeSip: Sip }).CallbridgeSip;
      const message = sip.parseMessage(new TextEncoder().encode(text));
      if (message.kind !== 'request') throw new Error('not a request');
      let error: Parsed['error'];
      try {
        sip.parseMessage(new TextEncoder().encode('INVITE sip:a@b SIP/3.0\r\n\r\n'));
      } catch (thrown) {
        const e = thrown as InstanceType<Sip['SipParseError']>;
        error = { name: e.name, code: e.code, status: e.response?.status };
      }
      return {
        method: message.method,
        branch: message.topVia?.branch,
        fromTag: message.from?.tag,
        callId: message.callId,
        serialized: [...sip.serialize(message)],
        error,
      };
    }, INVITE);

    const inNode = parseMessage(new TextEncoder().encode(INVITE));
    if (inNode.kind !== 'request') throw new Error('not a request');
    expect(inBrowser.method).toBe('INVITE');
    expect(inBrowser.branch).toBe(inNode.topVia?.branch);
    expect(inBrowser.fromTag).toBe('1928301774');
    expect(inBrowser.callId).toBe(inNode.callId);
    expect(Uint8Array.from(inBrowser.serialized)).toEqual(serialize(inNode));
    let nodeError: SipParseError | undefined;
    try {
      parseMessage(new TextEncoder().encode('INVITE sip:a@b SIP/3.0\r\n\r\n'));
    } catch (thrown) {
      nodeError = thrown as SipParseError;
    }
    expect(inBrowser.error).toEqual({
      name: nodeError?.name,
      code: nodeError?.code,
      status: nodeError?.response?.status,
    });
    expect(inBrowser.error?.status).toBe(505);
  });
});
