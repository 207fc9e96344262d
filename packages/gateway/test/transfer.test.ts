// The socket-free parts of transfer: Refer-To in both directions, and which dialog an INVITE
// with Replaces may replace (RFC 3891 §3), plus the media of a call whose SIP leg is swapped.
import { describe, expect, it } from 'vitest';
import { parseSdp, type BridgedMedia, type NegotiatedMedia } from '@callbridge/sdp';
import {
  answerAsIf,
  attendedReferTo,
  codecsForNewSipLeg,
  parseReferTo,
  replacesVerdict,
  withNewSipLeg,
  type ReplaceableDialog,
} from '../src/b2bua/transfer.js';

describe('Refer-To', () => {
  it('builds the target URI with the dialog as the target sees it, escaped (RFC 3891 §3)', () => {
    const referTo = attendedReferTo('sip:carol@example.test', {
      callId: 'abc@host',
      localTag: 'ours',
      remoteTag: 'theirs',
    });
    expect(referTo).toBe(
      '<sip:carol@example.test?Replaces=abc%40host%3Bto-tag%3Dtheirs%3Bfrom-tag%3Dours>',
    );
    // What the transferee reads back is the Replaces header field value for its INVITE.
    expect(parseReferTo(referTo)).toEqual({
      target: 'sip:carol@example.test',
      replaces: 'abc@host;to-tag=theirs;from-tag=ours',
    });
  });

  it('drops URI headers of the target it was given and keeps other ones out of the INVITE', () => {
    expect(
      attendedReferTo('sip:c@h?subject=x', { callId: 'i', localTag: 'l', remoteTag: 'r' }),
    ).toBe('<sip:c@h?Replaces=i%3Bto-tag%3Dr%3Bfrom-tag%3Dl>');
    expect(parseReferTo('<sip:c@h;transport=udp?Subject=hi>')).toEqual({
      target: 'sip:c@h;transport=udp',
    });
  });

  it('reads blind targets with or without angle brackets and refuses what it cannot call', () => {
    expect(parseReferTo('<sip:200@example.test>;method=INVITE')).toEqual({
      target: 'sip:200@example.test',
    });
    expect(parseReferTo('sips:bob@example.test')).toEqual({ target: 'sips:bob@example.test' });
    expect(parseReferTo('<tel:+123>')).toBeUndefined();
    expect(parseReferTo('<http://example.test/>')).toBeUndefined();
    expect(parseReferTo('')).toBeUndefined();
    // A Replaces that is not one (no tags) makes the REFER unusable rather than half-followed.
    expect(parseReferTo('<sip:c@h?Replaces=only-a-call-id>')).toBeUndefined();
    expect(parseReferTo('<sip:c@h?Replaces=%E0%A4%A>')).toBeUndefined();
  });
});

describe('INVITE with Replaces: which dialog, and the answer (RFC 3891 §3)', () => {
  const confirmed: ReplaceableDialog<string> = {
    id: { callId: 'call-1', localTag: 'me', remoteTag: 'you' },
    state: 'confirmed',
    initiatedLocally: false,
    owner: 'first',
  };
  const value = 'call-1;to-tag=me;from-tag=you';

  it('matches Call-ID, to-tag as our local tag and from-tag as the remote tag', () => {
    expect(replacesVerdict([value], [confirmed])).toEqual({ accept: true, dialog: confirmed });
    // Tags the wrong way round name a different dialog.
    expect(replacesVerdict(['call-1;to-tag=you;from-tag=me'], [confirmed])).toMatchObject({
      accept: false,
      sipStatus: 481,
    });
    expect(replacesVerdict(['call-2;to-tag=me;from-tag=you'], [confirmed])).toMatchObject({
      accept: false,
      sipStatus: 481,
    });
    expect(replacesVerdict([value], [])).toMatchObject({ accept: false, sipStatus: 481 });
  });

  it('answers 486 to early-only for a confirmed dialog, 603 for one that ended', () => {
    expect(replacesVerdict([`${value};early-only`], [confirmed])).toMatchObject({
      accept: false,
      sipStatus: 486,
    });
    expect(replacesVerdict([value], [{ ...confirmed, state: 'terminated' }])).toMatchObject({
      accept: false,
      sipStatus: 603,
    });
  });

  it('replaces an early dialog only when this side sent its INVITE', () => {
    const early = { ...confirmed, state: 'early' as const };
    expect(replacesVerdict([value], [early])).toMatchObject({ accept: false, sipStatus: 481 });
    expect(
      replacesVerdict([`${value};early-only`], [{ ...early, initiatedLocally: true }]),
    ).toMatchObject({ accept: true });
  });

  it('treats a Replaces naming more than one dialog as naming none; 400 for a bad header', () => {
    expect(replacesVerdict([value], [confirmed, { ...confirmed, owner: 'second' }])).toMatchObject({
      accept: false,
      sipStatus: 481,
    });
    expect(replacesVerdict([value, value], [confirmed])).toMatchObject({
      accept: false,
      sipStatus: 400,
    });
    expect(replacesVerdict(['call-1;to-tag=me'], [confirmed])).toMatchObject({
      accept: false,
      sipStatus: 400,
    });
  });
});

