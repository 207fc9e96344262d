// The real B2BUA behind a gateway on 127.0.0.1, with one protocol client whose session is
// connected to a SIP account: the set-up every test of a browser-to-SIP call starts from.
import {
  loadConfig,
  silentLogger,
  startGateway,
  type Logger,
  type RunningGateway,
} from '../../src/index.js';
import { B2buaBackend, type B2buaBackendOptions } from '../../src/b2bua/backend.js';
import { embeddedDemo } from '../../src/demo/index.js';
import { API_TOKEN } from './gateway-harness.js';
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

/** CLI arguments that turn on the REST API with the test token (`API_TOKEN`). */
export const REST_API_ARGV: readonly string[] = ['--api-tokens', API_TOKEN];

export interface B2buaGatewayOptions {
  /** Runs the embedded demo (its SIP server and accounts) beside the gateway. */
  readonly demo?: boolean;
  /** Options for the B2BUA itself (e.g. a `sipClock` for its SIP timers, codecs). */
  readonly backendOptions?: B2buaBackendOptions;
  /** Where the gateway logs; silent unless a test reads the log. */
  readonly logger?: Logger;
}

export interface B2buaGateway {
  readonly gateway: RunningGateway;
  /** The B2BUA the gateway created. */
  readonly backend: B2buaBackend;
}

/**
 * A gateway on 127.0.0.1 with an OS-chosen port in front of the real B2BUA; `argv` goes after
 * the listen address. No static mounts, and no environment: only `argv` configures it.
 */
export async function startB2buaGateway(
  argv: readonly string[] = [],
  options: B2buaGatewayOptions = {},
): Promise<B2buaGateway> {
  let backend: B2buaBackend | undefined;
  const gateway = await startGateway({
    config: loadConfig({
      argv: ['--listen-host', '127.0.0.1', '--listen-port', '0', ...argv],
      env: {},
    }),
    logger: options.logger ?? silentLogger,
    staticMounts: {},
    ...(options.demo ? { demoFactory: embeddedDemo } : {}),
    backendFactory: (context) => (backend = new B2buaBackend(context, options.backendOptions)),
  });
  if (!backend) {
    await gateway.stop();
    throw new Error('the gateway did not create its B2BUA');
  }
  return { gateway, backend };
}

export async function startB2bua(options: B2buaHarnessOptions): Promise<B2buaHarness> {
  const { gateway, backend } = await startB2buaGateway(options.argv ?? []);
  const socket = await TestSocket.open(gateway.websocketUrl);
  await socket.request({
    type: 'session.connect',
    protocolVersion: 1,
    sipOptions: options.sipOptions,
  });
  await socket.waitFor({ type: 'session.status', status: options.ready ?? 'ESTABLISHED' }, 10_000);
  return {
    gateway,
    backend,
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
 * The SDP body of a plain SIP phone on 127.0.0.1: PCMU on RTP port `port`, with `direction`
 * (default sendrecv) and the o= line's session `version` (raise it for a re-INVITE, RFC 3264 §8).
 */
export function phoneSdp(
  port: number,
  options: { readonly direction?: string; readonly version?: number } = {},
): { body: string; contentType: 'application/sdp' } {
  const body = [
    'v=0',
    `o=- 1 ${options.version ?? 1} IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    `a=${options.direction ?? 'sendrecv'}`,
    '',
  ].join('\r\n');
  return { body, contentType: 'application/sdp' };
}

/**
 * CLI arguments for a SIP side on 127.0.0.1: domain 127.0.0.1, the outbound proxy on
 * `proxyPort`, and the transport when given (`--sip-tls-ca` and the like go after them).
 */
export function sipSideArgv(proxyPort: number, transport?: 'UDP' | 'TCP' | 'TLS' | 'WS'): string[] {
  return [
    '--sip-domain',
    '127.0.0.1',
    '--sip-outbound-proxy',
    `127.0.0.1:${proxyPort}`,
    ...(transport ? ['--sip-transport', transport] : []),
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
