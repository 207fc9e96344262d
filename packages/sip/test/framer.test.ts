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

  it('bounds what it buffers; the error points at the first byte beyond the limit', () => {
    // The error's offset is into its bytes, which start at the message (after keep-alive CRLFs).
    const limitError = (items: SipStreamItem[]) => {
      const [item] = items;
      if (item?.kind !== 'error') throw new Error(`expected an error item, got ${item?.kind}`);
      const { code, limit, offset, response, message } = item.error;
      return { fatal: item.fatal, code, limit, offset, status: response?.status, message };
    };
    const framer = new SipStreamFramer({ limits: { maxMessageSize: 1000 } });
    framer.push(enc.encode('\r\n\r\n'));
    const noHeadEnd = limitError(
      framer.push(enc.encode(`OPTIONS sip:a@b.c SIP/2.0\r\nX: ${'a'.repeat(1200)}`)),
    );
    expect(noHeadEnd).toMatchObject({
      fatal: true,
      code: 'MESSAGE_TOO_LARGE',
      limit: 'maxMessageSize',
      offset: 1000,
      status: 513,
    });
    expect(noHeadEnd.message).toContain('maxMessageSize (1000');
    const declared = limitError(
      new SipStreamFramer({ limits: { maxMessageSize: 1000 } }).push(
        enc.encode('OPTIONS sip:a@b.c SIP/2.0\r\nContent-Length: 5000\r\n\r\n'),
      ),
    );
    expect(declared).toMatchObject({
      fatal: true,
      code: 'MESSAGE_TOO_LARGE',
      limit: 'maxMessageSize',
      offset: 1000,
      status: 513,
    });
    expect(declared.message).toContain('Content-Length 5000');
    expect(declared.message).toContain('maxMessageSize (1000');
    const buffered = limitError(
      new SipStreamFramer({ maxBufferedBytes: 100 }).push(
        enc.encode('OPTIONS sip:a@b.c SIP/2.0\r\nContent-Length: 500\r\n\r\n' + 'x'.repeat(80)),
      ),
    );
    expect(buffered).toMatchObject({
      fatal: true,
      code: 'BUFFER_LIMIT',
      limit: 'maxBufferedBytes',
      offset: 100,
      status: 513,
    });
    expect(buffered.message).toContain('maxBufferedBytes (100)');
    // A fractional limit allows its whole part.
    const fractional = limitError(
      new SipStreamFramer({ maxBufferedBytes: 100.5, limits: { maxMessageSize: 1000.5 } }).push(
        enc.encode('OPTIONS sip:a@b.c SIP/2.0\r\nContent-Length: 500\r\n\r\n' + 'x'.repeat(80)),
      ),
    );
    expect(fractional).toMatchObject({ code: 'BUFFER_LIMIT', offset: 100 });
    const declaredFractional = limitError(
      new SipStreamFramer({ limits: { maxMessageSize: 1000.5 } }).push(
        enc.encode('OPTIONS sip:a@b.c SIP/2.0\r\nContent-Length: 5000\r\n\r\n'),
      ),
    );
    expect(declaredFractional).toMatchObject({ code: 'MESSAGE_TOO_LARGE', offset: 1000 });
  });

  it('passes the parser limits on, offsets counted from the message', () => {
    const framer = new SipStreamFramer({ limits: { maxHeaderLineLength: 50 } });
    const text = msg('x'.repeat(3)).replace('Call-ID: a', `Call-ID: ${'a'.repeat(60)}`);
    const items = framer.push(enc.encode(msg('first') + text));
    expect(items.map((i) => i.kind)).toEqual(['message', 'error']);
    const [, item] = items;
    expect(item?.kind === 'error' && [item.fatal, item.error.code, item.error.limit]).toEqual([
      false,
      'HEADER_LINE_TOO_LONG',
      'maxHeaderLineLength',
    ]);
    expect(item?.kind === 'error' && item.error.offset).toBe(text.indexOf('Call-ID') + 50);
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
