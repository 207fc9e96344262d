/**
 * `serialize()`: a message to bytes. Untouched parts of a parsed message (start line, each
 * header line, folding included) are copied from the original bytes; a message nobody changed
 * comes back as a view of exactly the bytes it was parsed from.
 */
import type { HeaderField, SipMessage } from './message.js';
import { encodeUtf8 } from './text.js';

const CRLF = new Uint8Array([13, 10]);

/** Serialises a message (RFC 3261 §7). The result may share memory with the parsed input. */
export function serialize(message: SipMessage): Uint8Array {
  const source = message.source;
  const startLineEnd = message.startLineEnd;
  const fields = message.headers;
  const body = message.body;
  const fromSource = startLineEnd !== undefined && source !== undefined;

  // Unchanged message: the original bytes, from the start line to the end of the body.
  if (fromSource) {
    let expected = startLineEnd;
    let contiguous = true;
    for (const field of fields) {
      if (field.source?.bytes !== source.bytes || field.lineStart !== expected) {
        contiguous = false;
        break;
      }
      expected = field.lineEnd;
    }
    if (contiguous) {
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
  }

  // Usual case (built messages, and parsed ones whose header section was ASCII): the header
  // section as one string, encoded once. Lines from an ASCII source are the same bytes as text.
  if ((!fromSource || source.ascii) && allAsciiSources(fields)) {
    let head = fromSource
      ? source.text.substring(0, startLineEnd - source.base)
      : `${message.startLine}\r\n`;
    for (const field of fields) {
      const src = field.source;
      head +=
        src === undefined
          ? `${field.name}: ${field.value}\r\n`
          : src.text.substring(field.lineStart - src.base, field.lineEnd - src.base);
    }
    head += '\r\n';
    const encoded = encodeUtf8(head);
    if (body.length === 0) return encoded;
    const out = new Uint8Array(encoded.length + body.length);
    out.set(encoded, 0);
    out.set(body, encoded.length);
    return out;
  }

  // Lines from a non-ASCII source: copy their bytes as they are.
  const chunks: Uint8Array[] = [];
  chunks.push(
    fromSource
      ? source.bytes.subarray(source.base, startLineEnd)
      : encodeUtf8(`${message.startLine}\r\n`),
  );
  for (const field of fields) {
    chunks.push(
      field.source !== undefined
        ? field.source.bytes.subarray(field.lineStart, field.lineEnd)
        : encodeUtf8(`${field.name}: ${field.value}\r\n`),
    );
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

function allAsciiSources(fields: readonly HeaderField[]): boolean {
  for (const field of fields) if (field.source !== undefined && !field.source.ascii) return false;
  return true;
}
