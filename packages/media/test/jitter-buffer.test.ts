import { describe, expect, it } from 'vitest';
import {
  AdaptiveJitterBuffer,
  L16Decoder,
  ManualClock,
  MediaError,
  replayTrace,
  simulateNetwork,
} from '@callbridge/media';
import type { FrameDecoder, NetworkProfile } from '@callbridge/media';

/** L16 payload of one 20 ms frame at 8 kHz whose samples all equal `value`. */
function frame(value: number, samples = 160): Uint8Array {
  const bytes = new Uint8Array(samples * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples; i++) view.setInt16(i * 2, value);
  return bytes;
}

interface Harness {
  clock: ManualClock;
  buffer: AdaptiveJitterBuffer;
  out: Int16Array;
  /** Reads one 20 ms frame at the current time and returns its first sample. */
  read(): number;
}

function harness(
  decoder: FrameDecoder = new L16Decoder(8000),
  mode: 'adaptive' | 'fixed' = 'adaptive',
): Harness {
  const clock = new ManualClock(1000);
  const buffer = new AdaptiveJitterBuffer({
    clock,
    decoder,
    clockRate: 8000,
    mode,
    initialDelayMs: 40,
  });
  const out = new Int16Array(160);
  return {
    clock,
    buffer,
    out,
    read: () => {
      buffer.read(out);
      return out[0]!;
    },
  };
}

