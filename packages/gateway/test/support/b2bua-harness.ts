// The real B2BUA behind a gateway on 127.0.0.1, with one protocol client whose session is
// connected to a SIP account: the set-up every test of a browser-to-SIP call starts from.
import { loadConfig, silentLogger, startGateway, type RunningGateway } from '../../src/index.js';
import { B2buaBackend } from '../../src/b2bua/backend.js';
import type { WebRtcPeer } from './webrtc-peer.js';
import { TestSocket } from './ws-client.js';

export interface B2buaHarness {
  readonly gateway: RunningGateway;
  /** The B2BUA the gateway created. */
  readonly backend: B2buaBackend;
  /** A protocol client with its session connected (and registered, when asked for). */
  readonly socket: TestSocket;
  stop(): Promise<void>;
}

export interface B2buaHarnessOptions {
  /** Extra CLI arguments after the listen address (e.g. `--sip-outbound-proxy`). */
  readonly argv?: readonly string[];
  /** The `sipOptions` of `session.connect`. */
  readonly sipOptions: Record<string, unknown>;
  /** The session status to wait for: `REGISTERED` when the account registers. */
  readonly ready?: 'ESTABLISHED' | 'REGISTERED';
}

export async function startB2bua(options: B2buaHarnessOptions): Promise<B2buaHarness> {
  let backend: B2buaBackend | undefined;
  const gateway = await startGateway({
    config: loadConfig({
      argv: ['--listen-host', '127.0.0.1', '--listen-port', '0', ...(options.argv ?? [])],
      env: {},
    }),
    logger: silentLogger,
    staticMounts: {},
    backendFactory: (context) => (backend = new B2buaBackend(context)),
  });
  const socket = await TestSocket.open(gateway.websocketUrl);
  await socket.request({
    type: 'session.connect',
    protocolVersion: 1,
    sipOptions: options.sipOptions,
  });
  await socket.waitFor({ type: 'session.status', status: options.ready ?? 'ESTABLISHED' }, 10_000);
  if (!backend) throw new Error('the gateway did not create its B2BUA');
  const created = backend;
  return {
    gateway,
    backend: created,
    socket,
    async stop() {
      await socket.close();
      await gateway.stop();
    },
  };
}

/** Asks the gateway for an audio call from `peer` to `callee` (the peer's offer included). */
export async function placeCall(
  socket: TestSocket,
  peer: WebRtcPeer,
  callId: string,
  callee: string,
): Promise<void> {
  await socket.request({
    type: 'call.create',
    callId,
    callee,
    audio: true,
    video: false,
    sdp: { type: 'offer', sdp: await peer.offer() },
  });
}

/**
 * Waits for the call to be ESTABLISHED, hands the gateway's answer to `peer`, waits for ICE and
 * DTLS, and starts a 440 Hz tone: the browser half of every call that then measures audio.
 */
export async function establishWithTone(
  socket: TestSocket,
  peer: WebRtcPeer,
  callId: string,
): Promise<void> {
  const established = await socket.waitFor(
    { type: 'call.status', callId, status: 'ESTABLISHED' },
    15_000,
  );
  peer.setAnswer((established['sdp'] as { sdp: string }).sdp);
  await peer.connected();
  peer.startTone(440, 8000);
}

/**
 * CLI arguments for a SIP side on 127.0.0.1: domain 127.0.0.1, the outbound proxy on
 * `proxyPort`, and the transport (`--sip-tls-ca` and the like go after them).
 */
export function sipSideArgv(proxyPort: number, transport: 'UDP' | 'TCP' | 'TLS' | 'WS'): string[] {
  return [
    '--sip-domain',
    '127.0.0.1',
    '--sip-outbound-proxy',
    `127.0.0.1:${proxyPort}`,
    '--sip-transport',
    transport,
  ];
}

/**
 * Answers the next incoming call with `peer`'s answer to its offer; resolves with the call id
 * once the gateway reports it ESTABLISHED.
 */
export async function answerIncoming(socket: TestSocket, peer: WebRtcPeer): Promise<string> {
  const incoming = await socket.waitFor({ type: 'call.incoming' }, 15_000);
  const callId = incoming['callId'] as string;
  const answer = await peer.answer((incoming['sdp'] as { sdp: string }).sdp);
  await socket.request({ type: 'call.answer', callId, sdp: { type: 'answer', sdp: answer } });
  await socket.waitFor({ type: 'call.status', callId, status: 'ESTABLISHED' }, 10_000);
  return callId;
}

/** The failure of the session's registration: waits for it to report UNREGISTERED. */
export async function registrationFailure(
  socket: TestSocket,
): Promise<{ readonly reason?: string; readonly message?: string }> {
  const status = await socket.waitFor(
    (m) => m['type'] === 'session.status' && m['status'] === 'UNREGISTERED',
    10_000,
  );
  return status['failure'] as { reason?: string; message?: string };
}
