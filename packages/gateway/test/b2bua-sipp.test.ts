// The B2BUA's SIP side against SIPp phones that do what real networks do: early media that
// requires PRACK (RFC 3262), a call forked to two phones that both answer (RFC 3261 §13.2.2.4),
// and a 200 OK that crosses the caller's CANCEL (§9.1). libdatachannel plays the browser; SIPp
// echoes RTP, so what the browser hears proves which media path is live.
import { createSocket } from 'node:dgram';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  PEERS,
  freePort,
  needsPeers,
  startProcess,
  tempDir,
  type RunningProcess,
} from '@callbridge/testkit';
import type { B2buaBackend } from '../src/b2bua/backend.js';
import { placeCall, startB2bua, type B2buaHarness } from './support/b2bua-harness.js';
import { WebRtcPeer } from './support/webrtc-peer.js';
import type { TestSocket } from './support/ws-client.js';

const scenario = (name: string): string =>
  fileURLToPath(new URL(`../../../conformance/sipp/${name}`, import.meta.url));

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True once something has bound the UDP port on 127.0.0.1. */
function udpPortBound(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createSocket('udp4');
    probe.once('error', () => resolve(true));
    probe.bind(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}

interface Phone {
  readonly process: RunningProcess;
  /** Resolves once its one call ran through the scenario: SIPp's exit code and error log. */
  readonly exited: Promise<{ code: number | null; errors: string }>;
}

describe.skipIf(needsPeers(PEERS.sipp).skip)('B2BUA against SIPp phones', () => {
  let harness: B2buaHarness | undefined;
  let backend: B2buaBackend;
  let socket: TestSocket;
  let sipPort: number;
  const cleanup: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    sipPort = await freePort('udp');
    ({ backend, socket } = harness = await startB2bua({
      sipOptions: {
        login: 'gateway',
        password: 'unused',
        domain: '127.0.0.1',
        outboundProxy: `127.0.0.1:${sipPort}`,
        registerRequired: false,
      },
    }));
  }, 20_000);

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  afterAll(async () => {
    await harness?.stop();
  });

  /** SIPp as the phone (the SIP server the account points at), for one call. */
  async function phone(file: string): Promise<Phone> {
    const mediaPort = 40000 + 2 * Math.floor(Math.random() * 5000);
    const dir = tempDir('sipp');
    cleanup.push(() => dir.remove());
    const process = await startProcess(
      'sipp',
      [
        '-sf',
        scenario(file),
        '-i',
        '127.0.0.1',
        '-p',
        String(sipPort),
        '-mi',
        '127.0.0.1',
        '-mp',
        String(mediaPort),
        '-rtp_echo',
        '-m',
        '1',
        '-nostdin',
        '-trace_err',
        '-timeout',
        '30s',
      ],
      { cwd: dir.path, readyCheck: () => udpPortBound(sipPort) },
    );
    cleanup.push(() => process.stop());
    const exited = new Promise<number | null>((resolve) => {
      if (process.child.exitCode !== null) resolve(process.child.exitCode);
      else process.child.once('exit', (code) => resolve(code));
    }).then((code) => ({
      code,
      // -trace_err writes <scenario>_<pid>_errors.log into the working directory.
      errors: readdirSync(dir.path)
        .filter((name) => name.endsWith('_errors.log'))
        .map((name) => readFileSync(join(dir.path, name), 'utf8'))
        .join('\n'),
    }));
    return { process, exited };
  }

  async function browser(callId: string): Promise<WebRtcPeer> {
    const peer = await WebRtcPeer.create(callId, ['PCMU']);
    cleanup.push(() => peer.close());
    return peer;
  }

  function descriptionOf(message: Record<string, unknown>): { type: string; sdp: string } {
    const sdp = message['sdp'] as { type: string; sdp: string } | undefined;
    if (!sdp) throw new Error(`no SDP in ${JSON.stringify(message)}`);
    return sdp;
  }

  it('early media with 100rel: PRACKs the reliable 183, the browser hears it before the answer', async () => {
    const sipp = await phone('uas-100rel-early-media.xml');
    const peer = await browser('early');
    await placeCall(socket, peer, 'early', 'phone');
    const progress = await socket.waitFor(
      { type: 'call.status', callId: 'early', status: 'SESSION_PROGRESS' },
      10_000,
    );
    expect(progress['sipStatus']).toBe(183);
    peer.setAnswer(descriptionOf(progress).sdp);
    await peer.connected();
    peer.startTone(440, 8000);
    await new Promise((r) => setTimeout(r, 300));
    const early = await peer.listen(600);
    // Still early: the phone answers two seconds after its 183.
    expect(
      socket.messages.some((m) => m['callId'] === 'early' && m['status'] === 'ESTABLISHED'),
    ).toBe(false);
    expect(early.rms).toBeGreaterThan(1000);

    await socket.waitFor({ type: 'call.status', callId: 'early', status: 'ESTABLISHED' }, 10_000);
    const answered = await peer.receive(30);
    expect(answered.rms).toBeGreaterThan(1000);

    await socket.request({ type: 'call.hangup', callId: 'early' });
    await socket.waitFor({ type: 'call.status', callId: 'early', status: 'FINISH' });
    // SIPp exits 0 only if the PRACK (with a RAck for RSeq 1), the ACK and the BYE all came.
    expect(await sipp.exited).toEqual({ code: 0, errors: '' });
    await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
  }, 40_000);

  it('a forked call answered twice: keeps the first 2xx, ACKs and BYEs the second', async () => {
    const sipp = await phone('uas-forked-answers.xml');
    const peer = await browser('forked');
    await placeCall(socket, peer, 'forked', 'phone');
    await socket.waitFor({ type: 'call.status', callId: 'forked', status: 'RING' }, 10_000);
    const established = await socket.waitFor(
      { type: 'call.status', callId: 'forked', status: 'ESTABLISHED' },
      10_000,
    );
    // The browser's answer came with the early media of fork-b, or with its 200.
    const answer =
      socket.messages.find((m) => m['callId'] === 'forked' && m['sdp'] !== undefined) ??
      established;
    peer.setAnswer(descriptionOf(answer).sdp);
    await peer.connected();
    peer.startTone(440, 8000);
    // The second answer (fork-a) arrives 200 ms after the first and is hung up at once.
    await new Promise((r) => setTimeout(r, 800));
    expect((await peer.receive(30)).rms).toBeGreaterThan(1000);
    const statuses = socket.messages
      .filter((m) => m['callId'] === 'forked' && m['type'] === 'call.status')
      .map((m) => m['status']);
    expect(statuses).not.toContain('FINISH');
    expect(statuses.filter((s) => s === 'ESTABLISHED')).toHaveLength(1);

    await socket.request({ type: 'call.hangup', callId: 'forked' });
    await socket.waitFor({ type: 'call.status', callId: 'forked', status: 'FINISH' });
    // SIPp exits 0 only if both 2xx were ACKed, fork-a got its BYE first and fork-b at hang-up.
    expect(await sipp.exited).toEqual({ code: 0, errors: '' });
    await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
  }, 40_000);

  it('a 200 OK that crosses the CANCEL: ACKed and ended with BYE, the call ends once', async () => {
    const sipp = await phone('uas-cancel-crosses-200.xml');
    const peer = await browser('race');
    await placeCall(socket, peer, 'race', 'phone');
    await socket.waitFor({ type: 'call.status', callId: 'race', status: 'RING' }, 10_000);
    await socket.request({ type: 'call.hangup', callId: 'race' });
    await socket.waitFor({ type: 'call.status', callId: 'race', status: 'FINISH' });
    // SIPp exits 0 only if the crossing 2xx got its ACK and then a BYE.
    expect(await sipp.exited).toEqual({ code: 0, errors: '' });
    await until(() => backend.activeCalls === 0, 'no call left in the B2BUA');
    const statuses = socket.messages
      .filter((m) => m['callId'] === 'race' && m['type'] === 'call.status')
      .map((m) => m['status']);
    expect(statuses).not.toContain('ESTABLISHED');
    expect(statuses.filter((s) => s === 'FINISH')).toHaveLength(1);
  }, 40_000);
});
