// RFC 4028 session timers through the B2BUA, against SIPp as the called party: the gateway
// places a click-to-call (REST, tone source) to a SIPp UAS scenario that sets the session
// interval and the refresher. The SIP stack of the gateway runs on a clock ten times faster than
// real time, so the 90 s minimum interval lasts 9 s; SIPp's own pauses are in real time and its
// scenarios (conformance/sipp/session-timer-*.xml) are written for that speed. SIPP_TRACE=<file>
// in the environment writes the messages SIPp saw to that file.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SipServer, UdpTransport, type Clock as SipClock, type TimerHandle } from '@callbridge/sip';
import {
  PEERS,
  freePort,
  needsPeers,
  startProcess,
  udpPortBound,
  type RunningProcess,
} from '@callbridge/testkit';
import type { RunningGateway } from '../src/index.js';
import type { B2buaBackend } from '../src/b2bua/backend.js';
import { REST_API_ARGV, startB2buaGateway } from './support/b2bua-harness.js';
import { API_TOKEN } from './support/gateway-harness.js';
import { WebRtcPeer } from './support/webrtc-peer.js';
import { TestSocket } from './support/ws-client.js';
const SPEED = 10;

/** Real timers, SPEED times shorter: RFC 4028 intervals (at least 90 s) pass in seconds. */
const fastClock: SipClock = {
  now: () => performance.now() * SPEED,
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms / SPEED);
    handle.unref();
    return handle as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as unknown as ReturnType<typeof setTimeout>);
  },
};

const scenario = (name: string): string =>
  fileURLToPath(new URL(`../../../conformance/sipp/${name}`, import.meta.url));

let gateway: RunningGateway;
let backend: B2buaBackend | undefined;

beforeAll(async () => {
  ({ gateway, backend } = await startB2buaGateway(
    [
      ...REST_API_ARGV,
      '--sip-domain',
      '127.0.0.1',
      '--sip-listen-host',
      '127.0.0.1',
      '--sip-session-expires',
      '90',
    ],
    { backendOptions: { sipClock: fastClock } },
  ));
});

afterAll(async () => {
  await gateway?.stop();
});

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

interface EndedCall {
  status: string;
  failure: { reason: string; message?: string } | null;
}

/** SIPp running scenario `file` as `service`; `target` makes it call that address. */
async function startSipp(
  file: string,
  service: string,
  target: string[] = [],
): Promise<{ port: number; process: RunningProcess; exited: Promise<number | null> }> {
  const port = await freePort('udp');
  const sipp = await startProcess(
    'sipp',
    [
      ...target,
      '-sf',
      scenario(file),
      '-s',
      service,
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-m',
      '1',
      '-nostdin',
      '-trace_err',
      ...(process.env['SIPP_TRACE']
        ? ['-trace_msg', '-message_file', process.env['SIPP_TRACE']]
        : []),
      '-timeout',
      '30s',
    ],
    { readyCheck: () => udpPortBound(port) },
  );
  const exited = new Promise<number | null>((resolve) => {
    if (sipp.child.exitCode !== null) resolve(sipp.child.exitCode);
    else sipp.child.once('exit', (code) => resolve(code));
  });
  return { port, process: sipp, exited };
}

/**
 * Calls a SIPp UAS running `file`, waits until SIPp has played its scenario to the end, and
 * returns SIPp's exit code and output with the gateway's record of the ended call.
 */
