// Properties that must hold for any input, checked on generated offers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  codecRole,
  createAnswer,
  negotiateCodecs,
  parseSdp,
  processAnswer,
  serializeSdp,
  SdpError,
  type CodecCapability,
  type RtpCodec,
} from '@callbridge/sdp';
import { CN8K, G722, G729, GATEWAY_SIP, OPUS, PCMA, PCMU, TE48K, TE8K } from './helpers.js';

const KNOWN: readonly Omit<RtpCodec, 'payloadType'>[] = [
  {
    name: 'opus',
    clockRate: 48000,
    channels: 2,
    fmtp: 'minptime=10;useinbandfec=1',
    rtcpFeedback: [],
  },
  { name: 'PCMU', clockRate: 8000, channels: 1, rtcpFeedback: [] },
  { name: 'PCMA', clockRate: 8000, channels: 1, rtcpFeedback: [] },
  { name: 'G722', clockRate: 8000, channels: 1, rtcpFeedback: [] },
  { name: 'G729', clockRate: 8000, channels: 1, fmtp: 'annexb=no', rtcpFeedback: [] },
  { name: 'speex', clockRate: 16000, channels: 1, rtcpFeedback: [] },
  { name: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-15', rtcpFeedback: [] },
  { name: 'telephone-event', clockRate: 48000, channels: 1, rtcpFeedback: [] },
  { name: 'telephone-event', clockRate: 16000, channels: 1, rtcpFeedback: [] },
  { name: 'CN', clockRate: 8000, channels: 1, rtcpFeedback: [] },
  { name: 'red', clockRate: 48000, channels: 2, rtcpFeedback: [] },
];
const CAPABILITIES: readonly CodecCapability[] = [
  PCMU,
  PCMA,
  G722,
  OPUS,
  G729,
  TE8K,
  TE48K,
  CN8K,
  { name: 'red', clockRate: 48000, channels: 2 },
];

/** An offered format list: distinct payload types, known and unknown formats mixed. */
const offeredList = fc
  .uniqueArray(
    fc.tuple(fc.integer({ min: 0, max: KNOWN.length - 1 }), fc.integer({ min: 96, max: 127 })),
    {
      minLength: 1,
      maxLength: 9,
      selector: ([, pt]) => pt,
    },
  )
  .map((entries): RtpCodec[] =>
    entries.map(([k, payloadType]) => {
      const codec = { ...KNOWN[k]!, payloadType };
      return codec.name === 'red'
        ? { ...codec, fmtp: `${entries[0]![1]}/${entries[0]![1]}` }
        : codec;
    }),
  );

describe('negotiateCodecs properties', () => {
  it('answers only offered payload types, with their offered format, media first', () => {
    fc.assert(
      fc.property(
        offeredList,
        fc.subarray([...CAPABILITIES]),
        fc.boolean(),
        (offered, capabilities, single) => {
          const answer = negotiateCodecs(offered, capabilities, { singleCodec: single });
          const media = answer.filter((c) => codecRole(c.name) === 'media');
          for (const c of answer) {
            const o = offered.find((x) => x.payloadType === c.payloadType);
            expect(o).toBeDefined();
            expect(o!.name).toBe(c.name);
            expect(o!.clockRate).toBe(c.clockRate);
          }
          if (answer.length > 0) expect(codecRole(answer[0]!.name)).toBe('media');
          if (single) expect(media.length).toBeLessThanOrEqual(1);
          // dtmf and CN only at a clock rate of an answered media codec (RFC 4733 §2.1)
          const rates = new Set(media.map((c) => c.clockRate));
          for (const c of answer)
            if (codecRole(c.name) !== 'media') expect(rates.has(c.clockRate)).toBe(true);
          // red only with the format it carries
          for (const c of answer.filter((x) => x.name === 'red'))
            for (const pt of (c.fmtp ?? '').split('/'))
              expect(answer.some((x) => x.payloadType === Number(pt))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('offer/answer round trip properties', () => {
  it('an answer always fits its offer, and the negotiated mapping is symmetric', () => {
    fc.assert(
      fc.property(
        offeredList,
        fc.constantFrom<'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'>(
          'sendrecv',
          'sendonly',
          'recvonly',
          'inactive',
        ),
        (offered, direction) => {
          const lines = [
            'v=0',
            'o=- 7 7 IN IP4 192.0.2.1',
            's=-',
            'c=IN IP4 192.0.2.1',
            't=0 0',
            `m=audio 5004 RTP/AVP ${offered.map((c) => c.payloadType).join(' ')}`,
            ...offered.map(
              (c) =>
                `a=rtpmap:${c.payloadType} ${c.name}/${c.clockRate}${c.channels > 1 ? `/${c.channels}` : ''}`,
            ),
            ...offered.flatMap((c) =>
              c.fmtp === undefined ? [] : [`a=fmtp:${c.payloadType} ${c.fmtp}`],
            ),
            `a=${direction}`,
            '',
          ];
          const offer = parseSdp(lines.join('\r\n'));
          let answer;
          try {
            answer = createAnswer(offer, GATEWAY_SIP, { codecs: { audio: CAPABILITIES } });
          } catch (error) {
            expect(error).toBeInstanceOf(SdpError);
            expect((error as SdpError).code).toBe('SDP_NO_COMMON_CODECS');
            return;
          }
          const reparsed = parseSdp(serializeSdp(answer.description));
          const offererView = processAnswer(offer, reparsed)[0]!;
          const answererView = answer.media[0]!;
          expect(offererView.codec?.sendPayloadType).toBe(answererView.codec?.receivePayloadType);
          expect(offererView.codec?.receivePayloadType).toBe(answererView.codec?.sendPayloadType);
          // directions mirror each other (RFC 3264 §6.1)
          const mirror = {
            sendrecv: 'sendrecv',
            sendonly: 'recvonly',
            recvonly: 'sendonly',
            inactive: 'inactive',
          } as const;
          expect(mirror[offererView.direction]).toBe(answererView.direction);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
