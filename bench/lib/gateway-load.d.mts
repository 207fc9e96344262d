// Types of gateway-load.mjs, for the tests that drive the same harness as the bench.
import type { RunningProcess } from '@callbridge/testkit';

export type SippPhoneCodec = 'PCMU' | 'G729';

export interface SippPhone {
  readonly codec: SippPhoneCodec;
  readonly sipPort: number;
  readonly rtpPort: number;
  /** host:port of its SIP socket. */
  readonly address: string;
  readonly process: RunningProcess;
  openCalls(): number;
  successfulCalls(): number;
  failedCalls(): number;
  messages(): string;
  stop(): Promise<void>;
}

export function startSippPhone(options?: { codec?: SippPhoneCodec }): Promise<SippPhone>;

export function gatewayArgs(phone: SippPhone, extra?: readonly string[]): string[];

export interface Registrar {
  /** host:port of its UDP socket. */
  readonly address: string;
  close(): Promise<void>;
}

export function startRegistrar(): Promise<Registrar>;

export interface SippCaller {
  readonly process: RunningProcess;
  /** SIPp's exit code (0: every call succeeded) and its call counts. */
  readonly finished: Promise<{ code: number | null; successful: number; failed: number }>;
  stop(): Promise<void>;
}

export function startSippCaller(options: {
  registrar: Registrar;
  callees: readonly string[];
  calls: number;
  rate: number;
  holdMs: number;
}): Promise<SippCaller>;

export interface LoadSession {
  request(message: Record<string, unknown>): Promise<Record<string, unknown>>;
  wait(key: string): Promise<Record<string, unknown>>;
  onMessage(listener: (message: Record<string, unknown>) => void): void;
  close(): Promise<void>;
}

export function openSession(
  url: string,
  login: string,
  options?: { outboundProxy?: string; register?: boolean },
): Promise<LoadSession>;

export interface IncomingTally {
  answered: number;
  connected: number;
  finished: number;
  failed: number;
  /** Media of the calls that ended: packets sent, and received packets that were our echo. */
  sent: number;
  echoed: number;
}

export function answerIncomingCalls(
  sessions: readonly LoadSession[],
  options?: { verifyEvery?: number },
): { readonly tally: IncomingTally; readonly live: number; stop(): void };

export class EmulatedBrowserCall {
  constructor(verifyEvery?: number, timestampSkewMs?: number);
  readonly port: number;
  /** SRTP packets received, and those decrypted to our own PCMU coming back. */
  readonly received: number;
  readonly echoed: number;
  readonly sent: number;
  open(): Promise<this>;
  offer(): string;
  answerTo(offer: string): string;
  connect(remoteDescription: string): Promise<void>;
  sendPacket(): void;
  close(): Promise<void>;
}

export function startMedia(calls: readonly EmulatedBrowserCall[]): () => void;

export function placeCall(
  session: LoadSession,
  callId: string,
  callee: string,
  verifyEvery?: number,
  timestampSkewMs?: number,
): Promise<EmulatedBrowserCall>;

export function hangup(
  session: LoadSession,
  callId: string,
  call: EmulatedBrowserCall,
): Promise<void>;

export function setupRate(options: {
  sessions: readonly LoadSession[];
  callee: string;
  calls: number;
  concurrency: number;
  prefix?: string;
}): Promise<number>;

export interface MediaTotals {
  readonly sent: number;
  readonly received: number;
  readonly echoed: number;
  readonly callsWithEcho: number;
}

export function establishMediaCalls(options: {
  sessions: readonly LoadSession[];
  callee: string;
  calls: number;
  verifyEvery: number;
  /** Shifts every other packet's RTP timestamp by this much (jitter the gateway measures). */
  timestampSkewMs?: number;
  prefix?: string;
}): Promise<{
  calls: { session: LoadSession; callId: string; call: EmulatedBrowserCall }[];
  totals(): MediaTotals;
  hangupAll(): Promise<void>;
}>;

export function processCpuSeconds(pid: number): number;
export function processRssBytes(pid: number): number;
