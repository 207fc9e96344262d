// What a test reads from a Phone UI page, in any browser: instrumentPage() runs before the page's
// scripts (Playwright `addInitScript`, puppeteer `evaluateOnNewDocument`) and records the SDK's
// RTCPeerConnections and the DTMF the gateway sends; the other functions run in the page
// (`page.evaluate`) and read them.

/** What the page's newest RTCPeerConnection reports for one kind of media. */
export interface MediaStats {
  readonly packetsSent: number;
  readonly packetsReceived: number;
  /** inbound-rtp totalAudioEnergy (audio), where the browser reports it. */
  readonly totalAudioEnergy: number | null;
  readonly framesDecoded: number;
  readonly mimeType: string | null;
  /** The codec's fmtp line (e.g. H.264 packetization-mode). */
  readonly sdpFmtpLine: string | null;
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
    sdpFmtpLine: null as string | null,
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
    if (typeof codec?.['sdpFmtpLine'] === 'string') result.sdpFmtpLine = codec['sdpFmtpLine'];
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

/** Runs in the page: the newest connection's remote description (SDP), or '' before it has one. */
export function readRemoteSdp(): string {
  const pc = (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections.at(-1);
  return pc?.remoteDescription?.sdp ?? '';
}
