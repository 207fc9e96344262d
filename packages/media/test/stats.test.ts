import { describe, expect, it } from 'vitest';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MediaError, SeededRandom, speechLikeSignal } from '@callbridge/media';
import { ForgettingQuantile, SlidingMinMax } from '../src/stats.js';
import { crossfadeInsert, crossfadeRemove, findPitchPeriod } from '../src/time-scale.js';

describe('ForgettingQuantile', () => {
  /** The q-quantile of weighted values, as the upper edge of its 1-wide bin. */
  function weightedQuantile(values: number[], forgetting: number, q: number): number {
    const weighted = values.map((v, i) => ({ v, w: forgetting ** (values.length - 1 - i) }));
    const total = weighted.reduce((sum, x) => sum + x.w, 0);
    weighted.sort((a, b) => b.v - a.v);
    let above = 0;
    for (const { v, w } of weighted) {
      above += w;
      if (above > (1 - q) * total) return Math.floor(v) + 1;
    }
    return 1;
  }

  it('tracks the quantile of exponentially weighted values, through rescaling', () => {
    const rng = new SeededRandom(5);
    const forgetting = 0.99;
    const tracked = new ForgettingQuantile(0.9, 1, 400, forgetting);
    const values: number[] = [];
    // 30,000 values take the growing weight past the rescaling point (1e100) more than once.
    for (let i = 0; i < 30_000; i++) {
      const v = rng.exponential(i < 15_000 ? 10 : 30);
      values.push(v);
      tracked.add(v);
      if (i % 997 === 0 || i === 29_999) {
        expect(tracked.value(), `after ${i + 1}`).toBe(
          weightedQuantile(values.slice(-3000), forgetting, 0.9),
        );
      }
    }
  });

  it('forgets: a burst of large values fades once small ones follow', () => {
    const tracked = new ForgettingQuantile(0.9, 1, 400, 0.999);
    for (let i = 0; i < 100; i++) tracked.add(150);
    expect(tracked.value()).toBe(151);
    for (let i = 0; i < 3000; i++) tracked.add(5);
    expect(tracked.value()).toBe(6);
    tracked.clear();
    expect(tracked.value()).toBe(0);
    expect(() => new ForgettingQuantile(1.5, 1, 400, 0.99)).toThrow(MediaError);
  });
});

describe('SlidingMinMax', () => {
  it('matches the smallest and largest of the last N values, repeats and runs included', () => {
    const rng = new SeededRandom(3);
    const window = new SlidingMinMax(50);
    expect(window.min()).toBe(0);
    const all: number[] = [];
    for (let i = 0; i < 3000; i++) {
      // Rising and falling runs (drift) as well as noise and repeated values.
      const v = Math.round(rng.normal(0, 20)) + (i % 700 < 350 ? i % 700 : 700 - (i % 700));
      all.push(v);
      window.push(v);
      const last = all.slice(-50);
      expect(window.size).toBe(last.length);
      expect(window.min()).toBe(Math.min(...last));
      expect(window.max()).toBe(Math.max(...last));
      if (i === 1500) {
        window.clear();
        all.length = 0;
        expect(window.size).toBe(0);
      }
    }
  });
});

