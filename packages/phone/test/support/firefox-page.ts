// What a person does on the Phone UI in Firefox (puppeteer-core over WebDriver BiDi), and what
// the test reads from the page: the SDK's RTCPeerConnection stats and the DTMF the gateway sends,
// recorded by instrumentPage() before the page's scripts run.
import type { Page } from 'puppeteer-core';

/** What the page's newest RTCPeerConnection reports for one kind of media. */
export interface MediaStats {
  readonly packetsSent: number;
  readonly packetsReceived: number;
  /** inbound-rtp totalAudioEnergy (audio), where the browser reports it. */
  readonly totalAudioEnergy: number | null;
  readonly framesDecoded: number;
  readonly mimeType: string | null;
  /** The remote <video> size. */
  readonly width: number;
  readonly height: number;
}

/**
 * Runs in the page before its scripts: keeps every RTCPeerConnection in `window.peerConnections`
 * and every call.dtmf message the gateway sends in `window.dtmfReceived`, so the test can read
 * what the SDK owns without the page exposing it.
 */
export function instrumentPage(): void {
  const w = window as unknown as { peerConnections: RTCPeerConnection[]; dtmfReceived: string[] };
  const log: string[] = [];
  w.peerConnections = [];
  w.dtmfReceived = [];
  (window as unknown as { peerLog: string[] }).peerLog = log;
  const OriginalPeerConnection = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends OriginalPeerConnection {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      w.peerConnections.push(this);
      const id = w.peerConnections.length;
      const note = (what: string): void => {
        log.push(`pc${id} ${what}`);
      };
      this.addEventListener('connectionstatechange', () =>
        note(`connection ${this.connectionState}`),
      );
      this.addEventListener('iceconnectionstatechange', () =>
        note(`ICE ${this.iceConnectionState}`),
      );
      this.addEventListener('icegatheringstatechange', () =>
        note(`ICE gathering ${this.iceGatheringState}`),
      );
      this.addEventListener('icecandidate', (event: RTCPeerConnectionIceEvent) =>
        note(`candidate ${event.candidate?.candidate ?? '(end)'}`),
      );
      for (const method of ['setLocalDescription', 'setRemoteDescription'] as const) {
        type Describe = (d?: RTCLocalSessionDescriptionInit) => Promise<void>;
        const methods = this as unknown as Record<typeof method, Describe>;
        const original = methods[method].bind(this);
        methods[method] = async (description?: RTCLocalSessionDescriptionInit) => {
          try {
            await original(description);
            note(`${method} ${description?.type ?? ''}\n${description?.sdp ?? ''}`);
          } catch (error) {
            note(`${method} failed: ${String(error)}\n${description?.sdp ?? ''}`);
            throw error;
          }
        };
      }
    }
  };
  const OriginalWebSocket = window.WebSocket;
  window.WebSocket = class extends OriginalWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', (event: MessageEvent) => {
        if (typeof event.data !== 'string') return;
        try {
          const message = JSON.parse(event.data) as { type?: string; digits?: string };
          if (message.type === 'call.dtmf' && message.digits) w.dtmfReceived.push(message.digits);
        } catch {
          // not JSON: not ours to record
        }
      });
    }
  };
}

