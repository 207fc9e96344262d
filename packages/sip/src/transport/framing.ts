// Adapts the message layer's SipStreamFramer (RFC 3261 §18.3 framing, RFC 5626 §4.4.1
// keep-alives) to what the connection table needs: whole-message bytes and keep-alive signals.
import { SipStreamFramer } from '../framer.js';
import { SipTransportError } from './types.js';

/** A complete message's bytes, or a keep-alive seen between messages. */
export type FramedItem = Uint8Array | 'ping' | 'pong';

export interface StreamFramer {
  /** Feeds bytes; returns what became complete. Throws SipTransportError when framing is lost. */
  push(chunk: Uint8Array): FramedItem[];
  /** Bytes held for an incomplete message. */
  readonly bufferedBytes: number;
}

export type StreamFramerFactory = (
  maxMessageSize: number,
  maxBufferedBytes: number,
) => StreamFramer;

export function createStreamFramer(
  maxMessageSize: number,
  maxBufferedBytes = maxMessageSize,
): StreamFramer {
  const framer = new SipStreamFramer({ limits: { maxMessageSize }, maxBufferedBytes });
  return {
    get bufferedBytes() {
      return framer.buffered;
    },
    push(chunk) {
      const out: FramedItem[] = [];
      for (const item of framer.push(chunk)) {
        if (item.kind === 'message') out.push(item.bytes);
        else if (item.kind === 'ping' || item.kind === 'pong') out.push(item.kind);
        else if (item.fatal) {
          throw new SipTransportError(
            item.error.code === 'BUFFER_LIMIT'
              ? 'LIMIT_EXCEEDED'
              : item.error.code === 'MESSAGE_TOO_LARGE'
                ? 'MESSAGE_TOO_LARGE'
                : 'FRAMING_ERROR',
            item.error.message,
            { cause: item.error },
          );
        }
        // A frame that does not parse still goes up: the transport layer reports it as malformed.
        else out.push(item.bytes);
      }
      return out;
    },
  };
}
