import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DBM0_PEAK,
  DtmfDetector,
  DtmfGenerator,
  MediaError,
  SeededRandom,
  formatDtmfInfo,
  parseDtmfInfo,
  speechLikeSignal,
} from '@callbridge/media';
import type { DetectedDigit, DtmfDigit } from '@callbridge/media';
import { PEERS, needsPeers, tempDir } from '@callbridge/testkit';

const ALL: DtmfDigit[] = [
  '1',
  '2',
  '3',
  'A',
  '4',
  '5',
  '6',
  'B',
  '7',
  '8',
  '9',
  'C',
  '*',
  '0',
  '#',
  'D',
];

function detect(pcm: Int16Array, sampleRate: number): DetectedDigit[] {
  const found: DetectedDigit[] = [];
  const detector = new DtmfDetector({ sampleRate, onDigit: (d) => found.push(d) });
  // Feed in 20 ms frames, as a pipeline does.
  const frame = Math.round(sampleRate / 50);
  for (let at = 0; at < pcm.length; at += frame)
    detector.process(pcm.subarray(at, Math.min(pcm.length, at + frame)));
  detector.flush();
  return found;
}

function tone(
  low: number,
  high: number,
  ms: number,
  sampleRate: number,
  lowAmp: number,
  highAmp: number,
): Int16Array {
  const n = Math.round((ms * sampleRate) / 1000);
  return Int16Array.from({ length: n }, (_, i) =>
    Math.round(
      lowAmp * Math.sin((2 * Math.PI * low * i) / sampleRate) +
        highAmp * Math.sin((2 * Math.PI * high * i) / sampleRate),
    ),
  );
}

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const silence = (ms: number, rate: number): Int16Array =>
  new Int16Array(Math.round((ms * rate) / 1000));

describe('DtmfGenerator', () => {
  it('produces the Q.23 frequency pair at the configured levels', () => {
    const rate = 8000;
    const generator = new DtmfGenerator({ sampleRate: rate });
    generator.play('5', 200);
    const out = new Int16Array(1600);
    expect(generator.render(out)).toBe(true);
    // Correlate with the expected 770 Hz and 1336 Hz components to measure their amplitudes.
    const amplitude = (f: number): number => {
      let re = 0;
      let im = 0;
      for (let i = 0; i < 1600; i++) {
        re += out[i]! * Math.cos((2 * Math.PI * f * i) / rate);
        im += out[i]! * Math.sin((2 * Math.PI * f * i) / rate);
      }
      return (2 * Math.hypot(re, im)) / 1600;
    };
    const dbm0 = (a: number): number => 20 * Math.log10(a / DBM0_PEAK);
    expect(dbm0(amplitude(770))).toBeCloseTo(-10, 0);
    expect(dbm0(amplitude(1336))).toBeCloseTo(-8, 0);
    expect(amplitude(697)).toBeLessThan(amplitude(770) / 5);
  });

  it('queues digits with gaps and ends an open digit on request', () => {
    const generator = new DtmfGenerator({ sampleRate: 8000, interDigitGapMs: 50 });
    generator.play('1', 100);
    generator.play('2');
    const out = new Int16Array(160);
    const chunks: Int16Array[] = [];
    for (let i = 0; i < 20; i++) {
      if (i === 12) generator.end(120);
      if (!generator.render(out)) break;
      chunks.push(out.slice());
    }
    const found = detect(concat(...chunks, silence(100, 8000)), 8000);
    expect(found.map((d) => d.digit)).toEqual(['1', '2']);
    expect(found[0]!.durationMs).toBeGreaterThan(84);
    expect(found[0]!.durationMs).toBeLessThan(116);
    expect(found[1]!.durationMs).toBeGreaterThan(104);
    expect(found[1]!.durationMs).toBeLessThan(136);
    expect(generator.busy).toBe(false);
  });
});

