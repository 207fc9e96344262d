// Hold and resume on the SIP leg by re-INVITE (RFC 3264 §8.4), and reading the remote side's hold.
import {
  effectiveDirection,
  parseSdp,
  serializeSdp,
  type MediaDirection,
  type SessionDescription,
} from '@callbridge/sdp';

/** Our last SIP description with every active stream's direction set, as a new version. */
export function withDirection(previous: string, direction: MediaDirection): string {
  const description = parseSdp(previous);
  const next: SessionDescription = {
    ...description,
    origin: {
      ...description.origin,
      // RFC 3264 §8: a changed description carries the next version number.
      sessionVersion: (BigInt(description.origin.sessionVersion) + 1n).toString(),
    },
    media: description.media.map((m) => (m.port === 0 ? m : { ...m, direction })),
  };
  return serializeSdp(next);
}

/** Whether a remote offer puts us on hold: its audio does not want to receive (a=sendonly, a=inactive or c=0.0.0.0). */
export function offerHolds(sdp: string): boolean {
  const description = parseSdp(sdp);
  const audio = description.media.find((m) => m.kind === 'audio' && m.port !== 0);
  if (!audio) return false;
  const direction = effectiveDirection(audio);
  return direction === 'sendonly' || direction === 'inactive';
}
