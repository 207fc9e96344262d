import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  RtpPacket,
  TelephoneEventReceiver,
  createRtpPacket,
  digitToEvent,
  eventToDigit,
  parseTelephoneEvent,
  telephoneEventTrain,
  type TelephoneEventNotice,
} from '@callbridge/rtp';

const DTMF = new URL('../../../../shared/conformance/dtmf/', import.meta.url);
const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Captured {
  readonly timeMs: number;
  readonly rtp: Uint8Array;
}

/** Classic libpcap file → UDP payloads (Ethernet, optional 802.1Q, IPv4, UDP). */
function udpPayloads(file: Uint8Array): Captured[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = view.getUint32(0, false);
  const little = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  if (!little && magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error('not a pcap file');
  const nanos = magic === 0x4d3cb2a1 || magic === 0xa1b23c4d;
  expect(view.getUint32(20, little)).toBe(1); // LINKTYPE_ETHERNET
  const out: Captured[] = [];
  for (let at = 24; at + 16 <= file.length;) {
    const seconds = view.getUint32(at, little);
    const fraction = view.getUint32(at + 4, little);
    const captured = view.getUint32(at + 8, little);
    const frame = file.subarray(at + 16, at + 16 + captured);
    at += 16 + captured;
    let ip = 14;
    let etherType = (frame[12]! << 8) | frame[13]!;
    if (etherType === 0x8100) {
      etherType = (frame[16]! << 8) | frame[17]!;
      ip = 18;
    }
    if (etherType !== 0x0800 || frame[ip + 9] !== 17) continue; // IPv4 + UDP only
    const udp = ip + (frame[ip]! & 0x0f) * 4;
    const udpLength = (frame[udp + 4]! << 8) | frame[udp + 5]!;
    out.push({
      timeMs: seconds * 1000 + fraction / (nanos ? 1e6 : 1e3),
      rtp: frame.subarray(udp + 8, udp + udpLength),
    });
  }
  return out;
}

function feed(receiver: TelephoneEventReceiver, packets: Captured[], payloadType = 101) {
  const notices: TelephoneEventNotice[] = [];
  for (const { timeMs, rtp } of packets) {
    const packet = RtpPacket.tryParse(rtp);
    if (!packet || packet.payloadType !== payloadType) continue;
    notices.push(...receiver.receive(packet, timeMs));
  }
  return notices;
}

describe('RFC 4733 payload', () => {
  it('maps digits and event codes', () => {
    expect([...'0123456789*#ABCD'].map(digitToEvent)).toEqual([...Array(16).keys()]);
    expect(digitToEvent('a')).toBe(12);
    expect(eventToDigit(11)).toBe('#');
    expect(eventToDigit(16)).toBeUndefined();
    expect(() => digitToEvent('E')).toThrow();
  });

  it('parses an event block and rejects short payloads', () => {
    expect(parseTelephoneEvent(hex('058a0320'))).toEqual({
      event: 5,
      end: true,
      volume: 10,
      duration: 800,
    });
    expect(parseTelephoneEvent(hex('05ca0320')).volume).toBe(10); // R bit ignored
    expect(() => parseTelephoneEvent(hex('0580'))).toThrow(/DTMF|4/);
  });
});

describe('telephoneEventTrain', () => {
  it('reproduces the constructed RFC 4733 digit-5 example packet for packet', () => {
    const example = JSON.parse(
      readFileSync(new URL('constructed-rfc4733-digit5.json', DTMF), 'utf8'),
    ) as { packets: { send_time_ms: number; rtp_hex: string }[] };
    const train = telephoneEventTrain({
      event: '5',
      ssrc: 0x11223344,
      payloadType: 101,
      sequenceNumber: 1000,
      timestamp: 160000,
      durationMs: 100,
    });
    expect(train.map((p) => p.sendAtMs)).toEqual(example.packets.map((p) => p.send_time_ms));
    expect(train.map((p) => toHex(createRtpPacket(p.packet).bytes))).toEqual(
      example.packets.map((p) => p.rtp_hex),
    );
  });

  it('splits events longer than 0xFFFF units into segments', () => {
    const train = telephoneEventTrain({
      event: 1,
      ssrc: 1,
      payloadType: 101,
      sequenceNumber: 65530,
      timestamp: 0xfffff000,
      durationMs: 10_000,
    });
    const blocks = train.map((p) => parseTelephoneEvent(p.packet.payload!));
    const timestamps = [...new Set(train.map((p) => p.packet.timestamp))];
    expect(timestamps).toEqual([0xfffff000, (0xfffff000 + 0xffff) >>> 0]);
    expect(blocks.filter((b) => b.duration === 0xffff && !b.end)).toHaveLength(1);
    expect(blocks.at(-1)).toMatchObject({ end: true, duration: 80000 - 0xffff });
    expect(train.filter((p) => p.packet.marker)).toHaveLength(1);
    // the receiver puts the segments back together into one digit of the full length
    const receiver = new TelephoneEventReceiver();
    const notices = train.flatMap((p) => receiver.receive(createRtpPacket(p.packet), p.sendAtMs));
    expect(notices.map((n) => n.type)).toEqual(['start', 'end']);
    expect(notices[1]).toMatchObject({ digit: '1', duration: 80000, timestamp: 0xfffff000 });
  });
});

describe('TelephoneEventReceiver', () => {
  const files = readdirSync(new URL('sipp-pcap/', DTMF)).filter((f) => f.endsWith('.pcap'));
  const digitOf = (file: string) => {
    const name = /dtmf_2833_(\w+)\.pcap/.exec(file)![1]!;
    return name === 'star' ? '*' : name === 'pound' ? '#' : name;
  };

  it('has the twelve SIPp captures', () => expect(files).toHaveLength(12));

  for (const file of files) {
    it(`detects exactly one ${digitOf(file)} in SIPp ${file} (end packets share a sequence number)`, () => {
      const packets = udpPayloads(new Uint8Array(readFileSync(new URL(`sipp-pcap/${file}`, DTMF))));
      const receiver = new TelephoneEventReceiver();
      const notices = feed(receiver, packets);
      expect(notices.map((n) => [n.type, n.digit])).toEqual([
        ['start', digitOf(file)],
        ['end', digitOf(file)],
      ]);
      expect(notices[1]).toMatchObject({ reason: 'end-bit', volume: 10 });
      expect(notices[1]!.duration).toBeGreaterThan(0);
    });
  }

  const capture = () =>
    udpPayloads(new Uint8Array(readFileSync(new URL('sipp-pcap/dtmf_2833_7.pcap', DTMF))));

  it('detects the digit when the first packets (with the marker) are lost', () => {
    const notices = feed(new TelephoneEventReceiver(), capture().slice(3));
    expect(notices.map((n) => [n.type, n.digit])).toEqual([
      ['start', '7'],
      ['end', '7'],
    ]);
  });

  it('detects the digit from end packets alone', () => {
    const notices = feed(new TelephoneEventReceiver(), capture().slice(-2));
    expect(notices.map((n) => [n.type, n.digit, n.duration])).toEqual([
      ['start', '7', 2240],
      ['end', '7', 2240],
    ]);
  });

  it('survives duplication and reordering', () => {
    const packets = capture();
    const shuffled = [packets[0]!, packets[2]!, packets[1]!, packets[1]!, packets[4]!, packets[3]!];
    shuffled.push(...packets.slice(5), packets[6]!, packets[2]!);
    const notices = feed(new TelephoneEventReceiver(), shuffled);
    expect(notices.map((n) => n.type)).toEqual(['start', 'end']);
    expect(notices[1]!.duration).toBe(2240);
  });

  it('ends an event whose end packets were lost, on timeout or on the next event', () => {
    const packets = capture().slice(0, 5);
    const receiver = new TelephoneEventReceiver({ timeoutMs: 500 });
    feed(receiver, packets);
    const last = packets.at(-1)!.timeMs;
    expect(receiver.expire(last + 100)).toEqual([]);
    expect(receiver.expire(last + 600)).toMatchObject([
      { type: 'end', digit: '7', reason: 'timeout' },
    ]);
    expect(receiver.expire(last + 2000)).toEqual([]);

    const again = new TelephoneEventReceiver();
    const first = packets.map((p) => p.rtp);
    for (const rtp of first) again.receive(RtpPacket.parse(rtp));
    // the same digit pressed again: new timestamp → the old one is superseded, a new one starts
    const next = createRtpPacket({
      payloadType: 101,
      sequenceNumber: 9000,
      timestamp: RtpPacket.parse(first[0]!).timestamp + 4000,
      ssrc: RtpPacket.parse(first[0]!).ssrc,
      payload: hex('070a00a0'),
    });
    expect(again.receive(next).map((n) => [n.type, n.digit, n.reason])).toEqual([
      ['end', '7', 'superseded'],
      ['start', '7', undefined],
    ]);
  });

  it('keeps tracking a source while many others come and go', () => {
    const receiver = new TelephoneEventReceiver();
    const packet = (ssrc: number, end: boolean) =>
      createRtpPacket({
        payloadType: 101,
        sequenceNumber: 1,
        timestamp: 100,
        ssrc,
        payload: hex(end ? '018a00a0' : '010a00a0'),
      });
    expect(receiver.receive(packet(1, false)).map((n) => n.type)).toEqual(['start']);
    for (let ssrc = 1000; ssrc < 1030; ssrc++) receiver.receive(packet(ssrc, false));
    expect(receiver.receive(packet(1, true)).map((n) => n.type)).toEqual(['end']);
    for (let ssrc = 2000; ssrc < 2100; ssrc++) receiver.receive(packet(ssrc, false));
    // source 1 was forgotten among the flood: its retransmitted end is news again
    expect(receiver.receive(packet(1, true)).map((n) => n.type)).toEqual(['start', 'end']);
  });

  it('handles timestamp wrap, duration wrap, unknown events and long payloads', () => {
    const receiver = new TelephoneEventReceiver();
    const packet = (seq: number, timestamp: number, payload: string) =>
      createRtpPacket({
        payloadType: 101,
        sequenceNumber: seq,
        timestamp,
        ssrc: 5,
        payload: hex(payload),
      });
    // an event across the timestamp wrap, whose duration field wraps in place (bad sender)
    expect(receiver.receive(packet(1, 0xffffff00, '030aff00')).map((n) => n.type)).toEqual([
      'start',
    ]);
    expect(receiver.receive(packet(2, 0xffffff00, '030a0100'))).toEqual([]);
    const end = receiver.receive(packet(3, 0xffffff00, '038a0200'));
    expect(end).toMatchObject([{ type: 'end', digit: '3', duration: 0x10200 }]);
    // next event after the wrap is newer
    expect(receiver.receive(packet(4, 0x00000100, '048a00a0')).map((n) => n.type)).toEqual([
      'start',
      'end',
    ]);
    // a late packet of the old event is ignored
    expect(receiver.receive(packet(5, 0xffffff00, '030a0300'))).toEqual([]);
    // unknown event code, short and multi-block payloads
    expect(receiver.receive(packet(6, 0x1000, 'c80a00a0'))).toEqual([]);
    expect(receiver.receive(packet(7, 0x2000, '0a'))).toEqual([]);
    expect(
      receiver.receive(packet(8, 0x3000, '0b8a00a0' + '0a8a00a0')).map((n) => n.digit),
    ).toEqual(['#', '#']);
  });
});