describe('DtmfDetector', () => {
  for (const rate of [8000, 16000, 48000]) {
    it(`detects all sixteen digits at ${rate} Hz with their durations`, () => {
      const parts: Int16Array[] = [silence(30, rate)];
      for (const digit of ALL) {
        const g = new DtmfGenerator({ sampleRate: rate });
        g.play(digit, 80);
        const pcm = new Int16Array(Math.round(0.08 * rate));
        g.render(pcm);
        parts.push(pcm, silence(60, rate));
      }
      const found = detect(concat(...parts), rate);
      expect(found.map((d) => d.digit)).toEqual(ALL);
      // Durations come in steps of the 12.8 ms hop.
      for (const d of found) {
        expect(d.durationMs).toBeGreaterThan(64);
        expect(d.durationMs).toBeLessThan(96);
      }
    });
  }

  it('accepts 40 ms tones and rejects 20 ms bursts (Q.24 duration)', () => {
    const rate = 8000;
    const a = DBM0_PEAK * 10 ** (-10 / 20);
    const long = concat(silence(50, rate), tone(852, 1477, 40, rate, a, a), silence(60, rate));
    const short = concat(silence(50, rate), tone(852, 1477, 20, rate, a, a), silence(60, rate));
    expect(detect(long, rate).map((d) => d.digit)).toEqual(['9']);
    expect(detect(short, rate)).toEqual([]);
  });

  it('applies level, twist and frequency-deviation limits', () => {
    const rate = 8000;
    const at = (dbm0: number): number => DBM0_PEAK * 10 ** (dbm0 / 20);
    const run = (low: number, high: number, lowDb: number, highDb: number): string =>
      detect(concat(tone(low, high, 100, rate, at(lowDb), at(highDb)), silence(60, rate)), rate)
        .map((d) => d.digit)
        .join('');
    expect(run(697, 1209, -20, -20)).toBe('1');
    expect(run(697, 1209, -35, -35)).toBe(''); // below -30 dBm0
    expect(run(697, 1209, -10, -16)).toBe('1'); // 6 dB twist
    expect(run(697, 1209, -10, -20)).toBe(''); // 10 dB twist
    expect(run(697, 1209, -13, -10)).toBe('1'); // 3 dB reverse twist
    expect(run(697, 1209, -16, -10)).toBe(''); // 6 dB reverse twist
    expect(run(697 * 1.015, 1209 * 0.985, -10, -10)).toBe('1'); // ±1.5 % must be accepted
    expect(run(697 * 1.035, 1209 * 1.035, -10, -10)).toBe(''); // ±3.5 % must be rejected
  });

  it('bridges a 10 ms interruption but splits digits on a 40 ms pause', () => {
    const rate = 8000;
    const a = DBM0_PEAK * 10 ** (-10 / 20);
    const t = (ms: number): Int16Array => tone(770, 1336, ms, rate, a, a);
    expect(
      detect(concat(t(80), silence(10, rate), t(80), silence(80, rate)), rate).map((d) => d.digit),
    ).toEqual(['5']);
    expect(
      detect(concat(t(80), silence(40, rate), t(80), silence(80, rate)), rate).map((d) => d.digit),
    ).toEqual(['5', '5']);
  });

  it('finds digits under noise and speech-level background', () => {
    const rate = 8000;
    const rng = new SeededRandom(8);
    const g = new DtmfGenerator({ sampleRate: rate });
    g.play('7', 100);
    const pcm = new Int16Array(1600);
    g.render(pcm);
    for (let i = 0; i < pcm.length; i++) pcm[i] = pcm[i]! + Math.round(rng.normal(0, 300)); // about -30 dBm0 of noise
    expect(detect(pcm, rate).map((d) => d.digit)).toEqual(['7']);
  });

  it('reports no digits on ten minutes of speech-like signal (talk-off)', () => {
    let falseDigits = 0;
    for (let seed = 1; seed <= 10; seed++) {
      falseDigits += detect(speechLikeSignal(seed, 8000, 60_000), 8000).length;
    }
    expect(falseDigits).toBe(0);
  });

  it('still detects a digit played over speech-like audio ending', () => {
    const rate = 8000;
    const speech = speechLikeSignal(3, rate, 2000);
    const g = new DtmfGenerator({ sampleRate: rate });
    g.play('#', 120);
    const digit = new Int16Array(960);
    g.render(digit);
    expect(detect(concat(speech, digit, silence(100, rate)), rate).map((d) => d.digit)).toEqual([
      '#',
    ]);
  });
});

