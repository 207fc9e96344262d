// RFC 4028 session timers through the B2BUA, against SIPp as the called party: the gateway
// places a click-to-call (REST, tone source) to a SIPp UAS scenario that sets the session
// interval and the refresher. The SIP stack of the gateway runs on a clock ten times faster than
// real time, so the 90 s minimum interval lasts 9 s; SIPp's own pauses are in real time and its
// scenarios (conformance/sipp/session-timer-*.xml) are written for that speed. SIPP_TRACE=<file>
// in the environment writes the messages SIPp saw to that file.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock as SipClock, TimerHandle } from '@callbridge/sip';
import {
  PEERS,
  freePort,
  needsPeers,
  startProcess,
  udpPortBound,
  type RunningProcess,
} from '@callbridge/testkit';
import { silentLogger, startGateway, type RunningGateway } from '../src/index.js';
import { B2buaBackend } from '../src/b2bua/backend.js';
import { API_TOKEN, testConfig } from './support/gateway-harness.js';
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
  gateway = await startGateway({
    config: testConfig(['--sip-domain', '127.0.0.1', '--sip-listen-host', '127.0.0.1']),
    logger: silentLogger,
    staticMounts: {},
    backendFactory: (context) => (backend = new B2buaBackend(context, { sipClock: fastClock })),
  });
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

/**
 * Calls a SIPp UAS running `file`, waits until SIPp has played its scenario to the end, and
 * returns SIPp's exit code and output with the gateway's record of the ended call.
 */
async function callSipp(
  file: string,
  callId: string,
): Promise<{ code: number | null; output: string; call: EndedCall }> {
  const port = await freePort('udp');
  const sipp: RunningProcess = await startProcess(
    'sipp',
    [
      '-sf',
      scenario(file),
      '-s',
      'callee',
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
  try {
    const exited = new Promise<number | null>((resolve) => {
      if (sipp.child.exitCode !== null) resolve(sipp.child.exitCode);
      else sipp.child.once('exit', (code) => resolve(code));
    });
    await post('/call/startup', {
      callId,
      callee: 'callee',
      sipOptions: { login: 'gateway', domain: '127.0.0.1', outboundProxy: `127.0.0.1:${port}` },
      mediaSource: { kind: 'tone', frequencyHz: 440 },
    });
    const code = await exited;
    for (;;) {
      const found = await post('/call/find', { id: callId });
      const call = (found['calls'] as EndedCall[] | undefined)?.[0];
      if (call && (call.status === 'FINISH' || call.status === 'FAILED'))
        return { code, output: sipp.output(), call };
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await sipp.stop();
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
