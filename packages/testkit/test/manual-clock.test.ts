import { describe, expect, it } from 'vitest';
import { ManualClock } from '@callbridge/testkit';

describe('ManualClock', () => {
  it('starts where told and moves only on advance', () => {
    const clock = new ManualClock(5_000);
    expect(clock.now()).toBe(5_000);
    clock.advance(250);
    expect(clock.now()).toBe(5_250);
  });

  it('fires due timers in time order, each seeing its own time', () => {
    const clock = new ManualClock();
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['late', clock.now()]), 30);
    clock.setTimeout(() => fired.push(['early', clock.now()]), 10);
    clock.setTimeout(() => fired.push(['beyond', clock.now()]), 100);
    clock.advance(50);
    expect(fired).toEqual([
      ['early', 10],
      ['late', 30],
    ]);
    expect(clock.now()).toBe(50);
    expect(clock.pending).toBe(1);
  });

  it('fires timers set by a firing timer when they fall inside the same advance', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
    }, 10);
    clock.advance(20);
    expect(fired).toEqual([10, 15]);
  });

  it('never fires a cleared timer', () => {
    const clock = new ManualClock();
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 10);
    clock.clearTimeout(handle);
    expect(clock.pending).toBe(0);
    clock.advance(100);
    expect(fired).toBe(false);
  });
});
