// Stream directions in offer/answer (RFC 3264 §6.1) and hold (RFC 3264 §8.4).
import type { ConnectionAddress, MediaDirection } from './model.js';

const SENDS: Readonly<Record<MediaDirection, boolean>> = {
  sendrecv: true,
  sendonly: true,
  recvonly: false,
  inactive: false,
};
const RECEIVES: Readonly<Record<MediaDirection, boolean>> = {
  sendrecv: true,
  sendonly: false,
  recvonly: true,
  inactive: false,
};

export const directionSends = (d: MediaDirection): boolean => SENDS[d];
export const directionReceives = (d: MediaDirection): boolean => RECEIVES[d];

export function makeDirection(send: boolean, receive: boolean): MediaDirection {
  if (send) return receive ? 'sendrecv' : 'sendonly';
  return receive ? 'recvonly' : 'inactive';
}

/** The same stream seen from the other end: sendonly ⇄ recvonly. */
export function reverseDirection(d: MediaDirection): MediaDirection {
  return makeDirection(RECEIVES[d], SENDS[d]);
}

/** RFC 3264 §8.4: c=0.0.0.0 (or the IPv6 unspecified address) is the RFC 2543 way to hold. */
export function isNullConnection(connection: ConnectionAddress | undefined): boolean {
  if (!connection) return false;
  return (
    connection.address === '0.0.0.0' ||
    connection.address === '::' ||
    connection.address === '0:0:0:0:0:0:0:0'
  );
}

/**
 * The direction a media section's sender really asks for: its direction attribute, minus
 * receiving when it gives the null address (it cannot receive there). With ICE the c= line only
 * names the default candidate, and 0.0.0.0 with port 9 means "none gathered yet" (JSEP, RFC 8829
 * §5.2.1; Trickle ICE, RFC 8840): browsers write it on every bundled section but the first, so
 * it is no hold there.
 */
export function effectiveDirection(section: {
  readonly direction: MediaDirection;
  readonly connection?: ConnectionAddress | undefined;
  readonly ice?: unknown;
}): MediaDirection {
  if (section.ice !== undefined || !isNullConnection(section.connection)) return section.direction;
  return makeDirection(SENDS[section.direction], false);
}

/**
 * RFC 3264 §6.1: the answer's direction for an offered one, given what the answerer wants
 * (`sendrecv` normally, `sendonly` or `inactive` to hold). The answerer sends only if the offerer
 * receives, and receives only if the offerer sends.
 */
export function answerDirection(
  offered: MediaDirection,
  wanted: MediaDirection = 'sendrecv',
): MediaDirection {
  return makeDirection(SENDS[wanted] && RECEIVES[offered], RECEIVES[wanted] && SENDS[offered]);
}

/** Whether the sender of this media section has put the stream on hold (it will not receive). */
export function isHeld(section: {
  readonly direction: MediaDirection;
  readonly connection?: ConnectionAddress | undefined;
  readonly ice?: unknown;
  readonly port: number;
}): boolean {
  return section.port !== 0 && !RECEIVES[effectiveDirection(section)];
}
