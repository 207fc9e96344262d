import { describe, expect, it } from 'vitest';
import { MediaError, SeededRandom, simulateNetwork } from '@callbridge/media';

const base = { packetCount: 5000, packetIntervalMs: 20, clockRate: 8000 } as const;

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const seqA = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  it('draws normal deviates with the requested moments', () => {
    const rng = new SeededRandom(5);
    const xs = Array.from({ length: 20000 }, () => rng.normal(10, 3));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd).toBeCloseTo(3, 1);
  });
});

describe('simulateNetwork', () => {
  it('is reproducible from its seed', () => {
    const profile = { ...base, seed: 9, jitter: { kind: 'normal', stdDevMs: 10 } } as const;
    expect(simulateNetwork(profile)).toEqual(simulateNetwork(profile));
    expect(simulateNetwork({ ...profile, seed: 10 }).arrivals).not.toEqual(
      simulateNetwork(profile).arrivals,
    );
  });

  it('delivers every packet in order without impairments', () => {
    const trace = simulateNetwork({
      ...base,
      seed: 1,
      packetCount: 100,
      firstSequenceNumber: 65530,
    });
    expect(trace.lost).toBe(0);
    expect(trace.arrivals).toHaveLength(100);
    trace.arrivals.forEach((p, i) => {
      expect(p.index).toBe(i);
      expect(p.sequenceNumber).toBe((65530 + i) & 0xffff);
      expect(p.arrivalTime - p.sendTime).toBe(20);
    });
    expect(trace.arrivals[1]!.timestamp - trace.arrivals[0]!.timestamp).toBe(160);
  });

  it('loses the configured share of packets at random', () => {
    const trace = simulateNetwork({ ...base, seed: 2, loss: { kind: 'random', rate: 0.1 } });
    expect(trace.lost / trace.sent).toBeGreaterThan(0.08);
    expect(trace.lost / trace.sent).toBeLessThan(0.12);
  });

  it('loses in bursts under Gilbert–Elliott', () => {
    const burstLengths = (lostFlags: boolean[]): number[] => {
      const runs: number[] = [];
      let run = 0;
      for (const lost of lostFlags) {
        if (lost) run++;
        else if (run > 0) {
          runs.push(run);
          run = 0;
        }
      }
      return runs;
    };
    const lostFlags = (trace: ReturnType<typeof simulateNetwork>): boolean[] => {
      const seen = new Set(trace.arrivals.map((p) => p.index));
      return Array.from({ length: trace.sent }, (_, i) => !seen.has(i));
    };
    const ge = simulateNetwork({
      ...base,
      seed: 3,
      loss: { kind: 'gilbert-elliott', goodToBad: 0.02, badToGood: 0.25 },
    });
    const random = simulateNetwork({
      ...base,
      seed: 3,
      loss: { kind: 'random', rate: ge.lost / ge.sent },
    });
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    // Mean burst in the bad state is 1 / badToGood = 4 packets; random loss gives bursts near 1.
    expect(mean(burstLengths(lostFlags(ge)))).toBeGreaterThan(3);
    expect(mean(burstLengths(lostFlags(random)))).toBeLessThan(1.3);
  });

  it('reorders, duplicates and jitters', () => {
    const trace = simulateNetwork({
      ...base,
      seed: 4,
      jitter: { kind: 'exponential', meanMs: 10 },
      reorderProbability: 0.05,
      duplicateProbability: 0.05,
    });
    const duplicates = trace.arrivals.filter((p) => p.duplicate).length;
    expect(duplicates / trace.sent).toBeGreaterThan(0.03);
    let outOfOrder = 0;
    for (let i = 1; i < trace.arrivals.length; i++) {
      if (trace.arrivals[i]!.index < trace.arrivals[i - 1]!.index) outOfOrder++;
    }
    expect(outOfOrder).toBeGreaterThan(100);
    const transit = trace.arrivals.map((p) => p.arrivalTime - p.sendTime);
    expect(Math.min(...transit)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...transit)).toBeGreaterThan(60);
  });

  it('models sender clock skew', () => {
    const fast = simulateNetwork({ ...base, seed: 5, clockSkewPpm: 1000 });
    const last = fast.arrivals[fast.arrivals.length - 1]!;
    // 5000 packets of 20 ms from a clock 0.1% fast are sent 0.1% sooner.
    expect(last.sendTime).toBeCloseTo((4999 * 20) / 1.001, 6);
  });

  it('suppresses silence and marks talkspurts', () => {
    const trace = simulateNetwork({
      ...base,
      seed: 6,
      talkspurts: { meanTalkMs: 1000, meanSilenceMs: 500 },
    });
    expect(trace.sent).toBeLessThan(base.packetCount * 0.85);
    const markers = trace.arrivals.filter((p) => p.marker);
    expect(markers.length).toBeGreaterThan(20);
    const second = markers[1]!;
    const before = trace.arrivals.find(
      (p) => p.index < second.index && p.sequenceNumber === ((second.sequenceNumber - 1) & 0xffff),
    )!;
    // Sequence numbers stay consecutive across the silence while timestamps jump.
    expect(second.timestamp - before.timestamp).toBeGreaterThan(160);
  });

  it('applies stream restarts', () => {
    const trace = simulateNetwork({
      ...base,
      seed: 7,
      packetCount: 20,
      ssrc: 1,
      restarts: [{ atPacket: 10, newSsrc: 2, timestampJump: 100000, sequenceJump: 5000 }],
    });
    const [p9, p10] = [trace.arrivals[9]!, trace.arrivals[10]!];
    expect(p9.ssrc).toBe(1);
    expect(p10.ssrc).toBe(2);
    expect((p10.sequenceNumber - p9.sequenceNumber) & 0xffff).toBe(5001);
    expect(p10.marker).toBe(true);
  });

  it('rejects impossible settings with a typed error', () => {
    expect(() => simulateNetwork({ ...base, seed: 1, loss: { kind: 'random', rate: 2 } })).toThrow(
      MediaError,
    );
    expect(() => simulateNetwork({ ...base, seed: 1, packetIntervalMs: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