describe('AdaptiveJitterBuffer basics', () => {
  it('plays an in-order stream unchanged after its initial delay', () => {
    const h = harness();
    const firstPlayed: number[] = [];
    for (let i = 0; i < 50; i++) {
      h.buffer.insert(7, 100 + i, 5000 + i * 160, frame(i + 1));
      const v = h.read();
      if (v !== 0) firstPlayed.push(v);
      h.clock.advance(20);
    }
    // The stream plays in order with no gaps once buffering is done.
    expect(firstPlayed.length).toBeGreaterThan(40);
    firstPlayed.forEach((v, i) => expect(v).toBe(firstPlayed[0]! + i));
    const report = h.buffer.report();
    expect(report.concealedSamples).toBe(0);
    expect(report.waitingSamples + report.pauseSamples).toBe(0);
    // The initial buffering is reported apart, not as concealment.
    expect(report.startupSamples).toBeGreaterThanOrEqual(160);
    expect(report.latePackets).toBe(0);
    expect(report.addedDelayMeanMs).toBeGreaterThanOrEqual(10);
    expect(report.addedDelayMeanMs).toBeLessThanOrEqual(60);
  });

  it('reorders, counts duplicates and conceals a lost packet', () => {
    const h = harness();
    // One arrival per 20 ms: 4 overtakes 3, 5 comes twice, 7 never comes.
    const order = [0, 1, 2, 4, 3, 5, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    const played: number[] = [];
    for (let t = 0; t < 30; t++) {
      const i = order[t];
      if (i !== undefined) h.buffer.insert(1, i, i * 160, frame(i + 1));
      played.push(h.read());
      h.clock.advance(20);
    }
    const audible = played.filter((v) => v !== 0);
    expect(audible.slice(0, 7)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const report = h.buffer.report();
    expect(report.duplicates).toBe(1);
    expect(report.missingPackets).toBe(1); // packet 7 never came
    expect(report.concealedSamples).toBeGreaterThanOrEqual(160);
    expect(report.packetsPlayed).toBe(15);
  });

  it('counts a packet that arrives after its playout time as late, and a repeat of a played one as a duplicate', () => {
    const h = harness(new L16Decoder(8000), 'fixed');
    for (let i = 0; i < 40; i++) {
      if (i !== 10) h.buffer.insert(1, i, i * 160, frame(100));
      if (i === 20) {
        expect(h.buffer.insert(1, 10, 10 * 160, frame(100))).toBe('late');
        expect(h.buffer.insert(1, 2, 2 * 160, frame(100))).toBe('duplicate');
      }
      h.read();
      h.clock.advance(20);
    }
    const report = h.buffer.report();
    expect(report.latePackets).toBe(1);
    expect(report.duplicates).toBe(1);
    expect(report.lateLossRate).toBeCloseTo(1 / 40, 6);
  });

  for (const mode of ['adaptive', 'fixed'] as const) {
    it(`${mode}: counts as concealed only the audio of lost and late packets, not waiting or a sender's pause`, () => {
      const h = harness(new L16Decoder(8000), mode);
      // Packet 30 is lost, 50 comes 200 ms late, and after 69 the sender pauses for a second
      // without comfort noise (the timestamps jump, the sequence numbers do not).
      const sentAt = (i: number) => (i < 70 ? i * 20 : i * 20 + 1000);
      const arrivals = Array.from({ length: 120 }, (_, i) => i)
        .filter((i) => i !== 30)
        .map((i) => ({ i, at: 1000 + sentAt(i) + (i === 50 ? 200 : 0) }))
        .sort((x, y) => x.at - y.at);
      let next = 0;
      for (let t = 1000; t < 1000 + sentAt(119) + 100; t += 20) {
        while (next < arrivals.length && arrivals[next]!.at <= t) {
          const { i, at } = arrivals[next++]!;
          h.clock.advanceTo(at);
          h.buffer.insert(4, i, sentAt(i) * 8, frame(1000 + i));
        }
        h.clock.advanceTo(t);
        h.read();
      }
      const report = h.buffer.report();
      expect(report.latePackets).toBe(1);
      expect(report.missingPackets).toBe(2);
      // One frame each for the lost and the late packet, nothing for the pause.
      expect(report.concealedSamples).toBe(2 * 160);
      expect(report.concealedRatio).toBeCloseTo(320 / report.samplesPlayed, 9);
      // The second of pause was bridged and is reported as such; the adaptive buffer also
      // waited (up to its 80 ms patience) for 30, for 50 and at the start of the pause.
      expect(report.pauseSamples + report.waitingSamples).toBeGreaterThan(0.9 * 8000);
      expect(report.pauseSamples + report.waitingSamples).toBeLessThan(8000 + 3 * 640 + 160);
      if (mode === 'fixed') expect(report.waitingSamples).toBe(0);
      else expect(report.waitingSamples).toBeGreaterThan(0); // it waited for 30 and for 50
      expect(report.startupSamples).toBeGreaterThan(0);
    });
  }

  it('counts a delayed packet that is waited for and played as waiting, not concealment', () => {
    const h = harness();
    const report = deliver(h, 100, (i) => (i === 40 ? 70 : 0));
    expect(report.latePackets).toBe(0);
    expect(report.packetsPlayed).toBe(100);
    expect(report.concealedSamples).toBe(0);
    expect(report.waitingSamples).toBeGreaterThan(0);
    expect(report.waitingRatio).toBeCloseTo(report.waitingSamples / report.samplesPlayed, 9);
  });

  it('hands the decoder each payload intact, from a reused receive buffer or not, whatever its length', () => {
    const seen: number[][] = [];
    const decoder: FrameDecoder = {
      sampleRate: 8000,
      decode: (payload, out) => {
        seen.push([...payload]);
        out.fill(1, 0, 160);
        return 160;
      },
      conceal: (out, n) => {
        out.fill(0, 0, n);
        return n;
      },
    };
    const h = harness(decoder);
    const receive = new Uint8Array(200);
    const sent: number[][] = [];
    for (let i = 0; i < 60; i++) {
      // Lengths vary like Opus payloads; some packets come in their own array, most in the
      // reused buffer, at one or another offset.
      const length = 20 + ((i * 37) % 90);
      const payload = Array.from({ length }, (_, k) => (i * 7 + k) & 0xff);
      sent.push(payload);
      if (i % 5 === 4) {
        h.buffer.insert(2, i, i * 160, Uint8Array.from(payload));
      } else {
        const offset = i % 3 === 0 ? 12 : 16;
        receive.set(payload, offset);
        h.buffer.insert(2, i, i * 160, receive, 0, offset, length);
        receive.fill(0xee); // the caller reuses its buffer at once
      }
      h.read();
      h.clock.advance(20);
    }
    for (let i = 0; i < 10; i++) {
      h.read();
      h.clock.advance(20);
    }
    expect(seen).toEqual(sent);
  });

  it('readView gives what read gives, in place, and what the caller writes there stays out of later reads', () => {
    // Jitter, loss and reordering, so time-scale modification leaves part of a frame over
    // after reads, which the next read must still find.
    const trace = simulateNetwork({
      seed: 4,
      packetCount: 1500,
      packetIntervalMs: 20,
      clockRate: 8000,
      jitter: { kind: 'exponential', meanMs: 12 },
      loss: { kind: 'random', rate: 0.02 },
      reorderProbability: 0.02,
      delaySpikes: { probability: 0.005, heightMs: 120, durationMs: 200 },
    });
    const make = () => {
      const clock = new ManualClock(0);
      return {
        clock,
        buffer: new AdaptiveJitterBuffer({ clock, decoder: new L16Decoder(8000), clockRate: 8000 }),
      };
    };
    const copied = make();
    const inPlace = make();
    const out = new Int16Array(160);
    let next = 0;
    let differing = 0;
    let accelerated = 0;
    for (let t = 0; t < 1500 * 20 + 500; t += 20) {
      for (; next < trace.arrivals.length && trace.arrivals[next]!.arrivalTime < t; next++) {
        const a = trace.arrivals[next]!;
        for (const { clock, buffer } of [copied, inPlace]) {
          clock.advanceTo(a.arrivalTime);
          buffer.insert(a.ssrc, a.sequenceNumber, a.timestamp, frame(a.index % 1000, 160));
        }
      }
      copied.clock.advanceTo(t);
      inPlace.clock.advanceTo(t);
      copied.buffer.read(out);
      const view = inPlace.buffer.readView(160);
      for (let i = 0; i < 160; i++) if (view[i] !== out[i]) differing++;
      view.fill(0x7fff); // the caller mixes something in
      accelerated = inPlace.buffer.report().acceleratedSamples;
    }
    expect(accelerated % 160).not.toBe(0); // reads did leave part of a frame over
    expect(differing).toBe(0);
    expect(inPlace.buffer.report()).toEqual(copied.buffer.report());
  });

  it('follows an SSRC change and a timestamp jump without stalling', () => {
    const h = harness();
    let seq = 0;
    let ts = 0;
    const playedAfter: number[] = [];
    for (let i = 0; i < 150; i++) {
      if (i === 50) {
        seq = 40000; // new source: new SSRC, sequence and timestamp origin
        ts = 3_000_000_000;
      }
      if (i === 100) ts += 8000 * 30; // same source, 30 s timestamp jump
      const ssrc = i < 50 ? 0x1111 : 0x2222;
      h.buffer.insert(ssrc, seq++ & 0xffff, ts >>> 0, frame(i < 50 ? 10 : 20));
      ts += 160;
      const v = h.read();
      if (i > 60) playedAfter.push(v);
      h.clock.advance(20);
    }
    const report = h.buffer.report();
    expect(report.ssrcChanges).toBe(1);
    expect(report.resyncs).toBe(2);
    // After each restart the new stream plays again within a few frames.
    expect(playedAfter.filter((v) => v === 20).length).toBeGreaterThan(80);
  });

  it('recovers when the sender’s timestamps step back by less than a resync (late run)', () => {
    const h = harness();
    let ts = 100_000;
    for (let i = 0; i < 120; i++) {
      if (i === 50) ts -= 4000; // 500 ms back in time, same SSRC, sequence continues
      h.buffer.insert(9, i, ts, frame(30));
      ts += 160;
      h.read();
      h.clock.advance(20);
    }
    const report = h.buffer.report();
    expect(report.resyncs).toBe(1);
    expect(report.latePackets).toBeLessThanOrEqual(2);
    expect(report.packetsPlayed).toBeGreaterThan(110);
  });

  it('wraps sequence numbers and timestamps', () => {
    const h = harness();
    for (let i = 0; i < 100; i++) {
      h.buffer.insert(5, (65500 + i) & 0xffff, (4294967296 - 800 + i * 160) >>> 0, frame(50));
      h.read();
      h.clock.advance(20);
    }
    const report = h.buffer.report();
    expect(report.resyncs).toBe(0);
    expect(report.missingPackets).toBe(0);
    expect(report.packetsPlayed).toBeGreaterThan(95);
  });

  it('uses the next packet’s FEC for a lost one when the decoder has it', () => {
    let fecCalls = 0;
    const decoder: FrameDecoder = {
      sampleRate: 8000,
      decode: (payload, out) => {
        out.fill(payload[0]!, 0, 160);
        return 160;
      },
      conceal: (out, n) => {
        out.fill(-1, 0, n);
        return n;
      },
      // The "FEC" here is the second byte: the previous frame's value.
      decodeFec: (next, out, n) => {
        fecCalls++;
        out.fill(next[1]!, 0, n);
        return n;
      },
    };
    const h = harness(decoder);
    const played: number[] = [];
    for (let i = 0; i < 30; i++) {
      if (i !== 12) h.buffer.insert(1, i, i * 160, Uint8Array.of(i + 1, i));
      played.push(h.read());
      h.clock.advance(20);
    }
    expect(fecCalls).toBe(1);
    expect(played).toContain(13); // packet 12's value recovered from packet 13
    expect(played).not.toContain(-1);
    expect(h.buffer.report().fecRecovered).toBe(1);
  });

  /**
   * Sends 20 ms packets 0..count-1 (sent at 20·i ms) that arrive `extraDelay(i)` ms late, reading
   * a frame every 20 ms, and returns the buffer's report.
   */
  function deliver(
    h: Harness,
    count: number,
    extraDelay: (index: number) => number,
  ): ReturnType<AdaptiveJitterBuffer['report']> {
    const start = h.clock.now();
    const arrivals = Array.from({ length: count }, (_, i) => ({
      i,
      at: start + i * 20 + extraDelay(i),
    })).sort((x, y) => x.at - y.at);
    let next = 0;
    for (let t = start; t < start + count * 20 + 1000; t += 20) {
      while (next < arrivals.length && arrivals[next]!.at <= t) {
        const { i, at } = arrivals[next++]!;
        h.clock.advanceTo(at);
        h.buffer.insert(3, i, i * 160, frame(1000 + i));
      }
      h.clock.advanceTo(t);
      h.read();
    }
    return h.buffer.report();
  }

  it('waits for packets held up by a delay spike instead of losing them, then sheds the delay', () => {
    // A 150 ms queueing spike that drains over 300 ms, as the network simulator makes them.
    const spike = (i: number) => (i >= 100 && i < 115 ? 150 - (i - 100) * 10 : 0);
    const adaptive = deliver(harness(), 300, spike);
    expect(adaptive.latePackets).toBe(0);
    expect(adaptive.packetsPlayed).toBe(300);
    expect(adaptive.expandedSamples).toBeGreaterThan(8 * 100); // waited for the spike
    expect(adaptive.acceleratedSamples).toBeGreaterThan(8 * 100); // and gave the delay back
    expect(adaptive.targetDelayMs).toBeLessThan(60);
    // The fixed 60 ms buffer loses the spike's first packets.
    const fixed = deliver(harness(new L16Decoder(8000), 'fixed'), 300, spike);
    expect(fixed.latePackets).toBeGreaterThan(3);
  });

  it('plays a packet that comes after its time was concealed when nothing later has played (rewind)', () => {
    const clock = new ManualClock(1000);
    const buffer = new AdaptiveJitterBuffer({
      clock,
      decoder: new L16Decoder(8000),
      clockRate: 8000,
      initialDelayMs: 40,
      // Little patience: the outage below outlasts it.
      initialPatienceMs: 0,
    });
    const h: Harness = {
      clock,
      buffer,
      out: new Int16Array(160),
      read: () => {
        buffer.read(h.out);
        return h.out[0]!;
      },
    };
    // A 250 ms stall from packet 50 on: everything held up comes at once, in order.
    const report = deliver(h, 120, (i) => (i >= 50 ? Math.max(0, 250 - (i - 50) * 20) : 0));
    expect(report.rewinds).toBe(1);
    expect(report.latePackets).toBe(0);
    expect(report.missingPackets).toBe(0);
    expect(report.packetsPlayed).toBe(120);
  });

  it('rejects bad settings and oversized payloads', () => {
    const clock = new ManualClock();
    const decoder = new L16Decoder(8000);
    expect(
      () => new AdaptiveJitterBuffer({ clock, decoder, clockRate: 8000, capacityPackets: 100 }),
    ).toThrow(MediaError);
    expect(
      () =>
        new AdaptiveJitterBuffer({
          clock,
          decoder,
          clockRate: 8000,
          minDelayMs: 100,
          maxDelayMs: 50,
        }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const buffer = new AdaptiveJitterBuffer({
      clock,
      decoder,
      clockRate: 8000,
      maxPayloadBytes: 100,
    });
    expect(buffer.insert(1, 1, 1, new Uint8Array(101))).toBe('too-large');
  });
});

describe('AdaptiveJitterBuffer on simulated networks', () => {
  const common = { packetCount: 3000, packetIntervalMs: 20, clockRate: 8000 } as const;
  const seeds = [1, 2, 3, 4, 5];
  type Impairments = Omit<
    NetworkProfile,
    'seed' | 'packetCount' | 'packetIntervalMs' | 'clockRate'
  >;
  // Every trace of the comparison against a fixed 60 ms buffer (issue: "the adaptive one wins on
  // delay at equal or lower late loss"). The adaptive buffer's target covers the bulk of the
  // jitter; reordered packets and delay spikes are waited for instead of being covered all the
  // time, and the delay that waiting adds is shed again by time-scale modification.
  const traces: Record<string, Impairments> = {
    calm: { jitter: { kind: 'normal', stdDevMs: 5 } },
    moderate: {
      jitter: { kind: 'normal', stdDevMs: 15, correlation: 0.5 },
      loss: { kind: 'random', rate: 0.01 },
    },
    reordering: {
      jitter: { kind: 'uniform', maxMs: 20 },
      reorderProbability: 0.03,
      duplicateProbability: 0.02,
    },
    fastSender: { jitter: { kind: 'normal', stdDevMs: 8 }, clockSkewPpm: 500 },
    slowSender: { jitter: { kind: 'normal', stdDevMs: 8 }, clockSkewPpm: -500 },
    burstyLoss: {
      jitter: { kind: 'exponential', meanMs: 8 },
      loss: { kind: 'gilbert-elliott', goodToBad: 0.01, badToGood: 0.3 },
    },
    burstyLossWithReordering: {
      jitter: { kind: 'normal', stdDevMs: 15, correlation: 0.5 },
      loss: { kind: 'gilbert-elliott', goodToBad: 0.01, badToGood: 0.3 },
      reorderProbability: 0.01,
      duplicateProbability: 0.01,
    },
    delaySpikes: {
      jitter: { kind: 'exponential', meanMs: 12 },
      delaySpikes: { probability: 0.003, heightMs: 150, durationMs: 300 },
    },
    heavyTailedJitter: { jitter: { kind: 'pareto', scaleMs: 5, shape: 2 } },
    silenceSuppression: {
      jitter: { kind: 'exponential', meanMs: 10 },
      loss: { kind: 'random', rate: 0.02 },
      talkspurts: { meanTalkMs: 1500, meanSilenceMs: 1000 },
    },
  };

  function compare(impairments: Impairments, seed: number) {
    const trace = simulateNetwork({ ...common, ...impairments, seed });
    const adaptive = replayTrace(trace).report;
    const fixed = replayTrace(trace, { jitterBuffer: { mode: 'fixed', fixedDelayMs: 60 } }).report;
    return { adaptive, fixed };
  }

  for (const [name, impairments] of Object.entries(traces)) {
    it(`${name}: less mean delay than a fixed 60 ms buffer at equal or lower late loss (seeds ${seeds.join(', ')})`, () => {
      for (const seed of seeds) {
        const { adaptive, fixed } = compare(impairments, seed);
        expect(adaptive.addedDelayMeanMs, `seed ${seed}`).toBeLessThan(fixed.addedDelayMeanMs);
        expect(adaptive.latePackets, `seed ${seed}`).toBeLessThanOrEqual(fixed.latePackets);
        expect(adaptive.packetsPlayed, `seed ${seed}`).toBeGreaterThanOrEqual(fixed.packetsPlayed);
        // The p95 too, except under delay spikes: there the packets of a spike are waited for
        // and played (the fixed buffer loses them), so a few percent of packets carry the
        // spike's delay; the mean still wins because that delay is shed within the spike.
        if (name !== 'delaySpikes') {
          expect(adaptive.addedDelayP95Ms, `seed ${seed}`).toBeLessThanOrEqual(
            fixed.addedDelayP95Ms,
          );
        }
        // Concealment stands for lost and late audio only: waiting is what the adaptive
        // buffer pays instead (reported apart), not hidden in the concealed ratio.
        expect(adaptive.concealedSamples, `seed ${seed}`).toBeLessThanOrEqual(
          fixed.concealedSamples,
        );
        if (name !== 'silenceSuppression') {
          // One 20 ms frame per packet given up; with talkspurts a loss next to a pause may
          // take a frame more.
          for (const report of [adaptive, fixed]) {
            expect(report.concealedSamples, `${report.mode} seed ${seed}`).toBe(
              160 * report.missingPackets,
            );
          }
        }
        expect(adaptive.targetHistory.length).toBeGreaterThan(50);
      }
    });
  }

  it('delay spikes: packets held up by a spike are waited for, without raising the target for good', () => {
    const trace = simulateNetwork({ ...common, ...traces.delaySpikes!, seed: 17 });
    const adaptive = replayTrace(trace).report;
    const fixed = replayTrace(trace, { jitterBuffer: { mode: 'fixed', fixedDelayMs: 60 } }).report;
    expect(fixed.lateLossRate).toBeGreaterThan(0.01);
    expect(adaptive.lateLossRate).toBeLessThan(fixed.lateLossRate / 5);
    // Waiting, not a 150 ms target, is what saved the spikes' packets.
    const targets = adaptive.targetHistory.map(([, t]) => t);
    expect(Math.max(...targets)).toBeLessThan(100);
    expect(adaptive.expandedSamples).toBeGreaterThan(8000 * 0.15 * 3);
  });

  it('absorbs sender clock drift of ±0.1%, ±0.5% and ±1% over twelve minutes: bounded delay, no late loss', () => {
    const run = (clockSkewPpm: number, packetCount: number) =>
      replayTrace(
        simulateNetwork({
          ...common,
          seed: 18,
          packetCount,
          jitter: { kind: 'normal', stdDevMs: 8 },
          clockSkewPpm,
        }),
      ).report;
    for (const clockSkewPpm of [1000, -1000, 5000, -5000, 10_000, -10_000]) {
      const at = `${clockSkewPpm / 10_000}%`;
      const full = run(clockSkewPpm, 36_000); // twelve minutes
      const start = run(clockSkewPpm, 9_000); // the first three of them
      // 1% of twelve minutes is 7.2 s of drift: without absorbing it the delay would grow by
      // that much (slow sender: playout runs dry) or packets would pile up and be dropped as
      // late (fast sender). Shrinking or stretching the audio keeps the delay where it was.
      expect(full.latePackets, at).toBe(0);
      expect(full.missingPackets, at).toBe(0);
      expect(full.concealedSamples, at).toBe(0);
      expect(full.addedDelayP95Ms, at).toBeLessThan(60);
      expect(full.addedDelayMeanMs, at).toBeLessThan(start.addedDelayMeanMs + 3);
      const drift = (36_000 * 160 * Math.abs(clockSkewPpm)) / 1e6;
      const stretched = clockSkewPpm > 0 ? full.acceleratedSamples : full.expandedSamples;
      expect(stretched, at).toBeGreaterThan(0.95 * drift);
      // Plus what following the target costs (100 ms: the start, jitter).
      expect(stretched, at).toBeLessThan(1.2 * drift + 800);
      // The target does not creep up either.
      const targets = full.targetHistory.map(([, t]) => t);
      const quarter = Math.floor(targets.length / 4);
      const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
      expect(mean(targets.slice(-quarter)), at).toBeLessThan(mean(targets.slice(0, quarter)) + 5);
    }
  });

  it('keeps the played audio close to what was sent when nothing is lost', () => {
    const trace = simulateNetwork({ ...common, seed: 19, packetCount: 500 });
    // Started at the delay it converges to, the buffer has no reason to stretch anything.
    const { played, sent, report } = replayTrace(trace, { jitterBuffer: { initialDelayMs: 20 } });
    expect(report.concealedSamples).toBe(0);
    expect(report.acceleratedSamples + report.expandedSamples).toBe(0);
    // Find the playout delay by matching the first non-silent stretch, then compare samples.
    const start = played.findIndex((v) => v !== 0);
    const lead = sent.findIndex((v) => v !== 0);
    let same = 0;
    for (let i = 0; i < 8000; i++) if (played[start + i] === sent[lead + i]) same++;
    expect(same).toBe(8000);
  });
});
