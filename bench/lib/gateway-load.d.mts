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

export interface LoadSession {
  request(message: Record<string, unknown>): Promise<Record<string, unknown>>;
  wait(key: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export function openSession(url: string, login: string, phone?: SippPhone): Promise<LoadSession>;

export class EmulatedBrowserCall {
  constructor(verifyEvery?: number, timestampSkewMs?: number);
  readonly port: number;
  /** SRTP packets received, and those decrypted to our own PCMU coming back. */
  readonly received: number;
  readonly echoed: number;
  readonly sent: number;
  open(): Promise<this>;
  offer(): string;
  connect(answer: string): Promise<void>;
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