const speechSynth = needsPeers({ command: 'espeak-ng', debianPackage: 'espeak-ng' }, PEERS.sox);
describe.skipIf(speechSynth.skip)('DtmfDetector on synthesized speech (espeak-ng, sox)', () => {
  const dir = tempDir('dtmf-speech');
  afterAll(() => dir.remove());

  function synthesize(voice: string, pitch: number, text: string): Int16Array {
    const wide = join(dir.path, `${voice}-${pitch}.wav`);
    const narrow = join(dir.path, `${voice}-${pitch}-8k.raw`);
    expect(
      spawnSync('espeak-ng', ['-v', voice, '-p', String(pitch), '-s', '160', '-w', wide, text])
        .status,
    ).toBe(0);
    expect(
      spawnSync('sox', [
        wide,
        '-r',
        '8000',
        '-c',
        '1',
        '-b',
        '16',
        '-e',
        'signed-integer',
        '-L',
        narrow,
        'gain',
        '-n',
        '-6',
      ]).status,
    ).toBe(0);
    const bytes = readFileSync(narrow);
    const pcm = new Int16Array(bytes.length >> 1);
    for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(i * 2);
    return pcm;
  }

  const text =
    'Thank you for calling. Your call is important to us. Please stay on the line, and one of our ' +
    'agents will be with you shortly. For sales, press one. For support, press two. Remember that ' +
    'you can also reach us online at any time of the day or night, seven days a week. Goodbye.';

  it('reports no digits on male, female and high-pitched voices', () => {
    let seconds = 0;
    const found: string[] = [];
    for (const [voice, pitch] of [
      ['en-us', 40],
      ['en-us+f3', 60],
      ['en-gb+f4', 90],
      ['de', 50],
      ['fr+m3', 30],
    ] as const) {
      const pcm = synthesize(voice, pitch, text);
      seconds += pcm.length / 8000;
      found.push(...detect(pcm, 8000).map((d) => d.digit));
    }
    expect(seconds).toBeGreaterThan(60);
    expect(found).toEqual([]);
  });
});

describe('SIP INFO DTMF bodies', () => {
  it('produces application/dtmf-relay and application/dtmf', () => {
    expect(formatDtmfInfo('application/dtmf-relay', '5', 160)).toBe('Signal=5\r\nDuration=160\r\n');
    expect(formatDtmfInfo('application/dtmf-relay', '#', 250.4)).toBe(
      'Signal=#\r\nDuration=250\r\n',
    );
    expect(formatDtmfInfo('application/dtmf', '*', 100)).toBe('*');
  });

  it('parses what deployed senders put in them', () => {
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toEqual({
      digit: '5',
      durationMs: 160,
    });
    expect(
      parseDtmfInfo('Application/DTMF-Relay; charset=utf-8', 'signal= 10\nduration= 250\n'),
    ).toEqual({ digit: '*', durationMs: 250 });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=11')).toEqual({ digit: '#' });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=d\r\nDuration=x\r\n')).toEqual({
      digit: 'D',
    });
    expect(parseDtmfInfo('application/dtmf', ' 7\r\n')).toEqual({ digit: '7' });
  });

  it('round-trips every digit', () => {
    for (const digit of ALL) {
      expect(
        parseDtmfInfo(
          'application/dtmf-relay',
          formatDtmfInfo('application/dtmf-relay', digit, 90),
        ),
      ).toEqual({ digit, durationMs: 90 });
      expect(
        parseDtmfInfo('application/dtmf', formatDtmfInfo('application/dtmf', digit, 90)),
      ).toEqual({ digit });
    }
  });

  it('rejects bodies without a digit with a typed error', () => {
    for (const [type, body] of [
      ['application/dtmf-relay', 'Duration=100'],
      ['application/dtmf-relay', 'Signal=E'],
      ['application/dtmf', '12'],
      ['text/plain', '5'],
    ] as const) {
      expect(() => parseDtmfInfo(type, body)).toThrow(MediaError);
      expect(() => parseDtmfInfo(type, body)).toThrow(
        expect.objectContaining({ code: 'DTMF_BODY_INVALID' }),
      );
    }
  });
});
