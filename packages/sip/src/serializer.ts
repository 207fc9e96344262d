/**
 * `serialize()`: a message to bytes. Untouched parts of a parsed message (start line, each
 * header line, folding included) are copied from the original bytes; a message nobody changed
 * comes back as a view of exactly the bytes it was parsed from.
 */
import type { SipMessage } from './message.js';
import { encodeUtf8 } from './text.js';

const CRLF = new Uint8Array([13, 10]);

/** Serialises a message (RFC 3261 §7). The result may share memory with the parsed input. */
export function serialize(message: SipMessage): Uint8Array {
  const chunks: Uint8Array[] = [];
  const source = message.source;
  const startLineEnd = message.startLineEnd;
  if (startLineEnd !== undefined && source !== undefined) {
    chunks.push(source.bytes.subarray(source.base, startLineEnd));
  } else {
    chunks.push(encodeUtf8(`${message.startLine}\r\n`));
  }
  let contiguous = startLineEnd !== undefined && source !== undefined;
  let expected = startLineEnd ?? 0;
  for (const field of message.headers) {
    if (field.source !== undefined) {
      const bytes = field.source.bytes;
      if (contiguous && (bytes !== source?.bytes || field.lineStart !== expected))
        contiguous = false;
      expected = field.lineEnd;
      chunks.push(bytes.subarray(field.lineStart, field.lineEnd));
    } else {
      contiguous = false;
      chunks.push(encodeUtf8(`${field.name}: ${field.value}\r\n`));
    }
  }
  const body = message.body;
  // Unchanged message: the original bytes, from the start line to the end of the body.
  if (contiguous && source !== undefined) {
    const bytes = source.bytes;
    let blank = expected;
    if (bytes[blank] === 13) blank++;
    if (bytes[blank] === 10) {
      blank++;
      if (
        body.length === 0 ||
        (body.buffer === bytes.buffer && body.byteOffset === bytes.byteOffset + blank)
      ) {
        return bytes.subarray(source.base, blank + body.length);
      }
    }
  }
  chunks.push(CRLF);
  if (body.length > 0) chunks.push(body);
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
