import { describe, expect, it } from 'vitest';
import { SipStreamFramer, type SipStreamItem } from '@callbridge/sip';

const enc = new TextEncoder();
const msg = (body: string, callId = 'a'): string =>
  `MESSAGE sip:a@example.com SIP/2.0\r\nCall-ID: ${callId}\r\nl: ${enc.encode(body).length}\r\n\r\n${body}`;

function kinds(items: SipStreamItem[]): string[] {
  return items.map((i) =>
    i.kind === 'message' ? `message:${i.message.callId ?? ''}:${i.message.bodyText}` : i.kind,
  );
}

describe('SipStreamFramer', () => {
  it('frames back-to-back messages by Content-Length, binary bodies included', () => {
    const framer = new SipStreamFramer();
    const stream = enc.encode(msg('hi\r\n\r\nthere', '1') + msg('', '2') + msg('é', '3'));
    expect(kinds(framer.push(stream))).toEqual([
      'message:1:hi\r\n\r\nthere',
      'message:2:',
      'message:3:é',
    ]);
    expect(framer.buffered).toBe(0);
  });

  it('reassembles a message delivered one byte at a time', () => {
    const framer = new SipStreamFramer();
    const stream = enc.encode(msg('body', 'x') + msg('second', 'y'));
    const items: SipStreamItem[] = [];
    for (let i = 0; i < stream.length; i++) items.push(...framer.push(stream.subarray(i, i + 1)));
    expect(kinds(items)).toEqual(['message:x:body', 'message:y:second']);
  });

  it('reports RFC 5626 keep-alives between messages', () => {
    const framer = new SipStreamFramer();
    const items = framer.push(enc.encode(`\r\n\r\n${msg('a')}\r\n${msg('b')}`));
    expect(kinds(items)).toEqual(['ping', 'message:a:a', 'pong', 'message:a:b']);
    expect(kinds(framer.push(enc.encode('\r\n')))).toEqual(['pong']);
  });

  it('keeps the exact bytes of each message', () => {
    const framer = new SipStreamFramer();
    const one = msg('xyz');
    const [item] = framer.push(enc.encode(one));
    expect(item?.kind === 'message' && new TextDecoder().decode(item.bytes)).toBe(one);
  });

  it('reports a malformed message that frames correctly without losing the stream', () => {
    const framer = new SipStreamFramer();
    const bad = 'BAD LINE\r\nContent-Length: 0\r\n\r\n';
    const items = framer.push(enc.encode(bad + msg('ok')));
    expect(items[0]?.kind === 'error' && !items[0].fatal).toBe(true);
    expect(kinds(items.slice(1))).toEqual(['message:a:ok']);
  });

  it('fails the stream on a bad Content-Length', () => {
    const framer = new SipStreamFramer();
    const items = framer.push(
      enc.encode('OPTIONS sip:a@b.c SIP/2.0\r\nContent-Length: five\r\n\r\n'),
    );
    expect(items.length).toBe(1);
    const [item] = items;
    expect(item?.kind === 'error' && [item.fatal, item.error.code]).toEqual([
      true,
      'BAD_CONTENT_LENGTH',
    ]);
    expect(framer.failed).toBe(true);
    expect(framer.push(enc.encode(msg('x')))).toEqual([]);
    framer.reset();
    expect(kinds(framer.push(enc.encode(msg('x'))))).toEqual(['message:a:x']);
  });

  it('bounds what it buffers', () => {
    const framer = new SipStreamFramer({ limits: { maxMessageSize: 1000 } });
    const items = framer.push(enc.encode(`OPTIONS sip:a@b.c SIP/2.0\r\nX: ${'a'.repeat(1200)}`));
    const [item] = items;
    expect(item?.kind === 'error' && [item.fatal, item.error.limit]).toEqual([
      true,
      'maxMessageSize',
    ]);
    const declared = new SipStreamFramer({ limits: { maxMessageSize: 1000 } });
    const [big] = declared.push(
      enc.encode('OPTIONS sip:a@b.c SIP/2.0\r\nContent-Length: 5000\r\n\r\n'),
    );
    expect(big?.kind === 'error' && big.error.code).toBe('MESSAGE_TOO_LARGE');
    const buffered = new SipStreamFramer({ maxBufferedBytes: 100 });
    const [over] = buffered.push(
      enc.encode('OPTIONS sip:a@b.c SIP/2.0\r\nContent-Length: 500\r\n\r\n' + 'x'.repeat(80)),
    );
    expect(over?.kind === 'error' && over.error.limit).toBe('maxBufferedBytes');
  });

  it('copies what it keeps, even from a Node Buffer the caller reuses', () => {
    const framer = new SipStreamFramer();
    const whole = enc.encode(msg('payload', 'k'));
    const chunk = Buffer.from(whole.subarray(0, 20));
    expect(framer.push(chunk)).toEqual([]);
    chunk.fill(0x41);
    expect(kinds(framer.push(whole.subarray(20)))).toEqual(['message:k:payload']);
  });

  it('treats a missing Content-Length as an empty body', () => {
    const framer = new SipStreamFramer();
    expect(
      kinds(framer.push(enc.encode('OPTIONS sip:a@b.c SIP/2.0\r\nCall-ID: q\r\n\r\n'))),
    ).toEqual(['message:q:']);
  });
});
