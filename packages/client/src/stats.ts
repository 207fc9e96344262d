// Reads an RTCStatsReport into the SDK's CallStats, the same in every browser. Browsers differ in
// what they report (W3C webrtc-stats, https://www.w3.org/TR/webrtc-stats/): the media kind is
// `kind` (older Chromium and Safari: `mediaType`); the receive audio level is `audioLevel` on
// inbound-rtp in current browsers, only `totalAudioEnergy`/`totalSamplesDuration` in some, and
// on the legacy `track` stats in older Safari and Chromium.

export interface InboundStats {
  readonly packetsReceived: number;
  readonly bytesReceived: number;
  readonly packetsLost: number;
  readonly jitter: number;
  /** Receive audio level, 0..1 (linear, 1 = full scale), where the browser lets it be known. */
  readonly audioLevel?: number;
  readonly framesDecoded?: number;
}
export interface OutboundStats {
  readonly packetsSent: number;
  readonly bytesSent: number;
  readonly framesEncoded?: number;
}

export interface CallStats {
  readonly audio: {
    readonly inbound: InboundStats | null;
    readonly outbound: OutboundStats | null;
  };
  readonly video: {
    readonly inbound: InboundStats | null;
    readonly outbound: OutboundStats | null;
  };
  /** The browser's full report. */
  readonly report: RTCStatsReport | null;
}

/** The received audio energy totals at the previous reading (for the level in between). */
export interface AudioEnergyMark {
  readonly energy: number;
  readonly duration: number;
}

/** What readStats needs of an RTCStatsReport (a maplike of stats dictionaries). */
export interface StatsReportLike {
  forEach(callback: (stat: Record<string, unknown>) => void): void;
}

const number = (stat: Record<string, unknown>, key: string): number | undefined => {
  const value = stat[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

/**
 * The audio level between two readings from the energy totals: totalAudioEnergy adds up
 * level² × duration (webrtc-stats §"totalAudioEnergy"), so the RMS level over an interval is
 * sqrt(Δenergy / Δduration). Without an earlier reading it is the level since the call began.
 */
export function levelFromEnergy(
  energy: number,
  duration: number,
  previous: AudioEnergyMark | null,
): number | undefined {
  const fresh = previous !== null && duration > previous.duration && energy >= previous.energy;
  const dEnergy = fresh ? energy - previous.energy : energy;
  const dDuration = fresh ? duration - previous.duration : duration;
  if (!(dDuration > 0)) return undefined;
  return Math.min(1, Math.sqrt(Math.max(0, dEnergy) / dDuration));
}

/**
 * Reads a report; `previous` is the energy mark of the last reading (null at first), and the
 * mark for the next one is returned with the stats.
 */
export function readStats(
  report: StatsReportLike,
  previous: AudioEnergyMark | null,
): { stats: Omit<CallStats, 'report'>; mark: AudioEnergyMark | null } {
  const out = {
    audio: { inbound: null as InboundStats | null, outbound: null as OutboundStats | null },
    video: { inbound: null as InboundStats | null, outbound: null as OutboundStats | null },
  };
  let mark: AudioEnergyMark | null = previous;
  let legacyTrackLevel: number | undefined;
  report.forEach((raw) => {
    const kind = raw['kind'] ?? raw['mediaType'];
    if (kind !== 'audio' && kind !== 'video') return;
    const num = (k: string): number => number(raw, k) ?? 0;
    if (raw['type'] === 'inbound-rtp') {
      let audioLevel = number(raw, 'audioLevel');
      const energy = number(raw, 'totalAudioEnergy');
      const duration = number(raw, 'totalSamplesDuration');
      if (kind === 'audio' && energy !== undefined && duration !== undefined) {
        audioLevel ??= levelFromEnergy(energy, duration, previous);
        mark = { energy, duration };
      }
      const framesDecoded = number(raw, 'framesDecoded');
      out[kind].inbound = {
        packetsReceived: num('packetsReceived'),
        bytesReceived: num('bytesReceived'),
        packetsLost: num('packetsLost'),
        jitter: num('jitter'),
        ...(kind === 'audio' && audioLevel !== undefined ? { audioLevel } : {}),
        ...(framesDecoded !== undefined ? { framesDecoded } : {}),
      };
    } else if (raw['type'] === 'outbound-rtp') {
      const framesEncoded = number(raw, 'framesEncoded');
      out[kind].outbound = {
        packetsSent: num('packetsSent'),
        bytesSent: num('bytesSent'),
        ...(framesEncoded !== undefined ? { framesEncoded } : {}),
      };
    } else if (raw['type'] === 'track' && kind === 'audio' && raw['remoteSource'] === true) {
      legacyTrackLevel = number(raw, 'audioLevel');
    }
  });
  const inbound = out.audio.inbound;
  if (inbound && inbound.audioLevel === undefined && legacyTrackLevel !== undefined) {
    out.audio.inbound = { ...inbound, audioLevel: legacyTrackLevel };
  }
  return { stats: out, mark };
}
