// Origin lines and versioning (RFC 3264 §5 and §8), and the address type of a c= address.
import type { ConnectionAddress, MediaSection, Origin, SessionDescription } from './model.js';
import { serializeSdp } from './serialize.js';
import type { SessionOptions } from './endpoint.js';

export function connectionFor(address: string): ConnectionAddress {
  return { addressType: address.includes(':') ? 'IP6' : 'IP4', address };
}

// Random words are drawn in batches: getRandomValues has a high fixed cost per call in Node.
const randomPool = new Uint32Array(256);
let randomPoolNext = randomPool.length;

function randomWord(): number {
  if (randomPoolNext >= randomPool.length) {
    globalThis.crypto.getRandomValues(randomPool);
    randomPoolNext = 0;
  }
  return randomPool[randomPoolNext++]!;
}

/** A random 62-bit decimal session id (RFC 3264 §5: a value that is unique, e.g. random). */
function randomSessionId(): string {
  const id = (BigInt(randomWord() & 0x3fffffff) << 32n) | BigInt(randomWord());
  return (id === 0n ? 1n : id).toString();
}

function withoutOrigin(description: SessionDescription): string {
  return serializeSdp(description).replace(/^o=[^\r\n]*\r\n/m, '');
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Finishes a description this side is about to send: a fresh origin, or for a later
 * description in the same session the previous origin with the version bumped only when the
 * content changed (RFC 3264 §8: an unchanged description keeps its version).
 */
export function finishSession(
  draft: Omit<SessionDescription, 'origin'>,
  address: string,
  options: SessionOptions,
): SessionDescription {
  const previous = options.previous;
  const originAddress = connectionFor(address);
  const origin: Origin = previous
    ? previous.origin
    : {
        username: options.username ?? '-',
        sessionId: randomSessionId(),
        sessionVersion: '1',
        addressType: originAddress.addressType,
        address: originAddress.address,
      };
  const description: Mutable<SessionDescription> = { ...draft, origin };
  if (previous && withoutOrigin(description) !== withoutOrigin(previous)) {
    description.origin = {
      ...origin,
      sessionVersion: (BigInt(origin.sessionVersion) + 1n).toString(),
    };
  }
  return description;
}

/** Default empty fields of a media section, for building one by hand. */
export function emptyMedia(
  fields: Pick<MediaSection, 'kind' | 'port' | 'protocol' | 'formats'> & Partial<MediaSection>,
): MediaSection {
  return {
    codecs: [],
    bandwidth: [],
    direction: 'sendrecv',
    rtcpMux: false,
    rtcpReducedSize: false,
    candidates: [],
    endOfCandidates: false,
    fingerprints: [],
    crypto: [],
    ssrcs: [],
    ssrcGroups: [],
    extensions: [],
    bundleOnly: false,
    otherAttributes: [],
    ...fields,
  };
}