/** Runs in the page: the newest connection's stats for `kind`. */
export async function readStats(kind: string): Promise<MediaStats> {
  const pc = (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections.at(-1);
  const video = document.getElementById('remote-video') as HTMLVideoElement | null;
  const result = {
    packetsSent: 0,
    packetsReceived: 0,
    totalAudioEnergy: null as number | null,
    framesDecoded: 0,
    mimeType: null as string | null,
    width: video?.videoWidth ?? 0,
    height: video?.videoHeight ?? 0,
  };
  if (!pc) return result;
  const report = await pc.getStats();
  report.forEach((stat: Record<string, unknown>) => {
    if ((stat['kind'] ?? stat['mediaType']) !== kind) return;
    if (stat['type'] === 'outbound-rtp') result.packetsSent += Number(stat['packetsSent'] ?? 0);
    if (stat['type'] !== 'inbound-rtp') return;
    result.packetsReceived += Number(stat['packetsReceived'] ?? 0);
    result.framesDecoded += Number(stat['framesDecoded'] ?? 0);
    if (typeof stat['totalAudioEnergy'] === 'number')
      result.totalAudioEnergy = (result.totalAudioEnergy ?? 0) + stat['totalAudioEnergy'];
    const codec = report.get(String(stat['codecId'])) as Record<string, unknown> | undefined;
    if (typeof codec?.['mimeType'] === 'string') result.mimeType = codec['mimeType'];
  });
  return result;
}

/** What the page's newest connection reports about its ICE/DTLS transport. */
export interface TransportStats {
  readonly dtlsState: string | null;
  readonly dtlsRole: string | null;
  readonly iceRole: string | null;
  readonly tlsVersion: string | null;
  readonly srtpCipher: string | null;
  /** The addresses of the selected pair's local and remote candidates. */
  readonly localAddress: string | null;
  readonly remoteAddress: string | null;
}

/** Runs in the page: the newest connection's transport stats (webrtc-stats RTCTransportStats). */
export async function readTransport(): Promise<TransportStats> {
  const pc = (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections.at(-1);
  const result = {
    dtlsState: null as string | null,
    dtlsRole: null as string | null,
    iceRole: null as string | null,
    tlsVersion: null as string | null,
    srtpCipher: null as string | null,
    localAddress: null as string | null,
    remoteAddress: null as string | null,
  };
  if (!pc) return result;
  const report = await pc.getStats();
  const text = (stat: Record<string, unknown> | undefined, key: string): string | null =>
    typeof stat?.[key] === 'string' ? stat[key] : null;
  report.forEach((stat: Record<string, unknown>) => {
    if (stat['type'] !== 'transport') return;
    result.dtlsState = text(stat, 'dtlsState');
    result.dtlsRole = text(stat, 'dtlsRole');
    result.iceRole = text(stat, 'iceRole');
    result.tlsVersion = text(stat, 'tlsVersion');
    result.srtpCipher = text(stat, 'srtpCipher');
    const pair = report.get(String(stat['selectedCandidatePairId'])) as
      Record<string, unknown> | undefined;
    const local = report.get(String(pair?.['localCandidateId'])) as
      Record<string, unknown> | undefined;
    const remote = report.get(String(pair?.['remoteCandidateId'])) as
      Record<string, unknown> | undefined;
    result.localAddress = text(local, 'address');
    result.remoteAddress = text(remote, 'address');
  });
  return result;
}

/** Runs in the page: the call status, what its connections went through, and their stats. */
export async function describePeer(): Promise<string> {
  const w = window as unknown as { peerLog?: string[]; peerConnections?: RTCPeerConnection[] };
  if (!w.peerLog) return 'the page was not instrumented';
  const status = document.getElementById('call-status')?.textContent ?? '';
  const alert = document.getElementById('error')?.textContent ?? '';
  const pc = w.peerConnections?.at(-1);
  const stats: unknown[] = [];
  if (pc && pc.signalingState !== 'closed') (await pc.getStats()).forEach((s) => stats.push(s));
  return [
    `call status "${status}", alert "${alert}"`,
    ...w.peerLog,
    `stats: ${JSON.stringify(stats)}`,
  ].join('\n');
}

/** Polls `read` until `accept` holds, or fails with the last value after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 20_000,
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!accept(last)) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; last: ${JSON.stringify(last)}${explain ? `\n${await explain()}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 250));
    last = await read();
  }
  return last;
}

// ------------------------------------------------------------------ the Phone UI in puppeteer

export const aria = (name: string, role: string): string => `::-p-aria(${name}[role="${role}"])`;

export async function click(page: Page, name: string): Promise<void> {
  const button = await page.waitForSelector(aria(name, 'button'), { timeout: 30_000 });
  await button!.click();
  await button!.dispose();
}

export async function fill(page: Page, selector: string, value: string): Promise<void> {
  const field = await page.waitForSelector(selector, { timeout: 30_000 });
  await field!.click({ count: 3 });
  await field!.type(value);
  await field!.dispose();
}

/** Waits until the element with role `status` and the given label shows `text`. */
export async function showsStatus(
  page: Page,
  label: 'Call status' | 'Session status',
  text: string | RegExp,
  timeoutMs = 20_000,
): Promise<void> {
  const pattern =
    typeof text === 'string' ? `^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : text.source;
  try {
    await page.waitForFunction(
      (l: string, p: string) =>
        new RegExp(p).test(
          document.querySelector(`[role="status"][aria-label="${l}"]`)?.textContent?.trim() ?? '',
        ),
      { timeout: timeoutMs, polling: 200 },
      label,
      pattern,
    );
  } catch (error) {
    const shown = await page.evaluate(
      (l: string) =>
        document.querySelector(`[role="status"][aria-label="${l}"]`)?.textContent ?? null,
      label,
    );
    const alert = await page.evaluate(() => document.getElementById('error')?.textContent ?? '');
    throw new Error(
      `${label} did not show ${String(text)}; it shows "${shown}" (alert: "${alert}")`,
      {
        cause: error,
      },
    );
  }
}

/** The log-in form's fields (labelled as on the page); empty ones are left as they are. */
export interface LogInFields {
  readonly login: string;
  readonly password: string;
  readonly domain: string;
  readonly authName?: string;
  readonly outboundProxy?: string;
  readonly port?: number;
}

/** Logs in through the form and waits until the session is registered. */
export async function logIn(page: Page, fields: LogInFields): Promise<void> {
  await click(page, 'Log in');
  await fill(page, aria('login', 'textbox'), fields.login);
  if (fields.authName) await fill(page, aria('auth. name', 'textbox'), fields.authName);
  // A password field has no ARIA textbox role.
  await fill(page, '#f-password', fields.password);
  await fill(page, aria('domain', 'textbox'), fields.domain);
  if (fields.outboundProxy)
    await fill(page, aria('outbound proxy', 'textbox'), fields.outboundProxy);
  if (fields.port !== undefined) await fill(page, aria('port', 'spinbutton'), String(fields.port));
  await click(page, 'log in');
  await showsStatus(page, 'Session status', /Registered/);
}

/** Logs a demo account in (password `<login>-demo`). */
export function logInToDemo(page: Page, login: string, domain: string): Promise<void> {
  return logIn(page, { login, password: `${login}-demo`, domain });
}

export async function dial(
  page: Page,
  number: string,
  button: 'Voice call' | 'Video call',
): Promise<void> {
  await fill(page, 'input[placeholder="Enter your number here"]', number);
  await click(page, button);
}