async function callSipp(
  file: string,
  callId: string,
): Promise<{ code: number | null; output: string; call: EndedCall }> {
  const sipp = await startSipp(file, 'callee');
  try {
    await post('/call/startup', {
      callId,
      callee: 'callee',
      sipOptions: {
        login: 'gateway',
        domain: '127.0.0.1',
        outboundProxy: `127.0.0.1:${sipp.port}`,
      },
      mediaSource: { kind: 'tone', frequencyHz: 440 },
    });
    const code = await sipp.exited;
    for (;;) {
      const found = await post('/call/find', { id: callId });
      const call = (found['calls'] as EndedCall[] | undefined)?.[0];
      if (call && (call.status === 'FINISH' || call.status === 'FAILED'))
        return { code, output: sipp.process.output(), call };
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await sipp.process.stop();
  }
}

describe.skipIf(needsPeers(PEERS.sipp).skip)('session timers through the B2BUA (SIPp)', () => {
  it('refreshes with UPDATE at half the interval when the callee makes it the refresher', async () => {
    const { code, output, call } = await callSipp('session-timer-refresher-uac.xml', 'st-uac');
    expect(code, output).toBe(0);
    // Two refreshes answered, then the callee hung up: a normal end, not an expiry.
    expect(call.status).toBe('FINISH');
    expect(backend?.activeCalls).toBe(0);
  }, 45_000);

  it('refreshes with re-INVITE when the callee does not allow UPDATE', async () => {
    const { code, output, call } = await callSipp('session-timer-reinvite-refresh.xml', 'st-re');
    expect(code, output).toBe(0);
    expect(call.status).toBe('FINISH');
    expect(backend?.activeCalls).toBe(0);
  }, 45_000);

  it('retries a 422 with the Min-SE it names and refreshes at that interval (RFC 4028 §6)', async () => {
    const { code, output, call } = await callSipp('session-timer-422.xml', 'st-422');
    expect(code, output).toBe(0);
    expect(call.status).toBe('FINISH');
    expect(backend?.activeCalls).toBe(0);
  }, 45_000);

  it('accepts the callee refreshing with UPDATE and re-INVITE, and sends BYE once they stop', async () => {
    const { code, output, call } = await callSipp('session-timer-refresher-uas.xml', 'st-uas');
    expect(code, output).toBe(0);
    expect(call.status).toBe('FAILED');
    expect(call.failure?.message).toMatch(/session-expired/);
    expect(backend?.activeCalls).toBe(0);
  }, 45_000);

  it('sends BYE when its refresh is never answered (RFC 4028 §10)', async () => {
    const { code, output, call } = await callSipp(
      'session-timer-unanswered-refresh.xml',
      'st-lost',
    );
    expect(code, output).toBe(0);
    expect(call.status).toBe('FAILED');
    expect(call.failure?.message).toMatch(/session-expired/);
    expect(backend?.activeCalls).toBe(0);
  }, 45_000);
});

describe.skipIf(needsPeers(PEERS.sipp).skip)(
  'session timers on a call to the browser (SIPp caller)',
  () => {
    let server: SipServer;
    let socket: TestSocket;
    /** Calls the browser answered (the protocol client keeps every message it received). */
    const answered = new Set<string>();

    beforeAll(async () => {
      server = new SipServer({
        transports: [await UdpTransport.create({ address: '127.0.0.1' })],
        domains: ['127.0.0.1'],
      });
      socket = await TestSocket.open(gateway.websocketUrl);
      await socket.request({
        type: 'session.connect',
        protocolVersion: 1,
        sipOptions: {
          login: 'browser',
          domain: '127.0.0.1',
          outboundProxy: `127.0.0.1:${server.transports.transport('udp')!.local.port}`,
        },
      });
      await socket.waitFor({ type: 'session.status', status: 'REGISTERED' }, 10_000);
    });

    afterAll(async () => {
      await socket?.close();
      await server?.close();
    });

    /**
     * SIPp runs `file` as the caller of the browser's account; the browser answers. Resolves
     * with SIPp's exit code (once its scenario is over) and the call's final status message.
     */
    async function sippCallsBrowser(
      file: string,
      finalStatus: 'FINISH' | 'FAILED',
    ): Promise<{ code: number | null; output: string; ended: Record<string, unknown> }> {
      const proxy = `127.0.0.1:${server.transports.transport('udp')!.local.port}`;
      const sipp = await startSipp(file, 'browser', [proxy]);
      const peer = await WebRtcPeer.create(file, ['PCMU']);
      try {
        const incoming = await socket.waitFor(
          (m) => m['type'] === 'call.incoming' && !answered.has(m['callId'] as string),
          10_000,
        );
        const callId = incoming['callId'] as string;
        answered.add(callId);
        const answer = await peer.answer((incoming['sdp'] as { sdp: string }).sdp);
        await socket.request({ type: 'call.answer', callId, sdp: { type: 'answer', sdp: answer } });
        const code = await sipp.exited;
        const ended = await socket.waitFor(
          { type: 'call.status', callId, status: finalStatus },
          5_000,
        );
        return { code, output: sipp.process.output(), ended };
      } finally {
        peer.close();
        await sipp.process.stop();
      }
    }

    it('confirms the interval with the caller as asked (refresher=uas) and refreshes with UPDATE', async () => {
      // SIPp checks the 200 and the refresh, then hangs up.
      const { code, output } = await sippCallsBrowser('session-timer-caller.xml', 'FINISH');
      expect(code, output).toBe(0);
      expect(backend?.activeCalls).toBe(0);
    }, 45_000);

    it('accepts the caller refreshing with UPDATE and re-INVITE, and sends BYE once it stops', async () => {
      const { code, output, ended } = await sippCallsBrowser(
        'session-timer-caller-refreshes.xml',
        'FAILED',
      );
      expect(code, output).toBe(0);
      expect((ended['failure'] as { message?: string }).message).toMatch(/session-expired/);
      expect(backend?.activeCalls).toBe(0);
    }, 45_000);
  },
);
