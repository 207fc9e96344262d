// Properties that must hold for any input, checked on generated offers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  browserAnswerToSip,
  browserOfferToSip,
  sipAnswerToBrowser,
  sipOfferToBrowser,
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
import {
  CN8K,
  G722,
  G729,
  GATEWAY_SIP,
  GATEWAY_WEBRTC,
  OPUS,
  PCMA,
  PCMU,
  TE48K,
  TE8K,
} from './helpers.js';

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
            if (codecRole(c.name) !== 'media' && !rates.has(c.clockRate)) {
              // only telephone-event, and only when none was offered at a media codec's rate
              expect(codecRole(c.name)).toBe('dtmf');
              expect(
                offered.some(
                  (o) =>
                    codecRole(o.name) === 'dtmf' &&
                    rates.has(o.clockRate) &&
                    capabilities.some((k) => k.name === o.name && k.clockRate === o.clockRate),
                ),
              ).toBe(false);
            }
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

describe('bridge properties', () => {
  const AUDIO: readonly CodecCapability[] = [
    PCMU,
    PCMA,
    G722,
    OPUS,
    { ...G729, relayOnly: false },
    TE8K,
    TE48K,
    CN8K,
  ];
  const capabilityList = fc
    .subarray([...AUDIO], { minLength: 1 })
    .chain((list) => fc.shuffledSubarray(list, { minLength: list.length }));

  it('pins one codec per leg, keeps each leg in its own numbering, and reports relay only for the same codec', () => {
    fc.assert(
      fc.property(
        offeredList,
        capabilityList,
        capabilityList,
        capabilityList,
        fc.boolean(),
        (offered, webrtcCaps, sipCaps, phoneCaps, transcoding) => {
          const browserOffer = [
            'v=0',
            'o=- 9 2 IN IP4 127.0.0.1',
            's=-',
            't=0 0',
            'a=group:BUNDLE 0',
            `m=audio 9 UDP/TLS/RTP/SAVPF ${offered.map((c) => c.payloadType).join(' ')}`,
            'c=IN IP4 0.0.0.0',
            'a=mid:0',
            'a=ice-ufrag:abcd',
            'a=ice-pwd:abcdefghijklmnopqrstuvwx',
            'a=fingerprint:sha-256 ' + Array.from({ length: 32 }, () => 'AB').join(':'),
            'a=setup:actpass',
            'a=rtcp-mux',
            ...offered.map(
              (c) =>
                `a=rtpmap:${c.payloadType} ${c.name}/${c.clockRate}${c.channels > 1 ? `/${c.channels}` : ''}`,
            ),
            ...offered.flatMap((c) =>
              c.fmtp === undefined ? [] : [`a=fmtp:${c.payloadType} ${c.fmtp}`],
            ),
            '',
          ].join('\r\n');
          const config = {
            webrtc: GATEWAY_WEBRTC,
            sip: GATEWAY_SIP,
            codecs: { webrtc: { audio: webrtcCaps }, sip: { audio: sipCaps } },
            transcoding,
          };
          let offer;
          try {
            offer = browserOfferToSip(browserOffer, config);
          } catch (error) {
            expect((error as SdpError).code).toBe('SDP_NO_COMMON_CODECS');
            return;
          }
          let phone;
          try {
            phone = createAnswer(
              parseSdp(offer.sdp),
              { profile: 'sip', address: '192.0.2.7', ports: { audio: 7000 } },
              { codecs: { audio: phoneCaps }, singleCodec: true },
            );
          } catch (error) {
            expect((error as SdpError).code).toBe('SDP_NO_COMMON_CODECS');
            return;
          }
          let answer;
          try {
            answer = sipAnswerToBrowser(offer, serializeSdp(phone.description));
          } catch (error) {
            // the phone chose a codec the gateway cannot reach the browser with
            expect((error as SdpError).code).toBe('SDP_NO_COMMON_CODECS');
            return;
          }
          const browserCodecs = answer.description.media[0]!.codecs;
          expect(browserCodecs.filter((c) => codecRole(c.name) === 'media')).toHaveLength(1);
          for (const c of browserCodecs)
            expect(offered.some((o) => o.payloadType === c.payloadType && o.name === c.name)).toBe(
              true,
            );
          const media = answer.media[0]!;
          const webrtcCodec = media.webrtc!.codec!;
          const sipCodec = media.sip!.codec!;
          const same =
            webrtcCodec.name.toLowerCase() === sipCodec.name.toLowerCase() &&
            webrtcCodec.clockRate === sipCodec.clockRate;
          expect(media.mode).toBe(same ? 'relay' : 'transcode');
          expect(answer.relay).toBe(same);
          if (!transcoding) expect(media.mode).toBe('relay');
          // the browser answer parses back to the same negotiation from the browser's side
          const browserView = processAnswer(parseSdp(browserOffer), parseSdp(answer.sdp))[0]!;
          expect(browserView.codec?.sendPayloadType).toBe(webrtcCodec.receivePayloadType);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('does the same for a SIP offer bridged to a browser and its answer', () => {
    const BROWSER = { ...GATEWAY_WEBRTC, ice: { ufrag: 'brws', pwd: 'browserpassword0123456789' } };
    fc.assert(
      fc.property(
        offeredList,
        capabilityList,
        capabilityList,
        capabilityList,
        fc.boolean(),
        (offered, webrtcCaps, sipCaps, browserCaps, transcoding) => {
          const sipOffer = [
            'v=0',
            'o=- 4 4 IN IP4 192.0.2.8',
            's=-',
            'c=IN IP4 192.0.2.8',
            't=0 0',
            `m=audio 8000 RTP/AVP ${offered.map((c) => c.payloadType).join(' ')}`,
            ...offered.map(
              (c) =>
                `a=rtpmap:${c.payloadType} ${c.name}/${c.clockRate}${c.channels > 1 ? `/${c.channels}` : ''}`,
            ),
            ...offered.flatMap((c) =>
              c.fmtp === undefined ? [] : [`a=fmtp:${c.payloadType} ${c.fmtp}`],
            ),
            '',
          ].join('\r\n');
          const config = {
            webrtc: GATEWAY_WEBRTC,
            sip: GATEWAY_SIP,
            codecs: { webrtc: { audio: webrtcCaps }, sip: { audio: sipCaps } },
            transcoding,
          };
          const attempt = <T>(fn: () => T): T | undefined => {
            try {
              return fn();
            } catch (error) {
              expect((error as SdpError).code).toBe('SDP_NO_COMMON_CODECS');
              return undefined;
            }
          };
          const offer = attempt(() => sipOfferToBrowser(sipOffer, config));
          if (!offer) return;
          const browser = attempt(() =>
            createAnswer(parseSdp(offer.sdp), BROWSER, {
              codecs: { audio: browserCaps },
              singleCodec: true,
            }),
          );
          if (!browser) return;
          const answer = attempt(() =>
            browserAnswerToSip(offer, serializeSdp(browser.description)),
          );
          if (!answer) return;
          const sipCodecs = answer.description.media[0]!.codecs;
          expect(sipCodecs.filter((c) => codecRole(c.name) === 'media')).toHaveLength(1);
          for (const c of sipCodecs)
            expect(offered.some((o) => o.payloadType === c.payloadType && o.name === c.name)).toBe(
              true,
            );
          const media = answer.media[0]!;
          const same =
            media.webrtc!.codec!.name.toLowerCase() === media.sip!.codec!.name.toLowerCase() &&
            media.webrtc!.codec!.clockRate === media.sip!.codec!.clockRate;
          expect(media.mode).toBe(same ? 'relay' : 'transcode');
          if (!transcoding) expect(media.mode).toBe('relay');
          const phoneView = processAnswer(parseSdp(sipOffer), parseSdp(answer.sdp))[0]!;
          expect(phoneView.codec?.sendPayloadType).toBe(media.sip!.codec!.receivePayloadType);
          expect(phoneView.remotePort).toBe(30000);
        },
      ),
      { numRuns: 500 },
    );
  });
});