function negotiated(kind: string, name: string, payloadType: number, port = 4000): NegotiatedMedia {
  const codec = {
    name,
    clockRate: name === 'opus' ? 48000 : 8000,
    channels: 1,
    sendPayloadType: payloadType,
    receivePayloadType: payloadType,
    rtcpFeedback: [],
  };
  return {
    index: 0,
    kind,
    accepted: true,
    direction: 'sendrecv',
    remoteHold: false,
    codec,
    codecs: [codec],
    remotePort: port,
    remoteRtcpPort: port + 1,
    rtcpMux: false,
    rtcpReducedSize: false,
    srtp: 'none',
    remoteCandidates: [],
    remoteFingerprints: [],
    remoteSsrcs: [],
    headerExtensions: [],
  };
}

describe('a new SIP leg under the same browser leg', () => {
  const opusCall: BridgedMedia[] = [
    {
      kind: 'audio',
      mode: 'transcode',
      webrtc: negotiated('audio', 'opus', 111),
      sip: negotiated('audio', 'PCMU', 0),
    },
  ];
  const sipCodecs = {
    audio: [
      { name: 'PCMA', clockRate: 8000 },
      { name: 'opus', clockRate: 48000, channels: 2 },
      { name: 'telephone-event', clockRate: 8000, fmtp: '0-16' },
    ],
    video: [{ name: 'VP8', clockRate: 90000, relayOnly: true }],
  };

  it('offers the browser leg’s codec first, the others only when transcoding is on', () => {
    expect(codecsForNewSipLeg(opusCall, sipCodecs, true).audio?.map((c) => c.name)).toEqual([
      'opus',
      'PCMA',
      'telephone-event',
    ]);
    expect(codecsForNewSipLeg(opusCall, sipCodecs, false).audio?.map((c) => c.name)).toEqual([
      'opus',
      'telephone-event',
    ]);
    // No video in the browser leg: none on the new SIP leg either.
    expect(codecsForNewSipLeg(opusCall, sipCodecs, true).video).toBeUndefined();
  });

  it('keeps the browser side and relays when the new leg uses the same codec', () => {
    const relay = withNewSipLeg(opusCall, [negotiated('audio', 'opus', 96, 5000)]);
    expect(relay[0]).toMatchObject({ mode: 'relay', webrtc: opusCall[0]!.webrtc });
    expect(relay[0]!.sip?.remotePort).toBe(5000);
    const transcode = withNewSipLeg(opusCall, [negotiated('audio', 'PCMA', 8, 5002)]);
    expect(transcode[0]).toMatchObject({ mode: 'transcode' });
    const refused = withNewSipLeg(opusCall, [
      { ...negotiated('audio', 'PCMA', 8), accepted: false },
    ]);
    expect(refused[0]).toMatchObject({ mode: 'rejected' });
  });
});

describe('call pickup: the answer the new party would have given to our offer', () => {
  const sdp = (port: number, formats: string, lines: string) =>
    parseSdp(
      `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.${port % 7}\r\nt=0 0\r\n` +
        `m=audio ${port} RTP/AVP ${formats}\r\n${lines}a=sendrecv\r\n`,
    );
  const ours = sdp(
    4000,
    '111 0 101',
    'a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n',
  );

  it('takes their address, port and first codec we offered, with our payload types', () => {
    const theirs = sdp(
      5002,
      '8 0 96',
      'a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:96 telephone-event/8000\r\n',
    );
    const answer = answerAsIf(ours, theirs);
    const audio = answer.media[0]!;
    expect(audio.port).toBe(5002);
    expect(audio.connection?.address).toBe('10.0.0.4');
    expect(audio.codecs.map((c) => [c.payloadType, c.name])).toEqual([
      [0, 'PCMU'],
      [101, 'telephone-event'],
    ]);
  });

  it('fails as an offer/answer would when nothing is in common', () => {
    expect(() => answerAsIf(ours, sdp(5002, '9', 'a=rtpmap:9 G722/8000\r\n'))).toThrow(/codec/);
  });
});
