import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@callbridge/media';
import { SlidingQuantile } from '../src/stats.js';
import { crossfadeInsert, crossfadeRemove, findPitchPeriod } from '../src/time-scale.js';

describe('SlidingQuantile', () => {
  it('matches a sort of the last N values', () => {
    const rng = new SeededRandom(3);
    const window = new SlidingQuantile(50);
    const all: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const v = Math.round(rng.normal(0, 20));
      all.push(v);
      window.push(v);
      const last = all.slice(-50).sort((a, b) => a - b);
      expect(window.min()).toBe(last[0]);
      expect(window.quantile(0.9)).toBe(last[Math.ceil(0.9 * last.length) - 1]);
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
});