describe('time-scale modification', () => {
  const period = 64; // 125 Hz at 8 kHz
  const tone = Int16Array.from({ length: 320 }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * i) / period)),
  );

  it('finds the period of a periodic frame', () => {
    expect(findPitchPeriod(tone, tone.length, 8000) % period).toBe(0);
  });

  it('finds none in noise', () => {
    const rng = new SeededRandom(1);
    const noise = Int16Array.from({ length: 320 }, () => Math.round(rng.uniform(-8000, 8000)));
    expect(findPitchPeriod(noise, noise.length, 8000)).toBe(0);
  });

  it('picks the lag of best normalised correlation, as a direct search does, at every rate', () => {
    /** The definition, each lag's sums computed afresh. */
    function directSearch(frame: Int16Array, sampleRate: number): number {
      const step = Math.max(1, Math.floor(sampleRate / 8000));
      const maxLag = Math.min(Math.floor(sampleRate * 0.015), Math.floor(frame.length / 2));
      let best = 0;
      let bestScore = 0.5;
      for (let lag = Math.ceil(sampleRate * 0.0025); lag <= maxLag; lag += step) {
        let cross = 0;
        let energyA = 0;
        let energyB = 0;
        for (let i = 0; i < lag; i += step) {
          cross += frame[i]! * frame[i + lag]!;
          energyA += frame[i]! ** 2;
          energyB += frame[i + lag]! ** 2;
        }
        const score = cross / Math.sqrt(energyA * energyB + 1);
        if (cross > 0 && score > bestScore) [best, bestScore] = [lag, score];
      }
      return best;
    }
    let periodic = 0;
    for (const sampleRate of [8000, 12000, 16000, 24000, 48000]) {
      const speech = speechLikeSignal(7, sampleRate, 3000);
      for (const ms of [7.5, 10, 20, 30, 60]) {
        const length = Math.round((sampleRate * ms) / 1000);
        for (let at = 0; at + length <= speech.length; at += 3 * length) {
          const frame = speech.subarray(at, at + length);
          const expected = directSearch(frame, sampleRate);
          expect(findPitchPeriod(frame, length, sampleRate)).toBe(expected);
          if (expected > 0) periodic++;
        }
      }
    }
    expect(periodic).toBeGreaterThan(100);
  });

  it('removes and inserts exactly one period, staying continuous', () => {
    const out = new Int16Array(640);
    const p = findPitchPeriod(tone, tone.length, 8000);
    expect(crossfadeRemove(tone, tone.length, p, out)).toBe(320 - p);
    for (let i = 1; i < 320 - p; i++) expect(Math.abs(out[i]! - out[i - 1]!)).toBeLessThan(1000);
    expect(crossfadeInsert(tone, tone.length, p, out)).toBe(320 + p);
    for (let i = 1; i < 320 + p; i++) expect(Math.abs(out[i]! - out[i - 1]!)).toBeLessThan(1000);
  });
});

describe('ManualClock', () => {
  it('fires timers in due order, ties in creation order, and skips cancelled ones', async () => {
    const { ManualClock } = await import('@callbridge/media');
    const clock = new ManualClock(100);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('c'), 30);
    const b = clock.setTimeout(() => fired.push('b'), 20);
    clock.setTimeout(() => fired.push('a1'), 10);
    clock.setTimeout(() => fired.push('a2'), 10);
    clock.setTimeout(() => {
      fired.push('d');
      clock.setTimeout(() => fired.push('e'), 0);
    }, 40);
    clock.clearTimeout(b);
    clock.advance(35);
    expect(fired).toEqual(['a1', 'a2', 'c']);
    expect(clock.now()).toBe(135);
    clock.advance(10);
    expect(fired).toEqual(['a1', 'a2', 'c', 'd', 'e']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps handles unique and cancellation exact while it reuses fired timers', async () => {
    const { ManualClock } = await import('@callbridge/media');
    type TimerHandle = ReturnType<InstanceType<typeof ManualClock>['setTimeout']>;
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const handles = new Set<TimerHandle>();
    // A frame timer that re-arms itself, as a playout clock does, and a second one cancelled
    // each time it is re-armed: the objects of fired timers are reused for the new ones.
    let cancelled: TimerHandle | undefined;
    const frame = (n: number) => () => {
      fired.push(n);
      if (cancelled !== undefined) clock.clearTimeout(cancelled);
      cancelled = clock.setTimeout(() => fired.push(-n), 25);
      handles.add(cancelled);
      if (n < 5) handles.add(clock.setTimeout(frame(n + 1), 20));
    };
    handles.add(clock.setTimeout(frame(1), 0));
    clock.advance(200);
    expect(fired).toEqual([1, 2, 3, 4, 5, -5]);
    expect(handles.size).toBe(10);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not keep handles of fired timers that are cleared afterwards', async () => {
    const { ManualClock } = await import('@callbridge/media');
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const clock = new ManualClock(0);
    let fired = 0;
    const onFire = () => fired++;
    // A long simulation that clears handles whose timers already fired (a common, harmless
    // pattern); one pending timer stays cancelled throughout and must still be skipped.
    const keptCancelled = clock.setTimeout(() => fired--, 1e9);
    clock.clearTimeout(keptCancelled);
    const run = (count: number) => {
      for (let i = 0; i < count; i++) {
        const handle = clock.setTimeout(onFire, 1);
        clock.advance(1);
        clock.clearTimeout(handle);
      }
    };
    run(1000);
    collect();
    const before = getHeapStatistics().used_heap_size;
    run(300_000);
    collect();
    const grown = getHeapStatistics().used_heap_size - before;
    // Keeping 300,000 stale ids would take several megabytes.
    expect(grown).toBeLessThan(1_000_000);
    expect(fired).toBe(301_000);
    clock.advance(1e9);
    expect(fired).toBe(301_000);
    expect(clock.pendingTimers).toBe(0);
  });
});
