import { describe, expect, it } from 'vitest';
import {
  answerFormat,
  answerH264,
  formatEventList,
  parseEventList,
  parseFmtp,
  parseOpusParameters,
  parseProfileLevelId,
  type RtpCodec,
} from '@callbridge/sdp';

const codec = (name: string, clockRate: number, fmtp?: string, channels = 1): RtpCodec => ({
  payloadType: 100,
  name,
  clockRate,
  channels,
  ...(fmtp === undefined ? {} : { fmtp }),
  rtcpFeedback: [],
});

describe('H.264 profile-level-id (RFC 6184 §8.1)', () => {
  it.each([
    ['42e01f', 'constrained-baseline', 31],
    ['42C02A', 'constrained-baseline', 42],
    ['4de01f', 'constrained-baseline', 31],
    ['58f01f', 'constrained-baseline', 31],
    ['42a01f', 'baseline', 31],
    ['58A01F', 'baseline', 31],
    ['42e00b', 'constrained-baseline', 11],
    ['42f00b', 'constrained-baseline', '1b'],
    ['4D401f', 'main', 31],
    ['64001f', 'high', 31],
    ['640c34', 'constrained-high', 52],
    ['f4001f', 'high-444', 31],
  ])('%s is %s level %s', (value, profile, level) => {
    expect(parseProfileLevelId(value)).toMatchObject({ profile, level });
  });

  it.each(['', '42e0', '42e01g', 'ff001f', '42e0ff'])('refuses %j', (value) => {
    expect(parseProfileLevelId(value)).toBeUndefined();
  });

  it('answers with the lower level without level-asymmetry-allowed (RFC 6184 §8.2.2)', () => {
    expect(
      answerH264(
        'profile-level-id=42e01f;packetization-mode=1',
        'profile-level-id=42e02a;packetization-mode=1',
      ),
    ).toBe('profile-level-id=42e01f;packetization-mode=1');
    expect(
      answerH264(
        'profile-level-id=42e02a;packetization-mode=1',
        'profile-level-id=42e01f;packetization-mode=1',
      ),
    ).toBe('profile-level-id=42e01f;packetization-mode=1');
  });

  it('answers with its own level when both allow asymmetry', () => {
    expect(
      answerH264(
        'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e00b',
        'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      ),
    ).toBe('level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f');
  });

  it('keeps level 1b in the baseline encoding and requires equal profile and packetization-mode', () => {
    expect(answerH264('profile-level-id=42f00b', 'profile-level-id=42e01f')).toBe(
      'profile-level-id=42f00b;packetization-mode=0',
    );
    expect(
      answerH264(
        'profile-level-id=42e01f;packetization-mode=0',
        'profile-level-id=42e01f;packetization-mode=1',
      ),
    ).toBeUndefined();
    expect(
      answerH264(
        'profile-level-id=64001f;packetization-mode=1',
        'profile-level-id=42e01f;packetization-mode=1',
      ),
    ).toBeUndefined();
    // no profile-level-id means baseline level 1 (42000a), which is not constrained baseline
    expect(answerH264(undefined, 'profile-level-id=42e01f')).toBeUndefined();
    expect(answerH264(undefined, 'profile-level-id=42001f')).toBe(
      'profile-level-id=42000a;packetization-mode=0',
    );
  });
});

describe('format matching (RFC 3264 §6.1)', () => {
  it('matches names case-insensitively and needs equal clock rate and channels', () => {
    expect(answerFormat(codec('pcmu', 8000), { name: 'PCMU', clockRate: 8000 })).toBeNull();
    expect(
      answerFormat(codec('opus', 48000, 'useinbandfec=1', 2), { name: 'opus', clockRate: 48000 }),
    ).toBeUndefined();
    expect(
      answerFormat(codec('opus', 48000, 'useinbandfec=1', 2), {
        name: 'opus',
        clockRate: 48000,
        channels: 2,
        fmtp: 'stereo=0;useinbandfec=1;maxaveragebitrate=40000',
      }),
    ).toBe('stereo=0;useinbandfec=1;maxaveragebitrate=40000');
    expect(answerFormat(codec('G722', 16000), { name: 'G722', clockRate: 8000 })).toBeUndefined();
  });

  it('intersects telephone-event lists (RFC 4733 §7.1.1)', () => {
    expect(
      answerFormat(codec('telephone-event', 8000, '0-15,66,70'), {
        name: 'telephone-event',
        clockRate: 8000,
        fmtp: '0-16',
      }),
    ).toBe('0-15');
    expect(
      answerFormat(codec('telephone-event', 8000, '66'), {
        name: 'telephone-event',
        clockRate: 8000,
        fmtp: '0-16',
      }),
    ).toBeUndefined();
    expect(
      answerFormat(codec('telephone-event', 48000), { name: 'telephone-event', clockRate: 8000 }),
    ).toBeUndefined();
    expect(formatEventList(parseEventList('16,0-3,5,4,70'))).toBe('0-5,16,70');
  });

  it('turns Annex B off when either side says so, and compares VP9 profiles', () => {
    expect(answerFormat(codec('G729', 8000, 'annexb=no'), { name: 'G729', clockRate: 8000 })).toBe(
      'annexb=no',
    );
    expect(answerFormat(codec('G729', 8000), { name: 'G729', clockRate: 8000 })).toBeNull();
    expect(
      answerFormat(codec('VP9', 90000, 'profile-id=2'), { name: 'VP9', clockRate: 90000 }),
    ).toBeUndefined();
    expect(
      answerFormat(codec('VP9', 90000, 'profile-id=0'), { name: 'VP9', clockRate: 90000 }),
    ).toBeNull();
  });

  it('parses fmtp lists with spaces and bare tokens', () => {
    expect([...parseFmtp('minptime=10; useinbandfec=1;Stereo=1;bare')]).toEqual([
      ['minptime', '10'],
      ['useinbandfec', '1'],
      ['stereo', '1'],
      ['bare', ''],
    ]);
  });
});

describe('Opus parameters (RFC 7587 §6.1)', () => {
  it('reads what Chromium and libdatachannel state, with defaults for the rest', () => {
    expect(parseOpusParameters('minptime=10;useinbandfec=1')).toEqual({
      maxplaybackrate: 48000,
      stereo: false,
      spropStereo: false,
      cbr: false,
      useinbandfec: true,
      usedtx: false,
      minptime: 10,
    });
    expect(
      parseOpusParameters(
        'minptime=10;maxaveragebitrate=96000;stereo=1;sprop-stereo=1;useinbandfec=1',
      ),
    ).toMatchObject({
      maxaveragebitrate: 96000,
      stereo: true,
      spropStereo: true,
    });
  });

  it('ignores values out of range', () => {
    const params = parseOpusParameters(
      'maxaveragebitrate=1000000;maxplaybackrate=96000;minptime=0;usedtx=yes',
    );
    expect(params.maxaveragebitrate).toBeUndefined();
    expect(params.maxplaybackrate).toBe(48000);
    expect(params.minptime).toBeUndefined();
    expect(params.usedtx).toBe(false);
  });
});
