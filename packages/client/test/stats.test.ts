// CallStats read the same from the report shapes of Chromium, Firefox and Safari (webrtc-stats):
// `kind` or the older `mediaType`, the receive level as inbound-rtp `audioLevel`, only as the
// energy totals, or on the legacy `track` stats.
import { describe, expect, it } from 'vitest';
import { levelFromEnergy, readStats } from '../src/stats.js';

type Stat = Record<string, unknown>;
const report = (...stats: Stat[]) => new Map(stats.map((s, i) => [String(i), s]));

const inboundAudio: Stat = {
  type: 'inbound-rtp',
  kind: 'audio',
  packetsReceived: 500,
  bytesReceived: 80_000,
  packetsLost: 2,
  jitter: 0.004,
};
const outboundAudio: Stat = {
  type: 'outbound-rtp',
  kind: 'audio',
  packetsSent: 510,
  bytesSent: 81_600,
};

describe('readStats', () => {
  it('reads packet counters and the audio level where inbound-rtp has audioLevel (Chromium, Firefox)', () => {
    const { stats } = readStats(
      report(
        { ...inboundAudio, audioLevel: 0.25, totalAudioEnergy: 1, totalSamplesDuration: 10 },
        outboundAudio,
        { type: 'inbound-rtp', kind: 'video', packetsReceived: 900, framesDecoded: 300 },
        { type: 'remote-inbound-rtp', kind: 'audio', packetsLost: 7 },
      ),
      null,
    );
    expect(stats.audio.inbound).toEqual({
      packetsReceived: 500,
      bytesReceived: 80_000,
      packetsLost: 2,
      jitter: 0.004,
      audioLevel: 0.25,
    });
    expect(stats.audio.outbound).toEqual({ packetsSent: 510, bytesSent: 81_600 });
    expect(stats.video.inbound).toMatchObject({ packetsReceived: 900, framesDecoded: 300 });
    expect(stats.video.inbound).not.toHaveProperty('audioLevel');
  });

  it('works out the level between two readings from the energy totals when audioLevel is missing', () => {
    // A steady level of 0.5 for 2 s, then of 0.1 for 1 s: energy adds level² × seconds.
    const first = readStats(
      report({ ...inboundAudio, totalAudioEnergy: 0.25 * 2, totalSamplesDuration: 2 }),
      null,
    );
    expect(first.stats.audio.inbound?.audioLevel).toBeCloseTo(0.5, 6);
    expect(first.mark).toEqual({ energy: 0.5, duration: 2 });
    const second = readStats(
      report({ ...inboundAudio, totalAudioEnergy: 0.5 + 0.01, totalSamplesDuration: 3 }),
      first.mark,
    );
    expect(second.stats.audio.inbound?.audioLevel).toBeCloseTo(0.1, 6);
    // No time passed since the last reading: the level over the whole call.
    const again = readStats(
      report({ ...inboundAudio, totalAudioEnergy: 0.51, totalSamplesDuration: 3 }),
      second.mark,
    );
    expect(again.stats.audio.inbound?.audioLevel).toBeCloseTo(Math.sqrt(0.51 / 3), 6);
  });

  it('takes the legacy track stats level and mediaType (older Safari and Chromium)', () => {
    const { stats } = readStats(
      report(
        { ...inboundAudio, kind: undefined, mediaType: 'audio' },
        { type: 'track', kind: 'audio', remoteSource: true, audioLevel: 0.3 },
        { type: 'track', kind: 'audio', remoteSource: false, audioLevel: 0.9 },
      ),
      null,
    );
    expect(stats.audio.inbound).toMatchObject({ packetsReceived: 500, audioLevel: 0.3 });
  });

  it('gives no level when the browser reports none, and nothing for an empty report', () => {
    expect(readStats(report(inboundAudio), null).stats.audio.inbound).not.toHaveProperty(
      'audioLevel',
    );
    expect(readStats(report(), null).stats).toEqual({
      audio: { inbound: null, outbound: null },
      video: { inbound: null, outbound: null },
    });
  });
});

describe('levelFromEnergy', () => {
  it('is undefined before any audio was counted and never above full scale', () => {
    expect(levelFromEnergy(0, 0, null)).toBeUndefined();
    expect(levelFromEnergy(5, 1, null)).toBe(1);
    // Counters that went backwards (a new stream) fall back to the totals.
    expect(levelFromEnergy(0.04, 1, { energy: 3, duration: 9 })).toBeCloseTo(0.2, 6);
  });
});
